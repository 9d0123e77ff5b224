// A counter of carts, kept in this module's memory: the handler is a stateful fluxion (one worker, its state back).
var threadId = require('worker_threads').threadId;
var carts = 0;

exports.count = function count(req, res) {
  carts++;
  res.json({ carts: carts, thread: threadId });
};

// A counter of orders, kept in this module's memory: the handler is a stateful fluxion (one worker, its state back).
var threadId = require('worker_threads').threadId;
var orders = 0;

exports.count = function count(req, res) {
  orders++;
  res.json({ orders: orders, thread: threadId });
};

// A counter of visits, kept in this module's memory: the handler is a stateful fluxion (one worker, its state back).
var threadId = require('worker_threads').threadId;
var visits = 0;

exports.count = function count(req, res) {
  visits++;
  res.json({ visits: visits, thread: threadId });
};

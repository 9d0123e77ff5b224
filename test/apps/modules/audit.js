// Kept in memory and flushed by a timer its top level starts: a worker's copy of this file would start one too
// (and flush its own empty log over the main loop's, were the flush a write to disk).
var log = [];
exports.note = function note(what) {
  log.push(what);
};
setInterval(function flush() {
  log.length = 0;
}, 60000).unref();

// State of its own and a pure helper, but it requires a file whose top level starts a timer: a worker must not
// load it, so even the helper's callers stay on the main loop.
var audit = require('./audit');
var invoices = 0;
exports.invoice = function invoice() {
  audit.note('invoice');
  return ++invoices;
};
exports.format = function format(n) {
  return 'INV-' + String(n).padStart(4, '0');
};

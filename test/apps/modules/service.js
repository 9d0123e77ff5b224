// A service that keeps a store and has pure helpers: code calling only the helpers may move (a worker's copy of
// this file runs them as this one does, and its copy of `orders` is never touched there); code calling what
// reaches the store, here or in another file, stays on the main loop.
var store = require('./store');
var orders = [];
var TAX = 0.2;
function round(n) {
  return Math.round(n * 100) / 100;
}
function total(order) {
  return round(order.amount * (1 + TAX));
}
exports.place = function place(amount) {
  orders.push({ amount: amount });
  return orders.length;
};
exports.count = function count() {
  return orders.length;
};
exports.priceWithTax = function priceWithTax(amount) {
  return total({ amount: amount });
};
exports.slug = (s) => String(s).toLowerCase().replace(/[^a-z0-9]+/g, '-');
exports.lastTotal = function lastTotal() {
  return orders.length ? total(orders[orders.length - 1]) : 0;
};
exports.stored = function stored() {
  return store.count();
};
exports.VERSION = 'v1';

// Module memory written after start-up: one store for the whole app.
var items = [];
exports.add = function add(item) {
  items.push(item);
  return items.length;
};
exports.count = function count() {
  return items.length;
};

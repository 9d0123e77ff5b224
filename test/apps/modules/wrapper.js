// No state of its own, but it calls into a module that has some.
var store = require('./store');
exports.addTwice = function addTwice(item) {
  store.add(item);
  return store.add(item);
};

var cache = require('./cache');

exports.find = function find(key) {
  return cache.get(key);
};

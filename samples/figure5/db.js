// A tiny asynchronous key-value store with a callback API (`query(key, cb)`), like a database driver.
var values = { last: 7 };

exports.query = function query(key, callback) {
  setImmediate(function () {
    callback(null, Object.prototype.hasOwnProperty.call(values, key) ? values[key] : key.length);
  });
};

// No functions: an object made at load time, which app.js writes (`cache.set()`) and lookup.js reads.
module.exports = new Map();

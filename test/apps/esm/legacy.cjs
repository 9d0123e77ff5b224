// A CommonJS service imported by an ES module's default import (its default export is module.exports).
let hits = 0;
exports.hit = () => ++hits;
exports.shout = (s) => String(s).toUpperCase() + '!';

'use strict';
// Looks like a reader, but counts each look: not read-only (`peek` calls `touch`, which writes).
let seen = 0;
function touch() {
  seen++;
}
exports.peek = function peek() {
  touch();
  return seen;
};

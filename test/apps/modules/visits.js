// Counts visits in its module memory: state. app.js requires it far below its first route.
var total = 0;
exports.record = function record(page) {
  total += 1;
  return total;
};

// Text helpers; app.js adds one at start-up (format.shout = function …): a function cannot be copied to a worker.
module.exports = {
  trim: function trim(s) {
    return String(s).trim();
  },
};

// The work of samples/cpu's banner route as a task, for the hand-written piscina and worker_threads variants.
const gif = require('../../samples/gifsockets/gif');

module.exports = function banner({ text, scale }) {
  return gif.textToGif(text, { scale, padding: 4 });
};

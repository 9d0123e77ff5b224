// Stands in for the `gifsockets-middleware` package: turns the posted text into a GIF frame.
var gif = require('./gif');

exports.writeTextToImages = function writeTextToImages(req, res) {
  var text = (req.body || Buffer.alloc(0)).toString('utf8');
  var frame = gif.textToGif(text, { scale: 2 });
  res.set('content-type', 'image/gif');
  res.send(frame);
};

// Stands in for `gifsockets-middleware` (ES module twin of routes.js).
import gif from './gif.js';

export function writeTextToImages(req, res) {
  const text = (req.body || Buffer.alloc(0)).toString('utf8');
  const frame = gif.textToGif(text, { scale: 2 });
  res.set('content-type', 'image/gif');
  res.send(frame);
}

// The CPU-heavy sample as an ES module: `node --import fluxion/register samples/cpu/app.mjs`.
import express from 'express';
import gif from '../gifsockets/gif.js';

const app = express();

app.get('/banner/:text', function banner(req, res) {
  const scale = Math.min(Number(req.query.scale) || 12, 24);
  const image = gif.textToGif(req.params.text, { scale: scale, padding: 4 });
  res.set('cache-control', 'public, max-age=60');
  res.type('image/gif');
  res.send(image);
});

app.get('/health', function health(req, res) {
  res.json({ ok: true });
});

const server = app.listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1', function () {
  console.log('cpu listening on http://127.0.0.1:' + server.address().port);
});

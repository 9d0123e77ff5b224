// A CPU-heavy Express app: every request renders a GIF banner in pure JavaScript (samples/gifsockets/gif.js),
// a few milliseconds of work on the event loop. Under `node -r fluxion/register` the JIT sees `banner` is hot
// and isolatable and moves it to the worker threads; `health` is too cheap to move and stays.
var express = require('express');
var gif = require('../gifsockets/gif');

var app = express();

app.get('/banner/:text', function banner(req, res) {
  var scale = Math.min(Number(req.query.scale) || 12, 24);
  var image = gif.textToGif(req.params.text, { scale: scale, padding: 4 });
  res.set('cache-control', 'public, max-age=60');
  res.type('image/gif');
  res.send(image);
});

app.get('/health', function health(req, res) {
  res.json({ ok: true });
});

var server = app.listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1', function () {
  console.log('cpu listening on http://127.0.0.1:' + server.address().port);
});

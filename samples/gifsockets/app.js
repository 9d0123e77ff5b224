// Paper Listing 3: a simplified gifsockets-server. POST text to /image/text, get it back as a GIF frame.
// `bodyParser(limit)` returns a closure and `routes.writeTextToImages` lives in another module: both are
// callbacks the compiler cannot prove, settled at run time (dynamic sites).
var express = require('express'),
    app = express(),
    routes = require('./routes'),
    getRawBody = require('raw-body');

function bodyParser(limit) {
  return function saveBody(req, res, next) {
    getRawBody(req, {
      expected: req.headers['content-length'],
      limit: limit
    }, function (err, buffer) {
      if (err) return next(err);
      req.body = buffer;
      next();
    });
  };
}

app.post('/image/text', bodyParser(1 * 1024 * 1024),
    routes.writeTextToImages);

var server = app.listen(Number(process.env.PORT || 8000), process.env.HOST || '127.0.0.1', function () {
  console.log('gifsockets listening on http://127.0.0.1:' + server.address().port);
});

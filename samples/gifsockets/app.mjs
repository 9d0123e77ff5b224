// Paper Listing 3 as an ES module: `node --import fluxion/register samples/gifsockets/app.mjs`.
import express from 'express';
import getRawBody from 'raw-body';
import * as routes from './routes.mjs';

const app = express();

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

const server = app.listen(Number(process.env.PORT || 8000), process.env.HOST || '127.0.0.1', function () {
  console.log('gifsockets listening on http://127.0.0.1:' + server.address().port);
});

// The `router` package alone, on a plain http server (no express): its handlers move as express's do; `res` is
// Node's own response (setHeader, statusCode, writeHead, end), errors end in finalhandler.
var http = require('http');
var Router = require('router');
var finalhandler = require('finalhandler');
var threadId = require('worker_threads').threadId;

var router = Router();
router.use(function stamp(req, res, next) {
  req.stampedBy = 'stamp';
  next();
});
router.get('/hash/:n', function hashRoute(req, res) {
  var h = 0;
  for (var i = 0; i < 1000 * Number(req.params.n); i++) h = (h * 31 + i) | 0;
  res.statusCode = 201;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify({ h: h, by: req.stampedBy, thread: threadId }));
});
router.get('/fail', function failRoute(req, res, next) {
  next(Object.assign(new Error('not today'), { status: 418 }));
});
router.get('/throw', function throwRoute() {
  throw new TypeError('thrown in a route');
});
router.get('/skip', function skipRoute(req, res, next) {
  next('route');
});
router.get('/skip', function secondRoute(req, res) {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Second': 'yes' });
  res.end('second on ' + threadId);
});

var server = http.createServer(function (req, res) {
  router(req, res, finalhandler(req, res, { env: 'production' }));
});
server.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('router listening on http://127.0.0.1:' + server.address().port);
});

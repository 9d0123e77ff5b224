// Templates and fluxion: a handler that renders runs on a worker, and so does its template when the worker can
// have what the template uses; a helper function in res.locals (i18n's `t`, a formatter) keeps the rendering
// on the main loop, where the helper is.
var express = require('express');
var path = require('path');
var threadId = require('worker_threads').threadId;

var app = express();
app.set('views', path.join(__dirname, 'views'));
app.set('view engine', 'ejs');
app.locals.site = 'fluxion';

app.get('/page/:name', function page(req, res) {
  res.render('page', { name: req.params.name, handledOn: threadId === 0 ? 'main' : 'worker' });
});

app.get(
  '/shout/:name',
  function addHelper(req, res, next) {
    res.locals.shout = function (s) { return String(s).toUpperCase() + '!'; };
    next();
  },
  function shoutPage(req, res) {
    res.render('shout', { name: req.params.name });
  },
);

// a function a middleware puts on req for what follows: it cannot travel back from a worker, so that
// middleware's message runs again on the main loop
app.get(
  '/helped',
  function addReqHelper(req, res, next) {
    req.helper = function () { return 'helped'; };
    next();
  },
  function helped(req, res) {
    res.send(req.helper() + (res.socket ? '' : ' without a socket'));
  },
);

app.use(function onError(err, req, res, next) {
  res.status(500).send('error: ' + err.message);
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('views listening on http://127.0.0.1:' + server.address().port);
});

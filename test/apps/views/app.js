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

// a middleware leaving a helper and an instance in res.locals for what follows: the handler reading them runs on
// the main loop (a worker's res.locals would lack them), the one that does not read res.locals moves
function Money(cents) {
  this.cents = cents;
}
Money.prototype.format = function () {
  return '$' + (this.cents / 100).toFixed(2);
};
app.use('/priced', function addPricing(req, res, next) {
  res.locals.currency = 'USD';
  res.locals.price = new Money(1234);
  res.locals.discount = function (money) { return new Money(Math.round(money.cents * 0.9)); };
  next();
});
app.get('/priced/label', function label(req, res) {
  res.json({ label: res.locals.discount(res.locals.price).format() + ' ' + res.locals.currency, thread: threadId });
});
app.get('/priced/item/:id', function pricedItem(req, res) {
  res.json({ id: req.params.id, thread: threadId });
});

app.use(function onError(err, req, res, next) {
  res.status(500).send('error: ' + err.message);
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('views listening on http://127.0.0.1:' + server.address().port);
});

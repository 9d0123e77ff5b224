// A realistic Express app (runs on express 4 and 5): routers, params, middleware chains, error handlers,
// next('route'), static files, sessions, templates, JSON bodies, cookies, streaming responses, module
// state, AsyncLocalStorage and cls-hooked contexts across callbacks.
var express = require('express');
var session = require('express-session');
var cookieParser = require('cookie-parser');
var fs = require('fs');
var path = require('path');
var zlib = require('zlib');
var crypto = require('crypto');
var { AsyncLocalStorage } = require('async_hooks');
var cls = require('cls-hooked');

var app = express();
var api = express.Router();
var hits = 0;
var sessions = 0;
var requestContext = new AsyncLocalStorage();
var ns = cls.createNamespace('suite');

app.set('views', path.join(__dirname, 'views'));
app.set('view engine', 'ejs');
app.set('etag', 'strong');

app.use(function countRequests(req, res, next) {
  hits += 1;
  req.hit = hits;
  res.set('x-hit', String(hits));
  next();
});
app.use(function withContext(req, res, next) {
  requestContext.run({ hit: req.hit }, function () {
    ns.run(function () {
      ns.set('hit', req.hit);
      next();
    });
  });
});
app.use(cookieParser('cookie secret'));
app.use(express.json());
app.use(express.urlencoded({ extended: false }));
app.use(session({
  secret: 'session secret',
  resave: false,
  saveUninitialized: false,
  genid: function () {
    sessions += 1;
    return 'session-' + sessions;
  },
}));
app.use('/static', express.static(path.join(__dirname, 'public')));

app.get('/', function home(req, res) {
  res.render('home', { title: 'Suite', hit: req.hit });
});

app.get('/render-callback', function (req, res, next) {
  res.render('home', { title: 'Callback', hit: req.hit }, function (err, html) {
    if (err) return next(err);
    res.type('html').send(html.toUpperCase());
  });
});

app.post('/login', function login(req, res) {
  req.session.user = req.body.user;
  res.cookie('theme', 'dark', { signed: true, path: '/' });
  res.redirect(303, '/me');
});

app.get('/me', function me(req, res) {
  if (!req.session.user) return res.sendStatus(401);
  res.json({ user: req.session.user, theme: req.signedCookies.theme, hit: req.hit });
});

app.post('/echo', function echo(req, res) {
  fs.stat(__filename, function (err, st) {
    res.status(201).json({ body: req.body, size: st.size > 0, type: req.get('content-type') });
  });
});

// changes made in place deep inside the request (a worker sends back only what differs from its snapshot)
app.post('/reshape', function reshape(req, res, next) {
  req.body.meta.n += 1;
  delete req.body.meta.drop; // one field removed, one added: as many keys as before
  req.body.meta.added = true;
  req.body.items.push(req.body.items.length);
  req.note = 'reshaped';
  next();
}, function reshaped(req, res) {
  res.json({ body: req.body, note: req.note, dropped: !('drop' in req.body.meta) });
});

// a method of express-session's Session: the worker's copy of req.session is its data, so this stays here
app.get('/session-touch', function sessionTouch(req, res) {
  req.session.touch();
  res.json({ touched: typeof req.session.cookie });
});

// a template that calls a method of the app's class: rendered where the handler runs, with the instance itself
var Visitor = require('./visitor');
app.get('/profile', function profile(req, res) {
  res.render('profile', { visitor: new Visitor('ada', req.hit) });
});

// a header that is an instance's toString, a cookie that is its JSON: the header cannot travel back from a
// worker as it is, so this request runs again on the main loop
app.get('/visitor', function visitorHeader(req, res) {
  var visitor = new Visitor('ada', req.hit);
  res.cookie('visitor', visitor);
  res.set('X-Visitor', visitor);
  res.send('ok');
});

app.get('/context', function context(req, res) {
  fs.readFile(__filename, function () {
    setImmediate(function () {
      res.json({ als: requestContext.getStore(), cls: ns.get('hit'), hit: req.hit });
    });
  });
});

app.get('/stream', function stream(req, res) {
  res.type('text/plain');
  var i = 0;
  (function tick() {
    if (i === 5) return res.end('done\n');
    res.write('chunk ' + i++ + '\n');
    setTimeout(tick, 2);
  })();
});

app.get('/file', function file(req, res) {
  res.type('text/javascript');
  fs.createReadStream(__filename).pipe(res);
});

app.get('/gzip', function gzip(req, res) {
  zlib.gzip(Buffer.from('compressed ' + req.hit), function (err, out) {
    res.set('content-encoding', 'gzip').type('text').send(out);
  });
});

app.get('/hash/:word', function hash(req, res) {
  crypto.pbkdf2(req.params.word, 'salt', 1000, 16, 'sha256', function (err, key) {
    res.send(key.toString('hex'));
  });
});

app.get('/route/:n', function first(req, res, next) {
  if (req.params.n === 'skip') return next('route');
  res.send('first ' + req.params.n);
}, function never(req, res) {
  res.send('never');
});
app.get('/route/:n', function second(req, res) {
  res.send('second ' + req.params.n);
});

app.get('/sync-error', function syncError() {
  throw new Error('sync failure');
});

app.get('/async-error', function asyncError(req, res, next) {
  fs.readFile('/definitely/not/here', function (err) {
    next(err);
  });
});

api.param('id', function (req, res, next, id) {
  if (!/^\d+$/.test(id)) return res.status(400).json({ error: 'bad id' });
  req.item = { id: Number(id), name: 'item ' + id };
  next();
});
api.get('/items/:id', function item(req, res) {
  res.json(req.item);
});
api.get('/items', function items(req, res) {
  res.json({ hits: hits, q: req.query.q || null });
});
app.use('/api', api);

app.use(function notFound(req, res) {
  res.status(404).type('text').send('no ' + req.method + ' ' + req.path);
});

app.use(function onError(err, req, res, next) {
  res.status(err.code === 'ENOENT' ? 404 : 500).json({ error: err.message });
});

var server = app.listen(Number(process.env.PORT || 3000), process.env.HOST || '127.0.0.1', function () {
  console.log('suite listening on http://127.0.0.1:' + server.address().port);
});

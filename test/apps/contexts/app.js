'use strict';
// Request context kept by packages in AsyncLocalStorage (and cls-hooked): a handler on a worker reads the
// request's values, what it writes there reaches the code after it on the main loop.
var express = require('express');
var threadId = require('worker_threads').threadId;
var reqctx = require('reqctx');
var clsctx = require('clsctx');
var early = require('early');
var AsyncLocalStorage = require('async_hooks').AsyncLocalStorage;

var app = express();
app.use(reqctx.middleware);
app.use(clsctx.middleware);
app.use(reqctx.traced);

function work() {
  var h = 0;
  for (var i = 0; i < 20000; i++) h = (h * 31 + i) | 0;
  return h;
}

app.get('/id', function idRoute(req, res) {
  work();
  res.json({ id: reqctx.get('id') || null, tenant: clsctx.get('tenant') || null, span: reqctx.span(), thread: threadId });
});

app.get('/later', async function laterRoute(req, res) {
  await new Promise(function (resolve) { setTimeout(resolve, 5); });
  res.json({ id: reqctx.get('id') || null, tenant: clsctx.get('tenant') || null, thread: threadId });
});

// written on a worker, read after it on the main loop (the next handler touches the socket: it stays)
app.get('/login/:user', function login(req, res, next) {
  reqctx.set('user', req.params.user);
  clsctx.set('role', 'member');
  next();
}, function after(req, res) {
  res.json({ user: reqctx.get('user') || null, role: clsctx.get('role') || null, id: reqctx.get('id'), socket: !!req.socket, thread: threadId });
});

// a middleware of the app's handing the request on inside stores of its own: it moves, and what follows (on a
// worker or on the main loop) runs inside them, as without fluxion
app.use('/stamped', function stamp(req, res, next) {
  reqctx.enter(new Map([['id', 'stamped-' + (req.get('x-request-id') || 'none')]]), function () {
    clsctx.within('tenant', 'stamped', next);
  });
});
app.get('/stamped/id', function stampedRoute(req, res) {
  work();
  res.json({ id: reqctx.get('id') || null, tenant: clsctx.get('tenant') || null, thread: threadId });
});
app.get('/stamped/socket', function stampedSocket(req, res) {
  res.json({ id: reqctx.get('id') || null, tenant: clsctx.get('tenant') || null, socket: !!req.socket, thread: threadId });
});

// the same with a package a preload may have loaded before fluxion's (test: `-r early` first, then after)
app.use('/early', function earlyStamp(req, res, next) {
  early.run({ who: req.get('x-who') || 'nobody' }, next);
});
app.get('/early/who', function earlyRoute(req, res) {
  work();
  res.json({ who: early.get('who') || null, thread: threadId });
});

// the app's own request context, a module constant: a worker's copy of it (made again with each unit that uses it)
// takes the stores made here
var local = new AsyncLocalStorage();
app.use('/local', function localStamp(req, res, next) {
  local.run({ stamp: req.get('x-stamp') || 'none' }, next);
});
app.get('/local/stamp', function localRoute(req, res) {
  work();
  res.json({ stamp: local.getStore().stamp, thread: threadId });
});
// a function left on the request cannot travel back: the main loop runs that middleware again, with the unit built
// there, whose `local` is the module's own
app.get('/local/helper', function addHelper(req, res, next) {
  req.stampOf = function () { return local.getStore().stamp; };
  next();
}, function useHelper(req, res) {
  res.json({ stamp: req.stampOf(), thread: threadId });
});

// stores holding data beside an instance of a class (a logger, a user model): the data travels with the message,
// the instance stands in; a handler reading only the data moves, one reading the instance runs on the main loop
app.use('/partly', reqctx.logged, reqctx.withUser, clsctx.withModel);
app.get('/partly/data', function partlyData(req, res) {
  work();
  res.json({ id: reqctx.get('id'), tenant: reqctx.field('tenant'), clsTenant: clsctx.get('tenant'), thread: threadId });
});
app.get('/partly/logger', function partlyLogger(req, res) {
  work();
  res.json({ line: reqctx.logger().line('hi'), thread: threadId });
});
app.get('/partly/user', function partlyUser(req, res) {
  work();
  res.json({ user: reqctx.field('user').name, thread: threadId });
});
app.get('/partly/model', function partlyModel(req, res) {
  work();
  res.json({ model: clsctx.get('model').name, thread: threadId });
});
// written on a worker beside the instances, read after it on the main loop, the instances still there
app.get('/partly/mark', function partlyMark(req, res, next) {
  reqctx.set('mark', 'set on ' + (threadId ? 'a worker' : 'the main loop'));
  reqctx.setField('tenant', 'changed');
  clsctx.set('role', 'marker');
  next();
}, function afterMark(req, res) {
  res.json({ mark: reqctx.get('mark') || null, tenant: reqctx.field('tenant'), role: clsctx.get('role') || null, line: reqctx.logger().line('after'), user: reqctx.field('user').name, model: clsctx.get('model').name, socket: !!req.socket, thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('contexts listening on http://127.0.0.1:' + server.address().port);
});

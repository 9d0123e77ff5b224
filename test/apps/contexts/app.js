'use strict';
// Request context kept by packages in AsyncLocalStorage (and cls-hooked): a handler on a worker reads the
// request's values, what it writes there reaches the code after it on the main loop.
var express = require('express');
var threadId = require('worker_threads').threadId;
var reqctx = require('reqctx');
var clsctx = require('clsctx');

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

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('contexts listening on http://127.0.0.1:' + server.address().port);
});

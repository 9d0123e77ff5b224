'use strict';
// Async handlers whose work is done in a package's own callbacks (chunky, a stand-in for bcryptjs's async API):
// the JIT sees that work, and moves the handler (its callback form too, in a synchronous handler), under load too;
// an I/O-bound one stays.
var express = require('express');
var chunky = require('chunky');
var ender = require('ender');
var threadId = require('worker_threads').threadId;

var app = express();

app.get('/hash/:text', async function hashRoute(req, res) {
  var hash = await chunky.hash(req.params.text, 512);
  res.json({ hash: hash, thread: threadId });
});

// (the same as pauseFirst below, before a synchronous route)
app.use('/wrapped', async function pauseAgain(req, res, next) {
  await Promise.resolve();
  next();
});

// the callback form in a synchronous handler: the chunks are work the handler started, though it returned long before
app.get(['/hashcb/:text', '/wrapped/hashcb/:text'], function hashCallbackRoute(req, res, next) {
  chunky.hash(req.params.text, 512, function (error, hash) {
    if (error) return next(error);
    res.json({ hash: hash, thread: threadId });
  });
});

// an async middleware whose await resumes into the route (next() inside its own code): the route's hashing is the
// route's, not the middleware's (the route is reached without it too)
app.use('/chain', async function pauseFirst(req, res, next) {
  await Promise.resolve();
  next();
});

app.get(['/chain/hash/:text', '/direct/hash/:text'], async function chainedHash(req, res) {
  var hash = await chunky.hash(req.params.text, 512);
  res.json({ hash: hash, thread: threadId });
});

// the same work yielding by timers, and by awaits inside the package
app.get('/timer/:text', async function timerHash(req, res) {
  res.json({ hash: await chunky.hashBy(req.params.text, 512, 'timeout'), thread: threadId });
});

app.get('/awaits/:text', async function awaitsHash(req, res) {
  res.json({ hash: await chunky.hashBy(req.params.text, 512, 'promise'), thread: threadId });
});

// a package's middleware ending the response later, with work of its own (express-session saves the session in
// its store's callback before the answer leaves; compression): the response's work, which stays on the main loop
// wherever the route runs, not work the route started
app.get('/later', ender(20), function laterRoute(req, res) {
  res.json({ later: true, thread: threadId });
});

// a middleware handing the request on synchronously to a CPU-heavy route: the route's work is the route's, not the
// middleware's (a worker would run the middleware alone, its `next()` made on the main loop)
app.use('/cpu', function gate(req, res, next) {
  next();
});

app.get('/cpu/work', function cpuRoute(req, res) {
  var h = 0;
  for (var i = 0; i < 4e6; i++) h = (h * 31 + i) | 0;
  res.json({ h: h, thread: threadId });
});

app.get('/wait', async function waitRoute(req, res) {
  await new Promise(function (resolve) { setTimeout(resolve, 5); });
  res.json({ waited: true, thread: threadId });
});

// a cheap route: load beside the waits (its requests' parsing and routing is work no fluxion's time counts)
app.get('/hello', function helloRoute(req, res) {
  res.send('hello');
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('chunked listening on http://127.0.0.1:' + server.address().port);
});

'use strict';
// Async handlers whose work is done in a package's own callbacks (chunky, a stand-in for bcryptjs's async API):
// the JIT sees that work, and moves the handler; an I/O-bound one stays, under load too.
var express = require('express');
var chunky = require('chunky');
var threadId = require('worker_threads').threadId;

var app = express();

app.get('/hash/:text', async function hashRoute(req, res) {
  var hash = await chunky.hash(req.params.text, 512);
  res.json({ hash: hash, thread: threadId });
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

'use strict';
// An Express app traced by OpenTelemetry (tracing.js, preloaded): every request runs inside its trace context, a
// store that cannot travel to a worker. Handlers that never read it move; those that do run on the main loop.
var express = require('express');
var http = require('http');
var trace = require('@opentelemetry/api').trace;
var threadId = require('worker_threads').threadId;

var app = express();

function work(n) {
  var h = 0;
  for (var i = 0; i < n * 1000; i++) h = (h * 31 + i) | 0;
  return h;
}

app.use(function stamp(req, res, next) {
  req.stamp = 'stamped-' + req.path;
  next();
});

// never reads the trace context: it moves
app.get('/work/:n', function workRoute(req, res) {
  res.json({ h: work(Number(req.params.n)), stamp: req.stamp, thread: threadId });
});

app.get('/later/:n', async function laterRoute(req, res) {
  await new Promise(function (resolve) { setTimeout(resolve, 2); });
  res.json({ h: work(Number(req.params.n)), thread: threadId });
});

// reads it: the span of the express request handler gets an attribute
app.get('/traced/:n', function tracedRoute(req, res) {
  var h = work(Number(req.params.n));
  var span = trace.getActiveSpan();
  span.setAttribute('app.n', Number(req.params.n));
  res.json({ h: h, span: span.isRecording(), thread: threadId });
});

// reads it in a timer: that code stops there, the request runs again on the main loop (the process goes on)
app.get('/timer/:n', function timerRoute(req, res) {
  var h = work(Number(req.params.n));
  setTimeout(function () {
    res.json({ h: h, span: trace.getActiveSpan().isRecording(), thread: threadId });
  }, 1);
});

// reads it after answering (a worker's code there reads undefined, with a warning: the answer is the same)
app.get('/after/:n', function afterRoute(req, res) {
  res.json({ h: work(Number(req.params.n)), thread: threadId });
  setTimeout(function () {
    var span = trace.getActiveSpan();
    if (span) span.setAttribute('app.after', true);
  }, 1);
});

// an outgoing request, which the http instrumentation traces (it reads the context as the request starts)
app.get('/outbound/:n', function outboundRoute(req, res, next) {
  var h = work(Number(req.params.n));
  http.get('http://' + req.get('host') + '/hit', function (r) {
    var body = '';
    r.setEncoding('utf8');
    r.on('data', function (chunk) { body += chunk; });
    r.on('end', function () { res.json({ h: h, hit: JSON.parse(body).hits, thread: threadId }); });
  }).on('error', next);
});

// one counter, on the main loop: how many outgoing requests arrived
var hits = 0;
app.get('/hit', function hitRoute(req, res) {
  hits++;
  res.json({ hits: hits });
});
app.get('/hits', function hitsRoute(req, res) {
  res.json({ hits: hits });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('traced listening on http://127.0.0.1:' + server.address().port);
});

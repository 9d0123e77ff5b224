// State that lives on a worker goes to the main loop when it needs it, and a second after it changed: a worker that
// dies loses that second at most, unregister() nothing. `hits` is a number (assigned), `seen` a const Map (changed in place). ?spin=ms makes a request hot.
var express = require('express');
var threadId = require('worker_threads').threadId;

var app = express();
var hits = 0;
const seen = new Map();

// reads the socket, so it stays on the main loop; with ?tool=1 it hands `hit` a function, which cannot travel
app.use(function tool(req, res, next) {
  if (req.query.tool && req.socket) req.tool = function tool() { return 'a tool'; };
  next();
});

app.get('/hit/:who', function hit(req, res) {
  var until = process.hrtime.bigint() + BigInt(Math.round(Number(req.query.spin || 0) * 1e6)); // ms, fractions too
  while (process.hrtime.bigint() < until);
  hits++;
  seen.set(req.params.who, (seen.get(req.params.who) || 0) + 1);
  res.json({ hits: hits, mine: seen.get(req.params.who), thread: threadId, tool: req.tool ? req.tool() : null });
});

app.get('/crash', function crash(req, res) {
  // (a crash of the worker thread alone: process.exit would end the process, on a worker as on the main thread)
  if (threadId !== 0) process.reallyExit(3);
  res.send('no crash on the main thread');
});

app.use(function onError(err, req, res, next) {
  res.status(500).json({ error: err.message });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('state listening on http://127.0.0.1:' + server.address().port);
});

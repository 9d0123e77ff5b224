// Packages whose module memory is state (statefulPackages): a handler that calls into one, directly or through
// an app file (here a file fluxion leaves as it is), stays on the main loop. `ms` stands in for mongoose.
var express = require('express');
var ms = require('ms');
var limits = require('./limits');
var threadId = require('worker_threads').threadId;

var app = express();

app.get('/direct', function direct(req, res) {
  res.json({ ms: ms('2h'), thread: threadId });
});

app.get('/nested', function nested(req, res) {
  res.json({ ms: limits.session, thread: threadId });
});

app.get('/free', function free(req, res) {
  res.json({ ms: 7200000, thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('packages listening on http://127.0.0.1:' + server.address().port);
});

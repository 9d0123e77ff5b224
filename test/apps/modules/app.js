// Handlers that call into other app modules: those that keep state must stay on the main loop (a worker
// would require its own copy), the others may move. Each response says which thread ran the handler.
var express = require('express');
var threadId = require('worker_threads').threadId;
var store = require('./store');
var counter = require('./counter');
var Parser = require('./parser');
var pure = require('./pure');
var wrapper = require('./wrapper');

var app = express();

app.get('/add', function addRoute(req, res) {
  res.json({ n: store.add(req.query.item), thread: threadId });
});
app.get('/count', function countRoute(req, res) {
  res.json({ n: store.count(), thread: threadId });
});
app.get('/twice', function twiceRoute(req, res) {
  res.json({ n: wrapper.addTwice(req.query.item), thread: threadId });
});
app.get('/next', function nextRoute(req, res) {
  res.json({ n: counter.next(), thread: threadId });
});
app.get('/parse', function parseRoute(req, res) {
  res.json({ words: new Parser(req.query.text).parse(), thread: threadId });
});
app.get('/checksum', function checksumRoute(req, res) {
  res.json({ sum: pure.checksum(req.query.text), thread: threadId });
});
app.get('/spin/:ms', function spinRoute(req, res) {
  var until = Date.now() + Number(req.params.ms);
  while (Date.now() < until);
  res.json({ spun: true, thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('modules listening on http://127.0.0.1:' + server.address().port);
});

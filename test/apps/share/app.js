// A share group (paper §3.2, tag grp_hits): two handlers write the same module memory. They move together,
// to one worker, and the count stays one count.
var express = require('express');
var threadId = require('worker_threads').threadId;
var app = express();
var hits = 0;

app.get('/hit', function hit(req, res) {
  hits++;
  res.set('x-thread', String(threadId));
  res.send(String(hits));
});

app.post('/reset', function reset(req, res) {
  hits = 0;
  res.set('x-thread', String(threadId));
  res.sendStatus(204);
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('share listening on http://127.0.0.1:' + server.address().port);
});

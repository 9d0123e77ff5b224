// An app that forks itself with node:cluster: each worker process runs fluxion with one worker thread by
// default (its siblings already take a core each). The primary prints the worker's address.
var cluster = require('cluster');
var threadId = require('worker_threads').threadId;

if (cluster.isPrimary) {
  var worker = cluster.fork();
  worker.on('message', function (message) {
    console.log('cluster listening on http://127.0.0.1:' + message.port);
  });
  process.on('SIGTERM', function () {
    worker.kill();
    process.exit(0);
  });
} else {
  var express = require('express');
  var app = express();
  app.get('/work', function work(req, res) {
    var h = 0;
    for (var i = 0; i < 1e5; i++) h = (h * 31 + i) | 0;
    res.json({ h: h, thread: threadId, pid: process.pid });
  });
  var server = app.listen(0, '127.0.0.1', function () {
    process.send({ port: server.address().port });
  });
}

'use strict';
// Another file's memory changed at start-up through a value one of its functions returns: a worker's copy of
// data.js must be given the change (all of its data, as start-up left it).
var express = require('express');
var threadId = require('worker_threads').threadId;
var data = require('./data');
data.find(1).done = true;

var app = express();
app.get('/todos', function seededList(req, res) {
  res.json({ todos: data.todos, thread: threadId });
});

app.get('/find/:id', function seededFind(req, res) {
  res.json({ todo: data.find(Number(req.params.id)), thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('seeded listening on http://127.0.0.1:' + server.address().port);
});

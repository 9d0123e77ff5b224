'use strict';
// Handlers that change another file's memory through the objects it hands out (`const todo = data.find(id);
// todo.done = true`): every request must see the change, as on one event loop.
var express = require('express');
var threadId = require('worker_threads').threadId;
var data = require('./data');
// the same memory kept in a module variable of this file: still data.js's
var list = data.todos;

var app = express();
app.get('/todos', function list(req, res) {
  res.json({ todos: data.todos, thread: threadId });
});
app.get('/done/:id', function done(req, res) {
  var todo = data.find(Number(req.params.id));
  todo.done = true;
  res.json({ todo: todo, thread: threadId });
});
app.get('/tag/:id/:tag', function tag(req, res) {
  data.todos.find(function (t) { return t.id === Number(req.params.id); }).tags.push(req.params.tag);
  res.json({ thread: threadId });
});
app.get('/add/:title', function add(req, res) {
  list.push({ id: list.length + 1, title: req.params.title, done: false, tags: [] });
  res.json({ count: list.length, thread: threadId });
});
app.get('/upper/:text', function upper(req, res) {
  res.json({ text: req.params.text.toUpperCase(), thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('alias listening on http://127.0.0.1:' + server.address().port);
});

'use strict';
// A request field a package's middleware leaves for its readers, made of instances of a class whose file a worker
// cannot load (a stand-in for express-validator in node_modules): the handler reading it runs on the main loop.
var express = require('express');
var { check, validationResult } = require('express-validator');
var threadId = require('worker_threads').threadId;

var app = express();

app.get('/checked', check('q'), function checked(req, res) {
  res.json({ fields: validationResult(req).fields, thread: threadId });
});

app.get('/plain', function plain(req, res) {
  res.json({ q: req.query.q, thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('instances listening on http://127.0.0.1:' + server.address().port);
});

'use strict';
// An API validating its input with express-validator (validators as middleware, then `validationResult(req)` and
// `matchedData(req)` in the handler), written as Express 5 apps are: async handlers that `return res.status(…).json(…)`.
var express = require('express');
var { body, query, validationResult, matchedData } = require('express-validator');
var threadId = require('worker_threads').threadId;

var app = express();
app.use(express.json());

function work(text) {
  var h = 0;
  for (var r = 0; r < 200; r++) for (var i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i) + r) | 0;
  return (h >>> 0).toString(16);
}

app.post('/signup', body('name').trim().isLength({ min: 2 }).withMessage('name too short'), body('email').isEmail().normalizeEmail(), async function signup(req, res) {
  var errors = validationResult(req);
  if (!errors.isEmpty()) return res.status(400).json({ errors: errors.array().map(function (e) { return e.path + ': ' + e.msg; }), thread: threadId });
  var data = matchedData(req);
  await null;
  return res.status(201).json({ data: data, digest: work(data.name + data.email), thread: threadId });
});

app.get('/search', query('q').trim().notEmpty(), query('page').optional().isInt({ min: 1 }).toInt(), function search(req, res) {
  var result = validationResult(req).formatWith(function (e) { return e.msg; });
  if (!result.isEmpty()) return res.status(422).json({ errors: result.mapped(), thread: threadId });
  res.json({ query: matchedData(req, { locations: ['query'] }), thread: threadId });
});

// `req` read by a computed key: the whole request travels, the validation contexts too
app.get('/echo', query('q').notEmpty(), function echo(req, res) {
  var where = String(req.query.in || 'query');
  res.json({ errors: validationResult(req).array().length, value: req[where].q || null, thread: threadId });
});

// an async handler resolving to a value that cannot travel back (a function): it runs again on the main loop
app.get('/odd', async function odd(req, res) {
  await null;
  res.json({ odd: true, thread: threadId });
  return function later() {};
});

// how often the error handler ran (a handler's promise resolving to `res` must not reach it)
var errorsSeen = 0;
app.get('/errors', function errorsRoute(req, res) {
  res.json({ errorsSeen: errorsSeen });
});
app.use(function onError(err, req, res, next) {
  errorsSeen++;
  res.status(500).json({ error: err.message });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('validated listening on http://127.0.0.1:' + server.address().port);
});

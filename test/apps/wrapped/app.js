'use strict';
// Async handlers wrapped so that a rejection reaches next(err): by a package (express-async-handler) and by the
// app's own wrappers. The wrapped function is the fluxion: it moves, the wrapper stays where express calls it.
const express = require('express');
const asyncHandler = require('express-async-handler');
const { catchAsync, asyncRoute, logger, page } = require('./wrap');
const { threadId } = require('worker_threads');

function work(n) {
  let h = 0;
  for (let i = 0; i < 20000 * n; i++) h = (h * 31 + i) | 0;
  return h;
}
const app = express();
app.use(logger(function format(method, req) {
  return method + ' ' + req.path;
}));
app.get('/pkg/:n', asyncHandler(async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, 1));
  res.json({ n: Number(req.params.n), h: work(1), thread: threadId });
}));
app.get('/pkg-fail', asyncHandler(async function pkgFail() {
  await null;
  throw Object.assign(new Error('teapot'), { status: 418 });
}));
app.get('/own/:n', catchAsync(async function ownRoute(req, res) {
  await null;
  res.json({ n: Number(req.params.n), h: work(1), thread: threadId });
}));
app.get('/own-fail', catchAsync(async function ownFail() {
  throw Object.assign(new Error('gone'), { status: 410 });
}));
app.get('/rest/:n', asyncRoute(async function restRoute(req, res, next) {
  if (req.params.n === 'skip') return next();
  res.json({ n: Number(req.params.n), thread: threadId });
}));
app.get('/rest/skip', (req, res) => res.json({ skipped: true, thread: threadId }));
app.get('/page', page(function render(req) {
  return 'hello ' + (req.query.name || 'you');
}));
app.use((err, req, res, next) => res.status(err.status || 500).json({ error: err.message, thread: threadId }));

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log('wrapped listening on http://127.0.0.1:' + server.address().port);
});

// An ES module app's own request context, a module constant: a worker's copy of it (made again with each unit that
// uses it, at the file's URL) takes the stores made on the main loop.
import express from 'express';
import { AsyncLocalStorage } from 'node:async_hooks';
import { threadId } from 'node:worker_threads';

const local = new AsyncLocalStorage();
const app = express();
app.use('/local', function localStamp(req, res, next) {
  local.run({ stamp: req.get('x-stamp') || 'none' }, next);
});
app.get('/local/a', function routeA(req, res) {
  res.json({ stamp: local.getStore()?.stamp ?? null, thread: threadId });
});
app.get('/local/b', function routeB(req, res) {
  res.json({ stamp: local.getStore()?.stamp ?? null, thread: threadId });
});
// a function left on the request cannot travel back: that middleware runs again on the main loop, with the unit
// built there, whose `local` is the module's own
app.get('/local/helper', function addHelper(req, res, next) {
  req.stampOf = () => local.getStore()?.stamp ?? null;
  next();
}, function useHelper(req, res) {
  res.json({ stamp: req.stampOf(), thread: threadId });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log('local listening on http://127.0.0.1:' + server.address().port);
});

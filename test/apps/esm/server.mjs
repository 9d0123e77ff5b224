// An ES module app whose handlers use what only modules have: import.meta, import().
import express from 'express';
import path from 'node:path';
import { threadId } from 'node:worker_threads';
import service from './service.mjs';
import accounts from './accounts.mjs';
import legacy from './legacy.cjs';

const app = express();
// import.meta: the worker runs a script, where it is a syntax error, so this handler stays on the main loop
app.get('/meta', (req, res) => {
  res.json({ file: path.basename(import.meta.url), thread: threadId });
});
// import(): moves, and loads the module there (a file: from this file's folder, as Node resolves it)
app.get('/dynamic', async (req, res) => {
  const os = await import('node:os');
  const lazy = await import('./lazy.mjs');
  res.json({ eol: os.EOL.length, lazy: lazy.default(), thread: threadId });
});
// a throw on a worker (an arrow naming no parameter gets express's next all the same), named as plain node's
app.get('/throw', () => {
  throw Object.assign(new Error('module threw'), { thread: threadId });
});
// services keeping state, read through default imports: handlers reaching only what touches none of it move
app.get('/service/place/:n', function placeRoute(req, res) {
  res.json({ n: service.place(Number(req.params.n)), thread: threadId });
});
app.get('/service/price/:n', function priceRoute(req, res) {
  res.json({ price: service.price(Number(req.params.n)), thread: threadId });
});
app.get('/service/count', function countRoute(req, res) {
  res.json({ count: service.count(), thread: threadId });
});
app.get('/accounts/open/:name', function openRoute(req, res) {
  res.json({ id: accounts.open(req.params.name), thread: threadId });
});
app.get('/accounts/handle/:name', function handleRoute(req, res) {
  res.json({ handle: accounts.handle(req.params.name), thread: threadId });
});
app.get('/legacy/hit', function hitRoute(req, res) {
  res.json({ hits: legacy.hit(), thread: threadId });
});
app.get('/legacy/shout/:s', function shoutRoute(req, res) {
  res.json({ shout: legacy.shout(req.params.s), thread: threadId });
});
// eslint-disable-next-line no-unused-vars -- express tells error handlers by their four parameters
app.use((err, req, res, next) => {
  res.status(500).json({ stack: err.stack.split('\n').slice(0, 2).join('\n'), thread: err.thread });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log('esm server listening on http://127.0.0.1:' + server.address().port);
});

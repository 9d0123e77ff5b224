// An ES module app whose handlers use what only modules have: import.meta, import().
import express from 'express';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

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
// eslint-disable-next-line no-unused-vars -- express tells error handlers by their four parameters
app.use((err, req, res, next) => {
  res.status(500).json({ stack: err.stack.split('\n').slice(0, 2).join('\n'), thread: err.thread });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log('esm server listening on http://127.0.0.1:' + server.address().port);
});

// An ES module app in a `.js` file (its package says `"type": "module"`): a worker's stack frames name it by its
// URL, as plain node's do.
import express from 'express';
import { threadId } from 'node:worker_threads';
import { config } from './config.js';

config.mode = 'configured';
const app = express();
app.get('/throw', () => {
  throw Object.assign(new Error('module threw'), { thread: threadId });
});
app.get('/config', (req, res) => {
  res.json({ mode: config.mode, thread: threadId });
});
app.use((err, req, res, next) => {
  res.status(500).json({ stack: err.stack.split('\n').slice(0, 2).join('\n'), thread: err.thread });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log('esm-type server listening on http://127.0.0.1:' + server.address().port);
});

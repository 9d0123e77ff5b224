'use strict';
// Strict code: writing a frozen object's field throws, and so it must on a worker.
const express = require('express');
const { threadId } = require('worker_threads');

const app = express();
app.get('/mode', (req, res) => {
  const frozen = Object.freeze({ n: 1 });
  let mode = 'sloppy';
  try {
    frozen.n = 2;
  } catch {
    mode = 'strict';
  }
  res.json({ mode, thread: threadId });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log('strict listening on http://127.0.0.1:' + server.address().port);
});

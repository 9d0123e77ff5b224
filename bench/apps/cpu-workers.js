// samples/cpu rewritten by hand with raw worker_threads, round robin.
const os = require('node:os');
const express = require('express');
const { Worker, isMainThread, parentPort } = require('node:worker_threads');

if (!isMainThread) {
  const banner = require('./cpu-task');
  parentPort.on('message', ({ id, text, scale }) => {
    const out = banner({ text, scale });
    parentPort.postMessage({ id, out }, [out.buffer.byteLength === out.length ? out.buffer : undefined].filter(Boolean));
  });
} else {
  const workers = Array.from({ length: Number(process.env.THREADS) || os.availableParallelism() }, () => new Worker(__filename));
  const waiting = new Map();
  let nextId = 0;
  let turn = 0;
  for (const w of workers) w.on('message', ({ id, out }) => waiting.get(id)(out));
  const run = (task) =>
    new Promise((resolve) => {
      const id = nextId++;
      waiting.set(id, (out) => (waiting.delete(id), resolve(out)));
      workers[turn++ % workers.length].postMessage({ id, ...task });
    });
  const app = express();
  app.get('/banner/:text', async (req, res) => {
    const scale = Math.min(Number(req.query.scale) || 12, 24);
    const bytes = await run({ text: req.params.text, scale });
    res.set('cache-control', 'public, max-age=60');
    res.type('image/gif');
    res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
  const server = app.listen(Number(process.env.PORT || 8080), '127.0.0.1', () => {
    console.log('cpu-workers listening on http://127.0.0.1:' + server.address().port);
  });
}

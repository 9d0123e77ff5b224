// samples/cpu rewritten by hand for piscina: what a team would write to offload the banner.
const path = require('node:path');
const express = require('express');
const { Piscina } = require('piscina');

const pool = new Piscina({ filename: path.join(__dirname, 'cpu-task.js'), maxThreads: Number(process.env.THREADS) || undefined });
const app = express();

app.get('/banner/:text', async (req, res, next) => {
  try {
    const scale = Math.min(Number(req.query.scale) || 12, 24);
    const bytes = await pool.run({ text: req.params.text, scale });
    res.set('cache-control', 'public, max-age=60');
    res.type('image/gif');
    res.send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (error) {
    next(error);
  }
});

const server = app.listen(Number(process.env.PORT || 8080), '127.0.0.1', () => {
  console.log('cpu-piscina listening on http://127.0.0.1:' + server.address().port);
});

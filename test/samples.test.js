'use strict';
// The paper's samples run as real servers, plain and under `node -r fluxion/register`, and answer the same.
const t = require('tap');
const { startApp, request } = require('./helpers/processes');

const modes = [
  ['plain node', []],
  ['node -r fluxion/register', ['-r', 'fluxion/register']],
];

for (const [mode, nodeArgs] of modes) {
  t.test(`counter (paper Listing 1), ${mode}: one counter, 1..20`, async (t) => {
    const app = await startApp('samples/counter/app.js', { nodeArgs });
    t.teardown(app.stop);
    for (let i = 1; i <= 20; i++) {
      const r = await request(app.port, { path: '/' });
      t.equal(r.status, 200);
      t.match(r.body.toString(), new RegExp(`^<h1>${i}</h1>\\n<pre>\\d+ bytes of source</pre>\\n$`));
    }
  });

  t.test(`gifsockets (paper Listing 3), ${mode}: text in, GIF frame out`, async (t) => {
    const app = await startApp('samples/gifsockets/app.js', { nodeArgs });
    t.teardown(app.stop);
    const r = await request(app.port, { method: 'POST', path: '/image/text', body: 'hello fluxion', headers: { 'content-type': 'text/plain' } });
    t.equal(r.status, 200);
    t.equal(r.headers['content-type'], 'image/gif');
    t.equal(r.body.subarray(0, 6).toString('latin1'), 'GIF89a');
    t.equal(r.body[r.body.length - 1], 0x3b, 'ends with the GIF trailer');
    const { textToGif } = require('../samples/gifsockets/gif');
    t.same(r.body, textToGif('hello fluxion', { scale: 2 }), 'the frame of the posted text');
    const big = await request(app.port, { method: 'POST', path: '/image/text', body: 'x'.repeat(2 * 1024 * 1024) });
    t.equal(big.status, 413, 'the body limit of bodyParser(1 MiB) holds');
  });

  t.test(`figure5 (paper Figure 5), ${mode}: a, b, c`, async (t) => {
    const app = await startApp('samples/figure5/app.js', { nodeArgs });
    t.teardown(app.stop);
    const first = JSON.parse((await request(app.port, { path: '/abc' })).body);
    t.same(first, { a: 3, b: 3, c: 7, sum: 6 });
    const second = JSON.parse((await request(app.port, { path: '/last' })).body);
    t.same(second, { a: 10, b: 4, c: 7, sum: 21 });
  });
}

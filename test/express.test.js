'use strict';
// Real Express 4 and 5 apps give the same status, headers (minus Date) and bodies with and without fluxion.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startApp, request, withExpress } = require('./helpers/processes');

const SCRIPT = [
  { path: '/' },
  { path: '/render-callback' },
  { path: '/static/style.css' },
  { path: '/static/missing.css' },
  { method: 'POST', path: '/login', form: 'user=ada' },
  { path: '/me', withCookies: true },
  { path: '/me' },
  { method: 'POST', path: '/echo', json: { a: [1, 2, { b: 'c' }], n: null } },
  { method: 'POST', path: '/reshape', json: { items: [1, 2], meta: { n: 1, drop: 'x' }, keep: 'y' } },
  { path: '/context' },
  { path: '/stream' },
  { path: '/file' },
  { path: '/gzip' },
  { path: '/hash/fluxion' },
  { path: '/route/1' },
  { path: '/route/skip' },
  { path: '/sync-error' },
  { path: '/async-error' },
  { path: '/api/items/42' },
  { path: '/api/items/abc' },
  { path: '/api/items?q=x' },
  { method: 'DELETE', path: '/nowhere' },
  { path: '/profile' },
  { path: '/profile' },
  { path: '/session-touch' },
  { path: '/visitor' },
  { path: '/visitor' },
];

async function play(file, nodeArgs, env = {}) {
  const app = await startApp(file, { nodeArgs, env: { FLUXION_DISABLE_CACHE: '1', ...env } });
  const cookies = new Map();
  const out = [];
  try {
    for (const step of SCRIPT) {
      const headers = {};
      let body;
      if (step.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = step.form;
      } else if (step.json) {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(step.json);
      }
      if (step.withCookies) headers.cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const r = await request(app.port, { method: step.method, path: step.path, headers, body });
      for (const c of [].concat(r.headers['set-cookie'] || [])) {
        const [pair] = c.split(';');
        const i = pair.indexOf('=');
        cookies.set(pair.slice(0, i), pair.slice(i + 1));
      }
      const { date, ...rest } = r.headers;
      out.push({ step: `${step.method || 'GET'} ${step.path}`, status: r.status, headers: rest, body: r.body.toString('base64'), date: !!date });
    }
  } finally {
    await app.stop();
  }
  return out;
}

for (const [version, file] of [
  ['express 5', 'test/apps/suite/app.js'],
  ['express 4', null],
]) {
  t.test(`${version}: same responses with and without fluxion`, async (t) => {
    const app = file || withExpress('suite', 'express4');
    const plain = await play(app, []);
    const report = path.join(os.tmpdir(), `fluxion-suite-${process.pid}-${version.replace(' ', '')}.json`);
    t.teardown(() => fs.rmSync(report, { force: true }));
    const hooked = await play(app, ['-r', 'fluxion/register'], { FLUXION_REPORT: report });
    for (const [i, expected] of plain.entries()) t.same(hooked[i], expected, expected.step);
    // the script exercises what it says it does
    const by = (step) => plain.find((r) => r.step === step);
    t.equal(by('GET /me').status, 200, 'the session survived the login');
    t.match(Buffer.from(by('GET /me').body, 'base64').toString(), /"user":"ada","theme":"dark"/);
    t.same(JSON.parse(Buffer.from(by('GET /context').body, 'base64')), { als: { hit: 10 }, cls: 10, hit: 10 });
    t.equal(Buffer.from(by('GET /route/skip').body, 'base64').toString(), 'second skip');
    t.equal(by('GET /sync-error').status, 500);
    t.equal(by('GET /async-error').status, 404);
    t.equal(by('GET /static/style.css').status, 200);
    t.equal(Buffer.from(by('GET /stream').body, 'base64').toString(), 'chunk 0\nchunk 1\nchunk 2\nchunk 3\nchunk 4\ndone\n');
    // and it ran as fluxions: the report counts their messages
    const observed = JSON.parse(fs.readFileSync(report, 'utf8'));
    const messages = (id) => observed.fluxions.find((f) => f.id === id)?.messages;
    t.equal(messages('countRequests'), SCRIPT.length, 'every request went through the first middleware');
    t.equal(messages('echo'), 1);
    t.equal(messages('first'), 2, 'both /route/:n requests entered the first route');
    t.equal(messages('second'), 1, "next('route') reached the second route once");
  });
}

t.test('express 5 itself and every dependency rewritten too (FLUXION_INCLUDE): same responses', async (t) => {
  const plain = await play('test/apps/suite/app.js', []);
  const report = path.join(os.tmpdir(), `fluxion-suite-all-${process.pid}.json`);
  t.teardown(() => fs.rmSync(report, { force: true }));
  const all = await play('test/apps/suite/app.js', ['-r', 'fluxion/register'], { FLUXION_INCLUDE: '**/node_modules/**', FLUXION_REPORT: report });
  for (const [i, expected] of plain.entries()) t.same(all[i], expected, expected.step);
  const files = new Set(JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.map((f) => f.file));
  t.ok([...files].some((f) => f.startsWith('node_modules/express/')), 'express itself was rewritten');
  t.ok([...files].filter((f) => f.startsWith('node_modules/')).length >= 20, `${files.size} files with fluxions`);
});

for (const [version, file] of [
  ['express 5', 'test/apps/suite/app.js'],
  ['express 4', null],
]) {
  t.test(`${version}, FLUXION_PLACEMENT=isolate: every movable fluxion on the workers, same responses`, async (t) => {
    const app = file || withExpress('suite', 'express4');
    const plain = await play(app, []);
    const report = path.join(os.tmpdir(), `fluxion-suite-iso-${process.pid}-${version.replace(' ', '')}.json`);
    t.teardown(() => fs.rmSync(report, { force: true }));
    const isolated = await play(app, ['-r', 'fluxion/register'], { FLUXION_PLACEMENT: 'isolate', FLUXION_REPORT: report });
    for (const [i, expected] of plain.entries()) t.same(isolated[i], expected, expected.step);
    const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
    const onWorkers = observed.filter((f) => f.workerMessages > 0).map((f) => f.id);
    t.comment(`on workers: ${onWorkers.join(', ')}`);
    t.ok(onWorkers.length >= 5, 'several fluxions ran on workers');
    t.ok(onWorkers.includes('reshape'), 'the handler that changes the request in place ran on a worker');
    t.match(observed.find((f) => f.id === 'profile'), { placement: 'replicated', messages: 2, workerMessages: 2 }, 'a template that calls methods of its locals rendered on a worker');
    t.ok(onWorkers.includes('home'), 'and so did the plain one');
    t.match(observed.find((f) => f.id === 'visitorHeader'), { placement: 'main', messages: 2, workerMessages: 0 }, "a header that could not travel back: the request ran again on the main loop, and the fluxion stayed there");
  });
}

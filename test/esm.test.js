'use strict';
// ES module apps: `node --import fluxion/register app.mjs` works like the CommonJS path.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, serve } = require('./helpers/processes');

const IMPORT = ['--import', 'fluxion/register'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-esm-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args, env = {}) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 30000, env: { ...process.env, FLUXION_DISABLE_CACHE: '1', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function play(file, nodeArgs, env, requests) {
  const responses = await serve(file, nodeArgs, { FLUXION_DISABLE_CACHE: '1', ...env }, requests);
  return responses.map((res) => ({ status: res.status, type: res.headers['content-type'], body: res.body.toString('base64') }));
}

const reportOf = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const fluxionsOf = (report) =>
  report.fluxions
    .filter((f) => !f.id.startsWith('main') && !f.id.startsWith('anonymous_100') && f.kind !== 'main')
    .map((f) => `${f.id} ${f.kind} ${f.messages}`)
    .sort();

const SAMPLES = [
  ['counter', [{ path: '/' }, { path: '/' }, { path: '/' }]],
  ['cpu', [{ path: '/banner/esm%20twin?scale=4' }, { path: '/health' }]],
  ['gifsockets', [{ method: 'POST', path: '/image/text', body: 'esm' }, { method: 'POST', path: '/image/text', body: 'twin' }]],
  ['figure5', [{ path: '/abc' }, { path: '/last' }]],
];

for (const [name, requests] of SAMPLES) {
  t.test(`${name}: the ES module sample answers like plain node, and its report lists its CommonJS twin's fluxions`, async (t) => {
    const mjs = `samples/${name}/app.mjs`;
    const plain = await play(mjs, [], {}, requests);
    const esmReport = path.join(tmp, `${name}-esm.json`);
    const hooked = await play(mjs, IMPORT, { FLUXION_REPORT: esmReport }, requests);
    t.same(hooked, plain, 'same responses');
    t.ok(plain.every((r) => r.status === 200), 'the sample works');
    const cjsReport = path.join(tmp, `${name}-cjs.json`);
    await play(`samples/${name}/app.js`, ['-r', 'fluxion/register'], { FLUXION_REPORT: cjsReport }, requests);
    const esm = fluxionsOf(reportOf(esmReport));
    t.ok(esm.length >= 2, `fluxions: ${esm.join('; ')}`);
    t.same(esm, fluxionsOf(reportOf(cjsReport)), 'the same fluxions, kinds and message counts as the CommonJS twin');
  });
}

t.test('top-level await, import.meta, dynamic import, circular imports: the same output', async (t) => {
  const plain = run(['test/apps/esm/main.mjs']);
  t.equal(plain.status, 0, plain.stderr);
  t.match(JSON.parse(plain.stdout), { top: 'top-level await', lazy: 'dynamically imported', live: 12, def: 'default export sees value = 12', url: true, dir: true });
  const report = path.join(tmp, 'features.json');
  for (const args of [IMPORT, ['-r', 'fluxion/register']]) {
    const hooked = run([...args, 'test/apps/esm/main.mjs'], { FLUXION_REPORT: report });
    t.equal(hooked.stdout, plain.stdout, `${args.join(' ')}: same output`);
    t.equal(hooked.stderr, plain.stderr);
    const ids = reportOf(report).fluxions.map((f) => f.id);
    t.ok(ids.includes('onRead') && ids.includes('onStat') && ids.includes('later'), `${args.join(' ')}: rewritten (${ids.join(', ')})`);
  }
});

t.test('a stack trace from an ES module names the original lines', async (t) => {
  const plain = run(['test/apps/esm/main.mjs'], { THROW: '1' });
  const hooked = run([...IMPORT, 'test/apps/esm/main.mjs'], { THROW: '1' });
  t.equal(plain.status, 1);
  t.equal(hooked.status, 1);
  t.match(plain.stderr, /main\.mjs:16\n.*throw new Error\('thrown in onStat'\)/);
  t.match(plain.stderr, /at onStat \(file:\/\/.*test\/apps\/esm\/main\.mjs:16:34\)/);
  t.equal(hooked.stderr, plain.stderr, 'the same uncaught error, frames and lines');
});

t.test('a syntax error in an ES module is the same error as plain node', async (t) => {
  const plain = run(['test/apps/esm/bad.mjs']);
  const hooked = run([...IMPORT, 'test/apps/esm/bad.mjs']);
  t.equal(plain.status, 1);
  t.equal(hooked.status, 1);
  const head = (s) => s.split('\n').filter((l) => !/^\s+at /.test(l) && !/^Node\.js v/.test(l)).join('\n');
  t.match(plain.stderr, /bad\.mjs:4\n {2}a: 1,,\n.*\^\n\nSyntaxError: Unexpected token ','/);
  t.equal(head(hooked.stderr), head(plain.stderr));
});

t.test("a user's loader registered before fluxion keeps working, and fluxion rewrites its output", async (t) => {
  const report = path.join(tmp, 'loader.json');
  const r = run(['--import', './test/apps/esm/register-loader.mjs', ...IMPORT, 'test/apps/esm/main.mjs'], { FLUXION_REPORT: report });
  t.equal(r.status, 0, r.stderr);
  t.equal(JSON.parse(r.stdout).token, 'from the user loader');
  t.ok(reportOf(report).fluxions.some((f) => f.id === 'onStat' && f.messages === 1), 'and fluxion rewrote it');
});

t.test('the transform cache serves ES modules too', async (t) => {
  const cacheDir = path.join(tmp, 'cache');
  fs.mkdirSync(cacheDir);
  const env = { FLUXION_DISABLE_CACHE: '', FLUXION_CACHE_DIR: cacheDir };
  const first = run([...IMPORT, 'test/apps/esm/main.mjs'], env);
  const cached = fs.readdirSync(cacheDir).filter((d) => d !== 'v8').flatMap((d) => fs.readdirSync(path.join(cacheDir, d)).map((f) => fs.readFileSync(path.join(cacheDir, d, f), 'utf8')));
  t.ok(cached.some((code) => code.includes(';import $flx$rt from "file://') && code.includes('function onStat')), 'main.mjs is in the cache');
  const second = run([...IMPORT, 'test/apps/esm/main.mjs'], env);
  t.equal(second.stdout, first.stdout);
  t.equal(second.status, 0, second.stderr);
});

t.test('under isolate, ES module fluxions move to the workers like their CommonJS twins', async (t) => {
  const steps = [1, 2].map((i) => ({ method: 'POST', path: '/image/text', body: `frame ${i}` }));
  const placements = {};
  for (const [file, args] of [
    ['samples/gifsockets/app.mjs', IMPORT],
    ['samples/gifsockets/app.js', ['-r', 'fluxion/register']],
  ]) {
    const report = path.join(tmp, `iso-${path.extname(file).slice(1)}.json`);
    const out = await play(file, args, { FLUXION_PLACEMENT: 'isolate', FLUXION_REPORT: report }, steps);
    t.same(out.map((r) => r.status), [200, 200], file);
    placements[file] = reportOf(report)
      .fluxions.filter((f) => ['anonymous_1000', 'saveBody', 'writeTextToImages'].includes(f.id))
      .map((f) => `${f.id} ${f.placement} ${f.workerMessages}`)
      .sort();
  }
  t.same(placements['samples/gifsockets/app.mjs'], ['anonymous_1000 replicated 2', 'saveBody main 0', 'writeTextToImages replicated 2']);
  t.same(placements['samples/gifsockets/app.mjs'], placements['samples/gifsockets/app.js']);
});

t.test("graphql-http's handler in an ES module app: made again on a worker, as in CommonJS", async (t) => {
  const steps = [
    { method: 'POST', path: '/graphql', body: JSON.stringify({ query: '{ hello(name: "ann") thread }' }), headers: { 'content-type': 'application/json' } },
    { method: 'GET', path: '/graphql?query=%7B%20hello%20thread%20%7D' },
  ];
  const answers = async (args, env) => (await serve('test/apps/graphql/app.mjs', args, { FLUXION_DISABLE_CACHE: '1', ...env }, steps)).map((r) => [r.status, JSON.parse(r.body.toString()).data]);
  const plain = await answers([], {});
  t.same(plain, [
    [200, { hello: 'hello ann', thread: 0 }],
    [200, { hello: 'hello world', thread: 0 }],
  ]);
  const moved = await answers(IMPORT, { FLUXION_PLACEMENT: 'isolate' });
  t.same(
    moved.map(([status, data]) => [status, data.hello]),
    plain.map(([status, data]) => [status, data.hello]),
  );
  t.ok(moved.every(([, data]) => data.thread !== 0), 'both ran on a worker, the POST with the body the main loop read');
});

t.test('an ES module in a .js file ("type": "module"): its throw on a worker names the module by its URL; another module\'s exports written at start-up keep their readers', async (t) => {
  const steps = [{ path: '/throw' }, { path: '/config' }];
  const plain = await serve('test/apps/esm-type/server.js', [], {}, steps);
  const isolated = await serve('test/apps/esm-type/server.js', IMPORT, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, steps);
  const json = (r) => JSON.parse(r.body.toString());
  t.not(json(isolated[0]).thread, 0, 'thrown on a worker');
  t.match(json(plain[0]).stack, /at file:\/\/.*\/test\/apps\/esm-type\/server\.js:10:\d+$/);
  t.equal(json(isolated[0]).stack, json(plain[0]).stack, 'the same first frame: the URL (it was the path: the worker took the file for CommonJS)');
  t.same(json(isolated[1]), { mode: 'configured', thread: 0 }, "an ES module's exports written at start-up: its reader stays on the main loop");
});

t.test('under isolate, an ES module handler using import.meta stays on the main loop, one using import() moves, and its throw names the module', async (t) => {
  const steps = [{ path: '/meta' }, { path: '/dynamic' }, { path: '/throw' }];
  const plain = await serve('test/apps/esm/server.mjs', [], {}, steps);
  const isolated = await serve('test/apps/esm/server.mjs', IMPORT, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, steps);
  const json = (r) => JSON.parse(r.body.toString());
  t.same(json(isolated[0]), { file: 'server.mjs', thread: 0 }, 'import.meta: on the main loop (a 500 before: a syntax error on the worker)');
  t.match(json(isolated[1]), { eol: 1, lazy: 'dynamically imported' }, "import('./lazy.mjs') found the file beside the app's (it looked in fluxion's runtime folder)");
  t.not(json(isolated[1]).thread, 0, 'import() ran on a worker');
  t.equal(isolated[2].status, 500);
  t.not(json(isolated[2]).thread, 0, 'thrown on a worker');
  t.equal(json(isolated[2]).stack, json(plain[2]).stack, 'the same first frame: the module URL, its line and column');
  t.match(json(plain[2]).stack, /at file:\/\/.*\/test\/apps\/esm\/server\.mjs:22:23$/);
});

t.test("services with state read through default imports (`export default { … }`, `export default new Accounts()`, a CommonJS file's module.exports): handlers calling only what reaches none of it move, the others stay with the one store", async (t) => {
  const steps = ['/service/place/1', '/service/price/10', '/service/place/2', '/service/count', '/accounts/open/ann', '/accounts/handle/Ann', '/accounts/open/bob', '/legacy/hit', '/legacy/shout/hey', '/legacy/hit'].map((p) => ({ path: p }));
  const plain = await serve('test/apps/esm/server.mjs', [], {}, steps);
  const isolated = await serve('test/apps/esm/server.mjs', IMPORT, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, steps);
  const json = (r) => JSON.parse(r.body.toString());
  t.same(isolated.map((r) => ({ ...json(r), thread: 0 })), plain.map((r) => ({ ...json(r), thread: 0 })), 'the same answers');
  t.same(plain.map(json).map((b) => b.n ?? b.price ?? b.count ?? b.id ?? b.handle ?? b.hits ?? b.shout), [1, 12, 2, 2, 1, '@ann', 2, 1, 'HEY!', 2]);
  const moved = isolated.map((r) => json(r).thread !== 0);
  t.same(moved, [false, true, false, false, false, true, false, false, true, false], "price, handle, shout moved (they reach none of their module's state); place, count, open, hit stayed");
});

t.test('--import on a Node that cannot honour it: one warning, the app runs unmodified', async (t) => {
  const plain = run(['test/apps/esm/main.mjs']);
  const report = path.join(tmp, 'no-register.json');
  const r = run(['-r', './test/apps/esm/register-refuses.cjs', ...IMPORT, 'test/apps/esm/main.mjs'], { FLUXION_REPORT: report });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, plain.stdout, 'the app ran');
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('fluxion: warning:'));
  t.equal(warnings.length, 1);
  t.match(warnings[0], /ES modules run unmodified: module\.register failed \(module hooks are not available here\)/);
  t.notOk(reportOf(report).fluxions.some((f) => f.id === 'onStat'), 'main.mjs was not rewritten');
});

t.test("an ES module's own AsyncLocalStorage (a module constant): each unit's copy on a worker, and the unit the main loop builds, take the request's store", async (t) => {
  const steps = ['/local/a', '/local/b', '/local/a', '/local/b', '/local/helper'].map((p, i) => ({ path: p, headers: { 'x-stamp': `s${i}` } }));
  const responses = await serve('test/apps/contexts/local.mjs', IMPORT, { FLUXION_DISABLE_CACHE: '1', FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1' }, steps);
  const bodies = responses.map((r) => JSON.parse(r.body.toString()));
  t.same(bodies.map((b) => b.stamp), ['s0', 's1', 's2', 's3', 's4'], 'every route read the store its request entered');
  t.ok(bodies.slice(0, 4).every((b) => b.thread !== 0), 'the routes ran on the worker (two units there, one copy)');
  t.equal(bodies[4].thread, 0, 'the helper ran on the main loop');
});

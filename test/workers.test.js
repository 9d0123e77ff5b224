'use strict';
// Fluxions on worker threads, continued from placement.test.js (one file ran close to tap's 120 s limit): cluster
// workers and preloads, faults, templates, the paper's samples, state on its worker, idle workers, share groups,
// the JIT in auto, the request's async context, start-up connections and configurations.
// Offload is proven by the thread id the work reports (0 is the main thread), never by a log line.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { session, startApp, request, fluxion } = require('./helpers/processes');

const HOOK = ['-r', 'fluxion/register'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-placement-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

t.test('in a node:cluster worker process, the pool has one thread by default', async (t) => {
  const app = await startApp('test/apps/cluster/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  try {
    const answers = await Promise.all([1, 2, 3, 4].map(() => request(app.port, { path: '/work' })));
    const bodies = answers.map((r) => JSON.parse(r.body.toString()));
    t.equal(new Set(bodies.map((b) => b.pid)).size, 1, 'one cluster worker process');
    const threads = [...new Set(bodies.map((b) => b.thread))];
    t.equal(threads.length, 1, 'four concurrent requests, all on its one worker thread');
    t.not(threads[0], 0, 'a worker thread, not the main one');
  } finally {
    await app.stop();
  }
});

t.test("workers run the user's other preloads, and never start fluxion again", async (t) => {
  const app = await startApp('test/apps/threads/app.js', {
    nodeArgs: ['-r', './test/apps/threads/preload.js', ...HOOK],
    env: { FLUXION_PLACEMENT: 'isolate', FLUXION_LOG_LEVEL: 'info', FLUXION_DISABLE_CACHE: '1' },
  });
  const r = await request(app.port, { path: '/preload' });
  await new Promise((resolve) => setTimeout(resolve, 100)); // the summary line is printed on the next turn
  await app.stop();
  t.match(r.body.toString(), /^the user preload on [1-9]\d*$/, 'the worker ran the preload');
  const summaries = app.output().stderr.split('\n').filter((l) => /^fluxion: fluxion [\d.]+: /.test(l));
  t.equal(summaries.length, 1, 'one start-up summary: the workers did not start fluxion');
});

t.test('explain says why the res.socket handler stays', async (t) => {
  const r = fluxion(['explain', 'test/apps/threads/app.js']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /flx socketRoute[^\n]*\n(.*\n)*? {2}placement: stays on the main loop: touches `res\.socket` \(a socket\)/);
  t.match(r.stdout, /flx workRoute[^\n]*\n(.*\n)*? {2}placement: can run on another event loop when hot: express_dispatcher carries its req, res and next/);
});

t.test('a worker killed mid-request: the request fails through the error path, the next ones are served', async (t) => {
  const out = await session('test/apps/threads/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1' }, [
    { path: '/crash' },
    { path: '/work/1' },
    { path: '/crash' },
    { path: '/work/2' },
  ]);
  t.equal(out[0].status, 500);
  t.match(JSON.parse(out[0].body), { error: 'fluxion: the worker running this request stopped' });
  t.equal(out[1].status, 200, 'a new worker took over');
  t.not(JSON.parse(out[1].body).thread, 0);
  t.equal(out[2].status, 500);
  t.equal(out[3].status, 200);
});

t.test("a worker killed with requests in its queue: the one it ran fails, those it had not started run on the main loop as if they had never left", async (t) => {
  const app = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:pool,fluxion:placement' } });
  try {
    // (its worker up, and the unit there)
    t.equal((await request(app.port, { path: '/work/1' })).status, 200);
    const crash = request(app.port, { path: '/crash-after/800' });
    // (the crash is running on the worker when the others go: they wait behind it)
    for (let i = 0; i < 250 && !/crash-after running on [1-9]/.test(app.output().stdout); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const queued = await Promise.all([1, 2, 3].map((n) => request(app.port, { path: `/work/${n}` })));
    const died = await crash;
    t.equal(died.status, 500, 'the request the worker was running fails through the error path');
    // (each request's message in that queue was its body parser's callback: that ran here, and what follows it, the
    // route, went to the new worker)
    t.same(
      queued.map((r) => [r.status, JSON.parse(r.body).parsedOn]),
      [
        [200, 0],
        [200, 0],
        [200, 0],
      ],
      'the three it had not started ran on the main loop',
    );
    t.ok(queued.every((r) => JSON.parse(r.body).thread !== 0), 'and their routes on the new worker');
    const work = (n) => {
      let h = 0;
      for (let i = 0; i < n * 1000; i++) h = (h * 31 + i) | 0;
      return h;
    };
    t.same(queued.map((r) => JSON.parse(r.body).result), [work(1), work(2), work(3)], 'with their answers');
    t.match(app.output().stderr, /worker 1 exited \(3\); 4 message\(s\) in flight, 3 of them not started/);
    t.equal(app.output().stderr.match(/this message runs on the main loop \(its worker 1 stopped before it started it\)/g)?.length, 3, 'each counted as a message that ran here (the report: deopts)');
    t.not(JSON.parse((await request(app.port, { path: '/work/4' })).body).thread, 0, 'and a new worker serves the next request');
  } finally {
    await app.stop();
  }
});

t.test("a worker killed with plain callbacks in its queue that throw: each runs on the main loop, its throw the process's, and the ones after it run too", async (t) => {
  const app = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', CATCH_UNCAUGHT: '1', DEBUG: 'fluxion:pool' } });
  try {
    t.equal((await request(app.port, { path: '/work/1' })).status, 200);
    const crash = request(app.port, { path: '/crash-after/800' });
    for (let i = 0; i < 250 && !/crash-after running on [1-9]/.test(app.output().stdout); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    // (the routes stay here, res.socket; their readFile callbacks go to the busy worker and wait)
    for (const k of [1, 2, 3]) t.equal((await request(app.port, { path: `/throw-callback/${k}` })).body.toString(), 'started on 0');
    t.equal((await crash).status, 500);
    for (let i = 0; i < 100 && (app.output().stdout.match(/caught on 0: Error thrower/g) ?? []).length < 3; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    t.match(app.output().stderr, /worker 1 exited \(3\); 4 message\(s\) in flight, 3 of them not started/);
    const lines = app.output().stdout.split('\n').filter((l) => /^(thrower|caught)/.test(l));
    // (each throw is raised in a tick of its own once the dead worker's queue is handed out: the app's handler sees
    // them after the three ran, not between them as it would without fluxion)
    t.same(lines, ['thrower 1 ran on 0', 'thrower 2 ran on 0', 'thrower 3 ran on 0', 'caught on 0: Error thrower 1 false undefined', 'caught on 0: Error thrower 2 false undefined', 'caught on 0: Error thrower 3 false undefined'], 'each ran here in order, and its throw reached the app');
    t.equal((await request(app.port, { path: '/work/2' })).status, 200, 'a new worker serves the next request');
  } finally {
    await app.stop();
  }
});

/**
 * An app (`source`, written to a file of its own; its `/crash-after/<ms>` keeps its one worker busy, then kills it)
 * edited on disk while `queued` waits in that worker's queue: the main loop, running the message once the worker
 * died, cannot build its code unit from the file any more, and the run throws before the function starts.
 */
async function editedWhileQueued(t, name, source, queued, env = {}) {
  const file = path.join(fs.mkdtempSync(path.join(tmp, `${name}-`)), 'app.js');
  fs.writeFileSync(file, source);
  const app = await startApp(file, { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', ...env } });
  try {
    t.not(JSON.parse((await request(app.port, { path: '/work/1' })).body.toString()).thread, 0, 'the function runs on the worker');
    const crash = request(app.port, { path: '/crash-after/800' });
    for (let i = 0; i < 250 && !/crash-after running on [1-9]/.test(app.output().stdout); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const answer = request(app.port, { path: queued });
    answer.catch(() => undefined); // (awaited, or left unanswered and ended with the app)
    await new Promise((resolve) => setTimeout(resolve, 100));
    fs.appendFileSync(file, '\n// edited while the app runs\n');
    t.equal((await crash).status, 500);
    return { app, file, answer };
  } catch (error) {
    await app.stop();
    throw error;
  }
}

// what `/crash-after/<ms>` does with `ms` (a worker's death: process.reallyExit ends its thread only)
const CRASH_AFTER = `console.log('crash-after running on ' + threadId);
  const until = Date.now() + ms;
  while (Date.now() < until);
  if (threadId !== 0) process.reallyExit(3);`;

t.test("a worker killed with an async handler's message in its queue, whose code unit cannot be built on the main loop: the error goes to express's error handler", async (t) => {
  const source = `const express = require('express');
const { threadId } = require('worker_threads');
const app = express();
app.get('/work/:n', async function asyncWork(req, res) {
  await null;
  let x = 0;
  for (let i = 0; i < 1e5; i++) x += i % 7;
  res.json({ x, n: Number(req.params.n), thread: threadId });
});
app.get('/crash-after/:ms', function crashAfter(req, res) {
  const ms = Number(req.params.ms);
  ${CRASH_AFTER}
  res.send('no crash on the main thread');
});
process.on('uncaughtException', (error) => console.log('uncaught: ' + error.message));
// (it reads res.socket: it stays on the main loop, and answers whatever the worker's file has become)
app.use(function onError(err, req, res, next) {
  res.status(500).json({ error: err.message, home: !!res.socket, thread: threadId });
});
app.listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });
`;
  const { app, file, answer } = await editedWhileQueued(t, 'edited', source, '/work/2', { NODE_PATH: path.join(__dirname, '..', 'node_modules') });
  try {
    t.same(JSON.parse((await answer).body.toString()), { error: `${file} changed on disk since it was loaded`, home: true, thread: 0 }, "answered through express's error path: next(error), with the build's error");
    t.match(app.output().stderr, /app\.js:4: a message could not be run again on the main loop \(.*changed on disk since it was loaded\); it fails through the error path/);
    t.notMatch(app.output().stdout, /uncaught/, 'no uncaught exception');
  } finally {
    await app.stop();
  }
});

t.test("the same on a plain http server, whose async listener has no next: its promise rejects, an unhandled rejection as without fluxion", async (t) => {
  const source = `const http = require('http');
const { threadId } = require('worker_threads');
process.on('unhandledRejection', (error) => console.log('unhandled: ' + error.message));
process.on('uncaughtException', (error) => console.log('uncaught: ' + error.message));
const server = http.createServer(async function handler(req, res) {
  await null;
  if (req.url.startsWith('/crash-after/')) {
    const ms = Number(req.url.slice(13));
    ${CRASH_AFTER}
  }
  let x = 0;
  for (let i = 0; i < 1e5; i++) x += i % 7;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ x, thread: threadId }));
});
server.listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });
`;
  // (its request is left unanswered, as plain node leaves one whose async listener rejects)
  const { app } = await editedWhileQueued(t, 'edited-http', source, '/work/2');
  try {
    for (let i = 0; i < 100 && !/unhandled:/.test(app.output().stdout); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    t.match(app.output().stdout, /^unhandled: .*app\.js changed on disk since it was loaded$/m, "the listener's promise rejected with the build's error");
    t.notMatch(app.output().stdout, /uncaught/, 'not an uncaught exception (before: its promise resolved, the error thrown in a tick of its own)');
  } finally {
    await app.stop();
  }
});

t.test('a worker killed while it runs a plain callback: the callback runs again on the main loop', async (t) => {
  const app = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1' } });
  try {
    t.equal((await request(app.port, { path: '/crash-callback' })).body.toString(), 'started on 0');
    for (let i = 0; i < 50 && !/report ran on/.test(app.output().stdout); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    t.match(app.output().stdout, /report ran on 0\n/, 'its worker died under it; the main loop ran it');
    t.equal((await request(app.port, { path: '/work/1' })).status, 200, 'and a new worker serves the next request');
  } finally {
    await app.stop();
  }
});

t.test('templates: rendered on the worker with the app\'s settings and locals; a helper function put in res.locals or on req brings its middleware back to the main loop', async (t) => {
  const steps = [{ path: '/page/ada' }, { path: '/shout/ada' }, { path: '/page/bob' }, { path: '/helped' }];
  const plain = await session('test/apps/views/app.js', [], {}, steps);
  const report = path.join(tmp, 'views.json');
  const isolated = await session('test/apps/views/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_REPORT: report }, steps);
  t.same(plain.map((r) => r.body), ['<h1>fluxion: ada</h1><p>handled on the main thread, rendered on the main thread</p>\n', '<h1>fluxion: ADA!</h1>\n', '<h1>fluxion: bob</h1><p>handled on the main thread, rendered on the main thread</p>\n', 'helped']);
  t.same(isolated.map((r) => r.body.replace(/worker thread/g, 'main thread')), plain.map((r) => r.body), 'the same pages (app.locals too)');
  // (the template tells by process.chdir, a stub named `unavailableInWorker` in a worker thread: a template sees
  // no threadId, and process.argv and require.main are the main thread's there)
  t.match(isolated[0].body, /handled on the worker thread, rendered on the worker thread/, 'the template rendered on the worker');
  t.same(isolated.map((r) => r.type), plain.map((r) => r.type));
  const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
  t.match(observed.find((f) => f.id === 'page'), { placement: 'replicated', workerMessages: 2 });
  t.match(observed.find((f) => f.id === 'addHelper'), { placement: 'main', workerMessages: 0 }, 'the middleware that put a function in res.locals ran again on the main loop, and stays there');
  t.match(observed.find((f) => f.id === 'addReqHelper'), { placement: 'main', workerMessages: 0 }, 'so did the one that put a function on req (its request hung before)');
});

t.test('a helper or an instance a middleware left in res.locals: the handler reading res.locals runs on the main loop, where they are; one that does not moves', async (t) => {
  const steps = [{ path: '/priced/label' }, { path: '/priced/item/7' }, { path: '/priced/label' }];
  const bodies = (out) => out.map((r) => JSON.parse(r.body));
  const plain = bodies(await session('test/apps/views/app.js', [], {}, steps));
  t.same(plain.map((b) => b.label ?? b.id), ['$11.11 USD', '7', '$11.11 USD']);
  const isolated = bodies(await session('test/apps/views/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate' }, steps));
  t.same(isolated.map((b) => b.label ?? b.id), plain.map((b) => b.label ?? b.id), 'the same answers (a worker\'s res.locals had neither: TypeError, 500)');
  t.equal(isolated[0].thread, 0, 'the reader ran on the main loop');
  t.equal(isolated[2].thread, 0, 'every time');
  t.not(isolated[1].thread, 0, 'the handler that only answers moved');
});

t.test('statefulPackages: a handler calling into such a package, directly or through an app file, stays on the main loop', async (t) => {
  const steps = ['/direct', '/nested', '/free'].map((p) => ({ path: p }));
  const threads = (out) => out.map((r) => JSON.parse(r.body).thread);
  const named = await session('test/apps/packages/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_STATEFUL_PACKAGES: 'ms' }, steps);
  t.same(named.map((r) => JSON.parse(r.body).ms), [7200000, 7200000, 7200000]);
  const [direct, nested, free] = threads(named);
  t.equal(direct, 0, 'it requires `ms` itself: main loop');
  t.equal(nested, 0, 'it calls into limits.js, which requires `ms`: main loop');
  t.not(free, 0, 'the other one moved');
  const byDefault = await session('test/apps/packages/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate' }, steps);
  t.ok(threads(byDefault).every((n) => n !== 0), '`ms` is not in the default list: all three moved');
  const app = await startApp('test/apps/packages/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_STATEFUL_PACKAGES: 'ms', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  try {
    await request(app.port, { path: '/nested' });
    t.match(app.output().stderr, /nested \(test\/apps\/packages\/app\.js:14\) stays on the main loop: it calls into the package `ms` \(through test\/apps\/packages\/limits\.js\)/);
  } finally {
    await app.stop();
  }
  const explained = fluxion(['explain', 'test/apps/packages/app.js'], { env: { FLUXION_STATEFUL_PACKAGES: 'ms' } });
  t.equal(explained.status, 0, explained.stderr);
  t.match(explained.stdout, /placement: stays on the main loop: it calls into the package `ms`, whose module memory/, 'explain says so for the direct one');
  t.match(explained.stdout, /placement: stays on the main loop: it calls into the package `ms` \(through test\/apps\/packages\/limits\.js\)/, 'and the one through an app file');
});

t.test('gifsockets (paper Listing 3) under isolate: the getRawBody callback runs on a worker, no change to the app', async (t) => {
  const steps = [1, 2, 3].map((i) => ({ method: 'POST', path: '/image/text', body: `frame ${i}` }));
  const plain = await session('samples/gifsockets/app.js', [], {}, steps);
  const report = path.join(tmp, 'gif.json');
  const isolated = await session('samples/gifsockets/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_REPORT: report }, steps);
  t.same(isolated.map((r) => r.body), plain.map((r) => r.body));
  t.same(isolated.map((r) => r.status), [200, 200, 200]);
  const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
  t.match(observed.find((f) => f.id === 'anonymous_1000'), { placement: 'replicated', workerMessages: 3 }, 'req.body and next() merged back');
  t.match(observed.find((f) => f.id === 'writeTextToImages'), { placement: 'replicated', workerMessages: 3 });
  t.match(observed.find((f) => f.id === 'saveBody'), { placement: 'main', messages: 3 }, 'saveBody hands req to getRawBody: it stays');
});

t.test('the counter (paper Listing 1) moves with its state to one worker and stays one counter: 1..100', async (t) => {
  const steps = Array.from({ length: 100 }, () => ({ path: '/' }));
  const report = path.join(tmp, 'counter.json');
  const out = await session('samples/counter/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_REPORT: report }, steps);
  t.same(out.map((r) => Number(/<h1>(\d+)<\/h1>/.exec(r.body)[1])), Array.from({ length: 100 }, (_, i) => i + 1));
  const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
  const handler = observed.find((f) => f.id === 'handler');
  t.match(handler.placement, /^worker:\d+$/, 'pinned to one worker, not replicated');
  t.equal(handler.workerMessages, 100, 'every request was handled there, count included');
  const reply = observed.find((f) => f.id === 'reply');
  t.equal(reply.placement, handler.placement, 'the fluxions of one state share a worker');
  t.equal(reply.messages, 100, 'the continuation nested in the handler ran there, and is counted (the worker sends the count back)');
  t.equal(reply.workerMessages, 100);
  t.equal(typeof reply.cpuMsPerMessage, 'number');
});

t.test("a stateful fluxion's state lives on its worker; the main loop asks for it a second after a change: its worker dies, the state goes on from there", async (t) => {
  const app = await startApp('test/apps/state/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:pool' } });
  try {
    const get = async (p) => {
      const r = await request(app.port, { path: p });
      return r.status === 200 ? JSON.parse(r.body.toString()) : r.status;
    };
    const first = await get('/hit/a');
    t.match(first, { hits: 1, mine: 1 });
    t.not(first.thread, 0, 'the stateful fluxion runs on a worker');
    t.match(await get('/hit/b'), { hits: 2, mine: 1 });
    t.match(await get('/hit/a'), { hits: 3, mine: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1300)); // the main loop asked for the state meanwhile
    t.match(await get('/hit/a'), { hits: 4, mine: 3, thread: first.thread }, 'the state stayed on the worker');
    t.equal(await get('/crash'), 500, 'the crash fails its own request');
    const after = await get('/hit/a');
    t.match(after, { hits: 4, mine: 3 }, "a number and a const Map went on from the main loop's copy: what the worker did in its last second is lost, as a crash loses it without fluxion");
    t.not(after.thread, first.thread, 'on a new worker');
    t.match(await get('/hit/b'), { hits: 5, mine: 2 });
    t.match(app.output().stderr, /worker 1 lost the state of test\/apps\/state\/app\.js since the main loop last asked for it/);
  } finally {
    await app.stop();
  }
});

t.test('FLUXION_IDLE_MS: an idle worker stops and gives its memory back; the next message starts a new one, state intact', async (t) => {
  const app = await startApp('test/apps/state/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_IDLE_MS: '200', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:pool' } });
  try {
    const get = async (p) => JSON.parse((await request(app.port, { path: p })).body.toString());
    const first = await get('/hit/a');
    t.match(await get('/hit/a'), { hits: 2, mine: 2, thread: first.thread }, 'busy: the same worker');
    await new Promise((resolve) => setTimeout(resolve, 600));
    t.match(app.output().stderr, /worker 1 retired after 200 ms idle/);
    const later = await get('/hit/a');
    t.match(later, { hits: 3, mine: 3 }, 'the state went on from the main loop\'s copy');
    t.not(later.thread, first.thread, 'on a new worker');
    t.not(later.thread, 0);
  } finally {
    await app.stop();
  }
});

t.test('a worker scavenges the buffers its messages dropped (FLUXION_SCAVENGE_MB); no `gc` appears in the app', async (t) => {
  // 2 MB of pixels allocated and dropped per request on the worker; `held`: the thread's array buffers as it starts
  const steps = [...Array.from({ length: 40 }, () => ({ path: '/pixels/2' })), { path: '/gc' }];
  const held = (out) => out.slice(0, 40).map((r) => JSON.parse(r.body).held / 1048576);
  const scavenged = await session('test/apps/buffers/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1' }, steps);
  t.ok(scavenged.slice(0, 40).every((r) => JSON.parse(r.body).thread !== 0), 'the route ran on the worker');
  // 8 MB (the default), the message that crossed it, and up to three more while V8's sweeper (another thread, late
  // on a busy machine) frees what the scavenge found dead; V8 alone lets 32 MB pile up (below)
  t.ok(Math.max(...held(scavenged)) <= 8 + 2 + 6, `the worker scavenged at 8 MB of dropped buffers: ${held(scavenged).map((mb) => mb.toFixed(1)).join(' ')}`);
  t.equal(scavenged[40].body, 'undefined undefined 0', 'no `gc` on the main loop, nor in a context it makes after the worker took its own');
  const v8Alone = await session('test/apps/buffers/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_SCAVENGE_MB: '0' }, steps);
  t.ok(Math.max(...held(v8Alone)) >= 24, `with FLUXION_SCAVENGE_MB=0, V8 alone let them pile up (to 32 MB on Node 20): ${held(v8Alone).map((mb) => mb.toFixed(1)).join(' ')}`);
  const exposed = await session('test/apps/buffers/app.js', ['--expose-gc', ...HOOK], { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1' }, steps);
  t.ok(Math.max(...held(exposed)) <= 8 + 2 + 6, 'with the process\'s own --expose-gc, the same');
  t.equal(exposed[40].body, 'function function 0', "the app's --expose-gc is left on");
});

t.test('auto: the main loop, a replica, scavenges the buffers of the messages it ran too', async (t) => {
  // the route moves (48 messages one after the other), then waves of concurrent requests: the main loop takes
  // some while the one worker has a queue, each allocating and dropping 4 MB of pixels there
  async function run(env) {
    const app = await startApp('test/apps/buffers/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'auto', FLUXION_HOT_MS: '0.2', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:pool', ...env } });
    const onMain = [];
    try {
      for (let i = 0; i < 48; i++) await request(app.port, { path: '/pixels/4' });
      const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      for (let wave = 0; wave < 12 && onMain.length < 24; wave++) {
        const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => delay(i).then(() => request(app.port, { path: '/pixels/4' }))));
        for (const r of responses) {
          const body = JSON.parse(r.body.toString());
          if (body.sum !== 10) t.fail(`wrong answer: ${r.status} ${r.body}`);
          if (body.thread === 0) onMain.push(body.held / 1048576);
        }
      }
    } finally {
      await app.stop();
    }
    return { onMain, stderr: app.output().stderr };
  }
  const scavenging = await run({});
  t.ok(scavenging.onMain.length >= 12, `the main loop took ${scavenging.onMain.length} messages (48 MB of pixels or more)`);
  t.match(scavenging.stderr, /fluxion:pool the main loop scavenged for the dead array buffers of the messages it ran/);
  // from its fourth message on (the first ones find what the 48 it ran before the move left, and start the
  // count): 8 MB, the message that crossed it (4), what HTTP holds, and the sweeper's delay (another thread: the
  // buffers a scavenge found dead are freed there, and on a busy machine it lags by a message or two: 20.3 and 21.3
  // MB seen, with the runtime of the session before too; V8 alone reached 28.3–36.3 MB in every run seen)
  const held = (run) => run.onMain.map((mb) => mb.toFixed(1)).join(' ');
  const BOUND = 8 + 4 + 8 + 4;
  t.ok(Math.max(...scavenging.onMain.slice(3)) <= BOUND, `the main loop held at most ~8 MB of dropped pixels: ${held(scavenging)}`);
  const off = await run({ FLUXION_SCAVENGE_MB: '0' });
  t.notMatch(off.stderr, /the main loop scavenged/, 'FLUXION_SCAVENGE_MB=0: it does not');
  t.ok(Math.max(...off.onMain.slice(3)) > BOUND, `and V8 alone lets them pile up: ${held(off)}`);
});

t.test('stateful files go to the workers with the fewest of them: three hot counters, three workers, one each', async (t) => {
  const steps = [];
  for (let i = 0; i < 4; i++) steps.push({ path: '/orders' }, { path: '/visits' }, { path: '/carts' });
  const bodies = (out) => out.map((r) => JSON.parse(r.body));
  const threadOf = (out, key) => new Set(bodies(out).filter((b) => key in b).map((b) => b.thread));
  const three = await session('test/apps/counters/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '3' }, steps);
  t.same(bodies(three).filter((b) => 'carts' in b).map((b) => b.carts), [1, 2, 3, 4], 'each counter stays one counter');
  const threads = ['orders', 'visits', 'carts'].map((key) => threadOf(three, key));
  t.ok(threads.every((set) => set.size === 1 && !set.has(0)), 'each file on one worker');
  t.equal(new Set(threads.map((set) => [...set][0])).size, 3, 'three files, three workers: none shares one while another idles');
  const two = await session('test/apps/counters/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '2' }, steps);
  t.same([...threadOf(two, 'carts')], [...threadOf(two, 'orders')], 'two workers: the third file joins the first one');
  t.not([...threadOf(two, 'visits')][0], [...threadOf(two, 'orders')][0]);
});

t.test('a share group (grp_hits) moves together to one worker, and the count stays one count', async (t) => {
  const steps = [{ path: '/hit' }, { path: '/hit' }, { path: '/hit' }, { method: 'POST', path: '/reset' }, { path: '/hit' }, { path: '/hit' }];
  const plain = await session('test/apps/share/app.js', [], {}, steps);
  const report = path.join(tmp, 'share.json');
  const isolated = await session('test/apps/share/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_REPORT: report }, steps);
  t.same(isolated.map((r) => [r.status, r.body]), plain.map((r) => [r.status, r.body]));
  t.same(plain.map((r) => r.body), ['1', '2', '3', '', '1', '2']);
  const threads = new Set(isolated.map((r) => r.thread));
  t.equal(threads.size, 1, 'one worker served the whole group');
  t.not([...threads][0], '0');
  const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
  const hit = observed.find((f) => f.id === 'hit');
  t.match(hit.placement, /^worker:\d+$/);
  t.equal(observed.find((f) => f.id === 'reset').placement, hit.placement);
  const explained = fluxion(['explain', 'test/apps/share/app.js']);
  t.match(explained.stdout, /flx hit[^\n]*\n(.*\n)*? {2}placement: can run on another event loop when hot: on one worker with its share group \(grp_hits\)/);
});

t.test('auto: the JIT moves a hot async handler, measured between its awaits, and leaves one that only waits', async (t) => {
  // /async-work/4000: ~4 million loop turns between two awaits; /async-sleep: 100 ms of waiting, no work
  const steps = [...Array.from({ length: 50 }, () => ({ path: '/async-work/4000' })), ...Array.from({ length: 40 }, () => ({ path: '/async-sleep' }))];
  const report = path.join(tmp, 'async-auto.json');
  const auto = await session('test/apps/threads/app.js', HOOK, { FLUXION_PLACEMENT: 'auto', FLUXION_HOT_MS: '1.5', FLUXION_REPORT: report }, steps);
  t.ok(auto.every((r) => r.status === 200), 'every request answered');
  const threads = auto.slice(0, 50).map((r) => JSON.parse(r.body).thread);
  t.equal(threads[0], 0, 'the first messages run on the main loop');
  t.not(threads[49], 0, 'the last ones on a worker');
  const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
  t.match(observed.find((f) => f.id === 'asyncWork'), { placement: 'replicated' });
  const sleep = observed.find((f) => f.id === 'asyncSleep');
  t.ok(sleep.cpuMsPerMessage < 50, `waiting is not work: ${sleep.cpuMsPerMessage} ms of CPU per 100 ms sleep`);
  // it stays, or, when a busy machine (parallel tests) inflated its times enough to move it, the workers'
  // own measurements bring it back within 16 messages
  t.ok(sleep.workerMessages <= 16, `${sleep.workerMessages} sleeps ran on workers (${sleep.placement} at the end)`);
});

t.test('the CPU-heavy sample in auto: the JIT moves the hot route, leaves the cheap one', async (t) => {
  const steps = [...Array.from({ length: 60 }, (_, i) => ({ path: `/banner/fluxion%20hot%20route%20${i % 3}?scale=16` })), ...Array.from({ length: 80 }, () => ({ path: '/health' }))];
  const plain = await session('samples/cpu/app.js', [], {}, steps);
  const report = path.join(tmp, 'cpu.json');
  // 1.5 ms: a banner takes 2.5 ms or more, a health check well under 0.5 ms even when tests run in parallel
  const auto = await session('samples/cpu/app.js', HOOK, { FLUXION_PLACEMENT: 'auto', FLUXION_HOT_MS: '1.5', FLUXION_REPORT: report }, steps);
  t.same(auto.map((r) => [r.status, r.type, r.body]), plain.map((r) => [r.status, r.type, r.body]), 'same GIFs, same JSON');
  const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
  const banner = observed.find((f) => f.id === 'banner');
  t.equal(banner.placement, 'replicated', 'banner moved to the workers');
  t.ok(banner.workerMessages > 0 && banner.workerMessages <= 60 - 32, `${banner.workerMessages} banners rendered on workers, after the JIT's 32 messages`);
  // cheap: it stays, or, when a busy machine inflated its times enough to move it, the workers' own
  // measurements bring it back within 16 messages
  const health = observed.find((f) => f.id === 'health');
  t.ok(health.workerMessages <= 16, `${health.workerMessages} health checks ran on workers (${health.placement} at the end)`);
});

t.test('auto: the main loop is a replica too: it takes a moved handler\'s messages while the worker has a backlog; isolate never does', async (t) => {
  // the route's answer for n, as the app computes it
  const work = (n) => {
    let h = 0;
    for (let i = 0; i < n * 1000; i++) h = (h * 31 + i) | 0;
    return h;
  };
  const N = 3000; // ~3 ms of work per request
  async function run(placement) {
    const report = path.join(tmp, `replica-${placement}.json`);
    const app = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: placement, FLUXION_HOT_MS: '1', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', FLUXION_REPORT: report } });
    const sequential = [];
    const concurrent = [];
    const check = (r) => {
      const body = JSON.parse(r.body);
      if (r.status !== 200 || body.result !== work(N)) t.fail(`wrong answer: ${r.status} ${r.body}`);
      return body.thread;
    };
    try {
      // one after the other: the JIT sees 48 hot messages and moves the route (auto)
      for (let i = 0; i < 48; i++) sequential.push(check(await request(app.port, { path: `/work/${N}` })));
      // then 5 waves of 12 sent 1 ms apart (each a 3 ms message): later ones arrive while the one worker has a
      // queue (what was posted in earlier turns), whatever the machine does with the first ones
      const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
      for (let wave = 0; wave < 5; wave++) {
        const responses = await Promise.all(Array.from({ length: 12 }, (_, i) => delay(i).then(() => request(app.port, { path: `/work/${N}` }))));
        concurrent.push(...responses.map(check));
      }
    } finally {
      await app.stop();
    }
    return { sequential, concurrent, route: JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.find((f) => f.id === 'workRoute') };
  }
  const auto = await run('auto');
  t.equal(auto.route.placement, 'replicated', 'the JIT moved the route');
  t.equal(auto.sequential.at(-1), auto.concurrent.find((id) => id !== 0), 'one request at a time: the worker runs it');
  const onMain = auto.concurrent.filter((id) => id === 0).length;
  t.ok(onMain > 0 && onMain < auto.concurrent.length, `${onMain} of ${auto.concurrent.length} concurrent requests ran on the main loop, the others on the worker`);
  t.equal(auto.route.messages, 48 + 60, 'every message counted once');
  const onWorker = [...auto.sequential, ...auto.concurrent].filter((id) => id !== 0).length;
  t.equal(auto.route.workerMessages, onWorker, 'the report counts the messages the worker ran, not those the main loop took');
  const isolate = await run('isolate');
  t.ok(isolate.concurrent.every((id) => id !== 0), 'isolate: every message on the worker, backlog or not');
});

t.test("the request's async context travels: a package's AsyncLocalStorage store and cls-hooked context are the request's on a worker, and what the code writes there comes back", async (t) => {
  const report = path.join(tmp, 'contexts.json');
  const app = await startApp('test/apps/contexts/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_REPORT: report, DEBUG: 'fluxion:placement' } });
  try {
    const get = async (p) => JSON.parse((await request(app.port, { path: p, headers: { 'x-request-id': 'r7', 'x-tenant': 'acme' } })).body.toString());
    const id = await get('/id');
    t.same({ ...id, thread: 0 }, { id: 'r7', tenant: 'acme', span: null, thread: 0 }, "the store the middleware entered on the main loop, read by a package's code on the worker");
    t.not(id.thread, 0, 'on a worker');
    const later = await get('/later');
    t.same({ ...later, thread: 0 }, { id: 'r7', tenant: 'acme', thread: 0 }, 'after an await there too');
    t.not(later.thread, 0);
    t.same(await get('/id?traced=1'), { id: 'r7', tenant: 'acme', span: '/id', thread: 0 }, 'a store holding a class instance cannot travel: read on the worker, that message ran again on the main loop');
    t.same(await get('/login/ann'), { user: 'ann', role: 'member', id: 'r7', socket: true, thread: 0 }, 'written on the worker, read after it on the main loop');
    const parallel = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((who) => request(app.port, { path: '/id', headers: { 'x-request-id': who, 'x-tenant': who.toUpperCase() } })));
    t.same(parallel.map((r) => JSON.parse(r.body.toString())).map((b) => `${b.id}${b.tenant}`), ['aA', 'bB', 'cC', 'dD', 'eE', 'fF'], 'six requests at once: each its own context');
    await app.stop();
    const byId = (id) => JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.find((f) => f.id === id);
    t.ok(byId('login').workerMessages >= 1, 'the middleware that wrote the context ran on a worker');
    t.match(app.output().stderr, /idRoute: back on the main loop \(it read the async context of the AsyncLocalStorage made at .*reqctx\/index\.js:\d+, which could not travel \(an instance of Span\)\)/);
  } finally {
    await app.stop();
  }
});

t.test("a store holding data beside a class's instance (a request's id and its logger, a user model; cls-hooked too): the data travels, a handler reading only it moves, one reading the instance runs again on the main loop, and what the worker writes beside it comes back without losing it", async (t) => {
  const paths = ['/partly/data', '/partly/data', '/partly/logger', '/partly/user', '/partly/model', '/partly/mark', '/partly/logger'];
  const headers = { 'x-request-id': 'r9', 'x-tenant': 'acme', 'x-who': 'ann' };
  const run = async (nodeArgs, env) => {
    const app = await startApp('test/apps/contexts/app.js', { nodeArgs, env });
    try {
      const out = [];
      for (const p of paths) out.push(JSON.parse((await request(app.port, { path: p, headers })).body.toString()));
      return { out, stderr: app.output().stderr };
    } finally {
      await app.stop();
    }
  };
  const plain = await run([], {});
  const moved = await run(HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' });
  const same = (b) => ({ ...b, thread: 0, mark: b.mark && b.mark.replace(/on .*/, 'on …') });
  t.same(moved.out.map(same), plain.out.map(same), 'the same answers');
  t.same(plain.out[5], { mark: 'set on the main loop', tenant: 'changed', role: 'marker', line: '[r9] after', user: 'ann', model: 'ann', socket: true, thread: 0 });
  t.ok(moved.out[0].thread !== 0 && moved.out[1].thread !== 0, "the request's id, a field of a plain store and a cls-hooked value, read on a worker");
  t.same([2, 3, 4, 6].map((i) => moved.out[i].thread), [0, 0, 0, 0], 'the logger (a Map entry), the user (a field), the model (a cls-hooked value): read on the main loop');
  t.equal(moved.out[5].mark, 'set on a worker', 'written on a worker beside them');
  t.match(moved.out[5], { tenant: 'changed', role: 'marker', line: '[r9] after', user: 'ann', model: 'ann' }, 'what it wrote reached the main loop, whose logger, user and model are still there');
  t.match(moved.stderr, /partlyModel \(test\/apps\/contexts\/app\.js:\d+\) could not finish on a worker \(it read the cls-hooked context of namespace clsctx, which could not travel \(an instance of Model: its field `model`\)\)/);
  t.notMatch(moved.stderr, /after its message had answered/, 'no read of a stand-in after its answer (the stop of the code is not encoded)');
});

t.test("a middleware that hands the request on inside stores of its own (`als.run(store, next)`, cls-hooked's `ns.run`) on a worker: what follows runs inside them, on a worker or on the main loop", async (t) => {
  const report = path.join(tmp, 'contexts-next.json');
  const app = await startApp('test/apps/contexts/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_REPORT: report } });
  try {
    const get = async (p) => JSON.parse((await request(app.port, { path: p, headers: { 'x-request-id': 'r7', 'x-tenant': 'acme', 'x-who': 'ann' } })).body.toString());
    for (let i = 0; i < 2; i++) {
      const moved = await get('/stamped/id');
      t.same({ ...moved, thread: 0 }, { id: 'stamped-r7', tenant: 'stamped', thread: 0 }, 'the stores the middleware entered, read by the route on a worker');
      t.not(moved.thread, 0);
      t.same(await get('/stamped/socket'), { id: 'stamped-r7', tenant: 'stamped', socket: true, thread: 0 }, 'and by one that stays on the main loop');
      const early = await get('/early/who');
      t.same({ ...early, thread: 0 }, { who: 'ann', thread: 0 }, "a package's store");
      t.not(early.thread, 0);
    }
    const parallel = await Promise.all(['a', 'b', 'c', 'd'].map((who) => request(app.port, { path: '/stamped/id', headers: { 'x-request-id': who } })));
    t.same(parallel.map((r) => JSON.parse(r.body.toString()).id), ['stamped-a', 'stamped-b', 'stamped-c', 'stamped-d'], 'four at once: each its own');
    // an AsyncLocalStorage of the app's own, a module constant (`var local = new AsyncLocalStorage()`)
    const stamps = await Promise.all(['s1', 's2', 's3', 's4'].map((stamp) => request(app.port, { path: '/local/stamp', headers: { 'x-stamp': stamp } })));
    t.same(stamps.map((r) => ({ ...JSON.parse(r.body.toString()), thread: 0 })), ['s1', 's2', 's3', 's4'].map((stamp) => ({ stamp, thread: 0 })), "the app's own store, entered on a worker, read on a worker");
    t.ok(stamps.every((r) => JSON.parse(r.body.toString()).thread !== 0), 'on a worker');
    const helper = await request(app.port, { path: '/local/helper', headers: { 'x-stamp': 'h1' } });
    t.same(JSON.parse(helper.body.toString()), { stamp: 'h1', thread: 0 }, "run again on the main loop (a function left on the request), the unit built there reads the module's own instance");
    await app.stop();
    const byId = (id) => JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.find((f) => f.id === id);
    t.ok(byId('stamp').workerMessages >= 1 && byId('earlyStamp').workerMessages >= 1, 'the middlewares ran on a worker');
    t.ok(byId('localStamp').workerMessages >= 1 && byId('localRoute').workerMessages >= 1, "the app's own: moved, not kept home as the file's state");
  } finally {
    await app.stop();
  }
});

t.test("work a handler starts in a package's own callbacks (bcryptjs's async API: `await hash()`, or its callback in a synchronous handler) is hot for the JIT, under load from the start, and moves; an I/O-bound one stays, and a middleware resuming into such a route is not charged its work", async (t) => {
  const report = path.join(tmp, 'chunked.json');
  const env = { FLUXION_HOT_MS: '4', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', FLUXION_REPORT: report };
  {
    // the route first without the middleware: its next sample is a second away when the middleware's first one
    // resumes into it; what the route starts then is the route's, not the middleware's (read before either is
    // sampled again: a later sample would hide a wrong first one). A fluxion's first sample is of its second
    // message (its first runs cold): two of each
    const app = await startApp('test/apps/chunked/app.js', { nodeArgs: HOOK, env });
    const twice = async (p) => {
      await request(app.port, { path: `${p}/1` });
      await request(app.port, { path: `${p}/2` });
    };
    try {
      await twice('/direct/hash');
      await twice('/chain/hash');
      // (the same with a synchronous route, its callback form)
      await twice('/hashcb');
      await twice('/wrapped/hashcb');
      // (a route whose response a package's middleware ends later; packages yielding by setTimeout(…, 0), or by
      // awaits of their own; a sample ends once what its message started is done: none last)
      await request(app.port, { path: '/later' });
      await request(app.port, { path: '/later' });
      await twice('/timer');
      await twice('/awaits');
      await request(app.port, { path: '/hello' });
    } finally {
      await app.stop();
    }
    const byId = (id) => JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.find((f) => f.id === id);
    // (one sample each, in wall time: a busy machine may stop the thread a few ms inside one; the route's chunks
    // take 8 ms or more, which is what a middleware charged them would show)
    t.ok(byId('chainedHash').sampledMs > 4, `the route: ${byId('chainedHash').sampledMs} ms`);
    t.ok((byId('pauseFirst').sampledMs ?? 0) < byId('chainedHash').sampledMs / 2, `the middleware resuming into it: ${byId('pauseFirst').sampledMs ?? 0} ms`);
    t.ok(byId('hashCallbackRoute').sampledMs > 4, `the synchronous route: ${byId('hashCallbackRoute').sampledMs} ms`);
    t.ok((byId('pauseAgain').sampledMs ?? 0) < byId('hashCallbackRoute').sampledMs / 2, `the middleware resuming into it: ${byId('pauseAgain').sampledMs ?? 0} ms`);
    t.ok(byId('timerHash').sampledMs > 2, `a package yielding by setTimeout: ${byId('timerHash').sampledMs} ms`);
    t.ok(byId('awaitsHash').sampledMs > 2, `a package yielding by its own awaits: ${byId('awaitsHash').sampledMs} ms`);
    t.ok((byId('laterRoute').sampledMs ?? 0) < 10, `a route whose response a package's middleware ends later, after 20 ms of work of its own: ${byId('laterRoute').sampledMs ?? 0} ms`);
    // (one sample is not charged yet: a second confirms it, the lesser of the two is — clock.ts \`charged\`)
    t.notOk(byId('chainedHash').callbackMs, 'a first sample alone: not charged');
  }
  {
    // a fluxion's first message is not sampled: it runs cold, and many run once, at start-up (the listen callback)
    const app = await startApp('test/apps/chunked/app.js', { nodeArgs: HOOK, env });
    try {
      await request(app.port, { path: '/timer/once' });
      // (a sample ends a little after the answer: what its message started is done by then)
      await new Promise((resolve) => setTimeout(resolve, 300));
    } finally {
      await app.stop();
    }
    const byId = (id) => JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.find((f) => f.id === id);
    t.equal(byId('timerHash').messages, 1);
    t.notOk(byId('timerHash').callbackMs, 'one message: not sampled');
  }
  // (4 ms: the chunks take 10 ms or more here, the waiting handler's own segments well under that, tests in parallel too)
  const app = await startApp('test/apps/chunked/app.js', { nodeArgs: HOOK, env });
  const threads = { hash: [], callback: [], chain: [] };
  try {
    const get = async (p) => JSON.parse((await request(app.port, { path: p })).body.toString());
    // never one at a time: every message beside others (their parsing, routing, answers: work in every window);
    // (the JIT weighs a fluxion from its 32nd message)
    for (let round = 0; round < 28; round++) {
      const hellos = Array.from({ length: 16 }, () => request(app.port, { path: '/hello' }));
      const [hash, callback, chain] = await Promise.all([
        Promise.all([get(`/hash/a${round}`), get(`/hash/b${round}`)]),
        Promise.all([get(`/hashcb/a${round}`), get(`/hashcb/b${round}`)]),
        Promise.all([get(`/chain/hash/a${round}`), get(`/chain/hash/b${round}`)]),
        get('/wait'),
        get('/wait'),
        get('/cpu/work'),
        get('/cpu/work'),
        ...hellos,
      ]);
      threads.hash.push(...hash.map((r) => r.thread));
      threads.callback.push(...callback.map((r) => r.thread));
      threads.chain.push(...chain.map((r) => r.thread));
    }
  } finally {
    await app.stop();
  }
  const byId = (id) => JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.find((f) => f.id === id);
  for (const [id, key] of [['hashRoute', 'hash'], ['hashCallbackRoute', 'callback'], ['chainedHash', 'chain']]) {
    t.equal(byId(id).placement, 'replicated', `${id} moved (its own code runs for microseconds)`);
    // (not every one: the main loop takes a message when the worker has a queue, and here it always has one)
    t.ok(threads[key].some((thread) => thread !== 0) && byId(id).workerMessages > 0, `${id}: its messages ran on the worker (${byId(id).workerMessages} of ${byId(id).messages})`);
    t.ok(byId(id).callbackMs > 2, `${id}: its time per message counts the package's chunks (${byId(id).callbackMs} ms of ${byId(id).cpuMsPerMessage})`);
  }
  for (const id of ['waitRoute', 'pauseFirst', 'helloRoute']) {
    t.ok((byId(id).callbackMs ?? 0) < 2, `${id}: no other request's work, nor the route's it resumed into, nor its response's writes (${byId(id).callbackMs ?? 0} ms)`);
  }
  t.equal(byId('cpuRoute').placement, 'replicated', 'the CPU-heavy route behind a middleware moved');
  t.ok(byId('gate').cpuMsPerMessage < byId('cpuRoute').cpuMsPerMessage / 4, `the middleware's time is its own, not the route's it ran by calling next() (${byId('gate').cpuMsPerMessage} ms against ${byId('cpuRoute').cpuMsPerMessage})`);
  // it stays, or, when a busy machine (parallel tests) inflated its own segments' times enough to move it, the
  // workers' own measurements bring it back within 16 messages
  t.ok(byId('waitRoute').workerMessages <= 16, `${byId('waitRoute').workerMessages} waits ran on the worker (${byId('waitRoute').placement} at the end)`);
});

t.test("a request field made of instances of a class whose file a worker cannot load: the handler reading it runs on the main loop, the process and its worker go on", async (t) => {
  const app = await startApp('test/apps/instances/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:pool' } });
  try {
    const get = async (p) => {
      const r = await request(app.port, { path: p });
      return { status: r.status, body: JSON.parse(r.body.toString()) };
    };
    const before = await get('/plain?q=1');
    t.not(before.body.thread, 0, 'a plain handler runs on the worker');
    // (before: the worker threw decoding the message outside its try blocks, and the main thread rethrew it: the
    // app died)
    t.same(await get('/checked?q=a'), { status: 200, body: { fields: ['q=a'], thread: 0 } }, 'the answer, from the main loop');
    t.same(await get('/checked?q=b'), { status: 200, body: { fields: ['q=b'], thread: 0 } }, 'again');
    t.same(await get('/plain?q=2'), { status: 200, body: { q: '2', thread: before.body.thread } }, 'the same worker goes on');
    t.notMatch(app.output().stderr, /worker \d+ (exited|failed)/, 'no worker was lost');
  } finally {
    await app.stop();
  }
});

t.test("express-validator: the handlers reading validationResult(req) and matchedData(req) move, with the validation contexts its middleware left on req; an async handler's `return res.status(…).json(…)` reaches no error handler", async (t) => {
  const steps = [
    { method: 'POST', path: '/signup', body: { name: 'a', email: 'nope' } },
    { method: 'POST', path: '/signup', body: { name: '  Ann ', email: 'Ann@Example.COM' } },
    { method: 'GET', path: '/search?q=%20%20' },
    { method: 'GET', path: '/search?q=shoes&page=2' },
    { method: 'GET', path: '/search?q=shoes&page=x' },
    { method: 'GET', path: '/odd' },
    { method: 'GET', path: '/errors' },
    { method: 'GET', path: '/echo?q=' },
    { method: 'GET', path: '/echo?q=hi' },
  ];
  const run = async (nodeArgs, env) => {
    const app = await startApp('test/apps/validated/app.js', { nodeArgs, env });
    try {
      const out = [];
      for (const step of steps) {
        const body = step.body ? JSON.stringify(step.body) : undefined;
        const r = await request(app.port, { method: step.method, path: step.path, headers: body ? { 'content-type': 'application/json' } : {}, body });
        out.push({ status: r.status, body: r.status === 302 ? { location: r.headers.location, thread: Number(r.headers['x-thread']) } : JSON.parse(r.body.toString()) });
      }
      return { out, stderr: app.output().stderr };
    } finally {
      await app.stop();
    }
  };
  const plain = await run([], {});
  const moved = await run(HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' });
  const same = (r) => ({ status: r.status, body: { ...r.body, thread: 0 } });
  t.same(moved.out.map(same), plain.out.map(same), 'the same answers: errors, normalised data, optional fields');
  t.same(plain.out.map((r) => r.status), [400, 201, 422, 200, 422, 200, 200, 200, 200]);
  t.same(plain.out.slice(7).map((r) => r.body.errors), [1, 0]);
  t.ok(moved.out.slice(7).every((r) => r.body.thread !== 0), '`req[where]`: the whole request travelled, the validation contexts with it');
  t.same(plain.out[1].body.data, { name: 'Ann', email: 'ann@example.com' }, "matchedData: the sanitizers' values");
  t.ok(moved.out.slice(0, 5).every((r) => r.body.thread !== 0), 'signup and search ran on a worker (they gave `req` to express-validator: they stayed on the main loop)');
  t.same(moved.out[6].body, { errorsSeen: 0 }, "no error handler ran: `return res.status(201).json(…)` resolved to the main loop's response (it rejected: the worker's could not travel back, and express 5 called the error handler after the answer)");
  t.equal(moved.out[5].body.thread, 0, 'an async handler resolving to a value that cannot travel back (a function) ran again on the main loop');
  t.notMatch(moved.stderr, /ERR_HTTP_HEADERS_SENT/);
});

t.test("a request field whose methods a handler only calls, as statements (pino-http's req.log, the app's req.audit): the calls are recorded on the worker and made on the main loop, in order", async (t) => {
  const paths = ['/work?n=5', '/steps', '/level', '/child', '/callback', '/refused', '/trail', '/save', '/flashed', '/flashed', '/account', '/account?guest=1', '/account?member=1', '/profile', '/profile?email=grace@example.com', '/login', '/me', '/logout', '/me', '/cookie', '/remember', '/cookie', '/account?print=1', '/account?member=1&rename=1', '/session', '/counted', '/counted', '/counted-callback', '/counted-callback', '/counted-named', '/counted-declared', '/counted-named', '/stringified'];
  const run = async (nodeArgs, env) => {
    const app = await startApp('test/apps/logged/app.js', { nodeArgs, env });
    try {
      const out = [];
      let cookie = '';
      for (const p of paths) {
        const r = await request(app.port, { path: p, headers: cookie ? { cookie } : {} });
        if (r.headers['set-cookie']) cookie = r.headers['set-cookie'][0].split(';')[0];
        out.push({ status: r.status, body: r.status === 302 ? { location: r.headers.location, thread: Number(r.headers['x-thread']) } : JSON.parse(r.body.toString()) });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      // pino's lines, without what differs from run to run (the client's port, the worker's frames under an Error's stack)
      const lines = app
        .output()
        .stdout.split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .map(({ req, err, ...rest }) => ({ ...rest, id: req.id, url: req.url, ...(err ? { err: [err.type, err.message, err.stack.split('\n')[1].trim().replace(/:\d+\)$/, ')')] } : {}) }));
      return { out, lines, stderr: app.output().stderr };
    } finally {
      await app.stop();
    }
  };
  const plain = await run([], {});
  const moved = await run(HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' });
  const same = (r) => ({ status: r.status, body: { ...r.body, thread: 0 } });
  t.same(moved.out.map(same), plain.out.map(same), 'the same answers');
  t.match(plain.out.slice(7), [
    { status: 302, body: { location: '/flashed' } },
    { status: 200, body: { info: [/^saved \d+$/], warning: ['twice'] } },
    { status: 200, body: { info: [], warning: [] } },
  ], "connect-flash: the messages in express-session's session, read once");
  t.not(moved.out[7].body.thread, 0, '`req.flash(type, message)` as statements: moved');
  t.equal(moved.out[8].body.thread, 0, '`req.flash(type)` read: the main loop');
  t.same(moved.lines, plain.lines, 'the same log lines, in the same order, with the same bindings (the request pino-http bound) and the Error as pino serialises it');
  t.same(
    plain.lines.map((l) => l.msg),
    ['worked', 'first', 'second', 'third', 'from a child'],
  );
  t.equal(plain.lines[2].err[0], 'Error');
  t.match(plain.lines[2].err[2], /^at .*logged[\\/]app\.js:\d+/, "the Error's first frame: the handler's line, on the worker as here");
  t.same(plain.out[5], { status: 500, body: { error: 'audit refused refused' } }, "a recorded call that throws here: Express's error handler");
  t.same(plain.out[6].body.trail, [`steps ${moved.out[6].body.trail[0].slice(6)}`, 'callback'], "the app's own trail: one, in module memory");
  t.not(moved.out[0].body.thread, 0, '`req.log.info(…)` after the work: moved');
  t.not(moved.out[1].body.thread, 0, 'calls before and after the response calls, an Error argument: moved');
  t.same(plain.out[2].body.level, 'info');
  t.not(moved.out[2].body.thread, 0, "`req.log.level` read: pino's logger travels as its data and what its getters compute (`level`, on its prototype): moved");
  t.same(plain.out.slice(10, 12).map(same).map((r) => r.body), [{ name: 'Ada Lovelace', first: 'Ada', thread: 0 }, { name: 'guest', first: null, thread: 0 }]);
  t.not(moved.out[10].body.thread, 0, "an app model's getter (`fullName`) read on a worker: moved, with its value");
  t.equal(moved.out[11].body.thread, 0, 'a model one of whose getters computes another model (not data): the main loop');
  t.same(plain.out[12].body.account, { member: 'Grace Hopper' });
  t.not(moved.out[12].body.thread, 0, 'a model whose class defines toJSON, printed: moved, its copy prints what its toJSON printed here');
  t.match(plain.out.slice(13).map((r) => r.body), [{ email: 'ada@example.com', nick: /^ada\d+$/, sets: 0 }, { email: 'grace@example.com', sets: 1 }]);
  t.not(moved.out[13].body.thread, 0, 'a model changed by a middleware on a worker: its fields merged into the real one, its setter not called for the value its getter gave');
  t.same(plain.out.slice(15, 19).map(same).map((r) => r.body), [{ user: 'ada', thread: 0 }, { user: 'ada', role: 'admin', thread: 0 }, { user: null, thread: 0 }, { user: null, role: null, thread: 0 }]);
  t.ok(moved.out.slice(15, 19).every((r) => r.body.thread !== 0), 'login, logout (`delete req.session.role`) and the reads after them: moved, and the deletion reached the real session');
  t.same(plain.out.slice(19, 22).map(same).map((r) => r.body), [{ seconds: 0, thread: 0 }, { seconds: 60, thread: 0 }, { seconds: 60, thread: 0 }], "express-session's cookie: no maxAge, then one set by the handler");
  t.ok(moved.out.slice(19, 22).every((r) => r.body.thread !== 0), '`req.session.cookie.maxAge = …` (an instance inside the session, a Cookie) on a worker: it reads it there, and its setter gets the change here');
  t.same(plain.out[22].body, { account: { first: 'Ada', last: 'Lovelace' }, keys: ['first', 'last'], thread: 0 }, "a model printed: its own fields, not its getters'");
  t.not(moved.out[22].body.thread, 0, 'moved: its copy has what the getters computed as fields that are not enumerable');
  t.same(plain.out[23].body.account, { member: 'Amazing Hopper' });
  t.equal(moved.out[23].body.thread, 0, 'a model that prints with its toJSON, changed before it is printed: ran again on the main loop');
  t.same(plain.out[24].body.session, { cookie: { originalMaxAge: 60000, expires: 'set', httpOnly: true, path: '/' }, flash: {}, user: null }, "the session printed, its Cookie as Cookie's toJSON prints it");
  t.not(moved.out[24].body.thread, 0, 'moved');
  t.same(plain.out.slice(25, 27).map((r) => r.body), [{ account: { member: 'G1 Hopper' }, printed: 1, thread: 0 }, { account: { member: 'G2 Hopper' }, printed: 2, thread: 0 }], 'a stateful handler changing a model with toJSON, then printing it');
  t.ok(moved.out.slice(25, 27).every((r) => r.body.thread === 0), 'it stays on the main loop (its message could not run again there)');
  t.same(plain.out[32].body, { account: { member: 'Amazing Hopper' }, thread: 0 });
  t.equal(moved.out[32].status, 200, "such a model printed by the app's own JSON.stringify after a change: no error reaches the app");
  t.equal(moved.out[32].body.thread, 0, 'the message ran again on the main loop');
  t.same(plain.out.slice(29, 32).map((r) => r.body), [{ named: 1, thread: 0 }, { named: 2, thread: 0 }, { named: 3, thread: 0 }]);
  t.ok(moved.out.slice(29, 32).every((r) => r.status === 200 && r.body.thread === 0), 'the same, the callback passed by its name (an arrow in a const, a function declared there): the main loop from the start (before: the call threw on the worker, 500)');
  t.same(plain.out.slice(27, 29).map((r) => r.body), [{ callbacks: 1, thread: 0 }, { callbacks: 2, thread: 0 }]);
  t.ok(moved.out.slice(27, 29).every((r) => r.status === 200 && r.body.thread === 0), 'a stateful handler handing a recorded field a callback it writes there: the main loop from the start (before: the call threw on the worker)');
  t.equal(moved.out[3].body.thread, 0, '`req.log.child(…)` used: the main loop');
  t.equal(moved.out[4].body.thread, 0, 'a callback among the arguments: the message ran again on the main loop');
  t.match(moved.stderr, /req\.audit\.recordThen\(\)'s argument 2 cannot travel to another event loop \(a callback\)/);
});

t.test("a file that keeps state and exports pure helpers: the handlers calling only the helpers move, those reaching its store (or another file's) stay, and the store stays one", async (t) => {
  const app = await startApp('test/apps/modules/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '2', DEBUG: 'fluxion:placement' } });
  try {
    const get = async (p) => JSON.parse((await request(app.port, { path: p })).body.toString());
    const price = await get('/service/price?amount=10');
    t.same({ ...price, thread: 0 }, { price: 12, version: 'v1', thread: 0 }, 'service.priceWithTax (through the file\'s own functions) and a literal export');
    t.not(price.thread, 0, 'moved: it reaches none of service.js\'s state');
    const slug = await get('/service/slug?s=Hello%20World');
    t.same({ ...slug, thread: 0 }, { slug: 'hello-world', thread: 0 });
    t.not(slug.thread, 0, 'a helper required by name (`require(\'./service\').slug`): moved');
    const placed = await Promise.all([5, 10, 20, 40].map((amount) => get(`/service/place?amount=${amount}`)));
    t.same(placed.map((r) => r.n).sort(), [1, 2, 3, 4], 'one store of orders: 1..4');
    t.ok(placed.every((r) => r.thread === 0), 'a handler calling service.place (and service.slug) stays on the main loop');
    const lastAmount = [5, 10, 20, 40][placed.findIndex((r) => r.n === 4)];
    const last = await get('/service/last');
    t.same({ ...last, thread: 0 }, { total: { 5: 6, 10: 12, 20: 24, 40: 48 }[lastAmount], count: 4, thread: 0 }, "exports only reading the store (through the file's own function too): the main loop's store, as it is");
    t.not(last.thread, 0, 'moved, with a copy of `orders`');
    await get('/service/place?amount=100');
    const after = await get('/service/last');
    t.same({ ...after, thread: 0 }, { total: 120, count: 5, thread: 0 }, 'the copy follows a change');
    t.not(after.thread, 0);
    t.same(await get('/service/stored'), { n: 0, thread: 0 }, "a helper of service.js reaching store.js's state stays");
    t.same(await get('/service/any?fn=count'), { value: 5, thread: 0 }, 'the file reached by a computed key: the whole file counts');
    t.same(await get('/billing/format?n=7'), { number: 'INV-0007', thread: 0 }, 'a pure helper of a file requiring one whose top level starts a timer: a worker must not load that file');
    // a service that is a class's one instance (`module.exports = new AccountService()`)
    const opened = [];
    for (const name of ['Ann', 'Bob']) opened.push(await get(`/accounts/open?name=${name}`));
    t.same(opened, [{ account: { id: 1, handle: '@ann' }, thread: 0 }, { account: { id: 2, handle: '@bob' }, thread: 0 }], 'open (writes its fields) stays');
    t.same(await get('/accounts/get?id=2'), { account: { id: 2, handle: '@bob' }, thread: 0 }, 'get (reads them) stays, and reads the one instance');
    const hash = await get('/accounts/hash?password=pw');
    t.same({ ...hash, thread: 0 }, { hash: '4d6cac90', thread: 0 }, 'hash (uses no field)');
    t.not(hash.thread, 0, 'moved');
    const fingerprint = await get('/accounts/fingerprint?name=Ann');
    t.match(fingerprint, { fingerprint: /^@ann:[0-9a-f]+$/ }, 'fingerprint (calls handle and hash on `this`)');
    t.not(fingerprint.thread, 0, 'moved');
    t.same(await get('/accounts/get?id=1'), { account: { id: 1, handle: '@ann' }, thread: 0 }, "the worker's copy of the instance left the main loop's alone");
  } finally {
    await app.stop();
  }
  t.match(app.output().stderr, /placeRoute \(test\/apps\/modules\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/modules\/service\.js, which keeps `orders` in its module memory/);
  t.match(app.output().stderr, /storedRoute \(test\/apps\/modules\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/modules\/store\.js, which keeps `items` in its module memory/);
  t.match(app.output().stderr, /invoiceNumberRoute \(test\/apps\/modules\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/modules\/billing\.js, which requires test\/apps\/modules\/audit\.js, whose top level registers a callback \(`setInterval`, line 7\): a worker's copy of it would too/);
  t.match(app.output().stderr, /openRoute \(test\/apps\/modules\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/modules\/accounts\.js, which keeps objects it made at load time in its module memory/);
});

t.test("a file whose state other files' handlers only read: they move with a copy of it, sent again after each change (a write, an async one after its await, a clear); handlers changing it, or handing it a callback, stay", async (t) => {
  const app = await startApp('test/apps/readers/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '2', DEBUG: 'fluxion:placement' } });
  try {
    const call = async (method, p, body) => {
      const r = await request(app.port, { method, path: p, headers: body ? { 'content-type': 'application/json' } : {}, body: body && JSON.stringify(body) });
      return JSON.parse(r.body.toString());
    };
    const report = async () => call('GET', '/report');
    const without = ({ thread, ...rest }) => rest;
    const first = await report();
    t.same(without(first), { count: 0, words: 0, titles: [] });
    t.not(first.thread, 0, 'moved: it calls exports that only read posts.js');
    t.equal((await call('POST', '/posts', { title: 'hello world', tags: ['b', 'a'] })).thread, 0, 'a writer stays');
    const reports = await Promise.all(Array.from({ length: 6 }, report));
    t.same(reports.map(without), Array(6).fill({ count: 1, words: 2, titles: ['hello world'] }), 'every worker reads the change');
    t.ok(reports.every((r) => r.thread !== 0));
    const tags = await call('GET', '/tags');
    t.same(tags.tags, [{ tag: 'a', posts: 1 }, { tag: 'b', posts: 1 }], 'a Map of the state, copied');
    t.not(tags.thread, 0);
    const found = await call('GET', '/posts/1');
    t.same(found.post, { id: 1, title: 'hello world', tags: ['b', 'a'] });
    t.not(found.thread, 0);
    // an async writer: the state changes after its await; meanwhile readers read it as it is
    const later = call('POST', '/posts/later', { title: 'one two three' });
    await new Promise((resolve) => setTimeout(resolve, 15));
    t.same(without(await report()), { count: 1, words: 2, titles: ['hello world'] }, 'before the write, as plain node reads it');
    t.equal((await later).post.id, 2);
    t.same(without(await report()), { count: 2, words: 5, titles: ['hello world', 'one two three'] }, 'after the await: the change is read');
    t.same((await call('GET', '/posts/2')).post, { id: 2, title: 'one two three', tags: [] });
    t.equal((await call('DELETE', '/posts')).thread, 0);
    const cleared = await Promise.all(Array.from({ length: 4 }, report));
    t.same(cleared.map(without), Array(4).fill({ count: 0, words: 0, titles: [] }), 'cleared: the array and the Map emptied in place');
    t.same((await call('GET', '/tags')).tags, []);
    t.same(await call('GET', '/each'), { ids: [], thread: 0 }, 'an export calling a callback it is handed: stays');
    t.same([await call('GET', '/visits'), await call('GET', '/visits')], [{ seen: 1, thread: 0 }, { seen: 2, thread: 0 }], 'an export that looks but counts: stays, one count');
  } finally {
    await app.stop();
  }
  const err = app.output().stderr;
  t.match(err, /reportRoute \(test\/apps\/readers\/app\.js:\d+\) runs on the workers now/);
  t.match(err, /addRoute \(test\/apps\/readers\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/readers\/posts\.js, which keeps `posts`, `byTag`, `nextId` in its module memory/);
  t.match(err, /eachRoute \(test\/apps\/readers\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/readers\/posts\.js/);
  t.match(err, /visitsRoute \(test\/apps\/readers\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/readers\/visits\.js, which keeps `seen`/);
});

t.test("auto: a hot reader of another file's state moves, and comes back for good when that file changes before nearly every read (the copies cost more than the work)", async (t) => {
  const app = await startApp('test/apps/readers/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'auto', FLUXION_HOT_MS: '0.2', FLUXION_THREADS: '2', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  const back = /reportRoute \(test\/apps\/readers\/app\.js:\d+\): the state it reads costs [\d.]+ ms a message to copy to the workers, more than the [\d.]+ ms of work it moved; back on the main loop for good/;
  try {
    const call = async (method, p) => JSON.parse((await request(app.port, { method, path: p })).body.toString());
    await call('POST', '/bulk?n=20000');
    // read-mostly: it gets hot and moves, its copy going once to each worker
    const threads = new Set();
    for (let i = 0; i < 80 && !threads.has(1) && !threads.has(2); i++) threads.add((await call('GET', '/report')).thread);
    t.ok(threads.has(1) || threads.has(2), 'hot, it moved');
    t.notMatch(app.output().stderr, back, 'while nothing writes, it stays there');
    // now a write before every read (bounded: 200 rounds)
    let last;
    for (let i = 0; i < 200 && !back.test(app.output().stderr); i++) {
      await call('POST', '/bulk?n=1');
      last = await call('GET', '/report');
    }
    t.match(app.output().stderr, back);
    const after = await call('GET', '/report');
    t.equal(after.thread, 0, 'on the main loop now');
    t.equal(after.count, last.count, 'reading the one state');
  } finally {
    await app.stop();
  }
});

t.test("async handlers wrapped so that a rejection reaches next(err) (express-async-handler, the app's own catchAsync): the wrapped function moves, the wrapper stays, the answers are the same", async (t) => {
  const paths = ['/pkg/3', '/pkg-fail', '/own/4', '/own-fail', '/rest/5', '/rest/skip', '/page?name=ann'];
  const answers = async (app) => {
    const out = [];
    for (const p of paths) {
      const r = await request(app.port, { path: p });
      out.push({ status: r.status, log: r.headers['x-log'], body: r.body.toString() });
    }
    return out;
  };
  const plain = await startApp('test/apps/wrapped/app.js');
  let expected;
  try {
    expected = await answers(plain);
  } finally {
    await plain.stop();
  }
  t.same(expected.map((a) => a.status), [200, 418, 200, 410, 200, 200, 200]);
  const report = path.join(tmp, 'wrapped.json');
  const app = await startApp('test/apps/wrapped/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_REPORT: report } });
  let got;
  try {
    got = await answers(app);
  } finally {
    await app.stop();
  }
  const threads = got.map((a) => (a.body.startsWith('{') ? JSON.parse(a.body).thread : 0));
  const same = (a) => ({ ...a, body: a.body.replace(/"thread":\d+/, '"thread":0') });
  t.same(got.map(same), expected, 'status, the logger\'s header and body as without fluxion (but the thread)');
  t.ok(threads.slice(0, 6).every((n) => n !== 0), `the wrapped handlers, and their errors, ran on a worker (threads ${threads})`);
  const fluxions = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
  const byLine = (file, line) => fluxions.find((f) => f.file.endsWith(file) && f.line === line);
  t.match(byLine('app.js', 26), { id: 'ownRoute', placement: 'replicated', workerMessages: 1 }, "catchAsync's function, seen through its closure at run time");
  t.match(byLine('app.js', 33), { id: 'restRoute', placement: 'replicated', workerMessages: 2 }, 'through `(...args) => handler(...args)`');
  t.equal(byLine('wrap.js', 3), undefined, 'the wrapper itself is no fluxion');
  t.notOk(fluxions.some((f) => f.id === 'format' || f.id === 'render'), 'a function called with arguments of its own, or whose result a synchronous wrapper uses, is not taken for a handler');
});

t.test('an AsyncLocalStorage a preload made before fluxion/register loaded: the code running inside its store stays on the main loop, with a warning; loaded after it, its store travels', async (t) => {
  const early = path.join('test', 'apps', 'contexts', 'node_modules', 'early', 'index.js');
  const get = async (app) => JSON.parse((await request(app.port, { path: '/early/who', headers: { 'x-who': 'ann' } })).body.toString());
  const before = await startApp('test/apps/contexts/app.js', { nodeArgs: ['-r', `./${early}`, ...HOOK], env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  try {
    for (let i = 0; i < 3; i++) t.same(await get(before), { who: 'ann', thread: 0 }, 'answered as without fluxion, on the main loop');
    t.match(before.output().stderr, /fluxion: warning: an AsyncLocalStorage made before fluxion\/register was loaded \(by a preload that comes before it\) holds the request's context: the code that runs inside it stays on the main loop; load fluxion\/register first/);
  } finally {
    await before.stop();
  }
  const after = await startApp('test/apps/contexts/app.js', { nodeArgs: [...HOOK, '-r', `./${early}`], env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  try {
    const who = await get(after);
    t.same({ ...who, thread: 0 }, { who: 'ann', thread: 0 });
    t.not(who.thread, 0, 'on a worker');
    t.notMatch(after.output().stderr, /warning/);
  } finally {
    await after.stop();
  }
});

t.test('packages and app files the start-up code connects or initialises keep the code calling into them on the main loop; packages it configures are configured again on a worker', async (t) => {
  // (one worker: its first unit brings the configurations to make again, and the request it carries runs on the main loop)
  const app = await startApp('test/apps/connects/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  try {
    const get = async (p) => {
      const r = await request(app.port, { path: p });
      return { status: r.status, ...JSON.parse(r.body.toString()) };
    };
    t.same(await get('/users?name=ann'), { status: 200, users: [{ model: 'User', query: { name: 'ann' } }], thread: 0 }, "a model of a package app.js connects (`await db.connect()` in main()): a worker's copy would wait for a connection forever");
    t.same(await get('/greeting'), { status: 200, greeting: 'hello', thread: 0 }, "a package's client an app file exports, connected by app.js at start-up (`await cache.connect()`): a worker's copy would throw");
    t.same(await get('/mail?to=bob'), { status: 200, mail: { from: 'app@example.test', to: 'bob' }, thread: 0 }, "an app file's object app.js initialises at start-up (`mailer.init({…})`)");
    // the worker's first unit brings the configurations to make again, and one throws there (`theme.configure(…)`): that
    // request runs on the main loop, and so does every message the worker gets before the main loop has kept the
    // code calling into that package at home (a `/paint` built there meanwhile would answer `x`, unconfigured)
    const first = await Promise.all(['/pure?text=hi', '/paint?text=x', '/paint?text=x', '/paint?text=x'].map(get));
    t.same(first, [{ status: 200, upper: 'HI', thread: 0 }, ...Array(3).fill({ status: 200, text: '<blue>x</blue>', thread: 0 })], 'every request answered as without fluxion, on the main loop');
    const pure = await get('/pure?text=hi');
    t.equal(pure.upper, 'HI');
    t.not(pure.thread, 0, 'and code calling into none of them moves: the failure was not its own');
    const formatted = await get('/format?text=hi');
    t.same({ ...formatted, thread: 0 }, { status: 200, text: '> HI!', thread: 0 }, "a package app.js configures at its top level (`fmt.extend(exclaim)`, `fmt.setOptions({…})`, `fmt.defaults.prefix = …`): configured again on the worker, before the code");
    t.not(formatted.thread, 0, 'which moved');
    const tagged = await get('/tag?text=x');
    t.same({ ...tagged, thread: 0 }, { status: 200, text: '[app]x', thread: 0 }, 'a package another file (not the entry, doing nothing else at load) configures: the worker loads that file first, once');
    t.not(tagged.thread, 0, 'and the code not requiring that file moves');
    t.same(await get('/prefix?text=x'), { status: 200, text: '>> x', thread: 0 }, 'a package configured by a file that also starts a timer at load: a worker must not load it, the code stays');
    const through = await get('/tag-through?text=x');
    t.same({ ...through, thread: 0 }, { status: 200, text: '[app]x', thread: 0 }, 'code requiring it moves: its top level configures the package on the worker too, once');
    t.not(through.thread, 0);
    t.same(await get('/jobs'), { status: 200, jobs: 1, thread: 0 }, 'a package app.js calls in a way a worker must not do again (`scheduler.every(…)`): the code calling into it stays');
    for (let i = 0; i < 2; i++) t.same(await get('/paint?text=x'), { status: 200, text: '<blue>x</blue>', thread: 0 }, 'the code calling into the package whose configuration failed on the worker stays on the main loop (moved at start, it came back): configured as the app configured it');
    const err = app.output().stderr;
    t.match(err, /usersRoute \(test\/apps\/connects\/app\.js:\d+\) stays on the main loop: it calls into the package `minidb` \(through test\/apps\/connects\/models\/user\.js\), which test\/apps\/connects\/app\.js connects or initialises \(`db\.connect\(\)`\) at start-up/);
    t.match(err, /greetingRoute .* stays on the main loop: it calls into test\/apps\/connects\/cache\.js, whose exports test\/apps\/connects\/app\.js connects or initialises at start-up \(`cache\.connect\(\)`\)/);
    t.match(err, /jobsRoute .* stays on the main loop: it calls into the package `cronlib`, which test\/apps\/connects\/app\.js configures at start-up \(`scheduler\.every\(60000, function tick\(\) \{ [^`]*…`\): another event loop's copy would not be, and cannot be configured so there/);
    t.match(err, /prefixRoute .* stays on the main loop: it calls into the package `prefixer`, which test\/apps\/connects\/boot\.js configures at start-up \(`require\('prefixer'\)\.set\('>> '\);`\)/);
    t.match(err, /mailRoute .* stays on the main loop: it calls into test\/apps\/connects\/mailer\.js, whose exports test\/apps\/connects\/app\.js connects or initialises at start-up \(`mailer\.init\(\{ from: 'app@example\.test' \}\)`\)/);
    t.match(err, /fluxion: warning: test\/apps\/connects\/app\.js: `theme\.configure\(\{ color: 'blue' \}\);` could not be done again on a worker \(themelib: configure\(\) needs the main thread\): the code calling into that package stays on the main loop/, 'one warning names the file, the statement and what it threw');
    t.match(err, /paintRoute \(test\/apps\/connects\/app\.js:\d+\) stays on the main loop: it calls into the package `themelib`, which test\/apps\/connects\/app\.js configures at start-up \(`theme\.configure\(\{ color: 'blue' \}\);`\): a worker's copy could not be configured so \(themelib: configure\(\) needs the main thread\)/);
  } finally {
    await app.stop();
  }
});

t.test('a callback holding res and next that returns without calling either is answered: its worker is not held (one slot, FLUXION_MAX_IN_FLIGHT=1)', async (t) => {
  const app = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_MAX_IN_FLIGHT: '1', FLUXION_DISABLE_CACHE: '1' } });
  try {
    for (let i = 0; i < 3; i++) {
      const file = await request(app.port, { path: '/file/problems.js' });
      t.equal(file.status, 200, 'the file was sent, and its callback, on the worker, returned');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const work = JSON.parse((await request(app.port, { path: '/work/3' })).body.toString());
    t.not(work.thread, 0, "the worker's one slot is free: the next message went there (it ran on the main loop while the callback's message was never answered)");
  } finally {
    await app.stop();
  }
});

t.test("another file's objects changed through what it hands out (`const todo = data.find(id); todo.done = true`): the code calling into that file stays on the main loop, every request sees the change", async (t) => {
  const app = await startApp('test/apps/alias/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '2', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  try {
    const get = async (p) => JSON.parse((await request(app.port, { path: p })).body.toString());
    t.same(await get('/done/1'), { todo: { id: 1, title: 'write the tests', done: true, tags: [] }, thread: 0 });
    t.same(await get('/tag/2/urgent'), { thread: 0 });
    t.same(await get('/add/deploy'), { count: 3, thread: 0 }, 'through a module variable holding its array (`var list = data.todos`): not this file\'s state, data.js\'s');
    // (at once: two workers would each answer from a copy of their own, as they did before)
    const lists = await Promise.all(Array.from({ length: 6 }, () => get('/todos')));
    const expected = { todos: [{ id: 1, title: 'write the tests', done: true, tags: [] }, { id: 2, title: 'ship', done: false, tags: ['urgent'] }, { id: 3, title: 'deploy', done: false, tags: [] }], thread: 0 };
    t.same(lists, Array(6).fill(expected), "every request reads the file's one copy, changed");
    const upper = await get('/upper/hi');
    t.equal(upper.text, 'HI');
    t.not(upper.thread, 0, 'code calling into none of it moves');
    const err = app.output().stderr;
    t.match(err, /done \(test\/apps\/alias\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/alias\/data\.js, whose exports test\/apps\/alias\/app\.js writes after start-up \(`todo\.done = true`\): one copy for every request/);
    t.match(err, /list \(test\/apps\/alias\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/alias\/data\.js/, 'and the code only reading it');
  } finally {
    await app.stop();
  }
});

t.test('another file\'s objects changed at start-up through what it hands out (`data.find(1).done = true` at the top level): a worker\'s copy of the file gets all of its data as start-up left it', async (t) => {
  const app = await startApp('test/apps/alias/seeded.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '1' } });
  try {
    for (let i = 0; i < 2; i++) {
      const body = JSON.parse((await request(app.port, { path: '/todos' })).body.toString());
      t.same({ ...body, thread: 0 }, { todos: [{ id: 1, title: 'write the tests', done: true, tags: [] }, { id: 2, title: 'ship', done: false, tags: [] }], thread: 0 }, 'the change made at start-up (before: a worker read its unchanged copy)');
      t.not(body.thread, 0, 'on a worker');
    }
    const found = JSON.parse((await request(app.port, { path: '/find/1' })).body.toString());
    t.same({ ...found, thread: 0 }, { todo: { id: 1, title: 'write the tests', done: true, tags: [] }, thread: 0 }, "the file's own function there reads its copy's array, filled in place");
    t.not(found.thread, 0);
  } finally {
    await app.stop();
  }
});

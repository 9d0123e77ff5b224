'use strict';
// Fluxions on worker threads (FLUXION_PLACEMENT=isolate and the JIT in auto), express_dispatcher, faults; more in
// workers.test.js.
// Offload is proven by the thread id the work reports (0 is the main thread), never by a log line.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, serve, session, startApp, request, withExpress, fluxion } = require('./helpers/processes');

const HOOK = ['-r', 'fluxion/register'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-placement-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const STEPS = [
  { path: '/work/3' },
  { path: '/skip/2' },
  { path: '/skip/9' },
  { method: 'POST', path: '/echo', body: 'shout' },
  { path: '/fail' },
  { path: '/throw' },
  { path: '/socket' },
  { path: '/helper' },
  { path: '/async' },
  { path: '/costly' },
  { path: '/cheap/7' },
  { path: '/costly-reads' },
  { path: '/timer' },
  {
    method: 'POST',
    path: '/negotiate',
    body: '{"a":1}',
    headers: { 'content-type': 'application/json', accept: 'text/html;q=0.5, application/json', 'accept-encoding': 'br, gzip', range: 'bytes=0-9' },
  },
  { path: '/headers/1' },
  { path: '/format', headers: { accept: 'application/json' } },
  { path: '/app-env' },
  { path: '/app-env-renamed' },
  { path: '/points' },
  { path: '/locals' },
  { path: '/throw-arrow' },
  { path: '/collect/a' },
  { path: '/collect/b' },
  { path: '/super' },
  { path: '/echo-args' },
  { path: '/hash/abc' },
  { path: '/object-count' },
  { path: '/object-count' },
  { path: '/bad-header' },
  { path: '/piped' },
  { path: '/piped-late' },
  { path: '/shout' },
  { path: '/whisper' },
  { path: '/forbidden' },
  { path: '/file/missing.txt' },
  { path: '/teapot' },
  { path: '/account/0/rename/zed' },
  { path: '/account/0' },
  { path: '/missing/7' },
  { path: '/gone/3' },
];
/** The part of a response that must not depend on where it ran. */
const portable = (r) => ({ status: r.status, type: r.type, body: r.body.replace(/("thread":\s*|"parsedOn":\s*|"setOn":\s*|on )\d+/g, '$1N') });

for (const [version, alias] of [
  ['express 5', null],
  ['express 4', 'express4'],
  ['express 3', 'express3'],
]) {
  t.test(`${version}: isolate runs handlers, middleware callbacks and error handlers on workers, with the same responses`, async (t) => {
    const app = alias ? withExpress('threads', alias) : 'test/apps/threads/app.js';
    const plain = await session(app, [], {}, STEPS);
    const report = path.join(tmp, `threads-${alias || 'express5'}.json`);
    const isolated = await session(app, HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_REPORT: report }, STEPS);
    t.same(isolated.map(portable), plain.map(portable), 'same status, type and body');
    const gone = isolated[STEPS.length - 1];
    t.equal(gone.status, 410, "next(new GoneError()), a class of the app's file it does not export: `err instanceof GoneError` held too");
    t.match(JSON.parse(gone.body), { gone: /^item 3 \(on [1-9]\d*\) is gone$/, instance: true });
    const missing = isolated[STEPS.length - 2];
    t.equal(missing.status, 404, "next(new NotFoundError()) on a worker: the error handler's `err instanceof NotFoundError` held (a 500 before)");
    t.match(JSON.parse(missing.body), { missing: /^item 7 \(on [1-9]\d*\) not found$/, instance: true });
    const json = (i, r) => JSON.parse(r[i].body);
    t.equal(json(0, plain).thread, 0, 'plain: the main thread');
    t.not(json(0, isolated).thread, 0, 'the handler ran on a worker');
    t.not(json(0, isolated).parsedOn, 0, "getRawBody's callback ran on a worker: req.text and next() came back");
    t.equal(isolated[0].thread, String(json(0, isolated).thread), 'res.set() made on the worker reached the client');
    t.match(isolated[2].body, /^big on [1-9]\d*$/, "next('route') from a worker reached the next route");
    t.same(JSON.parse(isolated[4].body), { error: 'failed on purpose', name: 'Error', code: 'E_TEAPOT', thread: json(4, isolated).thread });
    t.equal(isolated[4].status, 418, 'next(err) with its status and code reached the error handler');
    t.equal(isolated[5].status, 500);
    t.match(JSON.parse(isolated[5].body), { error: 'thrown on purpose', name: 'TypeError', code: 'E_PURPOSE' }, 'a throw on a worker reached the error handler');
    t.equal(isolated[6].body, 'socket open on 0', 'the handler that touches res.socket stayed on the main loop');
    t.equal(isolated[7].body, 'a helper function on 0', 'a message that cannot travel ran on the main loop');
    const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
    const byId = (id) => observed.find((f) => f.id === id);
    t.match(byId('workRoute'), { placement: 'replicated', messages: 1, workerMessages: 1 });
    t.match(byId('socketRoute'), { placement: 'main', workerMessages: 0 });
    t.match(byId('describe'), { placement: 'replicated', workerMessages: 0 }, 'placed, but its message deoptimised');
    t.match(JSON.parse(isolated[9].body), { costly: 'costly GET' }, "a getter of the app's request prototype, read on a worker");
    t.not(json(9, isolated).thread, 0);
    t.not(json(10, isolated).thread, 0);
    t.same(JSON.parse(isolated[11].body), { reads: 1, thread: 0 }, 'computed for the fluxion that reads it only (the snapshot carries the fields the code uses)');
    t.not(json(12, isolated).thread, 0, 'a handler with an empty nested callback runs on a worker');
    t.not(json(13, isolated).thread, 0, "req.is, req.accepts, req.range: express's own methods ran on a worker");
    const at = (p) => STEPS.findIndex((s) => s.path === p);
    t.equal(isolated[at('/piped')].body, 'abc on 0', '`readable.pipe(res.type(…))`: the response handed on as a stream, seen in the text, stays');
    t.equal(isolated[at('/piped-late')].body, 'abc on 0', 'handed on through a variable: the stream listened on it on the worker, and the message ran again here');
    t.match(byId('pipedLate'), { placement: 'main', messages: 1, workerMessages: 0 }, 'and stays here');
    t.equal(isolated[at('/shout')].body, 'HEY', "app.response.shout(): the app's method, called on a worker, ended the response");
    t.not(isolated[at('/shout')].thread, '0');
    t.equal(isolated[at('/whisper')].status, 500);
    t.match(JSON.parse(isolated[at('/whisper')].body), { error: 'res.whisper is not a function', name: 'TypeError' }, 'a method no app defined: not a function, as without fluxion');
    t.equal(isolated[at('/forbidden')].status, 403, "http-errors' Forbidden from a worker: its status, on its class's prototype, came along (a 500 before)");
    t.match(JSON.parse(isolated[at('/forbidden')].body), { error: /^not yours \(on [1-9]\d*\)$/, name: 'ForbiddenError' });
    t.same(JSON.parse(isolated[at('/account/0')].body), { account: { name: 'zed' }, thread: 0 }, "module memory handed to req by reference (`req.account = accounts[id]`) and changed through it: changed, as on the main loop, where those functions stayed");
    t.equal(isolated[at('/teapot')].status, 418, "an error whose status is on the prototype of a class no module exports, through a worker: its status came along (a 500 before)");
    if (version !== 'express 3') {
      // (express 3's route `next` is a function of its own, which cannot travel: brew runs on the main loop there)
      t.match(byId('brew'), { workerMessages: 1 });
      // (express 3 has no res.sendFile: a TypeError, as without fluxion)
      t.equal(isolated[at('/file/missing.txt')].status, 404, "send's NotFoundError, handed to a callback on a worker and on to next(): its status came along both ways (a 500 before)");
      t.match(byId('sent'), { placement: 'replicated', workerMessages: 1 });
    }
    t.match(JSON.parse(plain[13].body), { accepts: 'json', range: [{ start: 0, end: 9 }] }, 'and answered what they answer on the main loop');
    t.not(json(14, isolated).thread, 0, 'headers set and read back on a worker');
    t.match(JSON.parse(plain[14].body), { route: '/headers/:id', type: /^text\/plain/, link: '</headers/2>; rel="next"', has: true }, '(what they read)');
    t.match(isolated[14], { status: 201 }, 'the status too');
    t.equal(json(15, isolated).thread, 0, 'res.format stayed on the main loop');
    t.match(byId('formatRoute'), { placement: 'main' });
    t.match(isolated[16].body, /^env string on [1-9]\d*$/, "req.app.get('env'): the setting travelled, the handler ran on a worker");
    t.match(byId('appEnv'), { placement: 'replicated' });
    t.equal(isolated[17].body, 'env string via object on 0', 'req.app under another name: the message ran on the main loop');
    t.match(byId('appEnvRenamed'), { placement: 'replicated', workerMessages: 0 }, 'placed, but its message deoptimised');
    t.not(json(18, isolated).thread, 0, 'res.json with instances of an app class, on a worker');
    t.same(JSON.parse(plain[18].body), { point: { point: [1, 2] }, list: [{ point: [3, 4] }], thread: 0 }, '(their toJSON)');
    t.match(JSON.parse(isolated[19].body), { user: 'ann', thread: 0 }, 'res.locals set on a worker reached the handler on the main loop');
    t.not(JSON.parse(isolated[19].body).setOn, 0, '(set on a worker)');
    t.equal(isolated[20].status, 500);
    t.match(JSON.parse(isolated[20].body), { error: /^arrow threw on [1-9]\d*$/, name: 'RangeError', code: 'E_ARROW' }, "an arrow's throw on a worker reached the error handler (it names no next)");
    t.same(isolated.slice(21, 23).map((r) => JSON.parse(r.body)), [{ n: 1, thread: 0 }, { n: 2, thread: 0 }], "a closure that pushes to the array it captured: one array, on the main loop");
    t.equal(isolated[23].body, 'hello on 0', 'a method calling super stayed on the main loop (a 500 before: a syntax error on the worker)');
    t.equal(isolated[24].body, 'args 1 on 0', "an arrow reading its outer function's arguments stayed on the main loop (they were lost)");
    t.match(json(25, plain), { hash: 304891, double: 4, shout: 'ABC!' });
    t.match(isolated[28], { status: 500 });
    t.match(json(28, isolated), { code: 'ERR_INVALID_CHAR' }, "a response call that throws in the main loop's replay reached the error handler");
    t.same([json(26, isolated), json(27, isolated)], [{ n: 1, thread: 0 }, { n: 2, thread: 0 }], 'an object whose functions write `this` holds state: one count, on the main loop');
    t.not(json(25, isolated).thread, 0, 'a handler using classes (a declaration, a `var X = class`) and a namespace of functions of its file moved: they travel as source');
  });
}

t.test('a header call after the response is sent throws on a worker as on the main loop; express\'s error path follows', async (t) => {
  const outputs = [];
  for (const nodeArgs of [[], HOOK]) {
    const app = await startApp('test/apps/threads/app.js', { nodeArgs, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
    try {
      const r = await request(app.port, { path: '/double' });
      t.equal(r.status, 400);
      await settled(app, /late header/);
      // (express's final handler prints the second send's error on the main loop after the worker's answer came; the
      // worker's console line may come first)
      for (let i = 0; i < 50 && !/ERR_HTTP_HEADERS_SENT/.test(app.output().stderr); i++) await new Promise((resolve) => setTimeout(resolve, 20));
      outputs.push({ body: r.body.toString(), ...app.output() });
    } finally {
      await app.stop();
    }
  }
  const [plain, isolated] = outputs;
  t.equal(plain.body, 'bad on 0');
  t.match(isolated.body, /^bad on [1-9]\d*$/, 'the handler ran on a worker');
  t.match(plain.stdout, /late header: ERR_HTTP_HEADERS_SENT on 0, head sent/);
  t.match(isolated.stdout, /late header: ERR_HTTP_HEADERS_SENT on [1-9]\d*, head sent/, 'res.set() after res.send() threw there, and res.headersSent said so');
  for (const { stderr } of outputs) t.match(stderr, /Error \[ERR_HTTP_HEADERS_SENT\]: Cannot set headers after they are sent to the client\n/, "the second send's throw reached express's final handler");
});

t.test('errors thrown on a worker: the frames of the app name its lines and columns as without fluxion', async (t) => {
  const requests = [{ path: '/sync' }, { path: '/async' }, { path: '/arrow' }];
  const plain = await serve('test/apps/stack/app.js', [], {}, requests);
  const isolated = await serve('test/apps/stack/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, requests);
  const appFrames = (r) => r.body.toString().split('\n').filter((line, i) => i === 0 || line.includes('test/apps/stack/app.js'));
  for (const [i, r] of plain.entries()) {
    t.equal(r.headers['x-thread'], '0');
    t.equal(isolated[i].status, 500);
    t.match(isolated[i].headers['x-thread'], /^[1-9]\d*$/, `${requests[i].path}: thrown on a worker`);
    t.same(appFrames(isolated[i]), appFrames(r), `${requests[i].path}: the same message and app frames`);
  }
  t.match(plain[2].body.toString(), /^RangeError: cannot check arrow\n {4}at checkArrow \(.*app\.js:\d+:15\)\n {4}at .*app\.js:\d+:3\n/, "(a module constant read by the helper; the arrow's frame)");
});

t.test('an exception or a rejection nothing catches, or process.exit(), in code a worker runs ends the process as on the main thread', async (t) => {
  for (const [route, code, error] of [
    ['/late-throw', 1, /^TypeError: late throw on (\d+)\n {4}at Timeout\.later \[as _onTimeout\] \(.*test\/apps\/threads\/app\.js:\d+:25\)\n[^]*code: 'E_LATE'/m],
    ['/late-reject', 1, /^RangeError: nobody handled this on (\d+)\n {4}at lateReject \(.*test\/apps\/threads\/app\.js:\d+:18\)/m],
    ['/exit?code=7', 7, null],
  ]) {
    const runs = [];
    for (const nodeArgs of [[], HOOK]) {
      const app = await startApp('test/apps/threads/app.js', { nodeArgs, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
      try {
        const exited = new Promise((resolve) => app.child.once('exit', (status) => resolve(status)));
        const r = await request(app.port, { path: route });
        const status = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 5000))]);
        runs.push({ body: r.body.toString(), status, stderr: app.output().stderr });
      } finally {
        await app.stop();
      }
    }
    const [plain, isolated] = runs;
    t.match(plain.body, /^(answered|exiting) on 0$/, `${route}: answered on the main thread without fluxion`);
    t.match(isolated.body, /^(answered|exiting) on [1-9]\d*$/, `${route}: on a worker under fluxion`);
    t.equal(plain.status, code);
    t.equal(isolated.status, code, `${route}: the process ended with ${code}, as without fluxion (the worker alone ended, or went on, before)`);
    if (error) {
      t.match(plain.stderr, error);
      t.match(isolated.stderr, error, `${route}: Node printed the error and its app frames`);
    }
  }
  // listeners of the process's events stay on the main thread: an 'exit' listener sent to a worker never ran
  const script = path.join(tmp, 'exit-listener.js');
  const marker = path.join(tmp, 'exit-marker.txt');
  fs.writeFileSync(script, `const fs = require('fs');\nfunction onExit(code) {\n  fs.writeFileSync(${JSON.stringify(marker)}, 'exit ' + code + ' on ' + require('worker_threads').threadId);\n}\nprocess.on('exit', onExit);\nprocess.once('beforeExit', function () {\n  console.log('before exit on ' + require('worker_threads').threadId);\n});\nprocess.exitCode = 5;\n`);
  const exited = spawnSync(process.execPath, [...HOOK, script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  t.equal(exited.status, 5);
  t.equal(exited.stdout, 'before exit on 0\n');
  t.equal(fs.readFileSync(marker, 'utf8'), 'exit 5 on 0', "the 'exit' listener ran, on the main thread, before the process ended");
  // the app's own 'uncaughtException' listener (on the main thread) gets it, and the app goes on
  const app = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', CATCH_UNCAUGHT: '1' } });
  try {
    t.match((await request(app.port, { path: '/late-throw' })).body.toString(), /^answered on [1-9]\d*$/);
    await settled(app, /caught on/);
    t.match(app.output().stdout, /caught on 0: TypeError late throw on [1-9]\d* true E_LATE\n/, "the listener got it on the main thread: a TypeError still, with its code");
    t.equal((await request(app.port, { path: '/late-throw' })).status, 200, 'and the app serves the next request');
  } finally {
    await app.stop();
  }
});

t.test('a request read as a stream, and an interval a route starts, stay on the main loop', async (t) => {
  const app = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_IDLE_MS: '100' } });
  try {
    const echoed = await request(app.port, { method: 'POST', path: '/echo-iter', body: 'abc def', headers: { 'content-type': 'text/plain' } });
    t.same(JSON.parse(echoed.body.toString()), { body: 'ABC DEF', thread: 0 }, '`for await (chunk of req)`: the real request (a snapshot is no stream: a 500 on the worker)');
    t.same(JSON.parse((await request(app.port, { path: '/ticker/start' })).body.toString()), { started: true, thread: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const { ticks, thread } = JSON.parse((await request(app.port, { path: '/ticker/count' })).body.toString());
    t.ok(ticks >= 5, `the interval ticked where its count is read (${ticks} ticks; on a worker, retired after 100 ms idle, it stopped and its count never came back)`);
    t.equal(thread, 0);
  } finally {
    await app.stop();
  }
  const explained = fluxion(['explain', 'test/apps/threads/app.js']).stdout;
  t.match(explained, /flx echoIter[^]*?placement: stays on the main loop: reads `req` as a stream \(`for await … of req`\)/);
  t.match(explained, /flx startTicker[^]*?placement: stays on the main loop: starts an interval \(`setInterval`\)/);
});

t.test("the response's stream state and the request's stream methods on a worker", async (t) => {
  const steps = [{ path: '/stream-state' }, { path: '/req-timeout' }, { path: '/res-fields' }];
  const plain = await serve('test/apps/threads/app.js', [], {}, steps);
  const isolated = await serve('test/apps/threads/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, steps);
  const state = (r) => ({ ...JSON.parse(r.body.toString()), thread: 0 });
  t.same(state(plain[0]), { before: { finished: false, writableEnded: false, writable: true, writableLength: 'number', chunkedEncoding: 'boolean' }, thread: 0 });
  t.not(JSON.parse(isolated[0].body.toString()).thread, 0, 'on a worker');
  t.same(state(isolated[0]), state(plain[0]), 'res.finished, writableEnded, writable, and the other fields of a response, as on the main loop (they were recorded calls: functions, truthy, and `if (!res.finished)` never answered)');
  for (const r of [plain[0], isolated[0]]) {
    t.equal(r.headers.date, undefined, 'res.sendDate = false reached the response');
    t.equal(r.statusMessage, 'Fine');
  }
  t.equal(isolated[1].status, 200, 'req.setTimeout(): a 500 on a worker, whose request has no stream');
  t.equal(JSON.parse(isolated[1].body.toString()).thread, 0, 'it stays on the main loop');
  t.same(state(plain[2]), { stampedOn: 'number', count: 1, thread: 0 });
  t.not(JSON.parse(isolated[2].body.toString()).thread, 0);
  t.same(state(isolated[2]), state(plain[2]), 'a field a middleware put on res reached the next handler (it read a recording function: `res.stampCount || 0` was that function)');
});

t.test('req.app (and res.app) read by name on a worker: settings and locals as the main loop has them, after app.set() at run time too; a route writing the app stays', async (t) => {
  const steps = [{ path: '/app-info' }, { path: '/app-retitle?title=Renamed' }, { path: '/app-info' }, { path: '/app-count' }, { path: '/app-count' }];
  for (const [version, alias] of [
    ['express 5', null],
    ['express 3', 'express3'],
  ]) {
    const app = alias ? withExpress('threads', alias) : 'test/apps/threads/app.js';
    const plain = await serve(app, [], {}, steps);
    const isolated = await serve(app, HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, steps);
    const thread = (r) => JSON.parse(r.body.toString()).thread;
    const body = (r) => ({ ...JSON.parse(r.body.toString()), thread: 0 });
    t.same(isolated.map(body), plain.map(body), `${version}: the same answers`);
    t.match(body(plain[0]), { title: 'Threads', powered: true, strict: true, brand: { name: 'fluxion', colors: ['red', 'blue'] }, resTitle: 'Threads', resBrand: 'fluxion' });
    t.equal(body(isolated[2]).title, 'Renamed', `${version}: the title app.set() changed at run time`);
    t.ok(thread(isolated[0]) !== 0 && thread(isolated[2]) !== 0, `${version}: req.app.get(), enabled(), disabled(), settings.env, locals.brand, res.app.get() and res.app.locals on a worker (req.app kept the handler on the main loop, res.app until 2026-11-27)`);
    t.same([1, 3, 4].map((i) => thread(isolated[i])), [0, 0, 0], `${version}: req.app.set() and req.app.locals.visits = … stay on the main loop`);
  }
  const explained = fluxion(['explain', 'test/apps/threads/app.js']).stdout;
  t.match(explained, /flx appRetitle[^]*?placement: stays on the main loop: touches `req\.app` \(the express app stays on the main loop; a setting read by name/);
});

t.test('require.main and process.argv on a worker are the main thread\'s (the app\'s entry), not the worker\'s own', async (t) => {
  const [plain] = await serve('test/apps/threads/app.js', [], {}, [{ path: '/main-module' }]);
  const [isolated] = await serve('test/apps/threads/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, [{ path: '/main-module' }]);
  const { thread, ...expected } = JSON.parse(plain.body.toString());
  t.equal(thread, 0);
  t.match(expected.main, /test\/apps\/threads\/app\.js$/);
  t.equal(expected.express, 'function');
  const moved = JSON.parse(isolated.body.toString());
  t.not(moved.thread, 0, 'the handler ran on a worker');
  t.same({ ...moved, thread: 0 }, { ...expected, thread: 0 }, 'require.main (filename, path, require) and process.argv as on the main thread');
});

t.test('the router package alone, on a plain http server: handlers move, next(), next("route"), next(err) and throws end as without fluxion', async (t) => {
  const steps = [{ path: '/hash/3' }, { path: '/skip' }, { path: '/fail' }, { path: '/throw' }, { path: '/nowhere' }];
  const plain = await serve('test/apps/router/app.js', [], {}, steps);
  const isolated = await serve('test/apps/router/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, steps);
  const hashed = JSON.parse(isolated[0].body.toString());
  t.not(hashed.thread, 0, 'the route ran on a worker');
  t.same({ ...hashed, thread: 0 }, JSON.parse(plain[0].body.toString()), "req.params, a middleware's req field, the result");
  t.match(isolated[1].body.toString(), /^second on [1-9]/, "next('route') went to the next route, which ran on a worker too");
  for (let i = 0; i < steps.length; i++) {
    const same = (r) => ({ status: r.status, type: r.headers['content-type'], second: r.headers['x-second'], body: i < 2 ? null : r.body.toString() });
    t.same(same(isolated[i]), same(plain[i]), `${steps[i].path}: status, headers and finalhandler's page as without fluxion`);
  }
  t.same(
    [0, 2, 3, 4].map((i) => isolated[i].status),
    [201, 418, 500, 404],
  );
});

t.test("strict code stays strict on a worker ('use strict' at the top of the file)", async (t) => {
  const [plain] = await serve('test/apps/strict/app.js', [], {}, [{ path: '/mode' }]);
  const [isolated] = await serve('test/apps/strict/app.js', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }, [{ path: '/mode' }]);
  t.same(JSON.parse(plain.body.toString()), { mode: 'strict', thread: 0 });
  const moved = JSON.parse(isolated.body.toString());
  t.not(moved.thread, 0, 'the handler ran on a worker');
  t.equal(moved.mode, 'strict', "writing a frozen object's field threw there too (it was ignored: the worker ran the code sloppy)");
});

/** The app's output once `pattern` is in it (a worker's console output reaches the process's asynchronously). */
async function settled(app, pattern) {
  for (let i = 0; i < 50 && !pattern.test(app.output().stdout); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return app.output();
}

t.test('a handler that calls into an app module keeping state stays on the main loop; one that calls pure code moves', async (t) => {
  const app = await startApp('test/apps/modules/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '2', DEBUG: 'fluxion:placement' } });
  try {
    const get = async (p) => JSON.parse((await request(app.port, { path: p })).body.toString());
    // concurrent writes: two copies of the store (one per worker) would lose some of them
    const added = await Promise.all(Array.from({ length: 20 }, (_, i) => get(`/add?item=${i}`)));
    t.same(added.map((r) => r.n).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1), 'one store: 1..20');
    t.ok(added.every((r) => r.thread === 0), 'store.add ran on the main loop');
    const count = await get('/count');
    t.same({ ...count, thread: 0 }, { n: 20, thread: 0 }, 'reading that state through an export that only reads it: the one store, as it is');
    t.not(count.thread, 0, 'moved, with a copy of it');
    t.same(await get('/twice?item=x'), { n: 22, thread: 0 }, 'also through a module that calls into the store');
    t.same(await get('/next'), { n: 1, thread: 0 }, 'an object made at load time and written by its methods is state');
    t.same(await get('/next'), { n: 2, thread: 0 });
    const parsed = await get('/parse?text=hello%20world');
    t.same(parsed.words, ['HELLO', 'WORLD']);
    t.not(parsed.thread, 0, 'a class whose objects are made per call is not state: the handler moved');
    const sum = await get('/checksum?text=abc');
    t.equal(sum.sum, 304891);
    t.not(sum.thread, 0, 'pure functions of another module: the handler moved');
    // another file's exports (a Map, an array) written here: two copies would answer from either
    const remembered = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`/remember?key=k${i}&value=v${i}`)));
    t.ok(remembered.every((r) => r.thread === 0), 'cache.set ran on the main loop');
    const recalled = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`/recall?key=k${i}`)));
    t.same(recalled, Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, thread: 0 })), 'read through lookup.js: every value, on the main loop');
    t.same(await get('/visit?key=k3'), { size: 11, thread: 0 }, "a class method of another file writes the Map (history.js, left as it was but for that): its caller stays");
    t.same(await get('/recall?key=last'), { value: 'k3', thread: 0 });
    const summed = await get('/sum?a=2&b=3');
    t.equal(summed.sum, 5);
    t.not(summed.thread, 0, "pure.add() is pure.js's own function, not a write of its data: the handler moved");
    const tagged = await Promise.all(Array.from({ length: 10 }, (_, i) => get(`/tag?tag=t${i}`)));
    t.same(tagged.map((r) => r.n).sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1), 'one array: 1..10');
    // another file's exports written at start-up: a worker's copy of the file gets what they hold (it had the defaults)
    const configured = await get('/settings');
    t.not(configured.thread, 0, 'the handler reading settings.js moved');
    t.same(
      { ...configured, thread: 0 },
      { mode: 'configured', greeting: 'hello', db: { host: 'db.internal', replicas: ['r1', 'r2'] }, url: 'pg://db.internal/2', beta: true, legacy: false, limits: { rate: 10 }, thread: 0 },
      "settings.js as app.js left it at start-up: assigned, nested, pushed into (the file's own function sees it), a Map's entry, a deleted and a new field",
    );
    const shouted = await Promise.all([1, 2].map(() => get('/shout?text=hi')));
    t.same(shouted, [1, 2].map(() => ({ text: 'HI!', thread: 0 })), 'a function app.js put on format.js cannot be copied: the handler stays on the main loop');
    const emitted = await Promise.all([1, 2, 3].map((n) => get(`/emit?n=${n}`)));
    t.same(emitted, [1, 2, 3].map(() => ({ listeners: 1, thread: 0 })), "bus.emit() reaches the listener app.js registered at start-up");
    t.equal((await get('/heard')).heard, 6, 'the listener heard every emit');
    // globals: each thread has its own
    const region = await get('/region');
    t.not(region.thread, 0, 'globals only written at start-up: the handler reading them moved');
    t.same({ ...region, thread: 0 }, { region: 'eu-west', code: 'EW', thread: 0 }, 'a string and a Map another file set as globals at start-up: the worker was given them');
    t.same(await get('/region-bus'), { kind: 'EventEmitter', thread: 0 }, 'a global emitter cannot be copied: read on the main loop');
    t.same(await get('/visitor?name=ann'), { thread: 0 }, 'a route that sets a global stays');
    t.same(await get('/last-visitor'), { name: 'ann', thread: 0 }, 'and so does one that reads it');
    // the environment: shared by every thread (SHARE_ENV), so these move
    for (const value of ['one', 'two', 'three']) {
      const set = await get(`/env-set?value=${value}`);
      t.not(set.thread, 0, 'process.env.X = … moved');
      const read = await Promise.all(Array.from({ length: 12 }, () => get('/env-get')));
      t.same(read.map((r) => r.value), read.map(() => value), `read back on every thread (${[...new Set(read.map((r) => r.thread))].join(', ')})`);
    }
    const visited = await Promise.all(Array.from({ length: 12 }, () => get('/visits?page=a')));
    t.same(visited.map((r) => r.n).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1), 'a stateful file app.js requires below its first route: one count, 1..12');
    t.ok(visited.every((r) => r.thread === 0), 'its reader stayed on the main loop (isolate placed it before that file was loaded, and never checked again)');
    const shelved = await Promise.all([100, 500, 900].map((max) => get(`/catalog?max=${max}`)));
    t.same(shelved.map((r) => ({ ...r, thread: 0 })), [2000, 10000, 18000].map((n) => ({ n, same: true, featured: true, thread: 0 })), "module constants: a 20,000-row table, and an object referring to it, still does on the worker (each went as its own copy)");
    t.ok(shelved.every((r) => r.thread !== 0), 'the handler reading them moved');
    const digest = await get('/digest?text=abc');
    t.same({ ...digest, thread: 0 }, { text: 'abc', digest: require('crypto').createHash('sha256').update('pepperabc').digest('hex').slice(0, 12), thread: 0 });
    t.not(digest.thread, 0, "a service made at load time whose methods call one another (`this.digest()`) is not state: the handler moved");
    const zipped = await get('/zip?text=hello');
    t.same({ ...zipped, thread: 0 }, { text: 'hello', packed: true, thread: 0 });
    t.not(zipped.thread, 0, 'util.promisify(zlib.gzip), promisify(zlib.gunzip), util.debuglog(…): made again on the worker, the handler moved');
    const tickers = [];
    for (const max of [3, 4, 5]) tickers.push(await get(`/ticker?max=${max}`));
    t.same(tickers, [3, 4, 5].map((max) => ({ max, thread: 0 })), 'module state that cannot travel (an EventEmitter): on the main loop');
    const priced = await get('/price?v=12.5');
    t.same({ ...priced, thread: 0 }, { price: '€12.50', bytes: 4, thread: 0 });
    t.not(priced.thread, 0, 'new Intl.NumberFormat(…), new TextEncoder(), util.debuglog(path.basename(__filename, …)): made again on the worker (an instance cannot travel: the handler stayed), the handler moved');
    const signed = await get('/signup?name=ann');
    t.same({ ...signed, thread: 0 }, { ok: true, data: { name: 'ann', role: 'user' }, thread: 0 });
    t.not(signed.thread, 0, 'zod schemas made at start-up (chained calls, one made of another): made again on the worker, the handler moved');
    const refused = await get('/signup?name=a&role=root&x=1');
    t.same({ ...refused, thread: 0 }, { ok: false, issues: ['too_small', 'invalid_value', 'unrecognized_keys'], thread: 0 }, 'and they validate there as here');
    const checked = [];
    for (let i = 0; i < 20; i++) checked.push(await get(`/checked?n=${i}`));
    t.same(checked.map((r) => r.n), Array.from({ length: 20 }, (_, i) => i), 'a validation closure capturing a schema');
    await new Promise((resolve) => setTimeout(resolve, 50));
    const tried = app.output().stderr.split('\n').filter((l) => /validated: valid\S* cannot travel|validated: schema cannot travel/.test(l)).length;
    t.equal(tried, 16, 'its messages were tried 16 times in a row, then no more');
    t.match(app.output().stderr, /validated \(test\/apps\/modules\/validate\.js:5\) stays on the main loop: 16 messages in a row could not travel \(schema cannot travel to another event loop \(an instance of ZodObject\)\)/);
    const ticks = await Promise.all(Array.from({ length: 12 }, () => get('/tick')));
    t.same(ticks.map((r) => r.n).sort((a, b) => a - b), Array.from({ length: 12 }, (_, i) => i + 1), "a function's own property: one count, 1..12");
    t.ok(ticks.every((r) => r.thread === 0), 'on the main loop');
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.match(app.output().stderr, /regionBusRoute \(test\/apps\/modules\/app\.js:\d+\) stays on the main loop: it reads the global `regionBus`, which Node does not define \(the app's\): a worker has globals of its own, and what it holds cannot be copied there \(regionBus is an instance of EventEmitter\)/);
    t.match(app.output().stderr, /tickerRoute \(test\/apps\/modules\/app\.js:\d+\) stays on the main loop: its state cannot travel \(ticker cannot travel to another event loop \(an instance of EventEmitter\)\)/);
    t.equal(app.output().stderr.split('\n').filter((l) => /tickerRoute.*runs on the main loop/.test(l)).length, 1, 'once, for good: not tried again with each message');
    t.match(app.output().stderr, /shoutRoute \(test\/apps\/modules\/app\.js:\d+\) stays on the main loop: it calls into test\/apps\/modules\/format\.js, whose exports test\/apps\/modules\/app\.js writes at start-up \(`format\.shout = function shout\(s\)[^\n]*what it wrote cannot be copied there \(shout is a function \(shout\)\)/);
    t.match(app.output().stderr, /addRoute \(test\/apps\/modules\/app\.js:14\) stays on the main loop: it calls into test\/apps\/modules\/store\.js, which keeps `items` in its module memory/);
    t.match(app.output().stderr, /twiceRoute .* stays on the main loop: it calls into test\/apps\/modules\/store\.js/);
    t.match(app.output().stderr, /addInlineRoute .* stays on the main loop: it calls into test\/apps\/modules\/store\.js, which keeps `items` in its module memory/, "a handler's own require() is checked too");
    t.match(app.output().stderr, /nextRoute .* stays on the main loop: it calls into test\/apps\/modules\/counter\.js, which keeps objects it made at load time in its module memory/);
  } finally {
    await app.stop();
  }
});

const ASYNC_STEPS = [{ path: '/async-work/4' }, { path: '/async-next/3' }, { path: '/async-next/9' }, { path: '/async-sleep' }];
for (const [version, alias] of [
  ['express 5', null],
  ['express 4', 'express4'],
]) {
  t.test(`${version}: async handlers run on workers between their awaits, next(err) and responses come back`, async (t) => {
    const app = alias ? withExpress('threads', alias) : 'test/apps/threads/app.js';
    // express 4 does not catch a rejected promise (the request would hang): express 5 only
    const steps = alias ? ASYNC_STEPS : [...ASYNC_STEPS, { path: '/async-reject' }, { path: '/async-bad-header' }];
    const plain = await session(app, [], {}, steps);
    for (const [placement, expectWorker] of [['inline', false], ['isolate', true]]) {
      const report = path.join(tmp, `async-${alias || 'express5'}-${placement}.json`);
      const out = await session(app, HOOK, { FLUXION_PLACEMENT: placement, FLUXION_REPORT: report }, steps);
      t.same(out.map(portable), plain.map(portable), `${placement}: same responses`);
      const thread = (i) => JSON.parse(out[i].body).thread;
      t.equal(thread(0) !== 0, expectWorker, `${placement}: the async handler ran on ${expectWorker ? 'a worker' : 'the main loop'}`);
      t.equal(thread(1) !== 0, expectWorker);
      t.equal(out[0].thread, String(thread(0)), 'res.set() after two awaits reached the client');
      t.same(JSON.parse(out[2].body).error, 'too big', 'next(err) after an await reached the error handler');
      t.equal(out[2].status, 422);
      if (!alias) {
        t.equal(out[4].status, 409, 'a rejection reached the error handler, as express 5 does without fluxion');
        t.equal(JSON.parse(out[4].body).error, 'rejected on purpose');
        t.match(out[5], { status: 500 });
        t.match(JSON.parse(out[5].body), { code: 'ERR_INVALID_CHAR' }, "a response call that throws in the replay rejects the async function's promise (it escaped from the worker's answer)");
      }
      const observed = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
      const sleep = observed.find((f) => f.id === 'asyncSleep');
      t.equal(sleep.messages, 1);
      t.equal(typeof sleep.cpuMsPerMessage, 'number', 'an async fluxion has a CPU time');
      t.ok(sleep.cpuMsPerMessage < 50, `its CPU time leaves out the 100 ms it awaited (${sleep.cpuMsPerMessage} ms)`);
      t.equal(observed.find((f) => f.id === 'asyncWork').workerMessages, expectWorker ? 1 : 0);
    }
  });
}

const CONFIGURED_STEPS = [
  ['/log?name=ann'],
  ['/signup', { email: 'ann@example.com', name: 'ann' }],
  ['/signup', { email: 'nope', name: 'a' }],
  ['/md?src=Hi%20there!%20%60x%3Cy%60'],
  ['/audit?name=bo'],
  ['/items/7'],
  ...['/seen-count', '/seen?name=ann', '/seen-count', '/seen?name=bo', '/seen-count'].map((p) => [p]),
  ...['/zod/parse?n=4', '/zod/parse?n=x', '/zod/parse?n=5', '/fail-stateful', '/fail-stateful'].map((p) => [p]),
];
t.test('objects packages make at start-up, configured by the top level after (winston, ajv, markdown-it): made and configured again on a worker; errors that cannot travel whole', async (t) => {
  const file = 'test/apps/configured/app.js';
  const steps = async (app) => {
    const get = async (p, body) => {
      const r = await request(app.port, body === undefined ? { path: p } : { method: 'POST', path: p, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      return JSON.parse(r.body.toString());
    };
    const out = [];
    for (const [p, body] of CONFIGURED_STEPS) out.push(await get(p, body));
    return out;
  };
  const plainApp = await startApp(file, { env: { NODE_ENV: 'development' } });
  let plain;
  try {
    plain = await steps(plainApp);
    await settled(plainApp, /\[audit\] seen bo/);
  } finally {
    await plainApp.stop();
  }
  const report = path.join(tmp, 'configured.json');
  const app = await startApp(file, { nodeArgs: HOOK, env: { NODE_ENV: 'development', FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '1', DEBUG: 'fluxion:placement', FLUXION_REPORT: report } });
  try {
    const moved = await steps(app);
    t.same(moved.slice(0, 14).map((r) => ({ ...r, thread: 0 })), plain.slice(0, 14), 'the same answers');
    t.same(plain.slice(14), [1, 2].map((n) => ({ message: `failure ${n}`, cause: 'the cause', causeHidden: true, retry: 'function' })));
    t.same(moved.slice(14), [1, 2].map((n) => ({ message: `failure ${n}`, cause: 'the cause', causeHidden: true, retry: 'undefined' })), "a stateful handler's error: its cause came back, not its function (the message could not run again), and the process lives on");
    t.same(plain[3].html, '<p>Hi there!! <kbd>x&lt;y</kbd></p>\n', "markdown-it's plugin (a function of the file) and its renderer's rule, as the main loop has them");
    t.same(plain[2].errors, ['/email must match format "email"', '/name must NOT have fewer than 2 characters'], "ajv's formats (ajv-formats) and a schema added to it");
    t.ok(moved.slice(0, 4).every((r) => r.thread !== 0), 'the handlers using them moved');
    t.not(moved[5].thread, 0, "a logger file's (winston's formats destructured, a format of the file's, `logger.stream = …`) handler moved: the file keeps no state");
    t.equal(moved[4].thread, 0, 'a logger configured with a variable of the module stays on the main loop (it cannot travel)');
    const out = (await settled(app, /http> GET \/items\/7/)).stdout;
    t.match(out, /^info: hello ann$/m, "the worker's logger has the console transport the top level added under an `if`");
    t.match(out, /^debug: debug ann$/m, 'and the level it set');
    t.notMatch(out, /no transports/);
    t.match(out, /^\[audit\] seen bo$/m);
    t.match(out, /^debug> item 7$/m, "the logger file's format and level");
    t.match(out, /^http> GET \/items\/7$/m, 'and its stream');
    t.same(moved.slice(6, 11).map((r) => r.n ?? r.seen), [0, ['seen:ann'], 1, ['seen:ann', 'seen:bo'], 2], 'one list');
    t.same(plain[12], { name: 'ZodError', zod: true, issues: ['invalid_type'], fields: ['n'], thread: 0 }, "zod's error, read by an error handler");
    t.ok(moved[11].thread !== 0 && moved[13].thread !== 0, 'the handler moved, and stays moved');
    t.not(moved[12].thread, 0, "zod's error (functions its constructor puts on it, `flatten`, and what its `instanceof` reads) is made again by zod's constructor where it arrives: the error handler reading it ran on a worker too");
    t.notMatch(app.output().stderr, /this message runs on the main loop \(error\.\w+ cannot travel to another event loop/, 'and the request did not run again on the main loop');
    t.same(moved.slice(6, 11).map((r) => r.thread !== 0), [true, false, true, false, true], "the reader moved with the list; the writer reading a closure stayed, and ran with the list's latest state");
    await app.stop();
    const seen = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.filter((f) => f.file.endsWith('app.js') && f.line >= 72 && f.line <= 76);
    t.same(
      seen.map((f) => [f.line, f.placement, f.messages, f.workerMessages]),
      [
        [72, 'main', 2, 0],
        [76, 'worker:1', 3, 3],
      ],
      "the report: the writer's messages ran on the main loop (its file's state on worker 1), the reader's there",
    );
  } finally {
    await app.stop();
  }
});

t.test('an object a known factory makes at start-up is made once per worker, for every handler of its file there: one logger, one file handle', async (t) => {
  const file = 'test/apps/configured/app.js';
  const handles = (pid, log) =>
    fs.readdirSync(`/proc/${pid}/fd`).filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === log;
      } catch {
        return false; // (closed meanwhile)
      }
    }).length;
  const run = async (name, env) => {
    const log = path.join(tmp, `${name}.log`);
    const app = await startApp(file, { ...(env ? { nodeArgs: HOOK } : {}), env: { NODE_ENV: 'production', FILE_LOG: log, ...env } });
    try {
      const threads = [];
      for (const [route, n] of [['a', 1], ['b', 2], ['a', 3], ['b', 4]]) threads.push(JSON.parse((await request(app.port, { path: `/file-log/${route}?n=${n}` })).body.toString()).thread);
      // (winston's File transport opens its file after a stat: each handle is there once the answers came)
      let open = 0;
      for (let i = 0; i < 40 && open < (env ? 2 : 1); i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        open = handles(app.child.pid, log);
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      return { threads, open: handles(app.child.pid, log), log };
    } finally {
      await app.stop();
    }
  };
  const plain = await run('file-log-plain', null);
  t.same(plain.threads, [0, 0, 0, 0]);
  t.equal(plain.open, 1, 'plain node: one handle');
  const moved = await run('file-log-isolate', { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '1' });
  t.ok(moved.threads.every((n) => n !== 0 && n === moved.threads[0]), `both handlers ran on the worker (${moved.threads})`);
  t.equal(moved.open, 2, "the main thread's logger and the worker's one: the two handlers' code units share it (before: one per unit)");
  const lines = (log) => fs.readFileSync(log, 'utf8').trim().split('\n').sort();
  t.same(lines(moved.log), ['a 1', 'a 3', 'b 2', 'b 4'], 'every line written once');
  t.same(lines(moved.log), lines(plain.log), 'as plain node writes them');
});

const GRAPHQL_STEPS = [
  ['/graphql', { query: '{ books { id title words } }' }],
  ['/graphql', { query: 'query($a: String) { books(author: $a) { title } }', variables: { a: 'Gibson' } }],
  ['/graphql', { query: '{ book(id: "2") { title author } digest(rounds: 2000) thread }' }],
  ['/graphql', { query: '{ nope }' }],
  ['/tools', { query: '{ authors { name books } viewer thread title(id: "3") }' }],
  ['/votes', { query: 'mutation { vote(id: "a") }' }],
  ['/votes', { query: 'mutation { vote(id: "a") }' }],
  ['/votes', { query: '{ votes(id: "a") }' }],
  ['/shelf', { title: 'Dune' }],
  ['/shelf/graphql', { query: '{ shelf size }' }],
  ['/shelf', { title: 'Emma' }],
  ['/shelf/graphql', { query: '{ shelf size }' }],
  // graphql-http's handler (createHandler): after express.json(), and before it, GET and a body it reads itself
  ['/http', { query: '{ authors { name books } viewer thread }' }],
  ['/http', { query: '{ nope }' }],
  ['/http?query=%7B%20viewer%20thread%20%7D'],
  ['/raw?query=%7B%20thread%20digest(rounds%3A%2010)%20%7D'],
  ['/raw', { query: '{ book(id: "1") { title } thread }' }],
  ['/raw?query=%7B%20thread%20%7D', undefined, 'PUT'],
  ['/votes-http', { query: 'mutation { vote(id: "b") }' }],
  ['/votes-http', { query: 'mutation { vote(id: "b") }' }],
  // (an empty chunked body: read here, nothing to send; the handler reads it again here)
  ['/raw', null, 'POST', { 'transfer-encoding': 'chunked' }],
];
t.test('GraphQL schemas made at start-up (buildSchema, makeExecutableSchema of gql and resolvers) and graphql-http handlers: made again on a worker, unless what they are made of changes', async (t) => {
  const file = 'test/apps/graphql/app.js';
  const steps = async (app) => {
    const out = [];
    for (const [p, body, method, headers] of GRAPHQL_STEPS) {
      const r = await request(app.port, { method: method ?? (body ? 'POST' : 'GET'), path: p, body: body ? JSON.stringify(body) : undefined, headers: { 'content-type': 'application/json', 'x-user': 'ann', ...headers } });
      out.push(r.status === 200 ? JSON.parse(r.body.toString()) : r.status);
    }
    return out;
  };
  const plainApp = await startApp(file);
  let plain;
  try {
    plain = await steps(plainApp);
  } finally {
    await plainApp.stop();
  }
  t.same(plain[2].data, { book: { title: 'Neuromancer', author: 'Gibson' }, digest: plain[2].data.digest, thread: 0 });
  t.same(plain[4].data, { authors: [{ name: 'Herbert', books: ['Dune'] }, { name: 'Gibson', books: ['Neuromancer', 'Count Zero'] }], viewer: 'ann', thread: 0, title: 'Count Zero' }, "graphql-tools' resolver map, its context, an index the top level filled");
  t.same(plain.slice(5, 8).map((r) => r.data), [{ vote: 1 }, { vote: 2 }, { votes: 2 }]);
  t.same([plain[9].data, plain[11].data], [{ shelf: ['Dune'], size: 1 }, { shelf: ['Dune', 'Emma'], size: 2 }]);
  t.same(plain.slice(12, 20), [{ data: { authors: plain[4].data.authors, viewer: 'ann', thread: 0 } }, { errors: plain[3].errors }, { data: { viewer: 'ann', thread: 0 } }, { data: { thread: 0, digest: plain[15].data.digest } }, { data: { book: { title: 'Dune' }, thread: 0 } }, 405, { data: { vote: 1 } }, { data: { vote: 2 } }], "graphql-http's answers");
  const report = path.join(tmp, 'graphql.json');
  const app = await startApp(file, { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_REPORT: report, DEBUG: 'fluxion:placement' } });
  try {
    const moved = await steps(app);
    const strip = (r) => JSON.parse(JSON.stringify(r, (k, v) => (k === 'thread' ? 0 : v)));
    t.same(moved.map(strip), plain.map(strip), 'the same answers, errors of the query included');
    t.ok(moved.slice(0, 5).every((r) => r.thread !== 0), 'the handlers running the two schemas moved');
    t.ok(moved[2].data.thread !== 0 && moved[4].data.thread !== 0, 'and their resolvers ran there');
    t.same(moved.slice(5, 8).map((r) => [r.thread, r.data]), [[0, { vote: 1 }], [0, { vote: 2 }], [0, { votes: 2 }]], 'resolvers changing a Map of the module: the schema stays on the main loop, one count');
    t.same([moved[9], moved[11]].map((r) => [r.thread, r.data.size]), [[0, 1], [0, 2]], "resolvers reading an array a route changes: they see what it added (a worker's copy would not)");
    t.ok([12, 14, 15].every((i) => moved[i].data.thread !== 0), "graphql-http's handler, made again on a worker from the same schema, root and context function, ran there (GET too)");
    t.not(moved[16].data.thread, 0, 'a POST whose body no parser read: read on the main loop, it went with the message');
    t.same([plain[20], moved[20]], [400, 400], 'an empty body read on the main loop: the handler there read it as from the socket');
    t.same(moved.slice(18, 20), [{ data: { vote: 1 } }, { data: { vote: 2 } }], "a handler made of a schema a worker cannot make again is observed only: one count");
  } finally {
    await app.stop();
  }
  const made = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions.filter((f) => f.id.startsWith('createHandler@'));
  t.same(made.map((f) => [f.placement, f.messages, f.workerMessages]), [['replicated', 4, 2], ['replicated', 3, 3]], 'the report: the two handlers graphql-http made, as fluxions of their own, with the messages that ran on a worker (not the PUT and the empty POST: no body)');
  const explained = fluxion(['explain', file]);
  t.match(explained.stdout, /schema: read-only module — made again from its text where anonymous_\d+ runs/);
  t.match(explained.stdout, /placement: stays on the main loop: uses `votingSchema`, made by @graphql-tools\/schema\.makeExecutableSchema\(\) at start-up from `votes`, which a worker cannot make again/);
  t.match(explained.stdout, /uses `shelfSchema`, made by @graphql-tools\/schema\.makeExecutableSchema\(\) at start-up from `shelf`/);
  t.match(explained.stdout, /`createHandler\(\{ schema, rootValue: root \}\)` — .*; a handler graphql-http\/lib\/use\/express\.createHandler\(\) makes, which a worker makes again from the same arguments: it can run on another event loop when hot \(a request whose body no parser read has it read on the main loop first/);
  t.match(explained.stdout, /`createHandler\(\{ schema: votingSchema \}\)` — .*, not made again on a worker: it is made of `votingSchema`/);
  // a worker that dies under a package-made handler's message: that request fails through express's error path, the
  // next goes to a new worker
  const crashing = await startApp(file, { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '1' } });
  try {
    const post = (query) => request(crashing.port, { method: 'POST', path: '/raw', body: JSON.stringify({ query }), headers: { 'content-type': 'application/json' } });
    const died = await post('{ crash }');
    t.equal(died.status, 500);
    t.match(died.body.toString(), /fluxion: the worker running this request stopped/);
    const next = JSON.parse((await post('{ thread }')).body.toString());
    t.not(next.data.thread, 0, 'the next request: a new worker');
    // queries its worker had not started when it died (their bodies read here): they run here, on the text read
    const slow = post('{ crash(after: 800) }');
    for (let i = 0; i < 250 && !/crash running on [1-9]/.test(crashing.output().stdout); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const queued = await Promise.all(['{ book(id: "2") { title } thread }', '{ thread }'].map(post));
    t.equal((await slow).status, 500);
    t.same(
      queued.map((r) => [r.status, r.status === 200 ? JSON.parse(r.body.toString()).data : r.body.toString()]),
      [
        [200, { book: { title: 'Neuromancer' }, thread: 0 }],
        [200, { thread: 0 }],
      ],
      'the queries queued behind it ran on the main loop, on the bodies read there',
    );
  } finally {
    await crashing.stop();
  }
});

t.test("graphql-http's plain-http handler (`http.createServer(createHandler(…))`): made again on a worker, where its request gives the body the main loop read as a stream", async (t) => {
  const file = 'test/apps/graphql/http.js';
  const long = 'word '.repeat(20000);
  const steps = [
    ['POST', { query: '{ hello(name: "ann") thread }' }],
    ['GET', null, '?query=%7B%20hello%20thread%20%7D'],
    ['POST', { query: 'query ($t: String!) { words(text: $t) thread }', variables: { t: long } }],
    ['POST', { query: '{ nope }' }],
    ['POST', '{ not json'],
    ['POST', { query: '{ thread }' }, '', { 'transfer-encoding': 'chunked' }],
  ];
  const run = async (app) => {
    const out = [];
    for (const [method, body, query = '', headers = {}] of steps) {
      const r = await request(app.port, { method, path: `/graphql${query}`, body: body === null ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
      out.push([r.status, r.body.toString()]);
    }
    return out;
  };
  const plainApp = await startApp(file);
  let plain;
  try {
    plain = await run(plainApp);
  } finally {
    await plainApp.stop();
  }
  t.same(JSON.parse(plain[0][1]), { data: { hello: 'hello ann', thread: 0 } });
  t.same(JSON.parse(plain[2][1]), { data: { words: 20000, thread: 0 } });
  t.equal(plain[4][0], 400, 'a body that is not JSON: 400');
  const app = await startApp(file, { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  let moved;
  try {
    moved = await run(app);
  } finally {
    await app.stop();
  }
  const strip = ([status, body]) => [status, body.replace(/"thread":\d+/g, '"thread":0')];
  t.same(moved.map(strip), plain.map(strip), 'the same answers, errors and a 400 included');
  t.ok([0, 1, 2, 5].every((i) => JSON.parse(moved[i][1]).data.thread !== 0), 'the queries ran on a worker, the POSTs reading their bodies there (a long one, a chunked one)');
});

t.test('graceful shutdown: a request in flight on a worker finishes, then the process exits on its own', async (t) => {
  for (const [name, nodeArgs, env] of [
    ['plain', [], {}],
    ['fluxion', HOOK, { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' }],
  ]) {
    const app = await startApp('test/apps/shutdown/app.js', { nodeArgs, env });
    const exited = new Promise((resolve) => app.child.once('exit', (code, signal) => resolve({ code, signal })));
    const pending = request(app.port, { path: '/slow' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    app.child.kill('SIGTERM');
    const r = await pending;
    t.equal(r.status, 200, `${name}: the request in flight got its response`);
    const body = JSON.parse(r.body.toString());
    t.equal(body.done, true);
    t.equal(body.thread !== 0, name === 'fluxion', `${name}: it ran on ${name === 'fluxion' ? 'a worker' : 'the main thread'}`);
    const timer = setTimeout(() => app.child.kill('SIGKILL'), 10000);
    const end = await exited;
    clearTimeout(timer);
    t.same(end, { code: 0, signal: null }, `${name}: the process exited on its own once the server closed`);
    t.match(app.output().stdout, /closed/);
  }
});

t.test('requests that arrive together go to the worker in one message, and come back each to its own response', async (t) => {
  const app = await startApp('test/apps/modules/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '1', DEBUG: 'fluxion:pool' } });
  try {
    // ten pipelined requests in one write: Node parses them in one turn of its event loop
    const texts = Array.from({ length: 10 }, (_, i) => `w${i} x${i}`);
    const raw = texts.map((text) => `GET /parse?text=${encodeURIComponent(text)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join('');
    const received = await new Promise((resolve, reject) => {
      const socket = require('node:net').connect(app.port, '127.0.0.1', () => socket.write(raw));
      let data = '';
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`timed out: ${data}`))), 10000);
      socket.on('data', (d) => {
        data += d;
        if ((data.match(/"thread":/g) ?? []).length === texts.length) {
          clearTimeout(timer);
          socket.end();
          resolve(data);
        }
      });
      socket.on('error', reject);
    });
    const bodies = [...received.matchAll(/\{"words":.*?"thread":\d+\}/g)].map((m) => JSON.parse(m[0]));
    t.same(bodies.map((b) => b.words), texts.map((text) => text.toUpperCase().split(' ')), 'each response answers its own request, in order');
    t.ok(bodies.every((b) => b.thread !== 0), 'all ran on the worker');
    t.match(app.output().stderr, /fluxion:pool \d+ messages to worker 1 in one postMessage/);
  } finally {
    await app.stop();
  }
});

t.test('in a batch, a fast answer does not wait behind a slow message', async (t) => {
  const app = await startApp('test/apps/modules/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1', FLUXION_THREADS: '1', DEBUG: 'fluxion:pool' } });
  try {
    // each ran on the worker once: it knows the one is cheap and the other slow
    await request(app.port, { path: '/parse?text=a' });
    await request(app.port, { path: '/spin/300' });
    const raw = ['/parse?text=b', '/spin/300'].map((p) => `GET ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`).join('');
    const arrivals = await new Promise((resolve, reject) => {
      const socket = require('node:net').connect(app.port, '127.0.0.1', () => socket.write(raw));
      let data = '';
      const at = [];
      const timer = setTimeout(() => (socket.destroy(), reject(new Error(`timed out: ${data}`))), 20000);
      socket.on('data', (d) => {
        data += d;
        const n = (data.match(/"thread":/g) ?? []).length;
        while (at.length < n) at.push(Date.now());
        if (n === 2) {
          clearTimeout(timer);
          socket.end();
          resolve(at);
        }
      });
      socket.on('error', reject);
    });
    t.match(app.output().stderr, /2 messages to worker 1 in one postMessage/, 'the two went together');
    t.ok(arrivals[1] - arrivals[0] > 150, `the cheap answer came ${arrivals[1] - arrivals[0]} ms before the slow one`);
  } finally {
    await app.stop();
  }
});

t.test('auto: a stateful fluxion that got cheap comes back to the main loop with its state, and moves again with it', async (t) => {
  const app = await startApp('test/apps/state/app.js', { nodeArgs: HOOK, env: { FLUXION_THREADS: '1', FLUXION_HOT_MS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  try {
    let sent = 0;
    const hit = async (spin) => {
      sent++;
      return JSON.parse((await request(app.port, { path: `/hit/a?spin=${spin}` })).body.toString());
    };
    const phase = async (n, spin) => {
      const out = [];
      for (let i = 0; i < n; i++) out.push(await hit(spin));
      return out;
    };
    const hot = await phase(64, 3);
    t.not(hot.at(-1).thread, 0, 'hot: it moved to the worker');
    const cheap = await phase(48, 0);
    t.equal(cheap.at(-1).thread, 0, 'cheap there: it came back to the main loop');
    const again = await phase(64, 6);
    t.not(again.at(-1).thread, 0, 'hot again: it moved again');
    const all = [...hot, ...cheap, ...again];
    t.same(all.map((r) => r.hits), Array.from({ length: sent }, (_, i) => i + 1), 'one counter all along: 1..n, on whichever loop');
    t.same(all.map((r) => r.mine), Array.from({ length: sent }, (_, i) => i + 1), 'and one Map');
    t.match(app.output().stderr, /hit: back on the main loop/);
  } finally {
    await app.stop();
  }
});

t.test("auto: a stateful fluxion's large state stays on its worker; when carrying it costs more than the work it moved, it comes back for good", async (t) => {
  const app = await startApp('test/apps/ledger/app.js', { nodeArgs: HOOK, env: { FLUXION_THREADS: '1', FLUXION_HOT_MS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  try {
    const credit = async (query) => JSON.parse((await request(app.port, { path: `/credit/account-7?${query}` })).body.toString());
    const out = [];
    for (let i = 0; i < 96; i++) out.push(await credit('spin=1.5'));
    t.same(out.map((r) => r.balance), Array.from({ length: 96 }, (_, i) => 8 + i), 'one ledger all along, on whichever loop');
    t.same(out.slice(-16).map((r) => r.thread !== 0), Array.from({ length: 16 }, () => true), 'hot: it moved to the worker, and stays there (its 20,000 entries do not come back with its answers)');
    // every other message cannot travel: it runs here, after the state came from the worker, and the next one
    // takes it there again
    const rule = /credit \(test\/apps\/ledger\/app\.js:\d+\): carrying its file's state back costs [\d.]+ ms a message, more than the [\d.]+ ms of work it moved; back on the main loop for good/;
    const mixed = [];
    for (let i = 0; i < 160 && !rule.test(app.output().stderr); i++) mixed.push(await credit(`spin=1.5${i % 2 ? '&tool=1' : ''}`));
    t.match(app.output().stderr, rule);
    t.ok(mixed.length <= 48, `the JIT weighed the cost since it last looked, not since the start: ${mixed.length} messages`);
    for (let i = 0; i < 16; i++) mixed.push(await credit('spin=1.5'));
    t.same(mixed.map((r) => r.balance), Array.from({ length: mixed.length }, (_, i) => 104 + i), 'the same ledger');
    t.ok(mixed.filter((r, i) => i % 2 === 1 && i < mixed.length - 16).every((r) => r.thread === 0 && r.tool === 'a tool'), 'the messages that could not travel ran here');
    t.same(mixed.slice(-16).map((r) => r.thread), Array.from({ length: 16 }, () => 0), 'back on the main loop');
    const later = [];
    for (let i = 0; i < 48; i++) later.push(await credit('spin=3'));
    t.ok(later.every((r) => r.thread === 0), 'hotter still: it does not move again');
  } finally {
    await app.stop();
  }
});

t.test("auto: a stateful fluxion that got cheap comes back under an open-loop load past its worker's capacity", async (t) => {
  const app = await startApp('test/apps/state/app.js', { nodeArgs: HOOK, env: { FLUXION_THREADS: '1', FLUXION_HOT_MS: '20', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  try {
    const hit = async (spin) => JSON.parse((await request(app.port, { path: `/hit/a?spin=${spin}` })).body.toString());
    const hot = [];
    for (let i = 0; i < 56; i++) hot.push(await hit(25));
    t.not(hot.at(-1).thread, 0, 'hot (25 ms): it moved to the worker');
    // 8 ms each (cheap: under half of 20 ms), one every 5 ms for 2 s: the worker always holds some, and its queue
    // grows; the fluxion comes back all the same (new messages wait for the worker's last answers, then run here)
    const cheap = [];
    const started = Date.now();
    while (Date.now() - started < 2000) {
      cheap.push(hit(8));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const answers = await Promise.all(cheap);
    t.ok(answers.some((r) => r.thread !== 0) && answers.some((r) => r.thread === 0), 'it came back to the main loop while the load went on');
    t.equal(answers.at(-1).thread, 0, '(the last one ran there)');
    const all = [...hot, ...answers].map((r) => r.hits).sort((a, b) => a - b);
    t.same(all, Array.from({ length: all.length }, (_, i) => i + 1), 'one counter: 1..n, none lost or counted twice');
    t.match(app.output().stderr, /hit: back on the main loop/);
  } finally {
    await app.stop();
  }
});

/** `n` requests sent at once; `query(i)` is the i-th one's query string. */
async function burst(port, n, query) {
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => request(port, { path: `/hit/a?${query(i)}` })));
  return answers.map((r) => ({ status: r.status, ...JSON.parse(r.body.toString()) }));
}

t.test("a stateful fluxion's message that cannot travel waits for its worker's earlier messages, then runs here with the latest state", async (t) => {
  const app = await startApp('test/apps/state/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:placement' } });
  try {
    // every fifth one carries a function (req.tool): it cannot go to the worker, which holds the others meanwhile
    const out = await burst(app.port, 30, (i) => (i % 5 === 2 ? 'tool=1' : 'spin=2'));
    t.ok(out.every((r) => r.status === 200));
    const tools = out.filter((r) => r.tool !== null);
    t.equal(tools.length, 6);
    t.ok(tools.every((r) => r.thread === 0 && r.tool === 'a tool'), 'those ran on the main loop, with their function');
    t.ok(out.filter((r) => r.tool === null).every((r) => r.thread !== 0), 'the others on the worker');
    t.same(out.map((r) => r.hits).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1), 'one counter: no count lost or seen twice');
    t.same(out.map((r) => r.mine).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1), 'one Map');
    const after = await burst(app.port, 4, () => 'spin=1');
    t.same(after.map((r) => r.hits).sort((a, b) => a - b), [31, 32, 33, 34], 'the worker took the state the main loop left');
    t.ok(after.every((r) => r.thread !== 0));
    t.match(app.output().stderr, /hit: .*a function.*; this message runs on the main loop once its worker has answered/);
  } finally {
    await app.stop();
  }
});

t.test("FLUXION_MAX_IN_FLIGHT: past it a stateful fluxion's messages wait for room on their worker, in order; a stateless one's run here", async (t) => {
  const app = await startApp('test/apps/state/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_MAX_IN_FLIGHT: '2', FLUXION_DISABLE_CACHE: '1' } });
  try {
    const out = await burst(app.port, 24, () => 'spin=2');
    t.ok(out.every((r) => r.status === 200));
    t.ok(out.every((r) => r.thread !== 0), 'all of them ran on the worker, none with the main loop\'s copy of the state');
    t.same(out.map((r) => r.hits).sort((a, b) => a - b), Array.from({ length: 24 }, (_, i) => i + 1), 'one counter');
  } finally {
    await app.stop();
  }
  const plain = await startApp('test/apps/threads/app.js', { nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_THREADS: '1', FLUXION_MAX_IN_FLIGHT: '1', FLUXION_DISABLE_CACHE: '1' } });
  try {
    const answers = await Promise.all(Array.from({ length: 8 }, () => request(plain.port, { path: '/work/3' })));
    const threads = answers.map((r) => JSON.parse(r.body.toString()).thread);
    t.ok(threads.includes(0) && threads.some((n) => n !== 0), `a stateless handler: the worker and, past its one message, the main loop (${threads})`);
  } finally {
    await plain.stop();
  }
});

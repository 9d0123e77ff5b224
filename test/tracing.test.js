'use strict';
// An app traced by OpenTelemetry (its http and express instrumentations, a tracer provider preloaded as its docs
// say): every request runs inside the tracer's context, an AsyncLocalStorage store that cannot travel to a worker.
// Handlers that never read it move; those that do (the active span, an outgoing request the http
// instrumentation traces) run again on the main loop, once; the answers and the recorded spans are plain node's.
// Offload is proven by the thread id the work reports (0 is the main thread), never by a log line.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startApp, request } = require('./helpers/processes');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-tracing-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TRACING = ['-r', './test/apps/traced/tracing.js'];
const HOOK = ['-r', 'fluxion/register'];
const PATHS = ['/work/2', '/later/2', '/traced/3', '/outbound/2', '/timer/2', '/after/2', '/work/4', '/traced/5', '/outbound/3', '/timer/3', '/after/3', '/hits'];

/** Runs the app, sends PATHS one after the other; the answers (thread apart), their threads, the spans, the output. */
async function run(label, { file = 'test/apps/traced/app.js', nodeArgs, env = {} }) {
  const spans = path.join(tmp, `${label}.jsonl`);
  const report = path.join(tmp, `${label}.json`);
  const app = await startApp(file, { nodeArgs, env: { SPANS_FILE: spans, FLUXION_REPORT: report, ...env } });
  const answers = [];
  const threads = {};
  try {
    for (const p of PATHS) {
      const r = await request(app.port, { path: p });
      const body = JSON.parse(r.body.toString());
      if ('thread' in body) (threads[p.split('/')[1]] ??= []).push(body.thread);
      answers.push({ path: p, status: r.status, body: { ...body, thread: undefined } });
    }
    // (the spans of the last request end as its response finishes)
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    await app.stop();
  }
  const ended = fs.readFileSync(spans, 'utf8').trim().split('\n').map((line) => JSON.parse(line));
  const byId = new Map(ended.map((s) => [s.id, s]));
  // each span as its name, its parent's name and its attributes (ids differ from run to run)
  const tree = ended.map((s) => `${s.name} <- ${s.parent ? byId.get(s.parent)?.name ?? 'missing' : 'root'} ${JSON.stringify(s.attributes)}`).sort();
  const fluxions = fs.existsSync(report) ? JSON.parse(fs.readFileSync(report, 'utf8')).fluxions : [];
  return { answers, threads, tree, spanThreads: [...new Set(ended.map((s) => s.thread))], fluxions, stderr: app.output().stderr };
}

t.test('OpenTelemetry preloaded after fluxion/register: what never reads the trace context moves, what reads it runs on the main loop, and the answers and spans are the same', async (t) => {
  const plain = await run('plain', { nodeArgs: TRACING });
  t.same(plain.answers.at(-1).body, { hits: 2 }, 'plain: two outgoing requests arrived');
  t.ok(plain.tree.some((s) => s.startsWith('request handler <- GET /traced/:n {"app.n":3}')), "plain: the handler's attribute on its span");
  const moved = await run('isolate', { nodeArgs: [...HOOK, ...TRACING], env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  t.same(moved.answers, plain.answers, 'the same answers');
  t.same(moved.tree, plain.tree, 'the same spans, with the same parents and attributes');
  t.same(moved.spanThreads, [0], 'every span ended on the main thread: none was made on a worker');
  for (const route of ['work', 'later', 'after']) t.ok(moved.threads[route].every((id) => id !== 0), `${route}: never reads the context, ran on a worker`);
  for (const route of ['traced', 'outbound', 'timer']) t.same(moved.threads[route].slice(0, 1), [0], `${route}: read it on a worker, ran again on the main loop`);
  t.same(moved.threads.traced, [0, 0], 'and stayed there');
  t.same(moved.answers.at(-1).body, { hits: 2 }, 'the outgoing request left once per request: stopped on the worker as the instrumentation read the context');
  const byId = (id) => moved.fluxions.find((f) => f.id === id);
  t.ok(byId('workRoute').workerMessages >= 2, 'the report counts them');
  t.match(byId('tracedRoute'), { placement: 'main', workerMessages: 0 });
  t.match(moved.stderr, /tracedRoute \(test\/apps\/traced\/app\.js:\d+\) could not finish on a worker \(it read the async context of the AsyncLocalStorage made at .*context-async-hooks.*AsyncLocalStorageContextManager\.js:\d+, which could not travel \(an instance of BaseContext\)\)/);
  t.match(moved.stderr, /code running on a worker after its message had answered read the async context .*: it read undefined there/, 'read after the answer: undefined there, with a warning');
  t.notMatch(moved.stderr, /UnreadableContext|uncaught/i, 'the stop of the code in a timer is no uncaught exception');
});

t.test('OpenTelemetry set up by the entry file itself (no copy on the workers) or preloaded before fluxion/register: everything stays on the main loop, with a warning saying what to change', async (t) => {
  const plain = await run('plain-inline', { file: 'test/apps/traced/inline.js', nodeArgs: [] });
  const inline = await run('inline', { file: 'test/apps/traced/inline.js', nodeArgs: HOOK, env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  t.same(inline.answers, plain.answers, 'the same answers');
  t.same(inline.tree, plain.tree, 'the same spans');
  t.ok(Object.values(inline.threads).flat().every((id) => id === 0), 'all on the main loop');
  t.match(inline.stderr, /holds a store that cannot travel, of an AsyncLocalStorage made at .*AsyncLocalStorageContextManager\.js:\d+ that fluxion's workers have no copy of .*make it in a preload that comes after fluxion\/register/);
  const before = await run('before', { nodeArgs: [...TRACING, ...HOOK], env: { FLUXION_PLACEMENT: 'isolate', FLUXION_DISABLE_CACHE: '1' } });
  t.same(before.answers, plain.answers, 'preloaded before fluxion: the same answers');
  t.same(before.tree, plain.tree, 'and spans');
  t.ok(Object.values(before.threads).flat().every((id) => id === 0), 'all on the main loop');
  t.match(before.stderr, /an AsyncLocalStorage made before fluxion\/register was loaded .* load fluxion\/register first/);
});

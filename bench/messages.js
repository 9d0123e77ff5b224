'use strict';
// What one moved request costs, in instructions (valgrind's callgrind): the banner route of samples/cpu with a
// tiny kernel (one letter, scale 1: ~20 µs of JavaScript), so that the cost of carrying the request to a worker
// and its response back is most of what is counted. Side by side: plain node (the route on the main loop),
// fluxion with FLUXION_PLACEMENT=isolate, and the same offload written by hand with raw worker_threads.
// Per request: the main thread, the worker threads, and V8's helper threads (GC, compilation: their share moves
// from run to run, the first two do not).
// Counts are steady to ~1% run to run on a noisy VM, where req/s are not: use it to judge a change to the path
// of a message. Needs valgrind; ~1–2 minutes per variant. `npm run bench -- messages`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const http = require('node:http');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { ROOT, machine, table } = require('./lib');

const WARM = Number(process.env.BENCH_MESSAGES_WARMUP || 200);
const COUNT = Number(process.env.BENCH_MESSAGES_COUNT || 400);
const CONNECTIONS = 4;
// BENCH_MESSAGES_ROUTE=hello: the Express hello-world instead, plain vs fluxion (auto), where the route stays on
// the main loop: what fluxion's instrumentation costs a request that never moves (the JIT's threshold is raised
// to 50 ms: valgrind runs code ~50× slower, and a 20 µs handler must not look hot to it)
const HELLO = process.env.BENCH_MESSAGES_ROUTE === 'hello';
// BENCH_MESSAGES_ROUTE=table: a route reading a module constant of 20,000 rows (bench/apps/table.js), plain vs
// fluxion (isolate): the table goes to a worker once, with the code unit, not with each message
const TABLE = process.env.BENCH_MESSAGES_ROUTE === 'table';
// BENCH_MESSAGES_SCALE=16: the banner of the CPU bench (`npm run bench -- cpu`, ~2 ms of JavaScript) instead of
// one letter at scale 1: all the instructions a request of that bench costs, per thread (what a core is worth)
const SCALE = Number(process.env.BENCH_MESSAGES_SCALE || 1);
const URL_PATH = HELLO ? '/' : TABLE ? '/under/500' : SCALE === 1 ? '/banner/a?scale=1' : `/banner/fluxion%20scales%20up?scale=${SCALE}`;
// BENCH_FLUXION_ENV="FLUXION_SCAVENGE_MB=0": fluxion once more with those settings, beside the defaults (an A/B)
const fluxionEnv = (process.env.BENCH_FLUXION_ENV || '').split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-bench-messages-'));
// BENCH_MESSAGES_KEEP=dir: the callgrind files of each variant stay there (dir/<n>/cg.3-<thread> is the measured
// part), to compare two builds function by function with callgrind_annotate
const KEEP = process.env.BENCH_MESSAGES_KEEP || '';
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
let measured = 0;

const variants = TABLE
  ? [
      ['plain node', 'bench/apps/table.js', [], {}],
      ['fluxion (FLUXION_PLACEMENT=isolate)', 'bench/apps/table.js', ['-r', 'fluxion/register'], { FLUXION_PLACEMENT: 'isolate', FLUXION_CACHE_DIR: path.join(tmp, 'cache') }],
    ]
  : HELLO
  ? [
      ['plain node', 'bench/apps/hello.js', [], {}],
      ['fluxion (auto: the route stays on the main loop)', 'bench/apps/hello.js', ['-r', 'fluxion/register'], { FLUXION_HOT_MS: '50', FLUXION_CACHE_DIR: path.join(tmp, 'cache') }],
    ]
  : [
      ['plain node (route on the main loop)', 'samples/cpu/app.js', [], {}],
      ['fluxion (FLUXION_PLACEMENT=isolate)', 'samples/cpu/app.js', ['-r', 'fluxion/register'], { FLUXION_PLACEMENT: 'isolate', FLUXION_CACHE_DIR: path.join(tmp, 'cache') }],
      ...(fluxionEnv.length
        ? [[`fluxion (isolate, ${process.env.BENCH_FLUXION_ENV})`, 'samples/cpu/app.js', ['-r', 'fluxion/register'], { FLUXION_PLACEMENT: 'isolate', FLUXION_CACHE_DIR: path.join(tmp, 'cache'), ...Object.fromEntries(fluxionEnv) }]]
        : []),
      ['worker_threads, by hand', 'bench/apps/cpu-workers.js', [], {}],
    ];

/** Instructions per thread in callgrind dump number `n` (one file per thread: <out>.<n>-<thread>). */
function dumpTotals(dir, n) {
  const out = new Map();
  for (const f of fs.readdirSync(dir)) {
    const m = /\.(\d+)-(\d+)$/.exec(f);
    if (!m || Number(m[1]) !== n) continue;
    const t = /^(?:totals|summary):\s+(\d+)/m.exec(fs.readFileSync(path.join(dir, f), 'utf8'));
    out.set(Number(m[2]), t ? Number(t[1]) : 0);
  }
  return out;
}

function measure(file, args, env) {
  const dir = KEEP ? path.join(KEEP, String(++measured)) : fs.mkdtempSync(path.join(tmp, 'cg-'));
  if (KEEP) fs.mkdirSync(dir, { recursive: true });
  const child = spawn('valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${dir}/cg`, process.execPath, ...args, file], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const get = (port) =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: URL_PATH, agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
        })
        .on('error', reject);
    });
  const many = async (port, n) => {
    let sent = 0;
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (sent++ < n) await get(port);
    }));
  };
  const dump = (label) => execFileSync('callgrind_control', [`--dump=${label}`, String(child.pid)], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${file} under valgrind did not answer in time`))), 600000);
    child.on('exit', (code) => code !== null && code !== 0 && reject(new Error(`${file} exited with ${code} under valgrind`)));
    child.stdout.on('data', async (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (!m || child.measuring) return;
      child.measuring = true;
      try {
        const port = Number(m[1]);
        dump('listening'); // 1
        await many(port, WARM);
        dump('warm'); // 2
        await many(port, COUNT);
        dump('measured'); // 3: what COUNT requests cost, per thread
        // callgrind numbers threads as they start: 1 is the main thread, 2–6 node's own (V8's platform pool of
        // four and its delayed-task scheduler, started before any JavaScript runs), later ones the app's worker
        // threads (and libuv's pool, which this route does not use)
        const counts = dumpTotals(dir, 3);
        const per = { main: 0, workers: 0, helpers: 0 };
        for (const [thread, n] of counts) per[thread === 1 ? 'main' : thread <= 6 ? 'helpers' : 'workers'] += n / COUNT;
        resolve(per);
      } catch (error) {
        reject(error);
      } finally {
        clearTimeout(timer);
        agent.destroy();
        child.kill('SIGKILL');
      }
    });
  });
}

async function main() {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('\nmessages: needs valgrind (apt-get install valgrind); skipped');
    return;
  }
  fs.mkdirSync(path.join(tmp, 'cache'));
  const made = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'fluxion.js'), 'precompile', 'samples/cpu/app.js'], { cwd: ROOT, env: { ...process.env, FLUXION_CACHE_DIR: path.join(tmp, 'cache') }, encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`fluxion precompile failed: ${made.stderr}`);
  const rows = [];
  for (const [name, file, args, env] of variants) rows.push([name, await measure(file, args, env)]);
  const k = (n) => (n / 1000).toFixed(0);
  const base = rows[0][1];
  console.log(`\nOne request to ${URL_PATH}${HELLO ? ' (Express hello-world)' : TABLE ? ' (a route reading a 20,000-row module constant)' : SCALE === 1 ? ' (a ~20 µs kernel)' : ' (the CPU bench\'s kernel)'}, instructions per request (thousands), ${COUNT} requests after ${WARM}, ${CONNECTIONS} connections, under callgrind (${machine()})`);
  console.log(
    table(
      ['variant', 'main thread', 'worker threads', 'main + workers', 'vs plain', 'helper threads (GC…)'],
      rows.map(([name, p]) => [name, k(p.main), k(p.workers), k(p.main + p.workers), `${((p.main + p.workers) / (base.main + base.workers)).toFixed(2)}×`, k(p.helpers)]),
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

'use strict';
// The CPU-heavy route (samples/cpu, a GIF banner rendered in JavaScript), side by side in one run: plain
// node, fluxion (auto: the JIT moves it), the same offload written by hand with piscina and with raw
// worker_threads, node:cluster with one process per core, and the ceiling: one independent plain server per
// core, loaded at once (what this machine's cores give together, whatever runs on them). Requests/s, latency, peak RSS of the whole
// server (its processes), server CPU used (in cores), ratios to plain node. Rounds alternate; medians.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const autocannon = require('autocannon');
const { median, machine, table, startServer, serverCpuCount } = require('./lib');

const CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-bench-cpu-'));
process.on('exit', () => fs.rmSync(CACHE, { recursive: true, force: true }));
const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
// each server's load before the measure, so that what is measured is the steady state of a long-running server: a
// cold one spends its first seconds compiling its hot code on V8's compiler threads and growing its heap (fluxion
// has two isolates to warm, and moves the route after 32 messages). On the 2-core VM (bench/RESULTS.md, 2026-11-27)
// the helper threads took 0.26–0.31 ms per request over the 5 s after 2 s of warm-up, 0.14–0.17 after 10 s, plain
// node and fluxion alike
const WARMUP = Number(process.env.BENCH_WARMUP || 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS || 16);
// autocannon's own worker threads, for servers on many cores (bench/scaling.js)
const LOAD_WORKERS = Number(process.env.BENCH_LOAD_WORKERS || 0);
const URL_PATH = '/banner/fluxion%20scales%20up?scale=16';

// The machine's ceiling: one plain server per core, each with its own share of the connections, loaded at once
// (no shared port, no shared memory, nothing to merge). What they reach together is what any way of using those
// cores can reach on this machine: a VM whose two vCPUs share a physical core gives them ~1.5× one alone.
const CEILING = 'plain node, one per core, independent (the ceiling)';
const allVariants = [
  ['plain node', 'samples/cpu/app.js', [], {}],
  [CEILING, 'samples/cpu/app.js', [], {}, serverCpuCount()],
  // as in production: the transform cache filled beforehand (`fluxion precompile`), so the compiler is not loaded
  ['fluxion (auto)', 'samples/cpu/app.js', ['-r', 'fluxion/register'], { FLUXION_CACHE_DIR: CACHE }],
  // BENCH_FLUXION_ENV="FLUXION_THREADS=2": fluxion once more with those settings, beside the defaults (an A/B)
  ...(process.env.BENCH_FLUXION_ENV
    ? [[`fluxion (auto, ${process.env.BENCH_FLUXION_ENV})`, 'samples/cpu/app.js', ['-r', 'fluxion/register'], { FLUXION_CACHE_DIR: CACHE, ...Object.fromEntries(process.env.BENCH_FLUXION_ENV.split(/\s+/).filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) }]]
    : []),
  ['piscina, by hand', 'bench/apps/cpu-piscina.js', [], {}],
  ['worker_threads, by hand', 'bench/apps/cpu-workers.js', [], {}],
  ['node:cluster', 'bench/apps/cpu-cluster.js', [], {}],
];
// BENCH_VARIANTS="fluxion (auto);node:cluster": a subset, by name (plain node always runs: the ratios are to it)
const wanted = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(';').map((v) => v.trim()) : null;
const variants = allVariants.filter(([name]) => !wanted || name === 'plain node' || name === CEILING || name.startsWith('fluxion (auto, ') || wanted.includes(name));

/** The server's processes: the one started and its children (cluster). */
function tree(pid) {
  const out = [pid];
  try {
    for (const child of execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean)) out.push(...tree(Number(child)));
  } catch {
    // no children
  }
  return out;
}
function rssKb(pids) {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
    } catch {
      // gone
    }
  }
  return kb;
}
/**
 * BENCH_RSS_BREAKDOWN=1: where a server process's resident memory is, from /proc/<pid>/smaps (MB): the main
 * thread's malloc heap (brk), the other threads' glibc arenas (64 MB-aligned mappings: a worker's buffers live
 * there), files (the node binary, shared libraries) and the rest of the anonymous memory (V8's pages, stacks).
 */
const M64 = 64n * 1024n * 1024n;
function rssBreakdown(pid) {
  const maps = [];
  for (const line of fs.readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (m) maps.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3], name: m[4], kb: 0 });
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r && maps.length) maps[maps.length - 1].kb = Number(r[1]);
  }
  const out = { heap: 0, arenas: 0, files: 0, anonymous: 0 };
  maps.forEach((m, i) => {
    const next = maps[i + 1];
    const arena = m.name === '' && m.start % M64 === 0n && m.perms.startsWith('rw') && next && next.start === m.end && next.perms === '---p' && next.end % M64 === 0n;
    const key = m.name === '[heap]' ? 'heap' : arena ? 'arenas' : m.name && !m.name.startsWith('[') ? 'files' : 'anonymous';
    out[key] += m.kb / 1024;
  });
  return out;
}

function cpuTicks(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone
    }
  }
  return ticks;
}

/**
 * CPU ticks of the server's threads by kind: each process's main thread; its other event loops (a thread that
 * used a fifth of a core or more over the measure: fluxion's, piscina's or the raw workers); the rest (V8's
 * GC and compiler threads, libuv's pool). Reads /proc/<pid>/task/<tid>/stat at `from` and now.
 */
function threadTicks(pids) {
  const out = new Map();
  for (const pid of pids) {
    let tids;
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        const f = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
        out.set(`${pid}/${tid}`, { main: tid === String(pid), ticks: Number(f[11]) + Number(f[12]) });
      } catch {
        // gone
      }
    }
  }
  return out;
}
function threadKinds(before, after, seconds) {
  const kinds = { main: 0, loops: 0, helpers: 0 };
  for (const [key, { main, ticks }] of after) {
    const used = ticks - (before.get(key)?.ticks ?? 0);
    kinds[main ? 'main' : used >= 0.2 * 100 * seconds ? 'loops' : 'helpers'] += used;
  }
  return kinds;
}

function load(port, seconds, connections = CONNECTIONS) {
  return new Promise((resolve, reject) => {
    const options = { url: `http://127.0.0.1:${port}${URL_PATH}`, connections, duration: seconds };
    if (LOAD_WORKERS > 1) options.workers = LOAD_WORKERS;
    autocannon(options, (err, r) => (err ? reject(err) : resolve(r)));
  });
}

/** One variant, once: `copies` servers of it (the ceiling's), loaded at once, their connections split. */
async function measure(file, args, env, copies = 1) {
  const servers = [];
  try {
    for (let i = 0; i < copies; i++) servers.push(await startServer(file, args, env));
    const connections = Math.max(1, Math.round(CONNECTIONS / copies));
    await Promise.all(servers.map((s) => load(s.port, WARMUP, connections)));
    const pidsNow = () => servers.flatMap((s) => tree(s.pid));
    const pids = pidsNow();
    let peak = rssKb(pids);
    let breakdown = null;
    const sampler = setInterval(() => {
      const now = rssKb(pidsNow());
      if (now <= peak && breakdown) return;
      peak = Math.max(peak, now);
      if (process.env.BENCH_RSS_BREAKDOWN) {
        try {
          breakdown = rssBreakdown(servers[0].pid);
        } catch {
          // gone
        }
      }
    }, 100);
    const ticks0 = cpuTicks(pids);
    const threads0 = threadTicks(pids);
    const started = Date.now();
    const results = await Promise.all(servers.map((s) => load(s.port, SECONDS, connections)));
    clearInterval(sampler);
    const elapsed = (Date.now() - started) / 1000;
    const cores = (cpuTicks(pidsNow()) - ticks0) / 100 / elapsed;
    const kinds = threadKinds(threads0, threadTicks(pidsNow()), elapsed);
    const rps = results.reduce((n, r) => n + r.requests.average, 0);
    const total = results.reduce((n, r) => n + r.requests.total, 0);
    // CPU ms per request, by kind of thread (a tick is 10 ms)
    const msPer = (ticks) => (total ? (ticks * 10) / total : 0);
    // requests per second per core the server used: what each core is worth, whatever the load generator
    // left free on this machine (with N free cores, req/s ≈ N × this)
    return {
      rps,
      p50: median(results.map((r) => r.latency.p50)),
      p99: Math.max(...results.map((r) => r.latency.p99)),
      rssMb: peak / 1024,
      cores,
      perCore: rps / cores,
      mainMs: msPer(kinds.main),
      loopsMs: msPer(kinds.loops),
      helpersMs: msPer(kinds.helpers),
      errors: results.reduce((n, r) => n + r.errors + r.non2xx, 0),
      breakdown,
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

async function main() {
  const made = spawnSync(process.execPath, [path.join(__dirname, '..', 'bin', 'fluxion.js'), 'precompile', 'samples/cpu/app.js'], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, FLUXION_CACHE_DIR: CACHE },
    encoding: 'utf8',
  });
  if (made.status !== 0) throw new Error(`fluxion precompile failed: ${made.stderr}`);
  const gif = require('../samples/gifsockets/gif');
  for (let i = 0; i < 30; i++) gif.textToGif('fluxion scales up', { scale: 16, padding: 4 });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 50; i++) gif.textToGif('fluxion scales up', { scale: 16, padding: 4 });
  const kernelMs = Number(process.hrtime.bigint() - t0) / 1e6 / 50;

  const results = new Map(variants.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, file, args, env, copies] of variants) results.get(name).push(await measure(file, args, env, copies));
  }
  const med = (runs, key) => median(runs.map((r) => r[key]));
  const base = results.get('plain node');
  const ceiling = results.get(CEILING);
  if (process.env.BENCH_JSON) {
    const summary = Object.fromEntries([...results].map(([name, runs]) => [name, Object.fromEntries(['rps', 'p50', 'p99', 'rssMb', 'cores', 'perCore', 'mainMs', 'loopsMs', 'helpersMs'].map((k) => [k, med(runs, k)]))]));
    fs.writeFileSync(process.env.BENCH_JSON, JSON.stringify({ kernelMs, connections: CONNECTIONS, rounds: ROUNDS, seconds: SECONDS, warmup: WARMUP, results: summary }));
  }
  console.log(`\nCPU-heavy route ${URL_PATH} (${kernelMs.toFixed(2)} ms per call of the kernel alone): ${ROUNDS} rounds × ${SECONDS} s after ${WARMUP} s of warm-up, ${CONNECTIONS} connections, autocannon on the same machine (${machine()})`);
  console.log(
    table(
      ['variant', 'req/s', 'vs plain', 'of the ceiling', 'p50 ms', 'p99 ms', 'peak RSS MB', 'vs plain', 'server cores', 'req/s per core', 'vs plain', 'errors'],
      [...results].map(([name, runs]) => [
        name,
        med(runs, 'rps').toFixed(0),
        `${(med(runs, 'rps') / med(base, 'rps')).toFixed(2)}×`,
        ceiling ? `${((100 * med(runs, 'rps')) / med(ceiling, 'rps')).toFixed(0)}%` : '',
        med(runs, 'p50').toFixed(1),
        med(runs, 'p99').toFixed(1),
        med(runs, 'rssMb').toFixed(0),
        `${(med(runs, 'rssMb') / med(base, 'rssMb')).toFixed(2)}×`,
        med(runs, 'cores').toFixed(2),
        med(runs, 'perCore').toFixed(0),
        `${(med(runs, 'perCore') / med(base, 'perCore')).toFixed(2)}×`,
        runs.reduce((n, r) => n + r.errors, 0),
      ]),
    ),
  );
  console.log('\nServer CPU per request, ms (median of the rounds): main threads, other event loops (worker threads), helpers (V8\'s GC and compiler threads, libuv); req/s of each round');
  console.log(
    table(
      ['variant', 'main', 'event loops', 'helpers', 'total', 'vs plain', 'req/s by round'],
      [...results].map(([name, runs]) => {
        const total = (r) => r.mainMs + r.loopsMs + r.helpersMs;
        return [name, med(runs, 'mainMs').toFixed(2), med(runs, 'loopsMs').toFixed(2), med(runs, 'helpersMs').toFixed(2), median(runs.map(total)).toFixed(2), `${(median(runs.map(total)) / median(base.map(total))).toFixed(2)}×`, runs.map((r) => r.rps.toFixed(0)).join(' ')];
      }),
    ),
  );
  if (process.env.BENCH_RSS_BREAKDOWN) {
    console.log('\nPeak RSS of the server process (the first one: cluster\'s workers are not in it), where it is, MB, median of the rounds');
    const parts = ['heap', 'arenas', 'files', 'anonymous'];
    console.log(
      table(
        ['variant', 'main heap (brk)', 'thread arenas', 'files', 'other anonymous (V8 pages…)'],
        [...results].map(([name, runs]) => [name, ...parts.map((k) => median(runs.filter((r) => r.breakdown).map((r) => r.breakdown[k])).toFixed(0))]),
      ),
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

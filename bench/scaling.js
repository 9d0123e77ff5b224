'use strict';
// The scaling curve of the CPU-heavy route: bench/cpu.js run once per server size, the server pinned to N CPUs
// (taskset) and the load generator to the others, so that it never takes the server's cores (where a core has two
// hardware threads: one thread of each of N cores, the load off their siblings; bench/lib.js splitCpus). Prints
// req/s and the ratio to plain node at each N. Needs Linux's taskset and at least 4 CPUs (N ≤ CPUs − 2, two for the load).
// BENCH_SCALING_CPUS="1,2,4,8,16" picks the sizes; BENCH_ROUNDS/BENCH_SECONDS/BENCH_WARMUP as in cpu.js (default 1 × 4 s after 2 s here).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { allowedCpus, cores, splitCpus, table } = require('./lib');

const cpus = allowedCpus();
const total = cpus.length;
const hasTaskset = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
if (!hasTaskset || total < 4) {
  console.log(`\nScaling curve: skipped (needs taskset and at least 4 CPUs; this machine has ${total}${hasTaskset ? '' : ', no taskset'})`);
  process.exit(0);
}
const wanted = (process.env.BENCH_SCALING_CPUS || '1,2,4,8,16').split(',').map(Number);
const sizes = [...new Set(wanted.map((n) => Math.min(n, total - 2)))].filter((n) => n >= 1);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-bench-scaling-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

const runs = [];
for (const n of sizes) {
  const json = path.join(tmp, `${n}.json`);
  const { server, load } = splitCpus(n);
  const loadCpus = load.join(',');
  const env = {
    ...process.env,
    BENCH_SERVER_CPUS: server.join(','),
    BENCH_JSON: json,
    BENCH_ROUNDS: process.env.BENCH_ROUNDS || '1',
    BENCH_SECONDS: process.env.BENCH_SECONDS || '4',
    // shorter than cpu.js's default, for the sizes to fit in a few minutes: the curve's first seconds of each server
    BENCH_WARMUP: process.env.BENCH_WARMUP || '2',
    BENCH_CONNECTIONS: process.env.BENCH_CONNECTIONS || String(Math.max(16, 4 * n)),
    BENCH_LOAD_WORKERS: String(Math.min(4, load.length)),
  };
  const r = spawnSync('taskset', ['-c', loadCpus, process.execPath, path.join(__dirname, 'cpu.js')], { env, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench/cpu.js failed with the server on ${n} CPUs`);
    process.exitCode = 1;
    continue;
  }
  runs.push([n, JSON.parse(fs.readFileSync(json, 'utf8'))]);
}
if (!runs.length) process.exit();

const variants = Object.keys(runs[0][1].results);
const at = (run, variant, key) => run.results[variant][key];
console.log(`\nScaling curve of the CPU-heavy route: req/s (× plain node on the same CPUs), server pinned to N of ${total} CPUs (${cores().length} cores), load generator on the rest`);
console.log(
  table(
    ['variant', ...runs.map(([n]) => `N = ${n}`)],
    variants.map((v) => [v, ...runs.map(([, run]) => `${at(run, v, 'rps').toFixed(0)} (${(at(run, v, 'rps') / at(run, 'plain node', 'rps')).toFixed(2)}×)`)]),
  ),
);
console.log('\nserver cores used, peak RSS MB (× plain)');
console.log(
  table(
    ['variant', ...runs.map(([n]) => `N = ${n}`)],
    variants.map((v) => [v, ...runs.map(([, run]) => `${at(run, v, 'cores').toFixed(1)}, ${at(run, v, 'rssMb').toFixed(0)} (${(at(run, v, 'rssMb') / at(run, 'plain node', 'rssMb')).toFixed(2)}×)`)]),
  ),
);

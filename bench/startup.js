'use strict';
// Start-up of an Express app (bench/apps/startup.js): plain node; fluxion with no cache at all, on a first start
// (cold transform cache) and with a warm cache; @babel/register (cold and warm cache) as a reference. Runs
// alternate; medians, minimums and ratios.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { ROOT, SERVER_CPUS, median, machine, table } = require('./lib');

const RUNS = Number(process.env.BENCH_STARTUP_RUNS || 20);
const APP = 'bench/apps/startup.js';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-bench-'));
const warmFluxion = path.join(tmp, 'fluxion-warm');
const warmBabel = path.join(tmp, 'babel-warm.json');
fs.mkdirSync(warmFluxion);

const babelHook = path.join(tmp, 'babel-hook.js');
fs.writeFileSync(babelHook, `require(${JSON.stringify(require.resolve('@babel/register'))})({ cwd: ${JSON.stringify(ROOT)}, babelrc: false, configFile: false, presets: [], only: [/test\\/apps|samples|bench\\/apps/] });\n`);

// "first start": no transform cached (a new install, or every file of the app changed); fluxion's compiler
// comes with the code cache its install wrote (compile-cache.ts). "no cache at all": FLUXION_DISABLE_CACHE=1,
// which also ignores that code cache, as an install with scripts off (`npm ci --ignore-scripts`) starts once.
// the deploy step of the README: `fluxion precompile <entry>` into a fresh cache (not timed), then the first start.
// Every round's cache is made before the first timed start: a start right after that 2-second burst of CPU ran
// ~20% slower on the VM (pinned to one CPU: 1.20× against 1.00× for the warm start it equals).
const precompiledDirs = [];
function precompile() {
  const dir = fs.mkdtempSync(path.join(tmp, 'precompiled-'));
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'fluxion.js'), 'precompile', APP], { cwd: ROOT, env: { ...process.env, FLUXION_CACHE_DIR: dir }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fluxion precompile failed: ${r.stderr}`);
  precompiledDirs.push(dir);
}
const precompiled = () => ({ FLUXION_CACHE_DIR: precompiledDirs.shift() });
const allVariants = [
  ['plain node', [], {}],
  ['fluxion, no cache at all', ['-r', 'fluxion/register'], { FLUXION_DISABLE_CACHE: '1' }],
  ['fluxion, first start (cold cache)', ['-r', 'fluxion/register'], () => ({ FLUXION_CACHE_DIR: fs.mkdtempSync(path.join(tmp, 'cold-')) })],
  ['fluxion, first start after `fluxion precompile`', ['-r', 'fluxion/register'], precompiled],
  ['fluxion, warm cache', ['-r', 'fluxion/register'], { FLUXION_CACHE_DIR: warmFluxion }],
  ['@babel/register, cold', ['-r', babelHook], { BABEL_DISABLE_CACHE: '1' }],
  ['@babel/register, warm', ['-r', babelHook], { BABEL_CACHE_PATH: warmBabel }],
];
// BENCH_VARIANTS="fluxion, warm cache;…": a subset, by name (plain node always runs: the ratios are to it)
const wanted = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(';').map((v) => v.trim()) : null;
const variants = allVariants.filter(([name]) => !wanted || name === 'plain node' || wanted.includes(name));

/**
 * Wall time from spawn to the app's "ready" line (it listens), and the CPU time the process used until then
 * (all its threads): start-up, not shutdown. CPU time does not count the time the VM made us wait.
 */
function once(args, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // BENCH_SERVER_CPUS pins each start to those CPUs (a machine whose CPUs differ in speed moves unpinned medians)
    const [command, argv] = SERVER_CPUS ? ['taskset', ['-c', SERVER_CPUS, process.execPath, ...args, APP]] : [process.execPath, [...args, APP]];
    const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ms = 0;
    child.stdout.on('data', (d) => {
      out += d;
      if (!ms && out.includes('ready')) ms = Number(process.hrtime.bigint() - started) / 1e6;
    });
    const cpu = () => Number(/ready ([\d.]+)/.exec(out)[1]);
    child.stderr.on('data', (d) => (err += d));
    // the process ends right after "ready"; waiting for it keeps runs from overlapping
    child.on('exit', (code) => (ms && code === 0 ? resolve({ ms, cpu: cpu() }) : reject(new Error(`${args.join(' ')} ${APP} failed (${code}): ${err}`))));
  });
}

/**
 * BENCH_STARTUP_INSTRUCTIONS=1: each variant once under valgrind's callgrind, which counts the instructions the
 * process executes until it is ready: the same count run after run (±0.5%), whatever else the machine does.
 * Slower (10–40 s a run) but the one measure that settles a few percent on a noisy VM. Not counted: V8's search
 * for random primes as it makes the isolate's hash seed (`HashSeed::InitializeRoots`, Node 22 and later), 11–15 M
 * instructions that change with the seed from one start to the next, the same for every variant on average.
 */
function instructions(args, env) {
  const out = path.join(tmp, `callgrind.${process.pid}.out`);
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, ...args, APP], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`callgrind failed (${r.status}): ${r.stderr.slice(-500)}`);
  const annotated = spawnSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', out], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  fs.rmSync(out, { force: true });
  const seed = /^\s*([\d,]+) \([^)]*\)\s+\S*HashSeed::InitializeRoots/m.exec(annotated.stdout ?? '');
  return Number(m[1]) - (seed ? Number(seed[1].replace(/,/g, '')) : 0);
}

async function main() {
  const wantsPrecompiled = variants.some(([, , env]) => env === precompiled);
  if (process.env.BENCH_STARTUP_INSTRUCTIONS) {
    if (wantsPrecompiled) precompile();
    await once(['-r', 'fluxion/register'], { FLUXION_CACHE_DIR: warmFluxion, STARTUP_LINGER_MS: '1500' });
    await once(['-r', babelHook], { BABEL_CACHE_PATH: warmBabel });
    const counts = variants.map(([name, args, env]) => [name, instructions(args, typeof env === 'function' ? env() : env)]);
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`\nStart-up of an Express app (${APP}), until it listens: instructions executed (callgrind), one run each (${machine()})`);
    console.log(table(['variant', 'instructions (M)', 'vs plain'], counts.map(([name, n]) => [name, (n / 1e6).toFixed(0), `${(n / counts[0][1]).toFixed(3)}×`])));
    return;
  }
  if (wantsPrecompiled) for (let i = 0; i < RUNS; i++) precompile();
  // fill the warm caches
  await once(['-r', 'fluxion/register'], { FLUXION_CACHE_DIR: warmFluxion, STARTUP_LINGER_MS: '1500' });
  await once(['-r', babelHook], { BABEL_CACHE_PATH: warmBabel });
  const times = new Map(variants.map(([name]) => [name, []]));
  // each round in another order (a fixed seed): a start can be slowed by the one before it (seen on one pinned CPU
  // after a variant that works hard), and a fixed order would charge that to the same variant every round
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let i = 0; i < RUNS; i++) {
    const order = [...variants];
    for (let j = order.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1));
      [order[j], order[k]] = [order[k], order[j]];
    }
    for (const [name, args, env] of order) times.get(name).push(await once(args, typeof env === 'function' ? env() : env));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  // Wall time is what a user waits; on a shared VM it has long slow tails. CPU time (median) is the
  // steadier measure of what the code itself costs.
  const wall = (name) => median(times.get(name).map((r) => r.ms));
  const cpu = (name) => median(times.get(name).map((r) => r.cpu));
  const [baseWall, baseCpu] = [wall('plain node'), cpu('plain node')];
  console.log(`\nStart-up of an Express app (${APP}), until it listens: ${RUNS} runs each, alternating, medians (${machine()})`);
  console.log(
    table(
      ['variant', 'wall ms', 'vs plain', 'CPU ms', 'vs plain'],
      [...times.keys()].map((name) => [name, wall(name).toFixed(1), `${(wall(name) / baseWall).toFixed(2)}×`, cpu(name).toFixed(1), `${(cpu(name) / baseCpu).toFixed(2)}×`]),
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

'use strict';
// Shared by the benchmarks: medians, table printing, the machine line, starting servers.
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.join(__dirname, '..');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// BENCH_SERVER_CPUS (a taskset list, e.g. "0-3") pins every server a benchmark starts to those CPUs; the load
// generator then belongs on the others (bench/scaling.js pins it there): on a machine with cores to spare this
// measures the server's cores alone, which a load generator sharing them cannot.
const SERVER_CPUS = process.env.BENCH_SERVER_CPUS || '';

/** A CPU list as taskset and /proc write it ("0-3,6"), as numbers. */
function cpuList(list) {
  return list.split(',').flatMap((part) => {
    const [a, b = a] = part.split('-').map(Number);
    return Array.from({ length: b - a + 1 }, (_, i) => a + i);
  });
}

/** The CPUs this process may run on (Linux's Cpus_allowed_list), as numbers; every CPU elsewhere. */
function allowedCpus() {
  try {
    return cpuList(/Cpus_allowed_list:\s*(\S+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]);
  } catch {
    return os.cpus().map((_, i) => i);
  }
}

/** The allowed CPUs grouped by physical core (Linux's thread_siblings_list): one group per core, in order. */
function cores(cpus = allowedCpus()) {
  const groups = new Map();
  for (const cpu of cpus) {
    let key = String(cpu);
    try {
      key = require('node:fs').readFileSync(`/sys/devices/system/cpu/cpu${cpu}/topology/thread_siblings_list`, 'utf8').trim();
    } catch {
      // no topology (not Linux): every CPU its own core
    }
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(cpu);
  }
  return [...groups.values()];
}

/**
 * `n` CPUs for a server and the CPUs left for its load generator, so that "a server on 2 cores" means two
 * physical cores: the server takes one hardware thread of each of its first `n` cores (their siblings only past
 * that), and the load generator takes the other cores' threads, never a sibling of a server CPU while at least
 * two CPUs of other cores are left (a load generator on a sibling thread takes half that core from the server).
 */
function splitCpus(n, groups = cores()) {
  const server = groups.map((g) => g[0]).slice(0, n);
  for (let i = 1; server.length < n && groups.some((g) => g.length > i); i++) for (const g of groups) if (server.length < n && g[i] !== undefined) server.push(g[i]);
  const used = new Set(server);
  const apart = groups.filter((g) => !g.some((c) => used.has(c))).flat();
  const load = apart.length >= 2 ? apart : groups.flat().filter((c) => !used.has(c));
  return { server, load, siblings: groups.some((g) => g.length > 1) };
}

/** How many CPUs the servers a benchmark starts run on: BENCH_SERVER_CPUS's, or the machine's. */
function serverCpuCount() {
  return SERVER_CPUS ? cpuList(SERVER_CPUS).length : os.availableParallelism();
}

function machine() {
  const where = SERVER_CPUS ? `, server pinned to CPUs ${SERVER_CPUS}, load generator on ${os.availableParallelism()} others` : `, ${os.availableParallelism()} cores`;
  return `${new Date().toISOString().slice(0, 10)}, node ${process.version}, ${os.cpus()[0].model.trim()}, ${os.cpus().length} CPUs${where}`;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

/** Starts `node [args] file` with PORT=0 and resolves { port, stop } once it prints its listening line. */
function startServer(file, args = [], env = {}) {
  return new Promise((resolve, reject) => {
    const argv = [...args, file];
    const [command, commandArgs] = SERVER_CPUS ? ['taskset', ['-c', SERVER_CPUS, process.execPath, ...argv]] : [process.execPath, argv];
    const child = spawn(command, commandArgs, { cwd: ROOT, env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${file} did not start`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), pid: child.pid, stop: () => new Promise((done) => (child.once('exit', done), child.kill('SIGTERM'))) });
      }
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}`)));
  });
}

/**
 * The table of an autocannon scenario's variants (`results`: name → the results of its rounds): median req/s, p50 and
 * p99 latency, and the ratio to the first variant's req/s (plain node's).
 */
function ratesTable(results) {
  const rates = (runs) => median(runs.map((r) => r.requests.average));
  const base = rates([...results.values()][0]);
  return table(
    ['variant', 'req/s (median)', 'p50 ms', 'p99 ms', 'vs plain'],
    [...results].map(([name, runs]) => [name, rates(runs).toFixed(0), median(runs.map((r) => r.latency.p50)).toFixed(2), median(runs.map((r) => r.latency.p99)).toFixed(2), `${(rates(runs) / base).toFixed(3)}×`]),
  );
}

module.exports = { ROOT, SERVER_CPUS, allowedCpus, cores, splitCpus, serverCpuCount, median, machine, table, ratesTable, startServer };

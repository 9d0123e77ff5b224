'use strict';
// Compiler throughput, side by side in one run, printed as ratios (these machines are noisy: compare ratios):
// the compiler's throughput on real code (express 5 and its dependency tree), against meriyah's
// parse alone, eslint-scope on top of it, and the whole compile (parse + scopes + rupture points + pipeliner
// + fluxional printing).
const fs = require('node:fs');
const path = require('node:path');
const { parse } = require('meriyah');
const { analyze } = require('eslint-scope');
const { compile, formatFlx } = require('../dist/index.js');
const { machine } = require('./lib');

const ROOT = path.join(__dirname, '..', 'node_modules');
const files = [];
function collect(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && e.name !== 'node_modules') collect(full);
    else if (e.isFile() && e.name.endsWith('.js') && !e.name.endsWith('.min.js')) files.push(full);
  }
}
for (const pkg of ['express', 'body-parser', 'router', 'send', 'serve-static', 'qs', 'debug', 'raw-body', 'iconv-lite', 'mime-types', 'finalhandler', 'cookie']) {
  if (fs.existsSync(path.join(ROOT, pkg))) collect(path.join(ROOT, pkg));
}
const sources = files.map((f) => ({ file: f, source: fs.readFileSync(f, 'utf8') })).filter(({ source }) => {
  try {
    parse(source, { sourceType: 'commonjs', next: true });
    return true;
  } catch {
    return false;
  }
});
const bytes = sources.reduce((n, s) => n + Buffer.byteLength(s.source), 0);

const scenarios = {
  'meriyah parse': ({ source }) => parse(source, { sourceType: 'commonjs', next: true, loc: true, ranges: true }),
  'parse + eslint-scope': ({ source }) =>
    analyze(parse(source, { sourceType: 'commonjs', next: true, loc: true, ranges: true }), { ecmaVersion: 2025, sourceType: 'commonjs', nodejsScope: true }),
  'fluxion compile': ({ file, source }) => formatFlx(compile(source, { filename: file, sourceType: 'commonjs' })),
};

const ROUNDS = Number(process.env.BENCH_ROUNDS || 5);
const results = {};
for (let round = 0; round < ROUNDS; round++) {
  // interleave the scenarios so that noise hits them alike
  for (const [name, fn] of Object.entries(scenarios)) {
    const start = process.hrtime.bigint();
    for (const s of sources) fn(s);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    (results[name] ||= []).push(ms);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results['meriyah parse']);
console.log(`\nCompiler throughput: ${sources.length} files, ${(bytes / 1024).toFixed(0)} KiB (express 5 and dependencies), ${ROUNDS} rounds, median`);
console.log(machine());
console.log('scenario'.padEnd(24) + 'ms'.padStart(10) + 'MB/s'.padStart(10) + 'vs parse'.padStart(10));
for (const [name, runs] of Object.entries(results)) {
  const ms = median(runs);
  console.log(name.padEnd(24) + ms.toFixed(1).padStart(10) + (bytes / 1e6 / (ms / 1000)).toFixed(2).padStart(10) + (ms / base).toFixed(2).padStart(9) + '×');
}

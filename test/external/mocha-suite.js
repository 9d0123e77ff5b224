#!/usr/bin/env node
'use strict';
// A project's own mocha suite, run plain and under `-r fluxion/register` (FLUXION_PLACEMENT=isolate, then auto):
// every test must pass or fail as it does without fluxion. The suite is not part of this repository (express's
// tests are express's): point this at a checkout whose dependencies are installed.
//
//   node test/external/mocha-suite.js <suite dir> [mocha arguments…]
//   node test/external/mocha-suite.js ../express --require test/support/env --check-leaks test/
//
// Exit status 1 when a run under fluxion differs (a test that passes plain and fails under it, or the reverse).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const [dir, ...mochaArgs] = process.argv.slice(2);
if (!dir || !fs.existsSync(path.join(dir, 'node_modules', 'mocha'))) {
  console.error('usage: node test/external/mocha-suite.js <suite dir, with mocha installed> [mocha arguments…]');
  process.exit(2);
}
const register = path.join(__dirname, '..', '..', 'register.js');
const mochaPackage = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'mocha', 'package.json'), 'utf8'));
const mocha = path.join(dir, 'node_modules', 'mocha', typeof mochaPackage.bin === 'string' ? mochaPackage.bin : mochaPackage.bin._mocha ?? mochaPackage.bin.mocha);
const args = mochaArgs.length ? mochaArgs : ['test/'];

/** One run: the titles of the tests that passed and of those that failed (with the first line of why). */
function run(label, nodeArgs, env) {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-suite-')), 'report.json');
  const started = Date.now();
  const r = spawnSync(process.execPath, [...nodeArgs, mocha, '--reporter', 'json', '--reporter-option', `output=${out}`, ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 10 * 60 * 1000,
  });
  // (mocha before 9 has no `output` option: its report is on stdout, after whatever the tests printed)
  const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : r.stdout.slice(Math.max(0, r.stdout.lastIndexOf('{\n  "stats"')));
  let report;
  try {
    report = JSON.parse(text);
  } catch {
    console.error(`${label}: mocha wrote no report (status ${r.status})\n${r.stderr.slice(-4000)}`);
    process.exit(2);
  }
  const passed = new Set(report.passes.map((t) => t.fullTitle));
  const failed = new Map(report.failures.map((t) => [t.fullTitle, String(t.err?.message ?? '').split('\n')[0]]));
  console.log(`${label}: ${passed.size} passed, ${failed.size} failed, ${report.stats.pending} pending (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { passed, failed };
}

const plain = run('plain node', [], {});
let differences = 0;
for (const placement of ['isolate', 'auto']) {
  const hooked = run(`fluxion (${placement})`, ['-r', register], { FLUXION_PLACEMENT: placement, FLUXION_DISABLE_CACHE: '1' });
  for (const [title, why] of hooked.failed) {
    if (plain.failed.has(title)) continue;
    differences++;
    console.log(`  fails only under fluxion (${placement}): ${title}\n    ${why}`);
  }
  for (const title of plain.failed.keys()) {
    if (hooked.failed.has(title)) continue;
    differences++;
    console.log(`  ${hooked.passed.has(title) ? 'passes' : 'did not run'} only under fluxion (${placement}): ${title}`);
  }
  for (const title of plain.passed) {
    if (hooked.passed.has(title) || hooked.failed.has(title)) continue;
    differences++;
    console.log(`  did not run under fluxion (${placement}): ${title}`);
  }
}
console.log(differences ? `${differences} difference(s)` : 'no difference');
process.exit(differences ? 1 : 0);

'use strict';
// `node -r fluxion/register` (and NODE_OPTIONS) runs a program unchanged, and initialises once.
const t = require('tap');
const { spawnSync } = require('node:child_process');
const { ROOT } = require('./helpers/processes');

const script = "const fs = require('fs'); fs.readFile('package.json', (e, d) => { console.log('read', d.length > 0); process.exitCode = 3; });";
const run = (args, env = {}) =>
  spawnSync(process.execPath, [...args, '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });

t.test('same output and exit code with and without the hook', async (t) => {
  const plain = run([]);
  for (const [what, args, env] of [
    ['-r fluxion/register', ['-r', 'fluxion/register'], {}],
    ['twice (-r and NODE_OPTIONS)', ['-r', 'fluxion/register'], { NODE_OPTIONS: '-r fluxion/register' }],
    ['FLUXION_ENABLED=false', ['-r', 'fluxion/register'], { FLUXION_ENABLED: 'false' }],
  ]) {
    const r = run(args, env);
    t.equal(r.status, plain.status, `${what}: exit code`);
    t.equal(r.stdout, plain.stdout, `${what}: stdout`);
    t.equal(r.stderr, plain.stderr, `${what}: stderr`);
  }
  t.equal(plain.status, 3);
  t.equal(plain.stdout, 'read true\n');
});

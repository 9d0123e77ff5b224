'use strict';
// Packs what the benchmarks need to run on a machine that has neither Node nor the npm registry (a lent
// many-core machine, say): `node bench/remote/pack.js` writes `.bench-remote/` (git-ignored): this Node binary
// (xz), the node_modules the benchmarks load (their dependency closure only, tar.xz) and `run.sh`. Copy the
// checkout with `dist/` and `.bench-remote/` there, then `bash .bench-remote/run.sh` (see that file).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(ROOT, '.bench-remote');
// what bench/*.js, bench/apps, samples/cpu, the startup app and @babel/register load
const ROOTS = ['express', 'express4', 'express3', 'autocannon', 'piscina', 'pirates', 'meriyah', 'eslint-scope', 'eslint-visitor-keys', 'cls-hooked', 'cookie-parser', 'express-session', 'raw-body', '@babel/register', '@babel/core', 'graphql', 'graphql-http'];

/** Installed package folders of `names` and of everything they depend on, resolved as Node would. */
function closure(names) {
  const seen = new Set();
  const visit = (name, from) => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      const pj = path.join(dir, 'node_modules', name, 'package.json');
      if (fs.existsSync(pj)) {
        const pkg = path.dirname(pj);
        if (seen.has(pkg)) return;
        seen.add(pkg);
        const meta = JSON.parse(fs.readFileSync(pj, 'utf8'));
        for (const dep of Object.keys({ ...meta.dependencies, ...meta.optionalDependencies })) visit(dep, pkg);
        return;
      }
      if (path.dirname(dir) === dir) return; // not installed (an optional dependency for another platform)
    }
  };
  for (const name of names) visit(name, ROOT);
  return [...seen].map((p) => path.relative(ROOT, p)).sort();
}

fs.rmSync(OUT, { recursive: true, force: true });
fs.mkdirSync(OUT);
execFileSync('sh', ['-c', `xz -T2 -6 -c "${process.execPath}" > "${path.join(OUT, 'node.xz')}"`]);
const packages = closure(ROOTS);
execFileSync('tar', ['-cJf', path.join(OUT, 'node_modules.tar.xz'), ...packages], { cwd: ROOT });
fs.copyFileSync(path.join(__dirname, 'run.sh'), path.join(OUT, 'run.sh'));
const size = fs.readdirSync(OUT).reduce((n, f) => n + fs.statSync(path.join(OUT, f)).size, 0);
console.log(`.bench-remote/: node ${process.version}, ${packages.length} packages, ${(size / 1048576).toFixed(1)} MiB`);

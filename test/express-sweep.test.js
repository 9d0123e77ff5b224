'use strict';
// `fluxion compile` over every JavaScript file of express@5 and its whole dependency tree (installed from
// the lockfile as a devDependency): each file yields a program or a clear FluxionError, never a crash.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { compileFile, formatFlx, explain, FluxionError } = require('../dist/index.js');

function packageDir(name, from) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
    if (path.dirname(dir) === dir) return null;
  }
}

function jsFiles(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) jsFiles(full, out);
    else if (/\.(c|m)?js$/.test(entry.name)) out.push(full);
  }
  return out;
}

const root = packageDir('express', path.join(__dirname, '..'));
t.ok(root, 'express is installed');
const express = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
t.match(express.version, /^5\./, 'it is express 5');

const packages = new Map();
const queue = [root];
while (queue.length) {
  const dir = queue.shift();
  if (packages.has(dir)) continue;
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  packages.set(dir, pkg.name);
  for (const dep of Object.keys(pkg.dependencies || {})) {
    const found = packageDir(dep, dir);
    if (found) queue.push(found);
  }
}

t.test('every file of express and its dependencies compiles or fails with a clear reason', async (t) => {
  t.ok(packages.size >= 25, `walked ${packages.size} packages`);
  let programs = 0;
  let fluxions = 0;
  const reasons = [];
  for (const dir of packages.keys()) {
    for (const file of jsFiles(dir)) {
      try {
        const program = compileFile(file);
        formatFlx(program);
        explain(program);
        programs++;
        fluxions += program.fluxions.length;
      } catch (error) {
        if (!(error instanceof FluxionError)) {
          t.fail(`${path.relative(process.cwd(), file)} crashed the compiler: ${error.stack}`);
          continue;
        }
        t.match(error.headline, /^.+\.(c|m)?js(:\d+:\d+)?: .+/, `clear reason for ${file}`);
        reasons.push(error.headline);
      }
    }
  }
  t.ok(programs >= 100, `${programs} files compiled into ${fluxions} fluxions; ${reasons.length} with a reason`);
});

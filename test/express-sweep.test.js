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

t.test('the instrumented form of every file parses and keeps every line where it was', async (t) => {
  const { analyze } = require('../dist/compiler/index.js');
  const { instrument } = require('../dist/compiler/instrument.js');
  const { parse } = require('meriyah');
  let checked = 0;
  for (const dir of packages.keys()) {
    for (const file of jsFiles(dir)) {
      const source = fs.readFileSync(file, 'utf8');
      let analysis;
      try {
        analysis = analyze(source, { filename: file, withCode: false });
      } catch {
        continue; // reported by the test above
      }
      const out = instrument(analysis, '/fluxion/runtime.js', file).code;
      try {
        parse(out, { sourceType: analysis.program.sourceType, next: true, webcompat: true });
      } catch (error) {
        t.fail(`${path.relative(process.cwd(), file)}: the rewrite does not parse: ${error.message}`);
        continue;
      }
      const before = source.split('\n');
      const after = out.split('\n');
      const moved = before.findIndex((line, i) => {
        const rewritten = after[i];
        // every original character is still on its line, in order (insertions only)
        let k = 0;
        for (const c of line) {
          k = rewritten.indexOf(c, k);
          if (k < 0) return true;
          k++;
        }
        return false;
      });
      if (moved >= 0) t.fail(`${file}:${moved + 1} moved`);
      checked++;
    }
  }
  t.ok(checked >= 150, `${checked} files rewritten, parsed again, lines in place`);
});

'use strict';
// The require hook on real processes: stack traces, the cache, bad input, fail-open, the report.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { ROOT, serve, fluxion, startApp, request } = require('./helpers/processes');

const HOOK = ['-r', 'fluxion/register'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-hook-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(args, env = {}) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('a thrown error has the same stack with and without fluxion, cold and warm cache', async (t) => {
  const cacheDir = path.join(tmp, 'stack-cache');
  fs.mkdirSync(cacheDir);
  const requests = [{ path: '/sync' }, { path: '/async' }, { path: '/made' }];
  const plain = await serve('test/apps/stack/app.js', [], {}, requests);
  const env = { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:hook' };
  const cold = await serve('test/apps/stack/app.js', HOOK, env, requests);
  t.ok(fs.readdirSync(cacheDir).length > 0, 'the cold run filled the cache');
  const warm = await serve('test/apps/stack/app.js', HOOK, env, requests);
  for (const [i, r] of plain.entries()) {
    const stack = r.body.toString();
    t.equal(r.status, 500);
    t.match(stack, /^Error: cannot parse \d+ bytes\n {4}at parse \(.*test\/apps\/stack\/app\.js:7:15\)\n/, 'plain stack names the throw');
    t.match(stack, [/at syncRoute \(.*app\.js:13:3\)/, /at onRead \(.*app\.js:19:7\)/, /\n {4}at \/.*app\.js:56:3\n/][i]);
    t.equal(cold[i].body.toString(), stack, `${requests[i].path}: cold cache, same stack`);
    t.equal(warm[i].body.toString(), stack, `${requests[i].path}: warm cache, same stack`);
  }
});

t.test('an error under awaits of an async fluxion: the same stack, with and without source maps', async (t) => {
  const requests = [{ path: '/await' }];
  const env = { FLUXION_DISABLE_CACHE: '1' };
  // the children of this test runner inherit no source-map flag: set it, or not, explicitly
  const noMaps = { NODE_OPTIONS: (process.env.NODE_OPTIONS ?? '').replace(/--enable-source-maps/g, '') };
  const plain = (await serve('test/apps/stack/app.js', [], noMaps, requests))[0].body.toString();
  t.match(plain, /at check \(.*app\.js:28:3\)\n.*\n {4}at async awaitRoute \(.*app\.js:34:5\)/);
  const hooked = (await serve('test/apps/stack/app.js', HOOK, { ...env, ...noMaps }, requests))[0].body.toString();
  t.equal(hooked, plain, 'without source maps: the same stack (nothing is spliced before an `await`, so its async frame keeps its column)');
  const mapped = ['--enable-source-maps'];
  const plainMapped = (await serve('test/apps/stack/app.js', mapped, noMaps, requests))[0].body.toString();
  const hookedMapped = (await serve('test/apps/stack/app.js', [...mapped, ...HOOK], { ...env, ...noMaps }, requests))[0].body.toString();
  t.equal(hookedMapped, plainMapped, 'with --enable-source-maps: exactly the same stack');
});

t.test('a file with a source map of its own: stacks map to its sources as without fluxion (chained maps)', async (t) => {
  const requests = [{ path: '/sync' }, { path: '/async' }, { path: '/arrow' }];
  const maps = ['--enable-source-maps'];
  for (const file of ['test/apps/mapped/app.js', 'test/apps/mapped/inline.js']) {
    const cacheDir = fs.mkdtempSync(path.join(tmp, 'mapped-'));
    const plain = await serve(file, maps, {}, requests);
    const cold = await serve(file, [...maps, ...HOOK], { FLUXION_CACHE_DIR: cacheDir }, requests);
    const warm = await serve(file, [...maps, ...HOOK], { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:hook' }, requests);
    for (const [i, r] of plain.entries()) {
      const stack = r.body.toString();
      t.match(stack, /\n {4}at [\w.]+ \(.*test\/apps\/mapped\/src\/app\.ts:\d+:\d+\)/, `${file} ${requests[i].path}: plain node maps to the TypeScript source`);
      t.equal(cold[i].body.toString(), stack, `${file} ${requests[i].path}: same stack, cold cache`);
      t.equal(warm[i].body.toString(), stack, `${file} ${requests[i].path}: same stack, warm cache`);
    }
  }
  // an external map is part of the cache key: a new map with the same code is not served the old chain
  const dir = path.join(ROOT, 'test', 'apps', '.mapped-copy');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.copyFileSync(path.join(ROOT, 'test/apps/mapped/app.js'), path.join(dir, 'app.js'));
  const map = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/apps/mapped/app.js.map'), 'utf8'));
  map.sources = ['../mapped/src/app.ts'];
  fs.writeFileSync(path.join(dir, 'app.js.map'), JSON.stringify(map));
  const cacheDir = fs.mkdtempSync(path.join(tmp, 'mapped-copy-'));
  const copy = path.relative(ROOT, path.join(dir, 'app.js'));
  const first = await serve(copy, [...maps, ...HOOK], { FLUXION_CACHE_DIR: cacheDir }, [{ path: '/sync' }]);
  t.match(first[0].body.toString(), /at parse \(.*test\/apps\/mapped\/src\/app\.ts:15:29\)/);
  map.sources = ['../mapped/src/renamed.ts'];
  fs.writeFileSync(path.join(dir, 'app.js.map'), JSON.stringify(map));
  const second = await serve(copy, [...maps, ...HOOK], { FLUXION_CACHE_DIR: cacheDir }, [{ path: '/sync' }]);
  t.match(second[0].body.toString(), /at parse \(.*test\/apps\/mapped\/src\/renamed\.ts:15:29\)/, 'the new map is used');
});

t.test('an index source map (sections): stacks map as without fluxion', async (t) => {
  // a banner line with a section of its own, then the mapped app shifted one line down, in a second section
  const dir = path.join(ROOT, 'test', 'apps', '.mapped-index');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const code = fs.readFileSync(path.join(ROOT, 'test/apps/mapped/app.js'), 'utf8').replace(/\/\/# sourceMappingURL=.*\n?$/, '');
  const map = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/apps/mapped/app.js.map'), 'utf8'));
  map.sources = map.sources.map((s) => `../mapped/${s}`);
  fs.writeFileSync(path.join(dir, 'banner.txt'), 'built by a bundler\n');
  const index = {
    version: 3,
    file: 'app.js',
    sections: [
      { offset: { line: 0, column: 0 }, map: { version: 3, sources: ['banner.txt'], names: [], mappings: 'AAAA' } },
      { offset: { line: 1, column: 0 }, map },
    ],
  };
  fs.writeFileSync(path.join(dir, 'app.js'), `/* banner */ void 0;\n${code}//# sourceMappingURL=app.js.map\n`);
  fs.writeFileSync(path.join(dir, 'app.js.map'), JSON.stringify(index));
  const file = path.relative(ROOT, path.join(dir, 'app.js'));
  const requests = [{ path: '/sync' }, { path: '/async' }];
  const maps = ['--enable-source-maps'];
  const plain = await serve(file, maps, {}, requests);
  const hooked = await serve(file, [...maps, ...HOOK], { FLUXION_CACHE_DIR: fs.mkdtempSync(path.join(tmp, 'index-')), DEBUG: 'fluxion:hook' }, requests);
  // Node 20's loader drops index maps (plain stacks show app.js's own positions); a Node that reads them maps
  // through the second section: fluxion's stacks are the same either way
  for (const [i, r] of plain.entries()) {
    const stack = r.body.toString();
    t.match(stack, /at parse \(.*test\/apps\/(\.mapped-index\/app\.js:2:\d+|mapped\/src\/app\.ts:15:29)\)/, `${requests[i].path}: plain node's frame`);
    t.equal(hooked[i].body.toString(), stack, `${requests[i].path}: same stack under fluxion`);
  }
});

t.test('chaining through an index map finds what Node finds in it, section by section', async (t) => {
  const { SourceMap } = require('node:module');
  const { chainSourceMaps } = require('../dist/compiler/bundle.js');
  const inner = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/apps/mapped/app.js.map'), 'utf8'));
  const index = {
    version: 3,
    sections: [
      { offset: { line: 0, column: 0 }, map: { version: 3, sources: ['banner.txt'], names: [], mappings: 'AAAA,IAAI' } },
      { offset: { line: 0, column: 20 }, map: { version: 3, sources: ['mid.ts'], names: ['x'], mappings: 'AAAAA,EAAE;AACF' } },
      { offset: { line: 2, column: 0 }, map: inner },
    ],
  };
  // fluxion's own map, standing in for a rewrite: every 7th column of the first 3 lines maps to itself
  const vlq = (n) => {
    let v = n < 0 ? (-n << 1) | 1 : n << 1;
    let out = '';
    do {
      let digit = v & 31;
      v >>>= 5;
      if (v) digit |= 32;
      out += 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[digit];
    } while (v);
    return out;
  };
  const lines = [];
  const points = [];
  let prevOrigLine = 0;
  let prevOrigCol = 0;
  for (let line = 0; line < 3; line++) {
    const segs = [];
    let prevGen = 0;
    for (let col = 0; col < 1500; col += 7) {
      segs.push(vlq(col - prevGen) + vlq(0) + vlq(line - prevOrigLine) + vlq(col - prevOrigCol));
      [prevGen, prevOrigLine, prevOrigCol] = [col, line, col];
      points.push([line, col]);
    }
    lines.push(segs.join(','));
  }
  const ours = { version: 3, sources: ['app.js'], names: [], mappings: lines.join(';') };
  const chained = new SourceMap(chainSourceMaps(ours, index, 'file:///x/app.js'));
  const direct = new SourceMap(index);
  let same = 0;
  for (const [line, col] of points) {
    const a = chained.findEntry(line, col);
    const b = direct.findEntry(line, col);
    const key = (e) => (e.originalSource === undefined ? 'none' : `${e.originalSource.replace(/^file:\/\/\/x\//, '')}:${e.originalLine}:${e.originalColumn}`);
    if (key(a) === key(b)) same++;
    else t.fail(`${line}:${col}: chained ${key(a)}, Node ${key(b)}`);
  }
  t.equal(same, points.length, 'every position maps where Node maps it through the sections');
});

t.test('the warm run reads the cache', async (t) => {
  const cacheDir = path.join(tmp, 'warm');
  fs.mkdirSync(cacheDir);
  const env = { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:hook' };
  const first = run([...HOOK, 'test/apps/ignored/app.js'], env);
  t.equal(first.status, 0, first.stderr);
  const script = path.join(tmp, 'cached.js');
  fs.writeFileSync(script, "require('fs').readFile(__filename, function done(e, d) { console.log(d.length > 0); });\n");
  const cold = run([...HOOK, script], env);
  const warm = run([...HOOK, script], env);
  t.match(cold.stderr, /cached\.js: rewritten/);
  t.match(warm.stderr, /cached\.js: from the cache/);
  t.equal(cold.stdout, 'true\n');
  t.equal(warm.stdout, 'true\n');
});

t.test('the transform cache keeps one entry per file: an edit replaces it (a new build of fluxion too: the file part of a name leaves the version out)', async (t) => {
  const cacheDir = fs.mkdtempSync(path.join(tmp, 'edits-'));
  const env = { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:hook' };
  const script = path.join(tmp, 'edited.js');
  const entries = () =>
    fs
      .readdirSync(cacheDir, { recursive: true })
      .filter((f) => f.endsWith('.js'))
      .map((f) => path.join(cacheDir, f));
  const ofScript = () => entries().filter((f) => fs.readFileSync(f, 'utf8').includes('edition'));
  for (const edition of [1, 2, 3]) {
    fs.writeFileSync(script, `require('fs').readFile(__filename, function done(e, d) { console.log('edition ${edition}', d.length > 0); });\n`);
    const r = run([...HOOK, script], env);
    t.equal(r.stdout, `edition ${edition} true\n`, r.stderr);
    t.match(r.stderr, /edited\.js: rewritten/);
  }
  t.equal(ofScript().length, 1, 'one entry for the file, its last edition');
  t.match(fs.readFileSync(ofScript()[0], 'utf8'), /edition 3/);
  // an entry of an earlier fluxion (names without a file part), in the same folder: removed with the next write there
  const shard = path.dirname(ofScript()[0]);
  const old = path.join(shard, `${path.basename(shard)}${'0'.repeat(62)}.js`);
  fs.writeFileSync(old, '// an entry named the old way\n');
  fs.writeFileSync(script, "require('fs').readFile(__filename, function done(e, d) { console.log('edition 4', d.length > 0); });\n");
  t.equal(run([...HOOK, script], env).stdout, 'edition 4 true\n');
  t.notOk(fs.existsSync(old), 'the old-style entry is gone');
  const warm = run([...HOOK, script], env);
  t.match(warm.stderr, /edited\.js: from the cache/, 'the kept entry is read');
});

t.test('a cold start loads the compiler from the code cache written at install (fluxion precompile)', async (t) => {
  const made = fluxion(['precompile']);
  t.equal(made.status, 0, made.stderr);
  t.match(made.stdout, /^fluxion: code cache of 2 files \(the require hook with its runtime, and the compiler\) for node v[\d.]+ in .*dist\/\.code-cache \(\d+ ms\)\n$/);
  const usage = fluxion(['precompile', '--fast']);
  t.equal(usage.status, 1);
  t.equal(usage.stderr, 'fluxion: unknown option --fast (try: fluxion help)\n');
  t.equal(fluxion(['precompile', 'missing.js']).stderr, 'fluxion: missing.js: no such file\n', 'an entry that does not exist is named');
  const script = path.join(tmp, 'precompiled.js');
  fs.writeFileSync(script, "require('fs').readFile(__filename, function done(e, d) { console.log(d.length > 0); });\n");
  const cacheDir = fs.mkdtempSync(path.join(tmp, 'first-start-'));
  const first = run([...HOOK, script], { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:cache,fluxion:hook' });
  t.equal(first.stdout, 'true\n', first.stderr);
  t.match(first.stderr, /precompiled\.js: rewritten/, 'the transform cache was cold');
  t.match(first.stderr, /compiler loaded in [\d.]+ ms: [1-9]\d* files from the install-time code cache, 0 from .*, 0 compiled/);
  t.notOk(fs.existsSync(path.join(cacheDir, 'v8')), 'a command that ends at once: nothing more written at its exit');
  // the install loaded the require hook only; a start also runs its transform and the runtime's registration of
  // each file: a process that lives a second (a server) writes the hook's entry, with what it compiled, to the
  // transform cache (the compiler's is not written)
  const server = path.join(tmp, 'precompiled-server.js');
  fs.writeFileSync(server, "require('fs').readFile(__filename, function done(e, d) { console.log(d.length > 0); setTimeout(function () {}, 1300); });\n");
  const served = run([...HOOK, server], { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:cache' });
  t.equal(served.stdout, 'true\n', served.stderr);
  t.match(served.stderr, /wrote the code cache of 1 files to .*v8/);
  const shipped = fs.readdirSync(path.join(ROOT, 'dist', '.code-cache'));
  const local = fs.readdirSync(path.join(cacheDir, 'v8'));
  t.equal(local.length, 1, `one entry (${local.join(', ')})`);
  t.ok(shipped.includes(local[0]), "the require hook's, under the install-time entry's name");
  const size = (dir) => fs.statSync(path.join(dir, local[0])).size;
  t.ok(size(path.join(cacheDir, 'v8')) > size(path.join(ROOT, 'dist', '.code-cache')), 'holding more functions than the install-time one');
  const written = fs.statSync(path.join(cacheDir, 'v8', local[0])).mtimeMs;
  const second = run([...HOOK, server], { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:cache,fluxion:hook' });
  t.equal(second.stdout, 'true\n', second.stderr);
  t.notMatch(second.stderr, /wrote the code cache/, 'read, not written again');
  t.equal(fs.statSync(path.join(cacheDir, 'v8', local[0])).mtimeMs, written);
  const off = run([...HOOK, script], { FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:cache' });
  t.equal(off.stdout, 'true\n', off.stderr);
  t.notMatch(off.stderr, /install-time code cache/, 'FLUXION_DISABLE_CACHE turns the code cache off too');
});

t.test('where the install-time code cache does not fit (other V8 flags, another Node), the require hook keeps one in the transform cache', async (t) => {
  const cacheDir = fs.mkdtempSync(path.join(tmp, 'hook-v8-'));
  const script = path.join(tmp, 'hook-v8.js');
  // a server, stopped by a signal: no 'exit' event, the cache is written a second after the start
  fs.writeFileSync(script, "require('http').createServer(function (req, res) { res.end('ok'); }).listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });\n");
  const start = async (flags = ['--no-opt']) => {
    const app = await startApp(script, { nodeArgs: [...flags, ...HOOK], env: { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:cache' } });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await app.stop();
    return app.output().stderr;
  };
  const first = await start();
  t.match(first, /require hook loaded in [\d.]+ ms: 0 files from the install-time code cache, 0 from .*v8, [1-9]\d* compiled/, 'V8 rejects the install-time entries under --no-opt');
  t.match(first, /wrote the code cache of [1-9]\d* files to .*v8/);
  const second = await start();
  t.notMatch(second, /require hook loaded/, 'the next start compiles nothing');
  // a start without those flags: V8 rejects the local entries, takes the install-time ones, and leaves the local
  // ones to the starts they fit (no two kinds of starts replacing each other's entries at every start)
  const entries = () => fs.readdirSync(path.join(cacheDir, 'v8')).map((name) => [name, fs.statSync(path.join(cacheDir, 'v8', name)).mtimeMs]);
  const kept = entries();
  const other = await start([]);
  t.notMatch(other, /require hook loaded|wrote the code cache/, 'another kind of start: from the install-time cache, nothing written');
  t.same(entries(), kept);
  // a later build of fluxion (or another file's mtime) writes new entries: they replace the file's earlier ones
  const v8dir = path.join(cacheDir, 'v8');
  const written = fs.readdirSync(v8dir);
  t.ok(written.length > 0 && written.every((n) => /^[0-9a-f]{14}-[0-9a-f]{14}\.bin$/.test(n)), `entries named <file>-<build> (${written.join(', ')})`);
  for (const name of written) {
    fs.renameSync(path.join(v8dir, name), path.join(v8dir, `${name.slice(0, 15)}${'0'.repeat(14)}.bin`));
  }
  fs.writeFileSync(path.join(v8dir, '0123456789abcd.bin'), 'an entry named the old way');
  const third = await start();
  t.match(third, /wrote the code cache of [1-9]\d* files to .*v8/, 'the renamed entries are not this build: compiled and written again');
  const now = fs.readdirSync(v8dir);
  t.notOk(now.includes('0123456789abcd.bin'), 'the old-style entry is gone');
  const stale = (name) => `${name.slice(0, 15)}${'0'.repeat(14)}.bin`;
  t.ok(written.some((name) => now.includes(name) && !now.includes(stale(name))), 'the require hook: its new entry replaced its stale one');
  // (a file this start did not load, the compiler's, keeps its entry until a start that loads it)
  t.ok(written.every((name) => now.includes(name) !== now.includes(stale(name))), `one entry per file (${now.join(', ')})`);
});

t.test("an app whose fluxions all stay on the main loop: fluxion's code never requires node:worker_threads (its sampled messages included)", async (t) => {
  // (asked of fluxion's own requires, by a preload before it: tap's loader, which it gives child processes, runs
  // Node's hooks thread, a worker, so Node's list of loaded modules has it anyway)
  const watch = path.join(tmp, 'watch-requires.js');
  fs.writeFileSync(
    watch,
    `const Module = require('node:module');
const require0 = Module.prototype.require;
globalThis.workerRequires = [];
Module.prototype.require = function (id) {
  if (/^(node:)?worker_threads$/.test(id) && this.filename && this.filename.startsWith(${JSON.stringify(ROOT)})) globalThis.workerRequires.push(this.filename);
  return require0.apply(this, arguments);
};
`,
  );
  const script = path.join(tmp, 'no-workers.js');
  fs.writeFileSync(
    script,
    `const express = require(${JSON.stringify(require.resolve('express'))});
const app = express();
app.get('/', (req, res) => setImmediate(() => res.send('ok')));
app.get('/required', (req, res) => res.json(globalThis.workerRequires));
app.listen(0, '127.0.0.1', function () { console.log('listening on http://127.0.0.1:' + this.address().port); });
`,
  );
  const report = path.join(tmp, 'no-workers.json');
  const cacheDir = fs.mkdtempSync(path.join(tmp, 'no-workers-'));
  for (const start of ['a first start', 'a warm start']) {
    const app = await startApp(script, { nodeArgs: ['-r', watch, ...HOOK], env: { FLUXION_CACHE_DIR: cacheDir, FLUXION_REPORT: report } });
    try {
      for (let i = 0; i < 4; i++) t.equal((await request(app.port, { path: '/' })).body.toString(), 'ok');
      t.same(JSON.parse((await request(app.port, { path: '/required' })).body.toString()), [], `${start}: not required (3 M instructions of a start on Node 22, with its internals)`);
    } finally {
      await app.stop();
    }
    const fluxions = JSON.parse(fs.readFileSync(report, 'utf8')).fluxions;
    t.ok(fluxions.some((f) => f.messages >= 4 && f.placement === 'main'), 'the route ran its messages on the main loop, its second one sampled');
  }
});

t.test('-r fluxion/register loads the require hook as one bundled file, from its install-time code cache', async (t) => {
  const probe = "const own = Object.keys(require.cache).filter((f) => f.includes('/dist/')).map((f) => f.slice(f.indexOf('/dist/') + 1)); console.log(JSON.stringify(own));";
  const r = run([...HOOK, '-e', probe], { DEBUG: 'fluxion:cache' });
  t.equal(r.status, 0, r.stderr);
  const loaded = JSON.parse(r.stdout);
  t.ok(loaded.includes('dist/register.bundle.js'), 'the bundle');
  t.notOk(loaded.some((f) => /^dist\/(register|hook|config|cache|glob|files)\.js$/.test(f)), `not its files one by one (${loaded.join(', ')})`);
  t.notMatch(r.stderr, /require hook loaded/, 'silent: nothing had to be compiled');
  // the runtime travels in the bundle: a rewritten file's require of dist/runtime/index.js (and the lazily loaded
  // files' require of ../debug) find the bundle's copies in Node's module cache, never read from disk
  const app = path.join(tmp, 'bundled-runtime-app.js');
  fs.writeFileSync(app, `require('fs').readFile(__filename, function done(e, d) {\n  const rt = require(${JSON.stringify(path.join(ROOT, 'dist', 'runtime', 'index.js'))});\n  console.log(d.length > 0, rt.registry() === globalThis[Symbol.for('fluxion.registry')], typeof require(${JSON.stringify(path.join(ROOT, 'dist', 'debug.js'))}).warnOnce);\n});\n`);
  const bundled = run([...HOOK, app], { NODE_DEBUG: 'module', FLUXION_DISABLE_CACHE: '1' });
  t.equal(bundled.stdout, 'true true function\n', bundled.stderr.slice(-2000));
  const fromDisk = [...bundled.stderr.matchAll(/load "[^"]*\/(dist\/[^"]+)" for module/g)].map((m) => m[1]);
  t.ok(fromDisk.includes('dist/register.bundle.js'), `the bundle is read (${fromDisk.join(', ')})`);
  t.notOk(fromDisk.some((f) => /^dist\/(debug|errors|specifiers|runtime\/(index|registry|clock))\.js$/.test(f)), `the files it carries are not (${fromDisk.join(', ')})`);
  const inWorker = "new (require('node:worker_threads').Worker)(\"require('node:worker_threads').parentPort.postMessage(Object.keys(require.cache).filter((f) => f.includes('/dist/')).length)\", { eval: true }).on('message', (n) => console.log(n));";
  const worker = run([...HOOK, '-e', inWorker]);
  t.equal(worker.stdout, '0\n', `a worker thread's preload loads none of fluxion's files (${worker.stderr})`);
  // a build without the bundle (tsc alone) runs the same code file by file
  const copy = fs.mkdtempSync(path.join(tmp, 'no-bundle-'));
  fs.copyFileSync(path.join(ROOT, 'register.js'), path.join(copy, 'register.js'));
  fs.mkdirSync(path.join(copy, 'dist'));
  for (const f of fs.readdirSync(path.join(ROOT, 'dist'))) if (f !== 'register.bundle.js') fs.symlinkSync(path.join(ROOT, 'dist', f), path.join(copy, 'dist', f));
  const script = path.join(tmp, 'no-bundle-app.js');
  fs.writeFileSync(script, "require('fs').readFile(__filename, function done(e, d) { console.log(d.length > 0); });\n");
  const fallback = run(['-r', path.join(copy, 'register.js'), script], { FLUXION_DISABLE_CACHE: '1', DEBUG: 'fluxion:hook' });
  t.equal(fallback.stdout, 'true\n', fallback.stderr);
  t.match(fallback.stderr, /no-bundle-app\.js: rewritten/, 'without the bundle: dist/register.js, file by file');
  const unbundled = run(['-r', './dist/register.js', '-e', "require('./dist/register.js').register(); console.log(typeof globalThis[Symbol.for('fluxion.register')])"]);
  t.equal(unbundled.stdout, 'object\n', 'dist/register.js (the programmatic API) is the same code');
});

t.test('fluxion precompile <entry>: the app files it reaches are rewritten into the cache, and the first start is warm', async (t) => {
  const cacheDir = fs.mkdtempSync(path.join(tmp, 'precompiled-app-'));
  // the same flags in both processes (this runner's loaders turn source maps on, which changes the output)
  const plainEnv = { ...process.env, NODE_OPTIONS: '', FLUXION_CACHE_DIR: cacheDir };
  const made = spawnSync(process.execPath, [path.join(ROOT, 'bin/fluxion.js'), 'precompile', 'bench/apps/startup.js'], { cwd: ROOT, encoding: 'utf8', env: plainEnv });
  t.equal(made.status, 0, made.stderr);
  t.match(made.stdout, /; 5 app files into .* \(4 rewritten, 1 unchanged, 0 failed\)/, 'the entry, and what it requires, transitively');
  const first = run([...HOOK, 'bench/apps/startup.js'], { ...plainEnv, DEBUG: 'fluxion:hook' });
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, /ready/);
  t.equal((first.stderr.match(/: from the cache/g) ?? []).length, 5, 'every app file came from the cache (visitor.js left as it is)');
  t.notMatch(first.stderr, /rewritten in/, 'nothing was compiled at start-up');
  const off = spawnSync(process.execPath, [path.join(ROOT, 'bin/fluxion.js'), 'precompile', 'bench/apps/startup.js'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, FLUXION_DISABLE_CACHE: '1' } });
  t.equal(off.status, 1);
  t.match(off.stderr, /the transform cache is disabled or unusable: nothing to fill/);
});

t.test("a user's syntax error is Node's own error", async (t) => {
  const plain = run(['test/apps/bad-syntax/app.js']);
  const hooked = run([...HOOK, 'test/apps/bad-syntax/app.js']);
  t.equal(plain.status, 1);
  t.equal(hooked.status, plain.status);
  const head = (s) => s.split('\n').filter((l) => !/^\s+at /.test(l) && !/^Node\.js v/.test(l)).join('\n');
  t.match(plain.stderr, /app\.js:5\n {2}res\.send\('never';\n.*\^+\n\nSyntaxError: missing \) after argument list/);
  t.equal(head(hooked.stderr), head(plain.stderr));
});

t.test('an unusable cache directory: one warning, the app runs', async (t) => {
  const notADir = path.join(tmp, 'a-file');
  fs.writeFileSync(notADir, 'x');
  for (const dir of [notADir, path.join(tmp, 'missing', 'dir')]) {
    const r = run([...HOOK, 'test/apps/eval/app.js'], { FLUXION_CACHE_DIR: dir, PORT: '-1' });
    // PORT=-1 makes listen throw: we only want the start-up, the warning and a clean failure of the app's own
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('fluxion: warning:'));
    t.equal(warnings.length, 1, `one warning for ${dir}`);
    t.match(warnings[0], /transform cache disabled: cannot use .* \((ENOTDIR|ENOENT)\)/);
  }
  const served = await serve('test/apps/eval/app.js', HOOK, { FLUXION_CACHE_DIR: notADir }, [{ path: '/world' }]);
  t.equal(served[0].body.toString(), 'hello world!');
});

t.test('an invalid option stops at start, naming the option', async (t) => {
  const cases = [
    [{ FLUXION_THREADS: 'many' }, /^fluxion: FLUXION_THREADS must be an integer from 1 to 1024 \(got "many"\)\n$/],
    [{ FLUXION_PLACEMENT: 'everywhere' }, /^fluxion: FLUXION_PLACEMENT must be "auto", "inline" or "isolate" \(got "everywhere"\)\n$/],
    [{ FLUXION_LOG_LEVEL: 'loud' }, /^fluxion: FLUXION_LOG_LEVEL must be /],
    [{ FLUXION_ENABLED: 'perhaps' }, /^fluxion: FLUXION_ENABLED must be true or false/],
    [{ FLUXION_IDLE_MS: 'soon' }, /^fluxion: FLUXION_IDLE_MS must be a number of milliseconds \(0 or more\) \(got "soon"\)\n$/],
    [{ FLUXION_SCAVENGE_MB: 'lots' }, /^fluxion: FLUXION_SCAVENGE_MB must be a number of megabytes \(0 or more\) \(got "lots"\)\n$/],
    [{ FLUXION_MAX_IN_FLIGHT: '0' }, /^fluxion: FLUXION_MAX_IN_FLIGHT must be an integer of 1 or more \(got "0"\)\n$/],
    [{ FLUXION_STATEFUL_PACKAGES: 'mongoose, ../db' }, /^fluxion: FLUXION_STATEFUL_PACKAGES must be a list of package names \(got "mongoose, ..\/db"\)\n$/],
  ];
  for (const [env, expected] of cases) {
    const r = run([...HOOK, '-e', 'console.log("ran")'], env);
    t.equal(r.status, 1, JSON.stringify(env));
    t.match(r.stderr, expected);
    t.equal(r.stdout, '', 'the app did not run');
  }
  const dir = path.join(tmp, 'badconfig');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'fluxion.config.json'), JSON.stringify({ placement: 'sideways' }));
  const r = spawnSync(process.execPath, ['-r', path.join(ROOT, 'register.js'), '-e', '1'], { cwd: dir, encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /fluxion\.config\.json: fluxion\.config\.json\.placement must be "auto", "inline" or "isolate" \(got "sideways"\)/);
});

t.test('eval and with: the app answers the same', async (t) => {
  const requests = [{ path: '/world' }, { path: '/fluxion' }];
  const plain = await serve('test/apps/eval/app.js', [], {}, requests);
  const hooked = await serve('test/apps/eval/app.js', HOOK, { FLUXION_DISABLE_CACHE: '1' }, requests);
  t.same(hooked.map((r) => r.body.toString()), plain.map((r) => r.body.toString()));
  t.equal(plain[0].body.toString(), 'hello world!');
});

t.test('a file marked `fluxion ignore` and FLUXION_ENABLED=false are not rewritten', async (t) => {
  const ignored = run([...HOOK, 'test/apps/ignored/app.js'], { DEBUG: 'fluxion:hook', FLUXION_DISABLE_CACHE: '1' });
  t.equal(ignored.stdout, '/* fluxion ignore */\n');
  t.match(ignored.stderr, /ignored\/app\.js: nothing to rewrite/);
  const off = run([...HOOK, 'samples/counter/app.js'], { DEBUG: 'fluxion:*', FLUXION_ENABLED: 'false', PORT: '-1' });
  t.notMatch(off.stderr, /fluxion:/);
});

t.test('the gifsockets sample: the report shows saveBody, its getRawBody callback and writeTextToImages', async (t) => {
  const report = path.join(tmp, 'gif-report.json');
  const served = await serve('samples/gifsockets/app.js', HOOK, { FLUXION_REPORT: report, FLUXION_DISABLE_CACHE: '1' }, [
    { method: 'POST', path: '/image/text', body: 'one' },
    { method: 'POST', path: '/image/text', body: 'two' },
  ]);
  t.same(served.map((r) => r.status), [200, 200]);
  const json = JSON.parse(fs.readFileSync(report, 'utf8'));
  const byId = (id) => json.fluxions.find((f) => f.id === id);
  t.match(byId('saveBody'), { kind: 'start', file: 'samples/gifsockets/app.js', line: 10, placement: 'main', messages: 2 });
  t.match(byId('writeTextToImages'), { kind: 'start', file: 'samples/gifsockets/routes.js', line: 4, messages: 2 });
  t.match(byId('anonymous_1000'), { kind: 'post', line: 14, messages: 2, tags: ['network'] });
  t.ok(byId('saveBody').cpuMsPerMessage > 0, 'CPU time per message is measured');
  t.same(json.streams.find((s) => s.to === 'anonymous_1000'), { from: 'saveBody', to: 'anonymous_1000', type: 'post', vars: ['req', 'next'], messages: 2 });
  t.match(json.streams.find((s) => s.to === 'saveBody'), { from: 'main', type: 'start', messages: 2 });
  const printed = fluxion(['report', report]);
  t.equal(printed.status, 0, printed.stderr);
  t.match(printed.stdout, /\nflx saveBody {4}# start samples\/gifsockets\/app\.js:10, main, 2 messages, [\d.]+ ms\/message\n-> anonymous_1000 \[req, next\] {4}# 2 messages\n/);
});

t.test('programmatic register(options) and unregister()', async (t) => {
  const script = `
    const { register } = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
    const stop = register({ disableCache: true, logLevel: 'debug' });
    require(${JSON.stringify(path.join(ROOT, 'test/apps/ignored/app.js'))});
    stop();
    require(${JSON.stringify(path.join(ROOT, 'samples/figure5/db.js'))});
  `;
  const r = run(['-e', script], { DEBUG: '' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /fluxion:hook test\/apps\/ignored\/app\.js: nothing to rewrite/);
  t.notMatch(r.stderr, /figure5\/db\.js/, 'nothing is rewritten after unregister()');
  // unregister() brings every fluxion back to the main loop with its latest state
  const stateful = `
    const http = require('node:http');
    process.env.PORT = '0';
    const { register } = require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))});
    const stop = register({ disableCache: true, placement: 'isolate', threads: 1 });
    const get = (port, p) => new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port, path: p }, (r) => {
      let body = '';
      r.on('data', (d) => (body += d));
      r.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject));
    const log = console.log;
    console.log = async (line) => {
      const port = Number(/listening on http:\\/\\/127\\.0\\.0\\.1:(\\d+)/.exec(line)[1]);
      const out = [await get(port, '/hit/a'), await get(port, '/hit/a')];
      stop();
      out.push(await get(port, '/hit/b'), await get(port, '/hit/a'));
      log(JSON.stringify(out));
      process.exit(0);
    };
    require(${JSON.stringify(path.join(ROOT, 'test/apps/state/app.js'))});
  `;
  const back = run(['-e', stateful], { DEBUG: '' });
  t.equal(back.status, 0, back.stderr);
  const hits = JSON.parse(back.stdout);
  t.match(hits, [{ hits: 1 }, { hits: 2 }, { hits: 3, mine: 1, thread: 0 }, { hits: 4, mine: 3, thread: 0 }], 'the counter and the map go on, on the main loop, after unregister()');
  t.not(hits[0].thread, 0, 'it ran on a worker before');
  const bad = run(['-e', `require(${JSON.stringify(path.join(ROOT, 'dist/index.js'))}).register({ threads: 0 })`]);
  t.match(bad.stderr, /options\.threads must be an integer from 1 to 1024 \(got 0\)/);
});

t.test('a closure made at run time carries its identity and its captured values (closure capture)', async (t) => {
  const script = `
    require(${JSON.stringify(path.join(ROOT, 'register.js'))});
    const parsers = require(${JSON.stringify(path.join(ROOT, 'test/apps/closures/app.js'))});
    const registry = globalThis[Symbol.for('fluxion.registry')];
    console.log(JSON.stringify(parsers.map((fn) => registry.closure(fn))));
  `;
  const r = run(['-e', script], { FLUXION_DISABLE_CACHE: '1' });
  t.equal(r.status, 0, r.stderr);
  const [a, b] = JSON.parse(r.stdout);
  t.match(a, { name: 'saveBody', line: 4, captured: { limit: 1024, encoding: 'utf8', calls: 0 } });
  t.match(b, { name: 'saveBody', line: 4, captured: { limit: 2048, encoding: 'latin1', calls: 1 } });
  t.match(a.file, /test\/apps\/closures\/app\.js$/);
});

t.test('a cold start compiles with TurboFan off, then turns it on again; a flag of the user about V8 tiers wins', async (t) => {
  const app = 'test/apps/tiers/app.js';
  const cases = [[], ['--max-opt=2'], ['--no-turbofan']];
  for (const flags of cases) {
    const cacheDir = fs.mkdtempSync(path.join(tmp, 'tiers-'));
    const plain = run(['--allow-natives-syntax', ...flags, app]);
    const cold = run(['--allow-natives-syntax', ...flags, ...HOOK, app], { FLUXION_CACHE_DIR: cacheDir, DEBUG: 'fluxion:hook' });
    const label = flags.join(' ') || 'no flags';
    t.equal(cold.status, 0, `${label}: ran`);
    t.match(cold.stderr, /test\/apps\/tiers\/work\.js: rewritten/, `${label}: work.js was compiled on this start`);
    t.equal(cold.stdout, plain.stdout, `${label}: V8 optimizes the app's code as it does without fluxion (${plain.stdout.trim()})`);
    if (flags.length === 0) {
      t.same(JSON.parse(plain.stdout), { optimized: true });
      // Node 20 (V8 11) only: from Node 22 on, fluxion leaves V8's tiers alone
      if (Number(process.versions.v8.split('.')[0]) < 12) t.match(cold.stderr, /TurboFan is off while the compiler runs over the first 128 KB/);
      else t.notMatch(cold.stderr, /TurboFan is off/, 'V8 12+: fluxion leaves the tiers alone');
    } else t.notMatch(cold.stderr, /TurboFan is off/, `${label}: fluxion leaves the tiers alone`);
  }
});

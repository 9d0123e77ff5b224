'use strict';
// The command line, as a user runs it: real processes, exit codes, stdout/stderr.
const t = require('tap');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fluxion } = require('./helpers/processes');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxion-cli-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name, content) => {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
};
const noStackOfOurs = (t, stderr) => t.notMatch(stderr, /\n\s+at .*(dist|lib)\//, 'prints no stack of ours');

t.test('compile prints the fluxional program of a sample', async (t) => {
  const r = fluxion(['compile', 'samples/counter/app.js']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^flx main & network\n>> handler \[res\]\n/);
  t.match(r.stdout, /\nflx handler & isolated\n-> reply \[res\]\n/);
  t.match(r.stdout, /\nflx reply & network \{count, template\}\n-> null\n/);
});

t.test('--format json gives the model, --format dot a graph', async (t) => {
  const json = fluxion(['compile', 'samples/counter/app.js', '--format', 'json']);
  t.equal(json.status, 0, json.stderr);
  const model = JSON.parse(json.stdout);
  t.same(model.fluxions.map((f) => f.id).slice(0, 3), ['main', 'handler', 'reply']);
  t.ok(model.variables.find((v) => v.name === 'count' && v.class === 'scope'));
  const dot = fluxion(['compile', 'samples/counter/app.js', '--format=dot']);
  t.equal(dot.status, 0, dot.stderr);
  t.match(dot.stdout, /^digraph "samples\/counter\/app\.js" \{/);
  t.match(dot.stdout, /"main" -> "handler" \[label=">> \[res\]", style=bold\];/);
  t.match(dot.stdout, /"handler" -> "reply" \[label="-> \[res\]", style=dashed\];/);
});

t.test('explain: a package another file configures at its top level: moves when a worker may load that file (it does nothing else at load), stays when not', async (t) => {
  const r = fluxion(['explain', 'test/apps/connects/app.js']);
  t.equal(r.status, 0, r.stderr);
  const verdict = (id) => new RegExp(`\\nflx ${id} [^\\n]*\\n(?:  [^\\n]*\\n)*?  placement: ([^\\n]*)`).exec(r.stdout)?.[1];
  t.match(verdict('tagRoute'), /^can run on another event loop when hot/, 'setup.js only configures `tagger`');
  t.match(verdict('prefixRoute'), /^stays on the main loop: it calls into the package `prefixer`, which test\/apps\/connects\/boot\.js configures at start-up/, 'boot.js also starts a timer');
});

t.test("explain: handlers calling only exports that read a file's state may move with a copy of it; compile lists those exports", async (t) => {
  const r = fluxion(['explain', 'test/apps/readers/app.js']);
  t.equal(r.status, 0, r.stderr);
  const verdict = (id) => new RegExp(`\\nflx ${id} [^\\n]*\\n(?:  [^\\n]*\\n)*?  placement: ([^\\n]*)`).exec(r.stdout)?.[1];
  const reads = "can run on another event loop when hot: express_dispatcher carries its req, res and next; it reads test/apps/readers/posts.js's `posts`, `byTag`: a copy goes with its messages whenever that file's other functions may have changed it";
  for (const id of ['reportRoute', 'findRoute', 'tagsRoute']) t.equal(verdict(id), reads, id);
  const keeps = 'stays on the main loop: it calls into test/apps/readers/posts.js, which keeps `posts`, `byTag`, `nextId` in its module memory';
  for (const id of ['addRoute', 'laterRoute', 'clearRoute', 'eachRoute']) t.equal(verdict(id), keeps, id);
  t.equal(verdict('visitsRoute'), 'stays on the main loop: it calls into test/apps/readers/visits.js, which keeps `seen` in its module memory', 'an export that calls a function of its file writing the state');
  const json = JSON.parse(fluxion(['compile', 'test/apps/readers/posts.js', '--format', 'json']).stdout);
  t.same(json.reads, { exports: { all: [], find: [], tags: [], stats: [] }, state: ['posts', 'byTag'] }, 'not add, addLater, clear (they write), nor each (it calls the function it is handed)');
  t.notOk(JSON.parse(fluxion(['compile', 'test/apps/readers/visits.js', '--format', 'json']).stdout).reads);
});

t.test('explain: the request fields a handler only calls, as statements, are named with their recorded calls', async (t) => {
  const r = fluxion(['explain', 'test/apps/logged/app.js']);
  t.equal(r.status, 0, r.stderr);
  const at = (line) => new RegExp(`\\(start, line ${line}\\)\\n(?:  [^\\n]*\\n)*?  placement: ([^\\n]*)`).exec(r.stdout)?.[1];
  const recorded = (fields) => `can run on another event loop when hot: express_dispatcher carries its req, res and next; its calls on ${fields} (statements) are recorded there and made on the main loop, in order, when that is a field a middleware put on the request`;
  t.equal(at(38), recorded('`req.log`'), '`req.log.info({ h }, …);`');
  t.equal(at(45), recorded('`req.log`, `req.audit`'), "pino's and the app's");
  t.equal(at(101), recorded('`req.flash`'), "connect-flash's `req.flash(type, message);`");
  t.equal(at(68), recorded('`req.audit`'), 'a callback the code does not show to be one: recorded (the call comes back to the main loop if it is a function there)');
  t.equal(at(75), 'can run on another event loop when hot: on one worker, which keeps its state {callbacks}', 'a callback written among the arguments: not a recorded call');
  for (const line of [81, 86]) t.equal(at(line), 'can run on another event loop when hot: on one worker with its share group (grp_named), if every fluxion of the group can; that worker keeps {named}', 'a callback passed by its name: not a recorded call');
  t.equal(at(95), recorded('`req.audit`'), '`req.audit.record(…);`');
  t.equal(at(55), 'can run on another event loop when hot: express_dispatcher carries its req, res and next', '`req.log.level` read: no recorded calls');
  t.equal(at(110), 'can run on another event loop when hot: express_dispatcher carries its req, res and next', '`req.flash(type)` read');
});

t.test('explain: an object a package made, configured by the top level after, is made and configured again where the fluxion runs', async (t) => {
  const r = fluxion(['explain', 'test/apps/configured/app.js']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /\n {4}logger: read-only module — made again from its text where anonymous_1000 runs \(once per worker, for every fluxion of the file there\), then configured as lines 15, 18 of the top level do\n/);
  t.match(r.stdout, /\n {4}md: read-only module — made again from its text where anonymous_1002 runs \(once per worker, for every fluxion of the file there\), then configured as line 35 of the top level does\n/);
  t.match(r.stdout, /\n {4}validateSignup: read-only module — made again from its text where anonymous_1001 runs \(once per worker, for every fluxion of the file there\)\n/, "ajv's configuration (lines 21, 22) comes with ajv, which it is made of");
  t.match(
    r.stdout,
    /\nflx anonymous_1003 [^\n]*\n(?: {2}[^\n]*\n)*? {2}placement: stays on the main loop: uses `audit`, made by winston\.createLogger\(\) at start-up, then configured at line 40 in a way a worker cannot do again/,
    'a logger configured with a variable of the module: the handler using it stays, and explain says why (before: its calls were taken for writes of state, and the move failed at run time)',
  );
  t.match(r.stdout, /\n {4}audit: read-only module — made by winston\.createLogger\(\) at start-up, then configured at line 40 [^\n]*: it is here only\n/, 'not the handler\'s state: its calls do not write it');
});

t.test('explain: a fluxion that calls into an app file keeping state stays on the main loop', async (t) => {
  const r = fluxion(['explain', 'test/apps/modules/app.js']);
  t.equal(r.status, 0, r.stderr);
  const verdict = (id) => new RegExp(`\\nflx ${id} [^\\n]*\\n(?:  [^\\n]*\\n)*?  placement: ([^\\n]*)`).exec(r.stdout)?.[1];
  t.equal(verdict('addRoute'), 'stays on the main loop: it calls into test/apps/modules/store.js, which keeps `items` in its module memory');
  t.equal(verdict('twiceRoute'), 'stays on the main loop: it calls into test/apps/modules/store.js, which keeps `items` in its module memory', 'through a module that requires it');
  t.equal(verdict('nextRoute'), 'stays on the main loop: it calls into test/apps/modules/counter.js, which keeps objects it made at load time in its module memory');
  t.match(verdict('parseRoute'), /^can run on another event loop when hot/, 'a class whose objects are made per call');
  t.match(verdict('checksumRoute'), /^can run on another event loop when hot/);
  t.match(verdict('taxRoute'), /^can run on another event loop when hot/, "service.js keeps state, and the exports it calls reach none of it");
  t.match(verdict('slugRoute'), /^can run on another event loop when hot/);
  t.equal(verdict('placeRoute'), 'stays on the main loop: it calls into test/apps/modules/service.js, which keeps `orders` in its module memory');
  t.equal(verdict('storedRoute'), 'stays on the main loop: it calls into test/apps/modules/store.js, which keeps `items` in its module memory', "a pure export of service.js reaching store.js's state");
  const written = 'stays on the main loop: it calls into test/apps/modules/cache.js, whose exports test/apps/modules/app.js writes after start-up (`cache.set(req.query.key, req.query.value)`): one copy for every request';
  t.equal(verdict('rememberRoute'), written, "another file's Map, written here");
  t.equal(verdict('recallRoute'), written, 'read through a module that requires it');
  t.match(verdict('visitRoute'), /it calls into test\/apps\/modules\/cache\.js, whose exports test\/apps\/modules\/(app|history)\.js writes after start-up/, 'through a class method of another file');
  t.match(verdict('sumRoute'), /^can run on another event loop when hot/, "pure.add(): the file's own function, not a write");
  t.match(verdict('tagRoute'), /it calls into test\/apps\/modules\/tags\.js, whose exports .* writes after start-up \(`tags\.push\(req\.query\.tag\)`\)/, 'an array, destructured');
  t.same(JSON.parse(fluxion(['compile', 'test/apps/modules/app.js', '--format', 'json']).stdout).writes, [
    ['./store', 'store.add(req.query.item)', [], 'add', false],
    ['./pure', 'pure.add(Number(req.query.a), Number(req.query.b))', [], 'add', false],
    ['./cache', 'cache.set(req.query.key, req.query.value)', [], 'set', false],
    ['./tags', 'tags.push(req.query.tag)', ['list'], 'push', false],
    ['./settings', "settings.mode = process.env.APP_MODE || 'configured'", ['mode'], null, true],
    ['./settings', "settings.db.host = 'db.internal'", ['db', 'host'], null, true],
    ['./settings', "settings.db.replicas.push('r1', 'r2')", ['db', 'replicas'], 'push', true],
    ['./settings', "settings.flags.set('beta', true)", ['flags'], 'set', true],
    ['./settings', 'delete settings.legacy', ['legacy'], null, true],
    ['./settings', 'settings.limits = { rate: 10 }', ['limits'], null, true],
    ['./bus', "bus.on('visit', function onVisit(n) { heard += n; })", [], 'on', true],
    ['./format', 'format.shout = function shout(s) { return s.toUpperCase() + ', ['shout'], null, true],
  ], "what it writes of other files' exports, after start-up (the first write) or at it (every write: the property assigned, the object a method is called on; store.add is store.js's own function)");
  t.equal(
    verdict('settingsRoute'),
    "can run on another event loop when hot: express_dispatcher carries its req, res and next; a worker first gets test/apps/modules/settings.js's mode, db.host, db.replicas, flags, legacy, limits (written by test/apps/modules/app.js) as start-up left them on the main loop, if they can be copied",
    'assignments and writing methods at start-up',
  );
  t.equal(
    verdict('regionRoute'),
    "can run on another event loop when hot: express_dispatcher carries its req, res and next; a worker first gets the globals `APP_REGION`, `REGION_CODES` as start-up left them on the main loop, if they can be copied",
    'globals the app only writes at start-up',
  );
  t.equal(verdict('visitorRoute'), 'stays on the main loop: writes the global `lastVisitor`');
  t.equal(verdict('lastVisitorRoute'), "stays on the main loop: it reads the global `lastVisitor`, which Node does not define (the app's), and test/apps/modules/app.js writes it after start-up: a worker has globals of its own");
  t.same(JSON.parse(fluxion(['compile', 'test/apps/modules/app.js', '--format', 'json']).stdout).globalWrites, ['lastVisitor'], 'the globals it writes after start-up');
  t.match(verdict('envSetRoute'), /^can run on another event loop when hot/, 'process.env is one for every thread');
  t.equal(verdict('tickRoute'), 'stays on the main loop: uses `tick`, a function whose properties are written after start-up');
  t.match(verdict('emitRoute'), /it calls into test\/apps\/modules\/bus\.js, whose exports test\/apps\/modules\/app\.js writes at start-up \(`bus\.on\('visit'/, "an emitter's listener, registered at start-up");
  t.same(JSON.parse(fluxion(['compile', 'test/apps/modules/store.js', '--format', 'json']).stdout).functions, ['add', 'count']);
  const json = JSON.parse(fluxion(['compile', 'test/apps/modules/store.js', '--format', 'json']).stdout);
  t.same(json.state, ['items']);
  t.same(JSON.parse(fluxion(['compile', 'test/apps/modules/wrapper.js', '--format', 'json']).stdout).requires, ['./store']);
});

t.test('explain gives each variable its class and reason, and the placement verdict', async (t) => {
  const r = fluxion(['explain', 'samples/counter/app.js']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /count: scope — written only by reply/);
  t.match(r.stdout, /template: read-only function/);
  t.match(r.stdout, /flx handler & isolated[^\n]*\n(.*\n)*? {2}isolation \(paper\): isolated\n/);
  t.match(r.stdout, /flx reply[^\n]*\n(.*\n)*? {2}isolation \(paper\): touches `res` \(network\)\n/);
  t.match(r.stdout, /flx reply[^\n]*\n(.*\n)*? {2}placement: can run on another event loop when hot: on one worker, which keeps its state \{count\}/);
  t.match(r.stdout, /flx anonymous_1000[^\n]*\n(.*\n)*? {2}placement: stays on the main loop: uses `server`, a network object/);
});

t.test('explain on the gifsockets sample lists the dynamic sites', async (t) => {
  const r = fluxion(['explain', 'samples/gifsockets/app.js']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /dynamic sites \(settled at run time by the JIT\):/);
  t.match(r.stdout, /app\.post argument 2: `bodyParser\(1 \* 1024 \* 1024\)` — a call result/);
  t.match(r.stdout, /app\.post argument 3: `routes\.writeTextToImages` — a property/);
});

t.test('bad input: one clear line, exit 1, no stack of ours', async (t) => {
  const cases = [
    ['a missing file', ['compile', path.join(tmp, 'nope.js')], /^fluxion: .*nope\.js: no such file\n$/],
    ['a directory', ['compile', tmp], /^fluxion: .*: is a directory: give the file of the app/],
    ['a binary file', ['compile', write('bin.js', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 1]))], /^fluxion: .*bin\.js: is a binary file, not JavaScript\n$/],
    ['an unknown command', ['frobnicate'], /^fluxion: unknown command "frobnicate"/],
    ['a bad format', ['compile', 'samples/counter/app.js', '--format', 'xml'], /^fluxion: --format must be flx, json or dot \(got "xml"\)/],
    ['no file', ['explain'], /^fluxion: missing <file>/],
  ];
  for (const [what, args, expected] of cases) {
    const r = fluxion(args);
    t.equal(r.status, 1, `${what}: exit 1`);
    t.match(r.stderr, expected, `${what}: message`);
    t.equal(r.stdout, '', `${what}: nothing on stdout`);
    noStackOfOurs(t, r.stderr);
  }
});

t.test('a syntax error: file:line:col, the parser message and a code frame', async (t) => {
  const file = write('syntax.js', "var express = require('express');\nvar app = express(;\n");
  const r = fluxion(['compile', file]);
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`^fluxion: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:19: SyntaxError: `));
  t.match(r.stderr, /> 2 \| var app = express\(;\n\s+\|\s+\^/);
  noStackOfOurs(t, r.stderr);
});

t.test('an empty file is a valid program with the reason', async (t) => {
  const r = fluxion(['explain', write('empty.js', '')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /1 fluxion, 0 rupture points/);
  t.match(r.stdout, /the module is empty/);
});

t.test('eval and with: a valid program, and explain says why the fluxion stays', async (t) => {
  const r = fluxion(['explain', 'test/fixtures/compiler/eval-and-with/input.js']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /flx evil[^\n]*\n(.*\n)*? {2}isolation \(paper\): uses `eval` \(line 6\)/);
  t.match(r.stdout, /flx evil[^\n]*\n(.*\n)*? {2}placement: stays on the main loop: uses `eval`/);
  t.match(r.stdout, /flx work[^\n]*\n(.*\n)*? {2}placement: stays on the main loop: uses `with`\n/);
  t.match(r.stdout, /flx timer[^\n]*\n(.*\n)*? {2}placement: stays on the main loop: uses `with`\n/, 'its nested callback would run there too');
});

t.test('an invalid rupturePoints option names the option and the file', async (t) => {
  write('badcfg/fluxion.config.json', JSON.stringify({ rupturePoints: [{ kind: 'later', module: 'x' }] }));
  const file = write('badcfg/app.js', "require('fs').readFile('x', function r() {});\n");
  const r = fluxion(['compile', file]);
  t.equal(r.status, 1);
  t.match(r.stderr, /fluxion\.config\.json: fluxion\.config\.json\.rupturePoints\[0\]\.kind must be "start" or "post"/);
  noStackOfOurs(t, r.stderr);
});

t.test('package.json#fluxion extends the catalogue', async (t) => {
  write('pkgcfg/package.json', JSON.stringify({ name: 'x', fluxion: { rupturePoints: [{ kind: 'post', module: 'mydb', export: 'get' }] } }));
  const file = write('pkgcfg/app.js', "const { get } = require('mydb');\nget('k', function got(err, v) { console.log(v); });\n");
  const r = fluxion(['compile', file]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^flx main\n-> got\n/);
});

t.test('help and version', async (t) => {
  const help = fluxion(['help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /compile <file> \[--format flx\|json\|dot\]/);
  const version = fluxion(['--version']);
  t.equal(version.stdout.trim(), require('../package.json').version);
});

t.test("explain: a handler handing `res` to a stream (`readable.pipe(res.type('text'))`) stays on the main loop", async (t) => {
  const r = fluxion(['explain', 'test/apps/threads/app.js']);
  t.equal(r.status, 0, r.stderr);
  const verdict = (id) => new RegExp(`\\nflx ${id} [^\\n]*\\n(?:  [^\\n]*\\n)*?  placement: ([^\\n]*)`).exec(r.stdout)?.[1];
  t.match(verdict('piped'), /^stays on the main loop: hands `res` to other code \(`res\.type\(…\)` is `res`\), which needs the real one/);
  t.match(verdict('pipedLate'), /^can run on another event loop when hot/, 'through a variable: found at run time');
});

t.test("report: a fluxion's time per message says how much of it its packages' callbacks take, as sampled", async (t) => {
  const file = write(
    'sampled-report.json',
    JSON.stringify({
      fluxions: [
        { id: 'hashRoute', file: 'app.js', line: 3, kind: 'start', tags: ['network'], placement: 'replicated', messages: 40, workerMessages: 30, cpuMsPerMessage: 24.5, callbackMs: 24.1, sampledMs: 25.3 },
        { id: 'hello', file: 'app.js', line: 9, kind: 'start', tags: ['network'], placement: 'main', messages: 5, workerMessages: 0, cpuMsPerMessage: 0.02 },
      ],
      streams: [],
    }),
  );
  const r = fluxion(['report', file]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /flx hashRoute & network {4}# start app\.js:3, replicated, 40 messages \(30 on workers\), 24\.500 ms\/message \(24\.100 of it in packages' callbacks, last sampled 25\.300\)\n/);
  t.match(r.stdout, /flx hello & network {4}# start app\.js:9, main, 5 messages, 0\.020 ms\/message\n/, 'none: nothing said');
});

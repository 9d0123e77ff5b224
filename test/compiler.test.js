'use strict';
// Compiler fixtures: test/fixtures/compiler/<name>/input.js → expected.flx (the fluxional program).
// Regenerate with `node test/fixtures/update.js`, then review the diff.
const t = require('tap');
const fs = require('node:fs');
const path = require('node:path');
const { compile, compileFile, formatFlx } = require('../dist/index.js');

const root = path.join(__dirname, 'fixtures', 'compiler');
const fixtures = fs.readdirSync(root).filter((n) => fs.statSync(path.join(root, n)).isDirectory()).sort();

t.ok(fixtures.length >= 15, 'the fixture folders are there');
for (const name of fixtures) {
  t.test(`fixture ${name}`, async (t) => {
    const dir = path.join(root, name);
    const input = ['input.js', 'input.mjs', 'input.cjs'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
    t.ok(input, 'has an input file');
    const program = compileFile(path.relative(process.cwd(), input));
    t.equal(formatFlx(program), fs.readFileSync(path.join(dir, 'expected.flx'), 'utf8'));
  });
}

function byId(program, id) {
  const f = program.fluxions.find((x) => x.id === id);
  if (!f) throw new Error(`no fluxion ${id} in ${program.fluxions.map((x) => x.id)}`);
  return f;
}
function variable(program, name) {
  return program.variables.find((v) => v.name === name);
}
function fixture(name) {
  return fs.readFileSync(path.join(root, name, 'input.js'), 'utf8');
}

t.test('paper Listing 1 → Listing 2', async (t) => {
  const p = compile(fixture('paper-listing-1'), { filename: 'app.js' });
  t.same(p.fluxions.map((f) => f.id), ['main', 'handler', 'reply']);
  t.same(byId(p, 'main').tags, ['network']);
  t.same(byId(p, 'handler').tags, ['isolated']);
  t.same(byId(p, 'reply').tags, ['network']);
  t.same(byId(p, 'reply').context, ['count', 'template']);
  t.same(byId(p, 'main').streams.map((s) => [s.type, s.to, s.vars]), [['start', 'handler', ['res']]]);
  t.same(byId(p, 'handler').streams.map((s) => [s.type, s.to, s.vars]), [['post', 'reply', ['res']]]);
  t.same(byId(p, 'reply').streams, []);
  t.equal(variable(p, 'count').class, 'scope');
  t.same(variable(p, 'count').fluxions, ['reply']);
  t.equal(variable(p, 'template').class, 'read-only');
  t.equal(variable(p, 'template').holds, 'function');
  t.equal(variable(p, 'fs').holds, 'module');
  t.equal(byId(p, 'handler').isolatable, true);
  t.equal(byId(p, 'reply').isolatable, false);
});

t.test('paper Listing 3 → Listing 4, with the dynamic sites', async (t) => {
  const p = compile(fixture('paper-listing-3'), { filename: 'app.js' });
  t.same(p.fluxions.map((f) => f.id), ['main', 'anonymous_1000']);
  t.same(byId(p, 'main').streams.map((s) => [s.type, s.to, s.vars]), [['start', 'anonymous_1000', ['req', 'next']]]);
  t.same(byId(p, 'anonymous_1000').streams, []);
  t.same(
    p.dynamicSites.map((d) => [d.callee, d.argument, d.expression]),
    [
      ['app.post', 1, 'bodyParser(1 * 1024 * 1024)'],
      ['app.post', 2, 'routes.writeTextToImages'],
    ],
  );
  const getRawBody = p.rupturePoints.find((r) => r.callee === 'getRawBody');
  t.equal(getRawBody.kind, 'post');
  t.equal(getRawBody.matched, 'raw-body()');
  t.same(getRawBody.to, ['anonymous_1000']);
  t.match(formatFlx(p), /^flx main & network\n>> anonymous_1000 \[req, next\]\n/);
  t.match(formatFlx(p), /\nflx anonymous_1000 & network\n-> null\n/);
});

t.test('paper Figure 5: a is scope, b is stream, c is share', async (t) => {
  const p = compile(fixture('paper-figure-5'), { filename: 'app.js' });
  t.equal(variable(p, 'a').class, 'scope');
  t.same(variable(p, 'a').fluxions, ['add']);
  t.equal(variable(p, 'b').class, 'stream');
  t.same(byId(p, 'onReq').streams.find((s) => s.to === 'add').vars.includes('b'), true);
  t.equal(variable(p, 'c').class, 'share');
  t.same(variable(p, 'c').fluxions.sort(), ['add', 'end']);
  t.ok(byId(p, 'add').tags.includes('grp_c'));
  t.ok(byId(p, 'end').tags.includes('grp_c'));
  t.notOk(byId(p, 'onReq').tags.includes('grp_c'));
  t.same(byId(p, 'add').context, ['a', 'c']);
});

t.test('a chain-local counter joined by two continuations is shared, not streamed', async (t) => {
  const p = compile(fixture('chain-local-counter'), { filename: 'app.js' });
  t.equal(variable(p, 'pending').class, 'share');
  t.ok(byId(p, 'a').tags.includes('grp_pending'));
  t.ok(byId(p, 'b').tags.includes('grp_pending'));
});

t.test('synchronous calls are never rupture points', async (t) => {
  const p = compile(fixture('sync-calls'), { filename: 'app.js' });
  t.same(p.rupturePoints, []);
  t.same(p.fluxions.map((f) => f.id), ['main']);
});

t.test('a module without rupture points is one main fluxion holding the code unchanged', async (t) => {
  const source = fixture('no-rupture-point');
  const p = compile(source, { filename: 'lib.js' });
  t.equal(p.fluxions.length, 1);
  t.equal(p.fluxions[0].code, source.trimEnd().split('\n').map((l) => (l ? '  ' + l : l)).join('\n'));
});

t.test('extending the catalogue through options', async (t) => {
  const src = "var q = require('queue-lib');\nq.take('jobs', function onJob(job) { console.log(job); });\n";
  t.same(compile(src).rupturePoints, []);
  const p = compile(src, { rupturePoints: [{ kind: 'start', module: 'queue-lib', export: 'take' }] });
  t.same(p.fluxions.map((f) => f.id), ['main', 'onJob']);
  t.equal(p.rupturePoints[0].kind, 'start');
});

t.test('aliases resolve by what they hold, not by their name', async (t) => {
  const src = [
    "const files = require('node:fs');",
    'const rd = files.readFile;',
    "const notFs = { readFile(f, cb) { cb(null, 'x'); } };",
    "rd('a', function viaAlias() {});",
    "notFs.readFile('b', function notARupturePoint() {});",
  ].join('\n');
  const p = compile(src);
  t.same(p.fluxions.map((f) => f.id), ['main', 'viaAlias']);
});

t.test('an empty module compiles to one main fluxion with a note', async (t) => {
  const p = compile('', { filename: 'empty.js' });
  t.same(p.fluxions.map((f) => f.id), ['main']);
  t.match(p.notes[0], /empty/);
});

t.test('a syntax error names the file, line and column with a code frame', async (t) => {
  try {
    compile('var a = 1;\nvar b = ;\n', { filename: 'bad.js' });
    t.fail('should throw');
  } catch (e) {
    t.equal(e.code, 'E_SYNTAX');
    t.equal(e.headline, 'bad.js:2:9: SyntaxError: Unexpected token: \';\'');
    t.match(e.frame, /> 2 \| var b = ;\n\s+\|\s+\^/);
  }
});

t.test('ES module syntax in a .js file is detected, as Node does', async (t) => {
  const p = compile("import fs from 'fs';\nfs.readFile('x', function done() {});\n", { filename: 'x.js' });
  t.equal(p.sourceType, 'module');
  t.same(p.fluxions.map((f) => f.id), ['main', 'done']);
});

t.test("servers of sockets (socket.io's, ws's) are network objects: code using them stays on the main loop", async (t) => {
  for (const [make, name] of [
    ["const { Server } = require('socket.io');\nconst io = new Server(server);", 'io'],
    ["const io = require('socket.io')(server);", 'io'],
    ["const WebSocket = require('ws');\nconst io = new WebSocket.Server({ server });", 'io'],
    ["const { WebSocketServer } = require('ws');\nconst io = new WebSocketServer({ server });", 'io'],
  ]) {
    const src = ["const http = require('http');", "const express = require('express');", 'const app = express();', 'const server = http.createServer(app);', make, "io.on('connection', (socket) => {", "  socket.on('chat', (m) => { io.emit('chat', m); });", '});', 'server.listen(3000);'].join('\n');
    const program = compile(src, { filename: 'sockets.js' });
    t.match(program.variables.find((v) => v.name === name), { holds: 'network', class: 'read-only' }, `${make.split('\n').pop()}: a network object, not state (its emit() writes nothing of the module)`);
    const chat = program.fluxions.find((f) => f.kind === 'start' && f.params.includes('m'));
    t.same(chat.offload.blockers, ['uses `io`, a network object (server, app, socket)'], 'the listener using it stays on the main loop');
  }
});

t.test('validation schemas made at start-up are made again from their text; one with a function reading module memory in it is not', async (t) => {
  const src = [
    "const express = require('express');",
    "const { z } = require('zod');",
    "const Joi = require('joi');",
    'const app = express();',
    "const Role = z.enum(['admin', 'user']);",
    "const Signup = z.object({ name: z.string().min(2), role: Role.default('user'), tags: z.array(z.string()) }).strict();",
    'const Item = Joi.object({ title: Joi.string().required() }).unknown(false);',
    'const Even = z.number().refine((n) => n % 2 === 0);',
    'const seen = new Set();',
    'const Fresh = z.number().refine((n) => !seen.has(n));',
    'const known = new Set();',
    'known.add(1);',
    'const Known = z.number().refine((n) => known.has(n));',
    "const Local = require('./schemas').make();",
    "app.get('/a', function a(req, res) { res.json([Signup.parse(req.query), Item.validate(req.query)]); });",
    "app.get('/b', function b(req, res) { res.json([Even.parse(Number(req.query.n)), Fresh.parse(1)]); });",
    "app.get('/c', function c(req, res) { res.json(Local.parse(req.query)); });",
    "app.get('/d', function d(req, res) { seen.add(Number(req.query.n)); res.json(Known.parse(1)); });",
  ].join('\n');
  const vars = Object.fromEntries(compile(src).variables.map((v) => [v.name, v]));
  t.match(vars.Signup, { class: 'read-only', holds: 'module', reason: /known factory/ }, 'chained calls, and a schema made of another');
  t.match(vars.Item, { class: 'read-only', holds: 'module', reason: /known factory/ }, 'joi');
  t.match(vars.Even, { class: 'read-only', holds: 'module', reason: /known factory/ }, 'a function in it that reads nothing of the module: made again with it');
  t.match(vars.Fresh, { class: 'read-only', holds: 'module', reason: /^not made again: made by zod\.z\.number\(\)\.refine\(\) at start-up from `seen`, which a worker cannot make again/ }, "a function in it reading the module's memory: not made again, and code using it stays where it is");
  t.match(vars.Local, { class: 'scope' }, "what an app file's function makes is not a known factory's");
  t.match(vars.Known, { class: 'read-only', holds: 'module', reason: /known factory/ }, 'a function in it reading module memory the top level filled and nothing changes after: made again with it (that memory goes as a value)');
  const esm = compile("import { z } from 'zod/v4';\nimport express from 'express';\nconst app = express();\nconst S = z.string().email();\napp.get('/', (req, res) => res.json(S.parse(req.query.e)));\n");
  t.match(esm.variables.find((v) => v.name === 'S'), { class: 'read-only', holds: 'module' }, 'a subpath of the package, imported');
});

t.test("objects a package makes at start-up and the top level then configures are made again with that configuration; one configured with the module's variables is not", async (t) => {
  const src = [
    "const express = require('express');",
    "const winston = require('winston');",
    "const Ajv = require('ajv');",
    "const addFormats = require('ajv-formats');",
    "const MarkdownIt = require('markdown-it');",
    "const Handlebars = require('handlebars');",
    "const fs = require('fs');",
    "const path = require('path');",
    'const app = express();',
    "const level = ['info'].concat(process.argv).pop();",
    "const lvl = process.env.LEVEL ?? 'info';",
    "const dev = process.env.NODE_ENV !== 'production';",
    'const e = winston.createLogger({ level: dev ? `${lvl}` : Number(process.env.N || 1) > 2 ? lvl : !dev });',
    'e.level = dev ? lvl : "warn";',
    'const a = winston.createLogger({ transports: [] });',
    "if (process.env.NODE_ENV !== 'production') { a.add(new winston.transports.Console()); }",
    'const b = winston.createLogger({ transports: [] });',
    'b.level = level;',
    'const c = winston.createLogger({});',
    "c.info('starting');",
    "app.use(require('express-winston').logger({ winstonInstance: c }));",
    'const d = winston.createLogger({});',
    'for (const t of []) d.add(t);',
    'const ajv = new Ajv({ allErrors: true });',
    'addFormats(ajv);',
    "const validate = ajv.compile({ type: 'object' });",
    "const md = new MarkdownIt({ html: true }).use(require('markdown-it-footnote'));",
    'md.renderer.rules.hr = (tokens, idx, opts, env, self) => self.renderToken(tokens, idx, opts);',
    "const tpl = Handlebars.compile(fs.readFileSync(path.join(__dirname, 'x.hbs'), 'utf8'));",
    'const other = new Ajv();',
    'other.addSchema(app.get("schema"));',
    "const strict = other.compile({ $ref: 'x' });",
    'const { combine, printf } = winston.format;',
    'const fmt = printf((i) => `${i.level} ${i.message}`);',
    "const f = winston.createLogger({ format: combine(winston.format.timestamp(), fmt), transports: [new winston.transports.File({ filename: path.join(__dirname, 'app.log') })] });",
    "const Hashids = require('hashids');",
    "const crypto = require('crypto');",
    "const salt = crypto.randomBytes(8).toString('hex');",
    'const ids = new Hashids(salt);',
    "const fixed = new Hashids(process.env.SALT || 'pepper', 8);",
    "app.get('/y', function y(req, res) { f.info(6); res.json([ids.encode(1), fixed.encode(1)]); });",
    "app.get('/x', function x(req, res) { a.info(1); b.info(2); c.info(3); d.info(4); e.info(5); res.json([validate(req.query), md.render('x'), tpl({}), strict(1)]); });",
  ].join('\n');
  const vars = Object.fromEntries(compile(src).variables.map((v) => [v.name, v]));
  for (const name of ['a', 'c', 'e', 'f', 'fixed', 'validate', 'md', 'tpl']) t.match(vars[name], { class: 'read-only', holds: 'module', reason: /known factory/ }, name);
  t.match(vars.b, { class: 'read-only', holds: 'module', reason: /^not made again: made by winston\.createLogger\(\) at start-up, then configured at line 18 in a way a worker cannot do again/ }, 'configured with a variable of the module: not made again (its calls are not writes of state)');
  t.match(vars.d, { class: 'read-only', holds: 'module', reason: /^not made again: .* configured at line 23 / }, 'configured in a loop: not made again');
  t.notMatch(vars.ids.reason, /known factory/, 'made of a random value: not made again (it would be another)');
  t.match(vars.strict, { class: 'read-only', holds: 'value' }, 'compiled by an instance configured with what the app holds: neither (a value, which cannot travel)');
  const esm = compile(
    [
      "import express from 'express';",
      "import winston from 'winston';",
      'const { combine, printf } = winston.format;',
      "const dev = process.env.NODE_ENV !== 'production';",
      'const log = winston.createLogger({ format: combine(printf((i) => i.message)), transports: [] });',
      'if (dev) log.add(new winston.transports.Console());',
      'const app = express();',
      "app.get('/', (req, res) => { log.info('x'); res.json(1); });",
    ].join('\n'),
    { filename: 'esm.mjs' },
  );
  t.match(esm.variables.find((v) => v.name === 'log'), { class: 'read-only', holds: 'module', reason: /known factory.*line 6/ }, "an ES module: a default import's members destructured, configured under an `if` without a block");
  const clients = Object.fromEntries(
    compile(
      [
        "const express = require('express');",
        "const createDOMPurify = require('dompurify');",
        "const { JSDOM } = require('jsdom');",
        "const axios = require('axios');",
        "const window = new JSDOM('').window;",
        'const DOMPurify = createDOMPurify(window);',
        "DOMPurify.addHook('afterSanitizeAttributes', (node) => { if ('target' in node) node.setAttribute('rel', 'noopener'); });",
        "const api = axios.create({ baseURL: process.env.API_URL, timeout: 2000 });",
        "api.interceptors.request.use((config) => { config.headers['x-app'] = 'a'; return config; });",
        'const app = express();',
        "app.post('/clean', async (req, res) => res.json([DOMPurify.sanitize(req.body.html), (await api.get('/x')).data]));",
      ].join('\n'),
    ).variables.map((v) => [v.name, v]),
  );
  t.match(clients.DOMPurify, { class: 'read-only', holds: 'module', reason: /known factory.*line 7/ }, "DOMPurify on jsdom's window (a member of what a factory made), its hook added by the top level");
  t.match(clients.api, { class: 'read-only', holds: 'module', reason: /known factory.*line 9/ }, 'an axios instance and its interceptor');
});

t.test("an app file's AsyncLocalStorage (`new AsyncLocalStorage()`, however required) is made again on a worker; cls-hooked's namespace is not", async (t) => {
  const src = [
    "const express = require('express');",
    "const { AsyncLocalStorage } = require('node:async_hooks');",
    "const hooks = require('async_hooks');",
    "const cls = require('cls-hooked');",
    'const app = express();',
    'const als = new AsyncLocalStorage();',
    'const other = new hooks.AsyncLocalStorage();',
    "const ns = cls.createNamespace('app');",
    "app.get('/a', function a(req, res) { res.json([als.getStore(), other.getStore()]); });",
    "app.get('/b', function b(req, res) { res.json(ns.get('x')); });",
  ].join('\n');
  const vars = Object.fromEntries(compile(src).variables.map((v) => [v.name, v]));
  t.match(vars.als, { class: 'read-only', holds: 'module', reason: /known factory/ });
  t.match(vars.other, { class: 'read-only', holds: 'module', reason: /known factory/ });
  t.match(vars.ns, { class: 'read-only', holds: 'value' }, "a namespace is not made again (each unit's copy would replace the last in process.namespaces): its value would have to travel, which it cannot");
  const esm = compile("import { AsyncLocalStorage } from 'node:async_hooks';\nimport express from 'express';\nconst app = express();\nconst als = new AsyncLocalStorage();\napp.get('/', (req, res) => res.json(als.getStore()));\n");
  t.match(esm.variables.find((v) => v.name === 'als'), { class: 'read-only', holds: 'module' }, 'imported');
});

t.test('a file with state: the exports that reach none of it (`reach`), and the exports a handler reaches by name (`members`)', async (t) => {
  const service = [
    "const db = require('./db');",
    "const { createHash } = require('crypto');",
    'let orders = [];',
    'const TAX = 0.2;',
    'function round(n) { return Math.round(n * 100) / 100; }',
    'function total(o) { return round(o.amount * (1 + TAX)); }',
    'function hash(s) { return createHash("sha1").update(s).digest("hex"); }',
    'exports.place = function (amount) { orders.push({ amount }); return orders.length; };',
    'exports.price = function (amount) { return total({ amount }); };',
    'exports.last = () => total(orders[orders.length - 1]);',
    'exports.save = (o) => db.put(o);',
    'exports.hash = hash;',
    "exports.VERSION = 'v1';",
    'exports.twice = () => 1;',
    'exports.twice = () => orders.length;',
    'module.exports.reset = function () { orders = []; };',
  ].join('\n');
  t.same(compile(service).reach, { price: [], save: ['./db'], hash: ['crypto'], VERSION: [] }, 'CommonJS: through its own functions, to what it requires; not `place`, `last`, `reset` (its state), nor an export assigned twice');
  const literal = compile('let n = 0;\nfunction bump() { return ++n; }\nfunction pure(x) { return x * 2; }\nmodule.exports = { bump, pure, double: (x) => pure(x), get: () => n };\n');
  t.same(literal.reach, { pure: [], double: [] }, 'module.exports = { … }');
  const esm = compile("let n = 0;\nexport function bump() { return ++n; }\nexport const pure = (x) => x * 2;\nfunction inner() { return 1; }\nexport { inner as one };\n");
  t.same(esm.reach, { pure: [], one: [] }, 'ES module exports');
  t.equal(compile('let n = 0;\nexports.bump = () => ++n;\nexports.pure = (x) => x;\nsetInterval(() => { n = 0; }, 1000);\n').reach, undefined, 'a top level that registers a callback: a worker\'s copy would run it too, nothing is told apart');
  t.equal(compile('exports.pure = (x) => x;\n').reach, undefined, 'no state: nothing to tell apart');
  t.equal(compile('module.exports = { items: [], add(x) { this.items.push(x); }, size() { return 1; } };\n').reach, undefined, 'methods writing an object made at load time (`this`)');
  const instance = (ctor, more = '') => compile([
    "const { createHash } = require('crypto');",
    'let made = 0;',
    'class Accounts {',
    `  constructor(limit) { ${ctor} }`,
    '  open(name) { this.byName.set(name, ++this.count); made++; return this.count; }',
    '  size() { return this.byName.size; }',
    "  hash(s) { return createHash('sha1').update(s).digest('hex'); }",
    "  handle(name) { return '@' + name; }",
    "  both(name) { return this.handle(name) + this.hash(name); }",
    '  mixed(name) { return this.handle(name) + this.size(); }',
    '  made() { return made; }',
    "  later() { return () => this.count; }",
    '}',
    more || 'module.exports = new Accounts(10);',
  ].join('\n')).reach;
  t.same(instance('this.byName = new Map(); this.count = 0; this.limit = limit;'), { hash: ['crypto'], handle: [], both: ['crypto'] }, "a class's one instance: its methods using no field (but to call such methods on `this`), reaching no module state; not those reading or writing fields, calling one that does, reading module state, or whose arrow reads a field");
  t.same(instance('this.byName = new Map(); this.count = 0;', 'const accounts = new Accounts();\nmodule.exports = accounts;'), { hash: ['crypto'], handle: [], both: ['crypto'] }, 'the instance held by a const');
  t.equal(instance('this.byName = new Map(); this.count = 0; setInterval(() => this.byName.clear(), 1000);'), undefined, "a constructor that does work (a timer): a worker's copy would do it too");
  t.equal(instance('this.byName = new Map(); this.count = 0;', 'module.exports = new Accounts(Date.now());'), undefined, 'a `new` whose arguments do work');
  t.equal(compile('class Base {}\nclass A extends Base { constructor() { super(); this.n = 0; } bump() { return ++this.n; } pure(x) { return x; } }\nmodule.exports = new A();\n').reach, undefined, 'a class extending another: its constructor runs code elsewhere');
  const esmDefault = (source) => compile(source, { filename: 'service.mjs' }).reach;
  t.same(esmDefault('let n = 0;\nfunction round(x) { return Math.round(x); }\nexport default { bump() { return ++n; }, price: (x) => round(x * 1.2), count: () => n };\n'), { 'default.price': [] }, "an ES module's `export default { … }`: its members, as a default import reads them (`service.price(x)`)");
  t.same(esmDefault('let n = 0;\nconst service = { bump() { return ++n; }, pure(x) { return x; } };\nexport default service;\n'), { 'default.pure': [] }, 'a const holding it');
  t.same(esmDefault('class A { constructor() { this.m = new Map(); } add(k) { this.m.set(k, 1); } pure(x) { return x; } }\nexport default new A();\n'), { 'default.pure': [] }, "a class's one instance as the default export");
  t.same(compile('let n = 0;\nconst service = { bump() { return ++n; }, pure(x) { return x; } };\nmodule.exports = service;\n').reach, { pure: [] }, 'module.exports = a const holding an object literal');
  t.equal(compile('let n = 0;\nconst service = { bump() { return ++n; }, pure(x) { return x; } };\nservice.pure = () => n++;\nmodule.exports = service;\n').reach, undefined, 'one whose members the file writes: not what its literal says');
  const app = [
    "const express = require('express');",
    "const service = require('./service');",
    "const { price } = require('./service');",
    "const other = require('./other');",
    'const app = express();',
    "app.get('/a', function a(req, res) { res.json([service.price(1), service.VERSION, price(2)]); });",
    "app.get('/b', function b(req, res) { res.json(service[req.query.fn]()); });",
    "app.get('/c', function c(req, res) { res.json(other.use(service)); });",
    "app.get('/d', function d(req, res) { res.json(helper()); });",
    'function helper() { return service.place(1); }',
  ].join('\n');
  const offload = Object.fromEntries(compile(app).fluxions.map((f) => [f.id, f.offload.members]));
  t.same(offload.a, { './service': ['price', 'VERSION'] }, 'by name, through a member or a destructured require (one binding per require: the member is the export)');
  t.same(offload.b, undefined, 'a computed key: the whole file');
  t.same(offload.c, { './other': ['use'] }, 'a binding passed along: the whole file');
  const written = compile("const express = require('express');\nconst other = require('./other');\nconst app = express();\napp.get('/e', function e(req, res) { other.count++; res.json(other.count); });\n");
  t.same(written.fluxions.find((f) => f.id === 'e').offload.members, undefined, 'a binding written through: the whole file');
  t.same(offload.d, { './service': ['place'] }, "through a module function it calls");
  const imported = compile("import express from 'express';\nimport service from './service.mjs';\nimport * as all from './all.mjs';\nconst app = express();\napp.get('/f', function f(req, res) { res.json([service.price(1), all.slug('x')]); });\n", { filename: 'app.mjs' });
  t.same(imported.fluxions.find((x) => x.id === 'f').offload.members, { './service.mjs': ['default.price'], './all.mjs': ['slug'] }, "an ES module's default import reads its default export's members (`default.price`: of a CommonJS file, its module.exports.price), a namespace import its exports");
});

t.test("a handler a known package wraps is the listener's callback; an app's own wrapper says which function it hands its arguments to (`passes`)", async (t) => {
  const src = [
    "const express = require('express');",
    "const asyncHandler = require('express-async-handler');",
    "const other = require('./other');",
    'const app = express();',
    "app.get('/a', asyncHandler(async (req, res) => { res.json(await 1); }));",
    "app.get('/b', other(async function b(req, res) { res.json(2); }));",
  ].join('\n');
  const p = compile(src);
  t.same(p.fluxions.map((f) => [f.id, f.kind]), [['main', 'main'], ['anonymous_1000', 'start']], 'the wrapped function of express-async-handler');
  t.same(p.dynamicSites.map((d) => d.loc.start.line), [6], "another call's result: known at run time");
  const { analyze, instrument } = require('../dist/compiler/bundle.js');
  const wrap = [
    'exports.catchAsync = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);',
    'exports.rest = (h) => async function (...args) { try { return await h(...args); } catch (e) { args[2](e); } };',
    "exports.logger = (format) => (req, res, next) => { res.set('x', format('GET', req, res)); next(); };",
    'exports.twice = (fn) => (req, res) => { fn(req, res); fn(req, res); };',
    'function local(req, res) { return 1; }',
    'exports.module = () => (req, res) => local(req, res);',
  ].join('\n');
  const fns = instrument(analyze(wrap, { filename: 'wrap.js' }), '/fluxion/runtime.js', 'wrap.js').description.fns;
  t.same(fns.filter((f) => f.passes).map((f) => [f.line, f.passes]), [[1, 'fn'], [2, 'h']], 'not a function called with other arguments, twice, or a module function');
});

t.test("the packages the app's start-up code connects or initialises (`connects`), not those a handler connects per request", async (t) => {
  const src = [
    "const express = require('express');",
    "const mongoose = require('mongoose');",
    "const { createClient } = require('redis');",
    "const Sentry = require('@sentry/node');",
    "const { MongoClient } = require('mongodb/lib/index');",
    "const { Pool } = require('pg');",
    "const db = require('./db');",
    'const app = express();',
    "Sentry.init({ dsn: process.env.DSN });",
    'const client = createClient();',
    'const pool = new Pool();',
    'async function main() {',
    '  await mongoose.connect(process.env.URI);',
    '  await client.connect();',
    '  await db.connect();',
    '  app.listen(3000);',
    '}',
    "app.get('/x', async function x(req, res) { const c = await MongoClient.connect('mongodb://x'); res.json(await pool.query('select 1', [c])); });",
    'main();',
  ].join('\n');
  const p = compile(src);
  t.same(p.connects, [['@sentry/node', 'Sentry.init({ dsn: process.env.DSN })'], ['mongoose', 'mongoose.connect(process.env.URI)'], ['redis', 'client.connect()']], 'the package itself, and what it made at load time; mongodb is connected per request only, pg not at all');
  t.match(p.writes, [['./db', 'db.connect()', [], 'connect', true]], "an app file's exports connected at start-up: a write of that file, at start-up");
});

t.test('top-level statements that configure a package (`configures`): with the script a worker runs to do them again, or null', async (t) => {
  const src = [
    "const dayjs = require('dayjs');",
    "const utc = require('dayjs/plugin/utc');",
    "const axios = require('axios');",
    "const Handlebars = require('handlebars');",
    "const cron = require('node-cron');",
    "const { marked } = require('marked');",
    "const fs = require('fs');",
    "const http = require('node:http');",
    'const ext = { name: "x" };',
    'dayjs.extend(utc);',
    'axios.defaults.baseURL = process.env.API;',
    "Handlebars.registerHelper('up', (s) => s.toUpperCase());",
    "cron.schedule('* * * * *', () => console.log('tick'));",
    'marked.use(ext);',
    "fs.mkdirSync('/tmp/x', { recursive: true });",
    'http.globalAgent.maxSockets = 50;',
    "require('dotenv').config();",
    'function later() { dayjs.locale("fr"); }',
  ].join('\n');
  const got = compile(src).configures;
  t.same(got.map(([name, , script]) => [name, script !== null]), [
    ['dayjs', true],
    ['axios', true],
    ['handlebars', true],
    ['node-cron', false],
    ['marked', false],
    ['http', true],
    ['dotenv', true],
  ], "not a builtin's call (work, not configuration), nor a statement in a function");
  t.equal(got[0][2], 'var dayjs = require("dayjs");\nvar utc = require("dayjs/plugin/utc");\ndayjs.extend(utc);');
  t.equal(got[2][2], `var Handlebars = require("handlebars");\nHandlebars.registerHelper('up', (s) => s.toUpperCase());`, "a function written in the statement comes along");
  const esm = compile("import dayjs from 'dayjs';\nimport * as p from 'dayjs/plugin/utc.js';\ndayjs.extend(p.default);\n").configures;
  t.same(esm, [['dayjs', 'dayjs.extend(p.default);', 'var dayjs = $flx$default(require("dayjs"));\nvar p = require("dayjs/plugin/utc.js");\ndayjs.extend(p.default);']]);
});

t.test("another file's memory changed through a value got from it, after start-up, is a write of that file (cross-file aliasing)", async (t) => {
  const writes = (body, head = "const data = require('./data');") => compile([head, "const express = require('express');", 'const app = express();', body].join('\n')).writes ?? [];
  const later = (text) => [['./data', text, [], null, false]];
  t.same(writes("app.get('/d/:id', (req, res) => { const todo = data.todos.find((t) => t.id === +req.params.id); todo.done = true; res.json(todo); });"), later('todo.done = true'), 'an element found in its exported array, kept in a variable, then changed');
  t.same(writes("app.get('/d/:id', (req, res) => { const todo = data.find(+req.params.id); todo.title = req.query.t; res.json(todo); });"), later('todo.title = req.query.t'), 'a value one of its functions returned (it may be its memory: counted)');
  t.same(writes("app.get('/d/:id', async (req, res) => { const user = await data.users.get(req.params.id); delete user.token; res.json(user); });"), later('delete user.token'), 'awaited, from a Map of it');
  t.same(writes("app.get('/d/:id', (req, res) => { data.byId(req.params.id).seen++; res.end(); });"), later('data.byId(req.params.id).seen++'), 'changed where it is got');
  t.same(writes("app.get('/d/:id', (req, res) => { data.byId(req.params.id).tags.push('x'); res.end(); });"), later("data.byId(req.params.id).tags.push('x')"), 'a writing method of what it holds');
  t.same(writes("app.get('/all', (req, res) => { for (const t of data.todos) t.done = true; res.end(); });"), later('t.done = true'), 'each element of a for…of');
  t.same(writes("app.get('/all', (req, res) => { data.todos.forEach((t) => { t.done = false; }); res.end(); });"), later('t.done = false'), "an element callback's parameter");
  t.same(writes("app.get('/d/:id', (req, res) => { const todo = data.find(+req.params.id); Object.assign(todo, req.body); res.json(todo); });"), later('Object.assign(todo, req.body)'), 'Object.assign into it');
  t.same(writes("app.get('/d/:id', (req, res) => { const todo = find(+req.params.id); todo.done = true; res.json(todo); });", "const { find } = require('./data');"), later('todo.done = true'), 'through a destructured function');
  t.same(writes("app.get('/d/:id', (req, res) => { const todo = { ...data.find(+req.params.id) }; todo.done = true; res.json(todo); });"), [], 'a copy made here is not its memory');
  t.same(writes("app.get('/d/:id', (req, res) => { let n = data.count(); n++; const t = data.find(1); res.json({ n, title: t.title }); });"), [], 'a number kept and changed, and an object only read: no write');
  t.same(writes("app.get('/d', (req, res) => { const todo = require('lodash').find(data.todos, { id: 1 }); res.json(todo); });"), [], 'handed to a package and only read');
  t.same(writes("const todos = data.todos; app.get('/a', (req, res) => { todos.push(req.query); res.end(); });"), [['./data', 'todos.push(req.query)', ['todos'], 'push', false]], "kept in a module variable of this file (`const todos = data.todos`): that file's memory, at its path");
  t.same(writes("const first = data.todos[0]; app.get('/a', (req, res) => { first.done = true; res.end(); });"), later('first.done = true'), 'reached by an index: somewhere in it');
  t.same(writes("const db = data; app.get('/a', (req, res) => { db.todos.push(req.query); res.end(); });"), [['./data', 'db.todos.push(req.query)', ['todos'], 'push', false]], 'the binding itself under another name');
  t.same(writes("const first = data.todos[0]; first.done = true;"), [['./data', 'first.done = true', [], null, true]], 'and changed at start-up: a start-up write of the file');
  t.same(writes('data.find(1).done = true;'), [['./data', 'data.find(1).done = true', [], null, true]], "changed at start-up where it is got: a start-up write of somewhere in it (a worker's copy needs all of it)");
  t.same(writes("for (const t of data.todos) t.tags.push('seeded');"), [['./data', "t.tags.push('seeded')", [], null, true]], 'each element at start-up');
  const program = compile(["const data = require('./data');", "const app = require('express')();", 'const todos = data.todos;', 'const first = data.todos[0];', "app.get('/a', function a(req, res) { todos.push(req.query); res.end(); });", "app.get('/b', function b(req, res) { first.done = true; res.end(); });"].join('\n'));
  t.same(program.state, [], "neither is this file's state");
  const fluxion = (id) => program.fluxions.find((f) => f.id === id);
  t.same(fluxion('a').offload.requires, ['./data'], 'the module variable is required again on a worker (at its path): the state rules see data.js');
  t.match(fluxion('b').offload.blockers, [/changes `first`, memory of \.\/data \(`data\.todos\[0\]`\) that this file keeps/], 'reached by an index and changed: it stays');
});

// readers.ts as data: which exports of a file keeping `items` (an array) and `index` (a Map) only read them
t.test('exports that only read the state (FluxionalProgram.reads): what counts as a write', async (t) => {
  const head = "'use strict';\nconst items = [];\nconst index = new Map();\nexports.add = (x) => { items.push(x); index.set(x.id, x); };\n";
  const cases = [
    ['exports.r = () => items.length;', true, 'a property'],
    ['exports.r = () => items.filter((x) => x.on).map((x) => x.id).sort();', true, "sorting the array filter made"],
    ['exports.r = () => [...index.keys()].sort();', true, 'sorting a spread of its keys'],
    ['exports.r = () => { const out = {}; for (const x of items) out[x.id] = x.n; return out; };', true, 'filling an object it made'],
    ['exports.r = () => { let n = 0; items.forEach((x) => { n += x.n; }); return n; };', true, "a callback adding to the caller's local"],
    ['exports.r = (id) => Object.assign({}, index.get(id));', true, 'Object.assign into a literal'],
    ['exports.r = () => JSON.stringify(items);', true, 'a global that only reads'],
    ['exports.r = () => items.sort();', false, 'sorting the state in place'],
    ['exports.r = () => { const all = items; all.push(1); return all; };', false, 'a local naming the state'],
    ['exports.r = () => { items.filter(Boolean)[0].seen = true; };', false, 'an item of the state (through a new array)'],
    ['exports.r = (id) => Object.assign(index.get(id), { seen: true });', false, 'Object.assign into an item'],
    ['exports.r = (fn) => items.map(fn);', false, 'a function handed in'],
    ['exports.r = (x) => items.reduce((acc, y) => { acc.n += y.n; return acc; }, x);', false, 'writing the parameter of a callback'],
    ['exports.r = () => items.at(-1).date.setFullYear(2000);', false, 'a Date setter'],
    ['exports.r = () => require("./other").get(items);', true, "another file's getter (that file's state is checked on its own)"],
    ['const lodash = require("lodash");\nexports.r = () => lodash(items);', false, "a package's function"],
    ['let last = null;\nexports.r = () => { last = items[0]; return last; };', false, 'a module variable written'],
    ['function touch() { items.length = 0; }\nexports.r = () => { touch(); return items; };', false, 'a function of the file that writes'],
  ];
  for (const [code, reads, why] of cases) {
    const program = compile(head + code, { filename: 'store.js' });
    t.equal(!!program.reads?.exports.r, reads, `${why}: ${code}`);
  }
  t.notOk(compile(head + 'exports.r = () => items.length;\nsetInterval(() => {}, 1000);', { filename: 'store.js' }).reads, 'a file whose top level starts a timer (a worker must not load it)');
  t.notOk(compile(head.replace("'use strict';", "'use strict';\nexport {};") + 'exports.r = () => items.length;', { filename: 'store.mjs' }).reads, 'an ES module');
  t.notOk(compile(head + 'exports.r = () => items.length;\nexports.gen = function* () { items.push(yield); };', { filename: 'store.js' }).reads, 'a generator writing it (it resumes unseen)');
});

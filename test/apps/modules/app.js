/* global APP_REGION, REGION_CODES, regionBus, lastVisitor -- globals this app sets (region.js, the /visitor route) */
// Handlers that call into other app modules: those that keep state must stay on the main loop (a worker
// would require its own copy), the others may move. Each response says which thread ran the handler.
var express = require('express');
var threadId = require('worker_threads').threadId;
var store = require('./store');
var counter = require('./counter');
var Parser = require('./parser');
var pure = require('./pure');
var wrapper = require('./wrapper');

var app = express();

app.get('/add', function addRoute(req, res) {
  res.json({ n: store.add(req.query.item), thread: threadId });
});
app.get('/count', function countRoute(req, res) {
  res.json({ n: store.count(), thread: threadId });
});
app.get('/twice', function twiceRoute(req, res) {
  res.json({ n: wrapper.addTwice(req.query.item), thread: threadId });
});
app.get('/next', function nextRoute(req, res) {
  res.json({ n: counter.next(), thread: threadId });
});
app.get('/parse', function parseRoute(req, res) {
  res.json({ words: new Parser(req.query.text).parse(), thread: threadId });
});
app.get('/checksum', function checksumRoute(req, res) {
  res.json({ sum: pure.checksum(req.query.text), thread: threadId });
});
app.get('/spin/:ms', function spinRoute(req, res) {
  var until = Date.now() + Number(req.params.ms);
  while (Date.now() < until);
  res.json({ spun: true, thread: threadId });
});

// another file's exports written here: a Map (read through lookup.js too) and an array (destructured)
var cache = require('./cache');
var lookup = require('./lookup');
var tags = require('./tags').list;
var history = require('./history');
app.get('/visit', function visitRoute(req, res) {
  res.json({ size: history.record(req.query.key), thread: threadId });
});
app.get('/remember', function rememberRoute(req, res) {
  cache.set(req.query.key, req.query.value);
  res.json({ size: cache.size, thread: threadId });
});
app.get('/recall', function recallRoute(req, res) {
  res.json({ value: lookup.find(req.query.key) || null, thread: threadId });
});
app.get('/sum', function sumRoute(req, res) {
  res.json({ sum: pure.add(Number(req.query.a), Number(req.query.b)), thread: threadId });
});
app.get('/tag', function tagRoute(req, res) {
  tags.push(req.query.tag);
  res.json({ n: tags.length, thread: threadId });
});

// another file's exports written at start-up: settings assigned (a worker's copy gets them), a listener registered
// on an emitter, a function put on a module's exports (neither can be copied to a worker)
var settings = require('./settings');
var bus = require('./bus');
var format = require('./format');
settings.mode = process.env.APP_MODE || 'configured';
settings.db.host = 'db.internal';
settings.db.replicas.push('r1', 'r2');
settings.flags.set('beta', true);
delete settings.legacy;
settings.limits = { rate: 10 };
var heard = 0;
bus.on('visit', function onVisit(n) {
  heard += n;
});
format.shout = function shout(s) {
  return s.toUpperCase() + '!';
};
app.get('/settings', function settingsRoute(req, res) {
  res.json({ mode: settings.mode, greeting: settings.greeting, db: settings.db, url: settings.url(), beta: settings.flags.get('beta'), legacy: 'legacy' in settings, limits: settings.limits, thread: threadId });
});
app.get('/shout', function shoutRoute(req, res) {
  res.json({ text: format.shout(String(req.query.text)), thread: threadId });
});
app.get('/emit', function emitRoute(req, res) {
  bus.emit('visit', Number(req.query.n));
  res.json({ listeners: bus.listenerCount('visit'), thread: threadId });
});
app.get('/heard', function heardRoute(req, res) {
  res.json({ heard: heard, thread: threadId });
});

// globals: one another file sets at start-up, one a route sets; and the environment, which every thread shares
require('./region');
app.get('/region', function regionRoute(req, res) {
  res.json({ region: APP_REGION, code: REGION_CODES.get(APP_REGION), thread: threadId });
});
app.get('/region-bus', function regionBusRoute(req, res) {
  res.json({ kind: regionBus.constructor.name, thread: threadId });
});
app.get('/visitor', function visitorRoute(req, res) {
  global.lastVisitor = req.query.name;
  res.json({ thread: threadId });
});
app.get('/last-visitor', function lastVisitorRoute(req, res) {
  res.json({ name: typeof lastVisitor === 'undefined' ? null : lastVisitor, thread: threadId });
});
app.get('/env-set', function envSetRoute(req, res) {
  process.env.MODULES_APP_LAST = req.query.value;
  res.json({ thread: threadId });
});
app.get('/env-get', function envGetRoute(req, res) {
  res.json({ value: process.env.MODULES_APP_LAST || null, thread: threadId });
});
// module state that cannot travel (an EventEmitter the route changes): the route stays on the main loop
var EventEmitter = require('events');
var ticker = new EventEmitter();
app.get('/ticker', function tickerRoute(req, res) {
  ticker.setMaxListeners(Number(req.query.max));
  res.json({ max: ticker.getMaxListeners(), thread: threadId });
});
// a function that keeps a count on itself
function tick() {
  tick.calls = (tick.calls || 0) + 1;
  return tick.calls;
}
app.get('/tick', function tickRoute(req, res) {
  res.json({ n: tick(), thread: threadId });
});

// a file that keeps state and exports pure helpers too (service.js): the handlers calling only those move
var service = require('./service');
var slug = require('./service').slug;
app.get('/service/price', function taxRoute(req, res) {
  res.json({ price: service.priceWithTax(Number(req.query.amount)), version: service.VERSION, thread: threadId });
});
app.get('/service/slug', function slugRoute(req, res) {
  res.json({ slug: slug(req.query.s), thread: threadId });
});
app.get('/service/place', function placeRoute(req, res) {
  res.json({ n: service.place(Number(req.query.amount)), slug: service.slug('Order ' + req.query.amount), thread: threadId });
});
app.get('/service/last', function lastRoute(req, res) {
  res.json({ total: service.lastTotal(), count: service.count(), thread: threadId });
});
app.get('/service/stored', function storedRoute(req, res) {
  res.json({ n: service.stored(), thread: threadId });
});
app.get('/service/any', function anyRoute(req, res) {
  var name = req.query.fn;
  res.json({ value: typeof service[name] === 'function' ? service[name](1) : null, thread: threadId });
});
var billing = require('./billing');
app.get('/billing/format', function invoiceNumberRoute(req, res) {
  res.json({ number: billing.format(Number(req.query.n)), thread: threadId });
});

// a file that keeps state, required after the routes above were registered (this module was loaded by then)
var visits = require('./visits');
app.get('/visits', function visitsRoute(req, res) {
  res.json({ n: visits.record(req.query.page), thread: threadId });
});
// module constants made at start-up: a table of 20,000 rows, and an object that refers to it (they go to a worker
// once, with the code, and keep referring to one another there)
var catalog = Array.from({ length: 20000 }, function (_, i) {
  return { id: i, price: (i * 37) % 1000 };
});
var shelves = { all: catalog, featured: catalog[7] };
app.get('/catalog', function catalogRoute(req, res) {
  var max = Number(req.query.max);
  var n = 0;
  for (var i = 0; i < catalog.length; i++) if (catalog[i].price < max) n++;
  res.json({ n: n, same: shelves.all === catalog, featured: shelves.featured === catalog[7], thread: threadId });
});
// a service that is a class's instance: the handlers calling only its methods that use none of its fields move
var accounts = require('./accounts');
app.get('/accounts/open', function openRoute(req, res) {
  res.json({ account: accounts.open(String(req.query.name)), thread: threadId });
});
app.get('/accounts/get', function accountRoute(req, res) {
  res.json({ account: accounts.get(Number(req.query.id)), thread: threadId });
});
app.get('/accounts/hash', function hashRoute(req, res) {
  res.json({ hash: accounts.hash(String(req.query.password), 2000), thread: threadId });
});
app.get('/accounts/fingerprint', function fingerprintRoute(req, res) {
  res.json({ fingerprint: accounts.fingerprint(String(req.query.name)), thread: threadId });
});
// a service object made at load time whose methods only read it (and call one another): not state
var hasher = require('./hasher');
app.get('/digest', function digestRoute(req, res) {
  res.json(Object.assign(hasher.describe(String(req.query.text)), { thread: threadId }));
});
// functions made at start-up by Node's wrappers (their value cannot travel: the worker makes them again)
var util = require('util');
var zlib = require('zlib');
var promisify = require('util').promisify;
var gzip = util.promisify(zlib.gzip);
var gunzip = promisify(zlib.gunzip);
var log = util.debuglog('modules-app');
// objects factories make at start-up that hold their options only (a formatter, an encoder, a logger whose name
// comes from path.basename(__filename)): made again on the worker, where they cannot travel
var path = require('path');
var money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' });
var encoder = new TextEncoder();
var trace = util.debuglog(path.basename(__filename, '.js'));
app.get('/price', function priceRoute(req, res) {
  trace('price %s', req.query.v);
  res.json({ price: money.format(Number(req.query.v)), bytes: encoder.encode(String(req.query.v)).length, thread: threadId });
});
app.get('/zip', async function zipRoute(req, res) {
  var packed = await gzip(String(req.query.text));
  var back = await gunzip(packed);
  log('zipped %d bytes', packed.length);
  res.json({ text: back.toString(), packed: packed[0] === 0x1f, thread: threadId });
});
// validation schemas made at start-up (zod): made again on the worker from their text, chained calls, and a
// schema made of another (`role: Role`); the handler reading one moves
var { z } = require('zod');
var Role = z.enum(['admin', 'user']);
var Signup = z.object({ name: z.string().min(2), role: Role.default('user') }).strict();
app.get('/signup', function signupRoute(req, res) {
  var parsed = Signup.safeParse(req.query);
  res.status(parsed.success ? 200 : 400).json({ ok: parsed.success, data: parsed.data, issues: parsed.success ? undefined : parsed.error.issues.map((i) => i.code), thread: threadId });
});
// a closure capturing a schema: its messages cannot travel, and after a few in a row it stops trying
var validate = require('./validate');
app.get('/checked', validate(z.object({ n: z.coerce.number().int() })), function checkedRoute(req, res) {
  res.json({ n: req.valid.n, thread: threadId });
});
// the same store, required where the handler runs: checked for state all the same
app.get('/add-inline', function addInlineRoute(req, res) {
  res.json({ items: require('./store').add(req.query.item), thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('modules listening on http://127.0.0.1:' + server.address().port);
});

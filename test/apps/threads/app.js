// Fluxions on worker threads, for express 3, 4 and 5: each response says which thread did the work.
var express = require('express');
var fs = require('fs');
var getRawBody = require('raw-body');
var threadId = require('worker_threads').threadId;
var Point = require('./point');
var NotFoundError = require('./problems').NotFoundError;

var app = express();
// a handler made by a factory: its closure captures `options`, which holds a function (it cannot travel)
function describedBy(options) {
  return function describe(req, res) {
    res.send(options.describe() + ' on ' + threadId);
  };
}

function work(n) {
  var h = 0;
  for (var i = 0; i < n * 1000; i++) h = (h * 31 + i) | 0;
  return h;
}

// the request read as a stream (an async iterable), before any body parser: the real one only
app.post('/echo-iter', async function echoIter(req, res) {
  var body = '';
  for await (var chunk of req) body += chunk;
  res.json({ body: body.toUpperCase(), thread: threadId });
});

// plain callbacks that throw, posted to a worker busy with /crash-after: where it dies before starting them, each
// runs on the main loop and its throw is the process's uncaught exception, as without fluxion — the ones after it
// run too (before the body parser below: its callback would wait in that queue, and this route's after it)
app.get('/throw-callback/:k', function throwCallback(req, res) {
  var k = req.params.k;
  fs.readFile(__filename, function thrower() {
    console.log('thrower ' + k + ' ran on ' + threadId);
    throw new Error('thrower ' + k);
  });
  res.send('started on ' + (res.socket ? threadId : -1));
});

app.use(function parseBody(req, res, next) {
  getRawBody(req, { limit: '1mb', encoding: 'utf8' }, function (err, text) {
    if (err) return next(err);
    req.text = text;
    req.parsedOn = threadId;
    next();
  });
});

app.param('n', function (req, res, next, n) {
  req.n = Number(n) || 0;
  next();
});

app.get('/work/:n', function workRoute(req, res) {
  res.set('x-thread', String(threadId));
  res.json({ result: work(req.n), parsedOn: req.parsedOn, thread: threadId });
});

app.get('/skip/:n', function small(req, res, next) {
  if (req.n > 5) return next('route');
  res.send('small');
});
app.get('/skip/:n', function big(req, res) {
  res.send('big on ' + threadId);
});

app.post('/echo', function echo(req, res) {
  res.status(201).type('text').send(req.text.toUpperCase());
});

app.get('/async', async function asyncRoute(req, res) {
  await new Promise(function (resolve) { setTimeout(resolve, 2); });
  res.send('async ' + req.n);
});

app.get('/fail', function fail(req, res, next) {
  next(Object.assign(new Error('failed on purpose'), { status: 418, code: 'E_TEAPOT' }));
});

app.get('/throw', function thrower() {
  throw Object.assign(new TypeError('thrown on purpose'), { code: 'E_PURPOSE' });
});

// express's request methods (content negotiation, ranges) on a worker: express's own code, required there
app.post('/negotiate', function negotiate(req, res) {
  res.json({
    is: req.is('json'),
    accepts: req.accepts(['json', 'html']),
    encoding: req.acceptsEncodings ? req.acceptsEncodings('gzip') : req.acceptsEncoding('gzip'), // express 3: the singular only
    range: req.range(100) || null,
    thread: threadId,
  });
});

// response headers read back on a worker: express's header methods applied to a model of them there
app.get('/headers/:id', function headersRoute(req, res) {
  res.status(201);
  res.set('X-One', '1');
  res.links({ next: '/headers/2' });
  res.vary('Accept');
  res.cookie('k', 'v', { path: '/' });
  res.attachment('report.txt');
  res.setHeader('X-Status', String(res.statusCode));
  res.removeHeader('X-Powered-By');
  res.json({
    route: req.route.path,
    type: res.get('Content-Type'),
    link: res.get('Link'),
    cookie: res.get('Set-Cookie'),
    names: res.getHeaderNames().sort(),
    has: res.hasHeader('x-one'),
    thread: threadId,
  });
});

// res.format picks one of its callbacks: the handler stays on the main loop (explain says why)
app.get('/format', function formatRoute(req, res) {
  res.format({
    json: function () { res.json({ format: 'json', thread: threadId }); },
    default: function () { res.send('format ' + threadId); },
  });
});

// the app lives on the main loop: a setting read by name travels with the message (req.app.get('env')); under another
// name than req the runtime sees `app` read from the snapshot, and that message runs on the main loop
app.get('/app-env', function appEnv(req, res) {
  res.send('env ' + typeof req.app.get('env') + ' on ' + threadId);
});
app.get('/app-env-renamed', function appEnvRenamed(rq, rs) {
  rs.send('env ' + typeof rq.app.get('env') + ' via ' + typeof rs.req.query + ' on ' + threadId);
});

// instances of the app's class in a JSON body: what their toJSON makes of them, as on the main loop
app.get('/points', function points(req, res) {
  res.json({ point: new Point(1, 2), list: [new Point(3, 4)], thread: threadId });
});

app.get('/socket', function socketRoute(req, res) {
  res.send('socket ' + (res.socket ? 'open' : 'closed') + ' on ' + threadId);
});

app.get('/helper', describedBy({ describe: function () { return 'a helper function'; } }));

app.get('/preload', function preload(req, res) {
  res.send((globalThis.PRELOADED_BY || 'nothing') + ' on ' + threadId);
});

// a getter the app adds to every request: computed on the main loop when, and only when, a fluxion reads it
var costlyReads = 0;
Object.defineProperty(app.request, 'costly', {
  configurable: true,
  get: function () {
    costlyReads++;
    return 'costly ' + this.method;
  },
});
app.get('/costly', function costly(req, res) {
  res.json({ costly: req.costly, thread: threadId });
});
app.get('/cheap/:id', function cheap(req, res) {
  res.json({ id: req.params.id, thread: threadId });
});
app.get('/costly-reads', function costlyCount(req, res) {
  res.json({ reads: costlyReads, thread: threadId });
});

// async handlers: the work between awaits runs on a worker; a rejection reaches express as it would
function pause(ms) {
  return new Promise(function (resolve) { setTimeout(resolve, ms); });
}
app.get('/async-work/:n', async function asyncWork(req, res) {
  await pause(1);
  var result = work(req.n);
  await pause(1);
  res.set('x-thread', String(threadId));
  res.json({ result: result, thread: threadId });
});
app.get('/async-next/:n', async function asyncNext(req, res, next) {
  await pause(1);
  if (req.n > 5) return next(Object.assign(new Error('too big'), { status: 422 }));
  res.json({ small: req.n, thread: threadId });
});
app.get('/async-sleep', async function asyncSleep(req, res) {
  await pause(100);
  res.json({ slept: true, thread: threadId });
});
app.get('/async-bad-header', async function asyncBadHeader(req, res) {
  await pause(1);
  res.set('X-Bad', 'a\nb'); // Node refuses it in the main loop's replay: the function's promise rejects with that
  res.send('not sent');
});

app.get('/async-reject', async function asyncReject() {
  await pause(1);
  throw Object.assign(new Error('rejected on purpose'), { status: 409 });
});

// a nested callback with an empty body: its worker copy is counted too
app.get('/timer', function timerRoute(req, res) {
  setTimeout(function () {}, 0);
  res.json({ thread: threadId });
});

// res.locals set by a middleware on a worker reach the handler that follows (it stays on the main loop)
app.get(
  '/locals',
  function setLocals(req, res, next) {
    res.locals.user = 'ann';
    res.locals.setOn = threadId;
    next();
  },
  function readLocals(req, res) {
    res.json({ user: res.locals.user, setOn: res.locals.setOn, socket: !!res.socket, thread: threadId });
  },
);

// a worker thread that dies (a crash of its own: process.reallyExit, which process.exit calls, ends the thread
// alone; process.exit itself ends the process, on a worker as on the main thread)
function crashThisThread() {
  process.reallyExit(3);
}

// a plain callback (nothing of a request in it) that kills its worker: it runs again on the main loop
app.get('/crash-callback', function crashCallback(req, res) {
  fs.readFile(__filename, function report() {
    if (threadId !== 0) crashThisThread();
    console.log('report ran on ' + threadId);
  });
  res.send('started on ' + (res.socket ? threadId : -1));
});

app.get('/crash', function crash(req, res) {
  if (threadId !== 0) crashThisThread();
  res.send('no crash on the main thread');
});

// the same after `ms` of work: the requests sent meanwhile wait in its worker's queue
app.get('/crash-after/:ms', function crashAfter(req, res) {
  console.log('crash-after running on ' + threadId);
  var until = Date.now() + Number(req.params.ms);
  while (Date.now() < until);
  if (threadId !== 0) crashThisThread();
  res.send('no crash on the main thread');
});

// what the app does to the process from a worker happens to the process: an exception thrown in a timer after the
// answer, a rejection nothing handles, process.exit()
if (process.env.CATCH_UNCAUGHT) {
  process.on('uncaughtException', function caught(error) {
    console.log('caught on ' + threadId + ': ' + error.name + ' ' + error.message + ' ' + (error instanceof TypeError) + ' ' + error.code);
  });
}
app.get('/late-throw', function lateThrow(req, res) {
  res.send('answered on ' + threadId);
  setTimeout(function later() {
    throw Object.assign(new TypeError('late throw on ' + threadId), { code: 'E_LATE' });
  }, 5);
});
app.get('/late-reject', function lateReject(req, res) {
  res.send('answered on ' + threadId);
  Promise.reject(new RangeError('nobody handled this on ' + threadId));
});
app.get('/exit', function exitRoute(req, res) {
  res.send('exiting on ' + threadId);
  setTimeout(function bye() {
    process.exit(Number(req.query.code));
  }, 5);
});

// an interval a route starts ticks on for good: on the main loop, where the route reading its count is too
var ticks = 0;
var ticker = null;
app.get('/ticker/start', function startTicker(req, res) {
  if (!ticker) {
    ticker = setInterval(function tick() {
      ticks++;
    }, 20);
    ticker.unref();
  }
  res.json({ started: true, thread: threadId });
});
app.get('/ticker/count', function tickCount(req, res) {
  res.json({ ticks: ticks, thread: threadId });
});

// an arrow names no `next`: express calls it with one all the same, and its throw goes to the error handler
app.get('/throw-arrow', (req, res) => {
  throw Object.assign(new RangeError('arrow threw on ' + threadId), { code: 'E_ARROW' });
});

// a handler made by a function: the array it captured is every call's, so one that pushes to it stays on the
// main loop (a worker would push to its copy)
function collector(list) {
  return function collect(req, res) {
    list.push(req.params.item);
    res.json({ n: list.length, thread: threadId });
  };
}
app.get('/collect/:item', collector([]));

// a method that calls `super`: its text alone is no method (a syntax error on a worker), so it stays here
var baseRoutes = { greeting: function () { return 'hello'; } };
var routes = {
  __proto__: baseRoutes,
  greet(req, res) {
    res.send(super.greeting() + ' on ' + threadId);
  },
};
app.get('/super', routes.greet);

// an arrow reading the `arguments` of the function around it: a worker has not those, so it stays here
function registerEcho(prefix) {
  app.get('/echo-args', (req, res) => res.send(arguments[0] + ' ' + arguments.length + ' on ' + threadId));
}
registerEcho('args');

// a class of this file, used per request: it travels as source with the handler, which moves
class Hasher {
  constructor(seed) {
    this.h = seed;
  }
  add(text) {
    for (var i = 0; i < text.length; i++) this.h = (this.h * 31 + text.charCodeAt(i)) | 0;
    return this;
  }
}
var Scaler = class {
  scale(n) {
    return n * 2;
  }
};
// a namespace of functions (its `this` is itself): it travels as source too; one whose functions write `this`
// holds state, and stays (counterObject)
var text = {
  upper: function (s) {
    return s.toUpperCase();
  },
  shout(s) {
    return this.upper(s) + '!';
  },
};
var counterObject = {
  next() {
    this.n = (this.n || 0) + 1;
    return this.n;
  },
};
app.get('/hash/:text', function hashRoute(req, res) {
  res.json({ hash: new Hasher(7).add(req.params.text).h, double: new Scaler().scale(2), shout: text.shout(req.params.text), thread: threadId });
});
app.get('/object-count', function objectCountRoute(req, res) {
  res.json({ n: counterObject.next(), thread: threadId });
});

// a header value Node refuses: the worker records the call, the main loop's replay throws, and that goes to the
// error handler as the handler's own throw would
app.get('/bad-header', function badHeader(req, res) {
  res.set('X-Bad', 'a\nb');
  res.send('not sent');
});

// the express app read through the request, by name: it travels with the message (settings can change at run time);
// a route that writes it (app.set, app.locals.x = …) stays on the main loop
app.set('title', 'Threads');
app.locals.brand = { name: 'fluxion', colors: ['red', 'blue'] };
app.get('/app-info', function appInfo(req, res) {
  res.json({
    title: req.app.get('title'),
    powered: req.app.enabled('x-powered-by'),
    strict: req.app.disabled('strict routing'),
    env: req.app.settings.env,
    brand: req.app.locals.brand,
    // (through the response too)
    resTitle: res.app.get('title'),
    resBrand: res.app.locals.brand.name,
    thread: threadId,
  });
});
app.get('/app-retitle', function appRetitle(req, res) {
  req.app.set('title', String(req.query.title));
  res.json({ thread: threadId });
});
app.get('/app-count', function appCount(req, res) {
  req.app.locals.visits = (req.app.locals.visits || 0) + 1;
  res.json({ visits: req.app.locals.visits, thread: threadId });
});

// what apps read to find their root and their command line: the main thread's, on any thread
app.get('/main-module', function mainModule(req, res) {
  res.json({
    main: require.main && require.main.filename,
    dir: require.main && require.main.path,
    express: typeof require.main.require('express').Router,
    argv: process.argv.slice(1),
    thread: threadId,
  });
});

// a missing `return` after res.send: the header call after it throws, as on the main loop; the send after that too,
// and express's error path follows (the error handler sees res.headersSent)
app.get('/double', function double(req, res) {
  if (!req.query.ok) res.status(400).send('bad on ' + threadId);
  try {
    res.set('X-Late', '1');
  } catch (e) {
    console.log('late header: ' + e.code + ' on ' + threadId + (res.headersSent ? ', head sent' : ''));
  }
  res.send('ok');
});

// the response's state as a stream, read before answering; the request's own stream method
app.get('/stream-state', function streamState(req, res) {
  var before = { finished: res.finished, writableEnded: res.writableEnded, writable: res.writable, writableLength: typeof res.writableLength, chunkedEncoding: typeof res.chunkedEncoding };
  res.sendDate = false;
  res.statusMessage = 'Fine';
  if (!res.finished) res.json({ before: before, thread: threadId });
});
// data the app puts on the response, read by what follows (a middleware's `res.startedAt = Date.now()`)
app.get(
  '/res-fields',
  function stampIt(req, res, next) {
    res.stampedOn = threadId;
    res.stampCount = (res.stampCount || 0) + 1;
    next();
  },
  function readStamp(req, res) {
    res.json({ stampedOn: typeof res.stampedOn, count: res.stampCount, thread: threadId });
  },
);
app.get('/req-timeout', function reqTimeout(req, res) {
  req.setTimeout(5000);
  res.json({ thread: threadId });
});

// the response handed to a stream as its destination: in the text (express's setters return `res`), and through a
// variable the compiler does not follow (the stream listens on it, on the worker: the message runs again here)
app.get('/piped', function piped(req, res) {
  require('stream').Readable.from(['a', 'b', 'c', ' on ' + threadId]).pipe(res.type('text'));
});
app.get('/piped-late', function pipedLate(req, res) {
  var out = res.type('text');
  require('stream').Readable.from(['a', 'b', 'c', ' on ' + threadId]).pipe(out);
});

// a method the app put on its response prototype (express's own suite, app.response.js): the worker records the
// call, the main loop makes it, the response ends; a method no app defined is `not a function` there as here
app.response.shout = function shout(text) {
  this.send(String(text).toUpperCase());
};
app.get('/shout', function shouted(req, res) {
  res.set('x-thread', String(threadId));
  res.shout('hey');
});
app.get('/whisper', function whispered(req, res) {
  res.whisper('hey');
});

// an http-errors class, whose status is on its prototype (`ForbiddenError.prototype.status = 403`)
var createError = require('http-errors');
app.get('/forbidden', function forbidden(req, res, next) {
  next(new createError.Forbidden('not yours (on ' + threadId + ')'));
});
// module memory handed to the request by reference and changed through it (express's route-separation example):
// `accounts` changes on the main loop; a worker would change a copy
var accounts = [{ name: 'ann' }, { name: 'bob' }];
function loadAccount(req, res, next) {
  req.account = accounts[req.params.id];
  next();
}
app.get('/account/:id/rename/:name', loadAccount, function renameAccount(req, res) {
  req.account.name = req.params.name;
  res.json({ renamed: req.account.name });
});
app.get('/account/:id', function showAccount(req, res) {
  res.json({ account: accounts[req.params.id], thread: threadId });
});

// an error whose status is on its class's prototype, a class no module exports (made here, in a handler that stays
// on the main loop: it reads the socket), handed to a callback that runs on a worker and on to next()
app.get('/teapot', function teapot(req, res, next) {
  if (!req.socket) return next();
  class Teapot extends Error {}
  Teapot.prototype.status = 418;
  var err = new Teapot('short and stout');
  setImmediate(function brew() {
    next(err);
  });
});

// express's download example: the handler stays (it passes a callback to res.sendFile), the callback moves; it
// gets send's error (an http-errors class made on the main loop, its status on the class's prototype) or
// nothing, and then returns without calling res or next: done when it returns
app.get('/file/:name', function fileRoute(req, res, next) {
  res.sendFile(req.params.name, { root: __dirname }, function sent(err) {
    if (!err) return;
    next(err);
  });
});

// an error of the app's own class (problems.js), passed to next() on a worker
app.get('/missing/:id', function missing(req, res, next) {
  next(new NotFoundError('item ' + req.params.id + ' (on ' + threadId + ')'));
});

// and of a class of this file, not exported
class GoneError extends Error {
  constructor(what) {
    super(what + ' is gone');
    this.name = 'GoneError';
  }
}
app.get('/gone/:id', function gone(req, res, next) {
  next(new GoneError('item ' + req.params.id + ' (on ' + threadId + ')'));
});

app.use(function onError(err, req, res, next) {
  if (res.headersSent) return next(err);
  if (err instanceof GoneError) return res.status(410).json({ gone: err.message, instance: true, thread: threadId });
  if (err instanceof NotFoundError) return res.status(404).json({ missing: err.message, instance: true, thread: threadId });
  res.status(err.status || 500).json({ error: err.message, name: err.name, code: err.code || null, thread: threadId });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('threads listening on http://127.0.0.1:' + server.address().port);
});

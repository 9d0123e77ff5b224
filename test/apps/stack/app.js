// Errors thrown inside rewritten callbacks: their stacks must be the same as without fluxion.
var express = require('express');
var fs = require('fs'); var threadId = require('worker_threads').threadId;
var app = express();

function parse(text) {
  var error = new Error('cannot parse ' + text.length + ' bytes');
  error.code = 'E_PARSE'; error.thread = threadId;
  throw error;
}

app.get('/sync', function syncRoute(req, res) {
  parse('sync');
});

app.get('/async', function asyncRoute(req, res, next) {
  fs.readFile(__filename, 'utf8', function onRead(err, text) {
    try {
      parse(text);
    } catch (e) {
      next(e);
    }
  });
});

async function check(text) {
  await null;
  parse(text);
}

app.get('/await', async function awaitRoute(req, res, next) {
  try {
    await Promise.resolve();
    await check(await Promise.resolve('x'));
  } catch (e) {
    next(e);
  }
});

// a module constant read by a module function the handler calls: both travel with the handler to a worker
var PREFIX = 'cannot check';
function checkArrow(text) {
  var error = new RangeError(PREFIX + ' ' + text);
  error.thread = threadId;
  throw error;
}

// an arrow: its frame is anonymous (`at …/app.js:L:C`); it names no `next`, its throw reaches the error handler
app.get('/arrow', (req, res) => {
  checkArrow('arrow');
});

// a handler a function of the app makes, capturing its argument: anonymous, its frame `at …/app.js:L:C` as plain
// node prints it (not named after what the rewrite's registration call around it reads)
var failWith = (text) => (req, res) => {
  parse(text);
};

app.get('/made', failWith('made'));

app.use(function (err, req, res, next) {
  res.status(500).set('x-thread', String(err.thread)).type('text').send(err.stack);
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('stack listening on http://127.0.0.1:' + server.address().port);
});

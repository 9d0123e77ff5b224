// Errors thrown inside rewritten callbacks: their stacks must be the same as without fluxion.
var express = require('express');
var fs = require('fs');
var app = express();

function parse(text) {
  var error = new Error('cannot parse ' + text.length + ' bytes');
  error.code = 'E_PARSE';
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

app.use(function (err, req, res, next) {
  res.status(500).type('text').send(err.stack);
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('stack listening on http://127.0.0.1:' + server.address().port);
});

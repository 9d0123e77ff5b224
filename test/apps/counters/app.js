// Three route files, each with a counter in its own module memory: two stateful files, each pinned to one worker.
var express = require('express');
var orders = require('./orders');
var visits = require('./visits');
var carts = require('./carts');

var app = express();
app.get('/orders', orders.count);
app.get('/visits', visits.count);
app.get('/carts', carts.count);

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('counters listening on http://127.0.0.1:' + server.address().port);
});

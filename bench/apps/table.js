// A route that reads a module constant made at start-up (a 20,000-row table), for `BENCH_MESSAGES_ROUTE=table`:
// what carrying read-only module memory to a worker costs a request (it goes once per worker, with the code unit).
var express = require('express');
var app = express();

var rows = Array.from({ length: 20000 }, function (_, i) {
  return { id: i, name: 'product ' + i, price: (i * 37) % 1000 };
});

app.get('/under/:max', function under(req, res) {
  var max = Number(req.params.max);
  var n = 0;
  for (var i = 0; i < rows.length; i++) if (rows[i].price < max) n++;
  res.json({ n: n });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('table listening on http://127.0.0.1:' + server.address().port);
});

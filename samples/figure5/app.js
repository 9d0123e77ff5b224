// Paper Figure 5: three fluxions onReq -> add -> end and three variables:
//   a is written by add only (scope of add), b is set by onReq and read by add (streamed),
//   c is written by end and read by add, upstream of it (shared: add and end are tagged grp_c).
var app = require('express')();
var db = require('./db');
var a = 0;
var c = 0;

app.get('/:key', function onReq(req, res) {
  var b = req.params.key.length;
  db.query(req.params.key, function add(err, v) {
    a += v;
    var sum = a + b + c;
    db.query('last', function end(err, last) {
      c = last;
      res.json({ a: a, b: b, c: c, sum: sum });
    });
  });
});

var server = app.listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1', function () {
  console.log('figure5 listening on http://127.0.0.1:' + server.address().port);
});

// Paper Figure 5 as an ES module: a is scope of add, b is streamed onReq -> add, c is shared by add and end.
import express from 'express';
import db from './db.js';

const app = express();
let a = 0;
let c = 0;

app.get('/:key', function onReq(req, res) {
  const b = req.params.key.length;
  db.query(req.params.key, function add(err, v) {
    a += v;
    const sum = a + b + c;
    db.query('last', function end(err, last) {
      c = last;
      res.json({ a: a, b: b, c: c, sum: sum });
    });
  });
});

const server = app.listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1', function () {
  console.log('figure5 listening on http://127.0.0.1:' + server.address().port);
});

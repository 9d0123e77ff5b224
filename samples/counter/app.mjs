// Paper Listing 1 as an ES module: `node --import fluxion/register samples/counter/app.mjs`.
import express from 'express';
import fs from 'node:fs';

const app = express();
let count = 0;

app.get('/', function handler(req, res) {
  fs.readFile(import.meta.filename, function reply(err, data) {
    count += 1;
    res.send(err || template(count, data));
  });
});

const server = app.listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1', function () {
  console.log('counter listening on http://127.0.0.1:' + server.address().port);
});

function template(count, data) {
  return '<h1>' + count + '</h1>\n<pre>' + String(data).length + ' bytes of source</pre>\n';
}

// Paper Listing 1: reads a file and sends it back with a request counter.
// `count` lives in module memory: under fluxion it stays one counter (unlike node:cluster).
var app = require('express')(),
    fs = require('fs'),
    count = 0;

app.get('/', function handler(req, res) {
  fs.readFile(__filename, function reply(err, data) {
    count += 1;
    res.send(err || template(count, data));
  });
});

var server = app.listen(Number(process.env.PORT || 8080), process.env.HOST || '127.0.0.1', function () {
  console.log('counter listening on http://127.0.0.1:' + server.address().port);
});

function template(count, data) {
  return '<h1>' + count + '</h1>\n<pre>' + String(data).length + ' bytes of source</pre>\n';
}

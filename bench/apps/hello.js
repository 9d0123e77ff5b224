// The hello-world route of the overhead benchmark.
var express = require('express');
var app = express();

app.get('/', function hello(req, res) {
  res.send('Hello World!');
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('hello listening on http://127.0.0.1:' + server.address().port);
});

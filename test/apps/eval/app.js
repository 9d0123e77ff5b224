// A module that uses eval and with: fluxion keeps those fluxions on the main loop; responses are the same.
var http = require('http');
var settings = { greeting: 'hello', punctuation: '!' };

http.createServer(function (req, res) {
  var greeting = eval('settings.greeting');
  setTimeout(function () {
    with (settings) {
      res.end(greeting + ' ' + req.url.slice(1) + punctuation);
    }
  }, 1);
}).listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('eval listening on http://127.0.0.1:' + this.address().port);
});

// A route that allocates and drops megabytes of buffers per request (a kernel's pixels): on a worker, what its
// isolate holds of them at any moment is the memory fluxion adds. Each response says how much array-buffer
// memory the thread held as the request started, and which thread it was.
var vm = require('vm');
var express = require('express');
var threadId = require('worker_threads').threadId;

var app = express();

app.get('/pixels/:mb', function pixels(req, res) {
  var held = process.memoryUsage().arrayBuffers;
  var sum = 0;
  for (var i = 0; i < Number(req.params.mb); i++) {
    var pixels = new Uint8Array(1024 * 1024);
    pixels.fill(i + 1);
    sum += pixels[4096];
  }
  res.json({ held: held, sum: sum, thread: threadId });
});

// stays on the main loop (it touches the socket): is there a `gc` here, or in a context made now?
app.get('/gc', function gcHere(req, res) {
  res.socket.setNoDelay(true);
  res.send(typeof globalThis.gc + ' ' + vm.runInNewContext('typeof gc') + ' ' + threadId);
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('buffers listening on http://127.0.0.1:' + server.address().port);
});

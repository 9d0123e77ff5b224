// A stateful route whose module state is large (a Map of 20,000 accounts, written by the route): it lives on the
// worker, and comes back only when the main loop needs it; with ?tool=1 a middleware hands the route a function,
// which cannot travel: that message runs on the main loop, with the state fetched from the worker first (and the
// next one to the worker takes it there again), which costs more than the route's work. ?spin=ms makes it hot.
var express = require('express');
var threadId = require('worker_threads').threadId;

var app = express();
const ledger = new Map();
for (var i = 0; i < 20000; i++) ledger.set('account-' + i, { balance: i, owner: 'owner ' + i });

// reads the socket, so it stays on the main loop
app.use(function tool(req, res, next) {
  if (req.query.tool && req.socket) req.tool = function tool() { return 'a tool'; };
  next();
});

app.get('/credit/:account', function credit(req, res) {
  var until = process.hrtime.bigint() + BigInt(Math.round(Number(req.query.spin || 0) * 1e6));
  while (process.hrtime.bigint() < until);
  var entry = ledger.get(req.params.account) || { balance: 0, owner: req.params.account };
  entry.balance += 1;
  ledger.set(req.params.account, entry);
  res.json({ balance: entry.balance, accounts: ledger.size, thread: threadId, tool: req.tool ? req.tool() : null });
});

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('ledger listening on http://127.0.0.1:' + server.address().port);
});

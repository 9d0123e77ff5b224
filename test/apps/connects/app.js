'use strict';
// Packages and app files the start-up code connects or initialises: a worker's copy would not be (a query that
// waits forever, a client that throws), so the handlers calling into them stay on the main loop.
var express = require('express');
var threadId = require('worker_threads').threadId;
var db = require('minidb');
var User = require('./models/user');
var cache = require('./cache');
var mailer = require('./mailer');

var fmt = require('fmtlib');
var exclaim = require('./plugins/exclaim');

var app = express();
mailer.init({ from: 'app@example.test' });
// a configuration a worker cannot make again (it throws there), before the others: the code calling into it
// stays, and the others are made there all the same
var theme = require('themelib');
theme.configure({ color: 'blue' });
// configuration of a package for the process: done again on a worker before the code that needs it
fmt.extend(exclaim);
fmt.setOptions({ upper: true });
fmt.defaults.prefix = process.env.FMT_PREFIX || '> ';
// not a configuration a worker may do again (a job would run on every thread): code calling into it stays
require('./setup');
require('./boot');
var scheduler = require('cronlib');
scheduler.every(60000, function tick() { return Date.now(); });

app.get('/users', async function usersRoute(req, res) {
  res.json({ users: await User.find({ name: req.query.name }), thread: threadId });
});
app.get('/greeting', async function greetingRoute(req, res) {
  res.json({ greeting: await cache.get('greeting'), thread: threadId });
});
app.get('/mail', function mailRoute(req, res) {
  res.json({ mail: mailer.compose(req.query.to), thread: threadId });
});
app.get('/format', function formatRoute(req, res) {
  res.json({ text: require('./format')(String(req.query.text)), thread: threadId });
});
// a package another file configures at its top level: code that requires that file moves (its top level runs on
// the worker too), code that does not stays (a worker would have it unconfigured)
app.get('/tag', function tagRoute(req, res) {
  res.json({ text: require('tagger').tag(String(req.query.text)), thread: threadId });
});
app.get('/prefix', function prefixRoute(req, res) {
  res.json({ text: require('prefixer').apply(String(req.query.text)), thread: threadId });
});
app.get('/tag-through', function tagThroughRoute(req, res) {
  res.json({ text: require('./tagged')(String(req.query.text)), thread: threadId });
});
app.get('/jobs', function jobsRoute(req, res) {
  res.json({ jobs: scheduler.jobs(), thread: threadId });
});
app.get('/paint', function paintRoute(req, res) {
  res.json({ text: theme.paint(String(req.query.text)), thread: threadId });
});
app.get('/pure', function pureRoute(req, res) {
  res.json({ upper: String(req.query.text).toUpperCase(), thread: threadId });
});

async function main() {
  await db.connect();
  await cache.connect();
  var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
    console.log('connects listening on http://127.0.0.1:' + server.address().port);
  });
}
main();

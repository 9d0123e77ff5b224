'use strict';
const express = require('express');
const { threadId } = require('node:worker_threads');
const posts = require('./posts');
const visits = require('./visits');

const app = express();
app.use(express.json());

app.post('/posts', function addRoute(req, res) {
  res.status(201).json({ post: posts.add(req.body.title, req.body.tags), thread: threadId });
});
app.post('/posts/later', async function laterRoute(req, res) {
  res.status(201).json({ post: await posts.addLater(req.body.title), thread: threadId });
});
app.post('/bulk', function bulkRoute(req, res) {
  for (let i = 0; i < Number(req.query.n); i++) posts.add(`bulk post number ${i}`, ['bulk']);
  res.json({ thread: threadId });
});
app.delete('/posts', function clearRoute(req, res) {
  posts.clear();
  res.json({ thread: threadId });
});

app.get('/report', function reportRoute(req, res) {
  const stats = posts.stats();
  res.json({ ...stats, titles: posts.all().map((p) => p.title), thread: threadId });
});
app.get('/posts/:id', function findRoute(req, res) {
  res.json({ post: posts.find(Number(req.params.id)), thread: threadId });
});
app.get('/tags', function tagsRoute(req, res) {
  res.json({ tags: posts.tags(), thread: threadId });
});
app.get('/each', function eachRoute(req, res) {
  const ids = [];
  posts.each((p) => ids.push(p.id));
  res.json({ ids, thread: threadId });
});
app.get('/visits', function visitsRoute(req, res) {
  res.json({ seen: visits.peek(), thread: threadId });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => console.log(`readers listening on http://127.0.0.1:${server.address().port}`));

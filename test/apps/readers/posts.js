'use strict';
// A store of posts that other files read (readers.ts): its exports that only read it (`all`, `stats`, `find`,
// `tags`, `since`) let the handlers calling them run on workers, with a copy of the state sent again whenever a
// function that may change it ran (`add`, `addLater` — async, it changes the state after an await —, `clear`).
const posts = [];
const byTag = new Map();
let nextId = 1;

function words(post) {
  return post.title.split(' ').length;
}

function tag(post) {
  for (const t of post.tags) {
    if (!byTag.has(t)) byTag.set(t, []);
    byTag.get(t).push(post.id);
  }
}

exports.add = function add(title, tags) {
  const post = { id: nextId++, title, tags: tags || [] };
  posts.push(post);
  tag(post);
  return post;
};

exports.addLater = async function addLater(title) {
  await new Promise((resolve) => setTimeout(resolve, 50));
  const post = { id: nextId++, title, tags: [] };
  posts.push(post);
  return post;
};

exports.clear = () => {
  posts.length = 0;
  byTag.clear();
};

exports.all = () => posts;

exports.find = (id) => posts.find((p) => p.id === id) || null;

exports.tags = () => [...byTag.keys()].sort().map((t) => ({ tag: t, posts: byTag.get(t).length }));

exports.stats = function stats() {
  const out = { count: posts.length, words: 0 };
  for (const post of posts) out.words += words(post);
  return out;
};

// reads, but through a callback it is handed: the caller's function might change what it is given
exports.each = (fn) => posts.forEach(fn);

'use strict';
// An in-memory store as tutorials write one: module memory, and functions that hand out its own objects.
const todos = [
  { id: 1, title: 'write the tests', done: false, tags: [] },
  { id: 2, title: 'ship', done: false, tags: [] },
];
function find(id) {
  return todos.find((t) => t.id === id);
}
module.exports = { todos, find };

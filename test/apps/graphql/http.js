'use strict';
// graphql-http's plain-http handler, as its README serves it: `http.createServer(createHandler({ schema }))`, no
// express. It reads each POST's body from the request's stream (it never looks at `req.body`): a worker makes the
// handler again from the same schema and root, and its request gives the body the main loop read as a stream.
const http = require('node:http');
const { createHandler } = require('graphql-http/lib/use/http');
const { buildSchema } = require('graphql');
const { threadId } = require('node:worker_threads');

const schema = buildSchema('type Query { hello(name: String): String!, thread: Int!, words(text: String!): Int! }');
const root = {
  hello: ({ name }) => `hello ${name || 'world'}`,
  thread: () => threadId,
  words: ({ text }) => text.split(/\s+/).filter(Boolean).length,
};

const server = http.createServer(createHandler({ schema, rootValue: root }));
server.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

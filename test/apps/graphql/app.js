'use strict';
// GraphQL on Express, written as graphql-js's and graphql-tools' guides do: a schema built at start-up from its SDL
// (`buildSchema`) with a root object of resolvers, another made by `makeExecutableSchema` from `gql` type
// definitions and a resolver map, and a handler that runs `graphql({ schema, source, … })` per request. A worker
// makes each schema again from the same text and resolvers; one whose resolvers change the module's memory cannot be.
const express = require('express');
const { buildSchema, graphql } = require('graphql');
const { makeExecutableSchema } = require('@graphql-tools/schema');
const { createHandler } = require('graphql-http/lib/use/express');
const gql = require('graphql-tag');
const { threadId } = require('node:worker_threads');

const schema = buildSchema(`
  type Book { id: ID!, title: String!, author: String!, words: Int! }
  type Query { books(author: String): [Book!]!, book(id: ID!): Book, digest(rounds: Int!): String!, thread: Int!, crash(after: Int): String }
`);

const BOOKS = [
  { id: '1', title: 'Dune', author: 'Herbert' },
  { id: '2', title: 'Neuromancer', author: 'Gibson' },
  { id: '3', title: 'Count Zero', author: 'Gibson' },
];

// an index the top level fills: read-only once start-up is over, its value goes to each worker once
const INDEX = new Map();
for (const book of BOOKS) INDEX.set(book.id, book);

// a pure-JavaScript hash, the route's CPU work
function digest(text, rounds) {
  let h = 2166136261;
  for (let r = 0; r < rounds; r++) for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16);
}

const root = {
  books: ({ author }) => BOOKS.filter((b) => !author || b.author === author).map((b) => ({ ...b, words: b.title.length * 1000 })),
  book: ({ id }) => BOOKS.find((b) => b.id === id),
  digest: ({ rounds }) => digest(BOOKS.map((b) => b.title).join(), rounds),
  thread: () => threadId,
  // (a worker that dies under a query, `after` ms of work into it: process.reallyExit ends a worker thread alone)
  crash: ({ after }) => {
    if (after) console.log(`crash running on ${threadId}`);
    const until = Date.now() + (after || 0);
    while (Date.now() < until);
    return threadId !== 0 ? process.reallyExit(3) : 'alive';
  },
};

const typeDefs = gql`
  type Author { name: String!, books: [String!]! }
  type Query { authors: [Author!]!, viewer: String, thread: Int!, title(id: ID!): String }
`;
const resolvers = {
  Query: {
    authors() {
      const names = [...new Set(BOOKS.map((b) => b.author))];
      return names.map((name) => ({ name }));
    },
    viewer: (_, args, context) => context.user || null,
    title: (_, { id }) => INDEX.get(id)?.title ?? null,
    thread: () => threadId,
  },
  Author: {
    books: (author) => BOOKS.filter((b) => b.author === author.name).map((b) => b.title),
  },
};
const toolsSchema = makeExecutableSchema({ typeDefs, resolvers });

// resolvers that change the module's memory: the schema is not made again (each worker would count on its own)
const votes = new Map();
const votingSchema = makeExecutableSchema({
  typeDefs: 'type Query { votes(id: ID!): Int! } type Mutation { vote(id: ID!): Int! }',
  resolvers: {
    Query: { votes: (_, { id }) => votes.get(id) || 0 },
    Mutation: { vote: (_, { id }) => { votes.set(id, (votes.get(id) || 0) + 1); return votes.get(id); } },
  },
});

// resolvers reading an array another route changes: made again, the worker's copy would miss what was added
const shelf = [];
const shelfSchema = makeExecutableSchema({
  typeDefs: 'type Query { shelf: [String!]!, size: Int! }',
  resolvers: { Query: { shelf: () => shelf, size: () => shelf.length } },
});

const app = express();
// graphql-http's handler, as graphql.org's guide mounts it: a worker makes it again from the same schema and root;
// before any body parser, it reads a POST's body itself (that request runs on the main loop)
app.all('/raw', createHandler({ schema, rootValue: root }));
app.use(express.json());
app.all('/http', createHandler({ schema: toolsSchema, context: (req) => ({ user: req.headers['x-user'] }) }));
// (a schema a worker cannot make again: this one stays on the main loop, one count)
app.all('/votes-http', createHandler({ schema: votingSchema }));

app.post('/graphql', async (req, res) => {
  const { query, variables } = req.body;
  const result = await graphql({ schema, source: query, rootValue: root, variableValues: variables });
  res.json({ ...result, thread: threadId });
});

app.post('/tools', async (req, res) => {
  const result = await graphql({ schema: toolsSchema, source: req.body.query, contextValue: { user: req.get('x-user') } });
  res.json({ ...result, thread: threadId });
});

app.post('/votes', async (req, res) => {
  const result = await graphql({ schema: votingSchema, source: req.body.query });
  res.json({ ...result, thread: threadId });
});

app.post('/shelf', (req, res) => {
  shelf.push(String(req.body.title));
  res.json({ size: shelf.length, thread: threadId });
});

app.post('/shelf/graphql', async (req, res) => {
  const result = await graphql({ schema: shelfSchema, source: req.body.query });
  res.json({ ...result, thread: threadId });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

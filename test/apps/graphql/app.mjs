// graphql.org's guide's server as an ES module: graphql-http's handler for express, imported by name, with a schema
// built at start-up. Under `--import fluxion/register` the handler is made again on a worker, as in CommonJS.
import express from 'express';
import { createHandler } from 'graphql-http/lib/use/express';
import { buildSchema } from 'graphql';
import { threadId } from 'node:worker_threads';

const schema = buildSchema('type Query { hello(name: String): String!, thread: Int! }');
const root = { hello: ({ name }) => `hello ${name || 'world'}`, thread: () => threadId };

const app = express();
app.all('/graphql', createHandler({ schema, rootValue: root }));
const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

'use strict';
// GraphQL: graphql.org's guide's server (bench/apps/graphql.js: graphql-http's handler, no body parser), plain node vs
// fluxion (auto: the JIT moves the handler graphql-http made once it measures it hot; isolate: from the first query),
// side by side in one run, rounds alternating. Two queries: a report over a 20,000-item catalogue (milliseconds of
// JavaScript in a resolver) and `{ ping }`, the cheap one the JIT should leave on the main loop. Bounded:
// BENCH_ROUNDS rounds of BENCH_SECONDS seconds, 16 connections, loopback only. On a machine of few cores the load
// generator takes one of them: read the ratio with the cores the server had (BENCH_SERVER_CPUS, bench/lib.js).
const autocannon = require('autocannon');
const { machine, ratesTable, startServer, serverCpuCount } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);
const QUERIES = {
  report: '{ report(minPrice: 20, by: "brand") { key count total top } }',
  ping: '{ ping }',
};

function load(port, query) {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `http://127.0.0.1:${port}/graphql`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }), connections: 16, duration: SECONDS, pipelining: 1 },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
  });
}

async function measure(args, env, query) {
  const server = await startServer('bench/apps/graphql.js', args, env);
  try {
    await load(server.port, query).catch(() => undefined); // warm-up (V8, the JIT's first measures)
    const result = await load(server.port, query);
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} answers other than 2xx, ${result.errors} errors`);
    return result;
  } finally {
    await server.stop();
  }
}

async function main() {
  const variants = [
    ['plain node', [], {}],
    ['fluxion (auto)', ['-r', 'fluxion/register'], { FLUXION_DISABLE_CACHE: '1' }],
    ['fluxion (isolate)', ['-r', 'fluxion/register'], { FLUXION_DISABLE_CACHE: '1', FLUXION_PLACEMENT: 'isolate' }],
  ];
  for (const [label, query] of Object.entries(QUERIES)) {
    const results = new Map(variants.map(([name]) => [name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, args, env] of variants) results.get(name).push(await measure(args, env, query));
    }
    console.log(`\nGraphQL \`${label}\` query: ${ROUNDS} rounds × ${SECONDS} s, 16 connections, ${serverCpuCount()} server cores (${machine()})`);
    console.log(ratesTable(results));
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

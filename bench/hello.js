'use strict';
// Overhead: an Express 5 hello-world, plain node vs `node -r fluxion/register`, side by side in one run.
// Rounds alternate (plain, fluxion, plain, …) so that the machine's noise hits both alike; the ratio is the
// figure to read. Bounded: BENCH_ROUNDS rounds of BENCH_SECONDS seconds, 50 connections, loopback only.
const autocannon = require('autocannon');
const { machine, ratesTable, startServer } = require('./lib');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 5);

function load(port) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/`, connections: 50, duration: SECONDS, pipelining: 1 }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

async function measure(args, env) {
  const server = await startServer('bench/apps/hello.js', args, env);
  try {
    await load(server.port).catch(() => undefined); // warm-up (JIT, the app's caches)
    return await load(server.port);
  } finally {
    await server.stop();
  }
}

async function main() {
  const variants = [
    ['plain node', [], {}],
    ['fluxion', ['-r', 'fluxion/register'], { FLUXION_DISABLE_CACHE: '1' }],
  ];
  const results = new Map(variants.map(([name]) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, args, env] of variants) results.get(name).push(await measure(args, env));
  }
  console.log(`\nExpress 5 hello-world: ${ROUNDS} rounds × ${SECONDS} s, 50 connections, autocannon on the same machine (${machine()})`);
  console.log(ratesTable(results));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});

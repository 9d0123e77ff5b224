'use strict';
// `npm run bench [compiler|hello|startup|cpu|scaling|graphql …]`: every scenario, or the ones named, one after the other.
// `messages` (instructions per moved request, under valgrind: minutes) runs only when named.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const all = ['compiler', 'hello', 'startup', 'cpu', 'scaling', 'graphql'];
const onDemand = ['messages'];
const chosen = process.argv.slice(2).length ? process.argv.slice(2) : all;
let failed = 0;
for (const name of chosen) {
  if (!all.includes(name) && !onDemand.includes(name)) {
    console.error(`unknown scenario "${name}" (scenarios: ${[...all, ...onDemand].join(', ')})`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [path.join(__dirname, `${name}.js`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;

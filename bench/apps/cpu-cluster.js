// samples/cpu under node:cluster, one process per core (each with its own memory: a counter would split).
const cluster = require('node:cluster');
const os = require('node:os');

if (cluster.isPrimary) {
  const n = Number(process.env.THREADS) || os.availableParallelism();
  let announced = false;
  for (let i = 0; i < n; i++) cluster.fork({ CLUSTER_QUIET: '1' });
  cluster.on('listening', (worker, address) => {
    if (announced) return;
    announced = true;
    console.log('cpu-cluster listening on http://127.0.0.1:' + address.port);
  });
} else {
  const log = console.log;
  console.log = () => undefined; // the primary announces the port once
  require('../../samples/cpu/app.js');
  console.log = log;
}

#!/bin/bash
# Runs the benchmarks on a machine prepared by `node bench/remote/pack.js` (from the checkout's root, with dist/
# built here and .bench-remote/ beside it; results also go to $OUT if set). Needs python3 (to unpack) and taskset.
#   ONLY=cpu2      the CPU route with the server on 2 CPUs (R2 rounds of S2 s after W2 s of warm-up, default 3 × 5 after 10)
#   ONLY=hello     the hello-world overhead, server on 2 CPUs
#   ONLY=scaling   the scaling curve (SIZES, default 1,2,4,8,14)
#   ONLY=startup   start-up times
#   ONLY=graphql   the GraphQL scenario, server on GN CPUs (default 4), load on the others (only when named)
#   ONLY=all       all of them but graphql (default); ONLY=cpu2+startup: those two
set -u
OUT=${OUT:-/tmp/bench-remote-out}
mkdir -p /tmp/bench-remote-node "$OUT"
python3 - <<'PY'
import lzma, tarfile, shutil, os
with lzma.open('.bench-remote/node.xz') as f, open('/tmp/bench-remote-node/node', 'wb') as o: shutil.copyfileobj(f, o)
os.chmod('/tmp/bench-remote-node/node', 0o755)
with tarfile.open('.bench-remote/node_modules.tar.xz') as t: t.extractall('.')
PY
export PATH=/tmp/bench-remote-node:$PATH
node -v; nproc; grep -m1 'model name' /proc/cpuinfo; grep Cpus_allowed_list /proc/self/status
# the cores (hardware threads of one core on a line): a server on N CPUs gets N cores (bench/lib.js splitCpus)
node -e "const l = require('./bench/lib'); console.log('cores:', l.cores().map((g) => g.join('+')).join(' '), '| server on 2:', l.splitCpus(2).server.join(','), 'load on:', l.splitCpus(2).load.join(','))"
ONLY=${ONLY:-all}
want() { [ "$ONLY" = all ] || [[ "+$ONLY+" == *"+$1+"* ]]; }
if want cpu2; then
  echo "== cpu bench, server on 2 CPUs"
  BENCH_SCALING_CPUS=2 BENCH_ROUNDS=${R2:-3} BENCH_SECONDS=${S2:-5} BENCH_WARMUP=${W2:-10} timeout ${T2:-400} node bench/scaling.js 2>&1 | tee "$OUT/cpu2.txt"
fi
if want hello; then
  S=$(node -e "console.log(require('./bench/lib').splitCpus(2).server.join(','))")
  L=$(node -e "console.log(require('./bench/lib').splitCpus(2).load.join(','))")
  echo "== hello, server on $S, load on $L"
  BENCH_SERVER_CPUS=$S BENCH_ROUNDS=3 BENCH_SECONDS=4 timeout 90 taskset -c "$L" node bench/hello.js 2>&1 | tee "$OUT/hello.txt"
fi
if want scaling; then
  echo "== scaling"
  BENCH_SCALING_CPUS=${SIZES:-1,2,4,8,14} BENCH_ROUNDS=1 BENCH_SECONDS=4 timeout 260 node bench/scaling.js 2>&1 | tee "$OUT/scaling.txt"
fi
if [[ "+$ONLY+" == *"+graphql+"* ]]; then
  S=$(node -e "console.log(require('./bench/lib').splitCpus(${GN:-4}).server.join(','))")
  L=$(node -e "console.log(require('./bench/lib').splitCpus(${GN:-4}).load.join(','))")
  echo "== graphql, server on $S, load on $L"
  BENCH_SERVER_CPUS=$S BENCH_ROUNDS=${RG:-2} BENCH_SECONDS=${SG:-4} timeout ${TG:-200} taskset -c "$L" node bench/graphql.js 2>&1 | tee "$OUT/graphql.txt"
fi
if want startup; then
  # every start on the same CPU: this kind of machine's CPUs differ in speed by up to 1.6x
  S=$(node -e "console.log(require('./bench/lib').splitCpus(1).server[0])")
  echo "== startup, each start on CPU $S"
  BENCH_SERVER_CPUS=$S timeout 150 node bench/startup.js 2>&1 | tee "$OUT/startup.txt"
fi

// Run with --allow-natives-syntax (fluxion leaves this file as it is: its parser does not read `%`). After the
// app's files were rewritten on a cold start, with V8's optimizing tiers off meanwhile, V8 optimizes again.
require('./work.js');
function hot(x) {
  let s = 0;
  for (let i = 0; i < 100; i++) s += i * x;
  return s;
}
%PrepareFunctionForOptimization(hot);
hot(1);
hot(2);
%OptimizeFunctionOnNextCall(hot);
hot(3);
// V8's OptimizationStatus: bit 4 is "optimized" (Node 20 to 24)
console.log(JSON.stringify({ optimized: (%GetOptimizationStatus(hot) & 16) !== 0 }));

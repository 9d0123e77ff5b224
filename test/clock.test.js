'use strict';
// The runtime's clock as data: a message's own time (sections nest, each less what closed inside it), how often
// a fluxion is sampled again and what its samples charge it (clock.ts), and what one sample leaves out (the
// sampler's own hooks). The sampler on real servers is tested on real processes (workers.test.js, chunked).
const t = require('tap');
const { AsyncClock, charged, closeSection, confirmAfter, now, openSection, resampleAfter, RESAMPLE_MS, startSample } = require('../dist/runtime/clock.js');

t.test("a section's own time leaves out the sections closed inside it, and adds its whole length to its parent's", async (t) => {
  // a middleware (0..10) whose next() runs a route (2..8), which runs a callback fluxion (3..4)
  openSection(0);
  openSection(2);
  openSection(3);
  t.equal(closeSection(3, 4), 1, 'the innermost: all its own');
  t.equal(closeSection(2, 8), 5, 'the route: 6 less the 1 inside it');
  t.equal(closeSection(0, 10), 4, 'the middleware: 10 less the route\'s 6');
  // siblings add up in their parent
  openSection(20);
  openSection(21);
  closeSection(21, 23);
  openSection(24);
  closeSection(24, 27);
  t.equal(closeSection(20, 30), 5, 'two nested sections of 2 and 3');
});

t.test('a section that does not match the innermost one open measures its whole length and leaves the others be', async (t) => {
  openSection(100);
  t.equal(closeSection(50, 60), 10, 'unknown start: its length, nothing popped');
  openSection(101);
  t.equal(closeSection(101, 103), 2);
  t.equal(closeSection(100, 110), 8, 'the open one still nests what closed inside it');
});

t.test('resampling backs off while samples find nothing, and comes back to once a second when one finds work', async (t) => {
  let wait = RESAMPLE_MS;
  const waits = [];
  for (let i = 0; i < 9; i++) waits.push((wait = resampleAfter(wait, 0)));
  t.same(waits, [2000, 4000, 8000, 16000, 32000, 64000, 64000, 64000, 64000], 'doubling, to once a minute');
  t.equal(resampleAfter(64000, 0.04), 64000, 'a few microseconds is nothing');
  t.equal(resampleAfter(64000, 3.5), RESAMPLE_MS, 'work found: once a second again');
});

t.test('a fluxion is charged the lesser of its last two samples, and a first sample that found work is confirmed soon', async (t) => {
  t.equal(charged(-1, 1.2), 0, 'a first sample alone: nothing charged yet (V8 compiling the package may be most of it)');
  t.equal(charged(1.2, 0.4), 0.4, 'a second, warm, reading less: the lesser');
  t.equal(charged(0.4, 3.7), 0.4, 'one reading a GC pause: the lesser');
  t.equal(charged(25, 24), 24, 'real work read twice: charged');
  t.equal(confirmAfter(25, 0, 1), 16, "a first sample of a fluxion's second message that found work: the next 16 messages later");
  t.equal(confirmAfter(1.1, 0, 64), 64, "a made handler's, of its 64th: 64 messages later");
  t.equal(confirmAfter(0.01, 0, 1), null, 'nothing found: resampled as usual');
  t.equal(confirmAfter(20, 0.01), 16, 'work found after samples that found none: confirmed soon (the lesser would hide it until the next resample)');
  t.equal(confirmAfter(0.45, 0.4), null, 'a reading a little above what is charged: resampled as usual');
  t.equal(confirmAfter(0.3, 0.4), null, 'one below it: charged at once (the lesser), nothing to confirm');
});

t.test("a sample leaves out the sampler's own cost: the hooks' work for each promise a package's callbacks make", async (t) => {
  // a package's async work after the message's return: 3000 awaits, ~0.3–0.6 ms of JavaScript without the hooks,
  // ~100 ms with them (Node's async ids and destroy tracking, the stack read for each resource made): a sample that
  // charged the hooks read ~95% of that wall time
  async function chain(n) {
    let x = 0;
    for (let i = 0; i < n; i++) x += await Promise.resolve(i);
    return x;
  }
  let read = -1;
  const clock = new AsyncClock();
  clock.sample = startSample(now(), (ms) => (read = ms));
  const work = chain(3000);
  clock.pause();
  const started = now();
  await work;
  const wall = now() - started;
  clock.end();
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(read > 0, `the reactions are charged (${read.toFixed(3)} ms)`);
  t.ok(read < wall / 2, `but not the hooks' work: ${read.toFixed(3)} ms of the ${wall.toFixed(3)} ms they ran, hooks on`);
});

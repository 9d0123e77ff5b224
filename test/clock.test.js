'use strict';
// The runtime's clock as data: a message's own time (sections nest, each less what closed inside it) and how often
// a fluxion is sampled again (clock.ts). The sampler itself is tested on real processes (workers.test.js, chunked).
const t = require('tap');
const { openSection, closeSection, resampleAfter, RESAMPLE_MS } = require('../dist/runtime/clock.js');

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

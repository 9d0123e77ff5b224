#!/usr/bin/env node
'use strict';
// `postinstall`: fluxion's install-time code cache (lib/compile-cache.ts), so that the first start of an app
// does not compile fluxion's compiler. It never fails an install: without it, start-up is only slower.
const path = require('node:path');
const fs = require('node:fs');

const hook = path.join(__dirname, '..', 'dist', 'hook.js');
if (!fs.existsSync(hook)) process.exit(0); // a source checkout before `prepare` has built dist/
try {
  require(hook).precompile();
} catch (error) {
  console.warn(`fluxion: no install-time code cache (${error.message}); the first start compiles the compiler`);
}

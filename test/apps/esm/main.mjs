// ES module features under fluxion: top-level await, import.meta, dynamic import, circular imports with live
// bindings, default and named exports, and callbacks that are rupture points.
import fs from 'node:fs';
import { readFile } from 'node:fs';
import { value, bump } from './a.mjs';
import def, { greeting } from './b.mjs';

const token = '__GREETING__';
const top = await new Promise((resolve) => setTimeout(function later() { resolve('top-level await'); }, 5));
const lazy = await import('./lazy.mjs');
bump();

readFile(import.meta.filename, 'utf8', function onRead(err, text) {
  fs.stat(import.meta.dirname, function onStat(err, st) {
    console.log(JSON.stringify({ top, lazy: lazy.default(), live: value, def: def(), greeting, token, url: import.meta.url.endsWith('/esm/main.mjs'), lines: text.split('\n').length, dir: st.isDirectory() }));
    if (process.env.THROW) throw new Error('thrown in onStat');
  });
});

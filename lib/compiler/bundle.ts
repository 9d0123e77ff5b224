/**
 * The compiler as the require hook, the CLI and the public API load it: `npm run build` bundles this entry
 * with meriyah, eslint-scope and their dependencies into one file (esbuild, `dist/compiler/bundle.js`).
 * One file instead of twenty-five: no module resolution, and one V8 code cache entry (compile-cache.ts), which
 * takes loading the compiler on a cold start from ~20 ms to ~10 ms. Unbundled (tsc alone), this file simply
 * re-exports and everything works the same, slower.
 */
export { analyze, compile, explain, formatDot, formatFlx, formatJson, BUILTIN_CATALOGUE, validateCalleeSpecs } from './index';
export { instrument } from './instrument';
export { chainSourceMaps, type InputSourceMap } from './splice';

/** fluxion's public API. */
export { compile, explain, formatDot, formatFlx, formatJson, BUILTIN_CATALOGUE } from './compiler/bundle';
export { compileFile } from './cli';
export { FluxionError } from './errors';
export type * from './types';
export { register } from './register';
export type { Options, RegisterOptions } from './config';
export type { Report } from './runtime/report';

/**
 * Logging: `FLUXION_LOG_LEVEL` (silent, error, warn, info, debug; default warn) and `DEBUG=fluxion:*`
 * (or `fluxion:hook`, `fluxion:probe`, …) for debug lines. Everything goes to stderr, prefixed `fluxion`.
 */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

let level: LogLevel = 'warn';
let namespaces: RegExp | null = parseDebug(process.env.DEBUG);
const warned = new Set<string>();

function parseDebug(value: string | undefined): RegExp | null {
  if (!value) return null;
  const parts = value.split(/[\s,]+/).filter((p) => p && !p.startsWith('-'));
  const matching = parts.filter((p) => p === '*' || p.startsWith('fluxion'));
  if (!matching.length) return null;
  const escaped = matching.map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*'));
  return new RegExp(`^(${escaped.join('|')})$`);
}

export function setLogLevel(value: LogLevel): void {
  level = value;
  if (value === 'debug' && !namespaces) namespaces = /^fluxion:.*$/;
}

export function enabled(which: LogLevel): boolean {
  return RANK[level] >= RANK[which];
}

/** Whether `DEBUG` shows this namespace: for a debug line that costs something to build. */
export function debugging(namespace: string): boolean {
  return namespaces !== null && namespaces.test(`fluxion:${namespace}`);
}

export function debug(namespace: string, message: string): void {
  if (namespaces && namespaces.test(`fluxion:${namespace}`)) process.stderr.write(`fluxion:${namespace} ${message}\n`);
}

export function info(message: string): void {
  if (enabled('info')) process.stderr.write(`fluxion: ${message}\n`);
}

/** One warning per key for the life of the process. */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  if (enabled('warn')) process.stderr.write(`fluxion: warning: ${message}\n`);
}

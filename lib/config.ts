/**
 * Configuration, validated once. Sources, in precedence order: `register(options)` > `FLUXION_*` env vars >
 * `fluxion.config.json` or `package.json#fluxion` (found from the app's folder, or the working directory,
 * upwards). An invalid value stops with a message naming the option where it was given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateCalleeSpecs } from './compiler/callee-specs';
import type { LogLevel } from './debug';
import { FluxionError } from './errors';
import type { CalleeSpec } from './types';

export interface Options {
  enabled: boolean;
  placement: 'auto' | 'inline' | 'isolate';
  threads: number | null;
  include: string[];
  exclude: string[];
  cacheDir: string | null;
  disableCache: boolean;
  logLevel: LogLevel;
  report: string | null;
  rupturePoints: CalleeSpec[];
  /** The JIT moves a fluxion whose mean synchronous CPU time per message reaches this (ms). */
  hotMs: number;
  /** A worker with nothing to do for this long (ms) stops and gives its memory back; 0: never. */
  idleMs: number;
  /** A worker scavenges once its external memory (array buffers) grew by this many MB; 0: V8's own policy. */
  scavengeMb: number;
  /** Messages in flight per worker; past it a stateless fluxion's message runs on the main loop, a stateful one's waits. */
  maxInFlight: number;
  /** Packages whose module memory is state (connections, configuration made at start-up): code calling into them stays. */
  statefulPackages: string[];
}

export type RegisterOptions = Partial<Options>;

export const DEFAULTS: Options = {
  enabled: true,
  placement: 'auto',
  threads: null,
  include: [],
  exclude: [],
  cacheDir: null,
  disableCache: false,
  logLevel: 'warn',
  report: null,
  rupturePoints: [],
  hotMs: 1,
  idleMs: 30000,
  scavengeMb: 8,
  maxInFlight: 1024,
  statefulPackages: ['mongoose', 'passport', 'i18next', 'prom-client'],
};

const ENV: Record<keyof Options, string> = {
  enabled: 'FLUXION_ENABLED',
  placement: 'FLUXION_PLACEMENT',
  threads: 'FLUXION_THREADS',
  include: 'FLUXION_INCLUDE',
  exclude: 'FLUXION_EXCLUDE',
  cacheDir: 'FLUXION_CACHE_DIR',
  disableCache: 'FLUXION_DISABLE_CACHE',
  logLevel: 'FLUXION_LOG_LEVEL',
  report: 'FLUXION_REPORT',
  rupturePoints: 'FLUXION_RUPTURE_POINTS',
  hotMs: 'FLUXION_HOT_MS',
  idleMs: 'FLUXION_IDLE_MS',
  scavengeMb: 'FLUXION_SCAVENGE_MB',
  maxInFlight: 'FLUXION_MAX_IN_FLIGHT',
  statefulPackages: 'FLUXION_STATEFUL_PACKAGES',
};

const LEVELS = ['silent', 'error', 'warn', 'info', 'debug'];

type Named = (key: keyof Options) => string;

/** Validates one raw value; `name(key)` says how the user spelled the option. */
function validate(key: keyof Options, value: unknown, name: Named, fromText: boolean): unknown {
  const fail = (what: string): never => {
    throw new FluxionError('E_OPTION', `${name(key)} must be ${what} (got ${JSON.stringify(value)})`);
  };
  switch (key) {
    case 'enabled':
    case 'disableCache':
      if (typeof value === 'boolean') return value;
      if (fromText && typeof value === 'string' && /^(1|true|yes|on)$/i.test(value)) return true;
      if (fromText && typeof value === 'string' && /^(0|false|no|off|)$/i.test(value)) return false;
      return fail(fromText ? 'true or false' : 'a boolean');
    case 'placement':
      return value === 'auto' || value === 'inline' || value === 'isolate' ? value : fail('"auto", "inline" or "isolate"');
    case 'threads':
    case 'maxInFlight': {
      const n = typeof value === 'string' && fromText && /^\d+$/.test(value.trim()) ? Number(value) : value;
      const max = key === 'threads' ? 1024 : Infinity;
      return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max ? n : fail(key === 'threads' ? 'an integer from 1 to 1024' : 'an integer of 1 or more');
    }
    case 'include':
    case 'exclude':
    case 'statefulPackages': {
      const list = fromText && typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
      // a package name: `name` or `@scope/name`, no path
      const item = key === 'statefulPackages' ? /^(@[^/\s]+\/)?[^/@\s][^/\s]*$/ : /./;
      return Array.isArray(list) && list.every((g) => typeof g === 'string' && item.test(g)) ? list : fail(key === 'statefulPackages' ? 'a list of package names' : 'a list of glob patterns');
    }
    case 'hotMs':
    case 'idleMs':
    case 'scavengeMb': {
      const n = typeof value === 'string' && fromText && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : fail(`a number of ${key === 'scavengeMb' ? 'megabytes' : 'milliseconds'} (0 or more)`);
    }
    case 'cacheDir':
    case 'report':
      return typeof value === 'string' && value !== '' ? value : fail('a path');
    case 'logLevel':
      return typeof value === 'string' && LEVELS.includes(value) ? value : fail(LEVELS.map((l) => `"${l}"`).join(', '));
    case 'rupturePoints': {
      let parsed = value;
      if (fromText && typeof value === 'string') {
        try {
          parsed = JSON.parse(value);
        } catch {
          return fail('a JSON array');
        }
      }
      try {
        return validateCalleeSpecs(parsed, name(key));
      } catch (error) {
        throw new FluxionError('E_OPTION', (error as Error).message);
      }
    }
  }
}

function apply(target: Options, source: Record<string, unknown>, name: Named, fromText: boolean, known: boolean): void {
  for (const [key, value] of Object.entries(source)) {
    if (!(key in DEFAULTS)) {
      if (known) throw new FluxionError('E_OPTION', `${name(key as keyof Options)} is not an option of fluxion (options: ${Object.keys(DEFAULTS).join(', ')})`);
      continue;
    }
    if (value === undefined) continue;
    (target as unknown as Record<string, unknown>)[key] = validate(key as keyof Options, value, name, fromText);
  }
}

export interface ProjectConfig {
  values: Record<string, unknown>;
  /** The file it came from, and how to name an option of it. */
  from: string | null;
  label: string;
}

/** `fluxion.config.json`, else `package.json#fluxion`, from `dir` upwards (stops at the first package.json). */
export function findProjectConfig(dir: string): ProjectConfig {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const own = path.join(d, 'fluxion.config.json');
    if (fs.existsSync(own)) return asConfig(readJson(own), own, 'fluxion.config.json');
    const pkg = path.join(d, 'package.json');
    if (fs.existsSync(pkg)) {
      const json = readJson(pkg) as { fluxion?: unknown };
      return json.fluxion === undefined ? { values: {}, from: null, label: '' } : asConfig(json.fluxion, pkg, 'package.json#fluxion');
    }
    if (path.dirname(d) === d) return { values: {}, from: null, label: '' };
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FluxionError('E_OPTION', `invalid JSON: ${(error as Error).message}`, { file });
  }
}

function asConfig(value: unknown, file: string, label: string): ProjectConfig {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new FluxionError('E_OPTION', `${label} must be an object`, { file });
  return { values: value as Record<string, unknown>, from: file, label };
}

/** The options of this process: file < env < programmatic. */
export function resolveOptions(programmatic: RegisterOptions = {}, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Options {
  const options: Options = { ...DEFAULTS };
  const project = findProjectConfig(cwd);
  try {
    apply(options, project.values, (k) => `${project.label}.${k}`, false, false);
  } catch (error) {
    if (error instanceof FluxionError && project.from) throw new FluxionError('E_OPTION', error.message, { file: project.from });
    throw error;
  }
  const fromEnv: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(ENV)) if (env[variable] !== undefined) fromEnv[key] = env[variable];
  apply(options, fromEnv, (k) => ENV[k], true, true);
  apply(options, programmatic as Record<string, unknown>, (k) => `options.${k}`, false, true);
  return options;
}

/** Compile-time part for `fluxion compile`: the extra callees of the app's project. */
export function loadProjectConfig(startFile: string): { rupturePoints: CalleeSpec[]; from: string | null } {
  const project = findProjectConfig(path.dirname(path.resolve(startFile)));
  const raw = project.values.rupturePoints;
  try {
    return { rupturePoints: raw === undefined ? [] : validateCalleeSpecs(raw, `${project.label}.rupturePoints`), from: project.from };
  } catch (error) {
    throw new FluxionError('E_OPTION', (error as Error).message, { file: project.from ?? undefined });
  }
}

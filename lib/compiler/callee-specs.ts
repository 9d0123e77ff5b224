/**
 * The validation of user-supplied rupture points (`rupturePoints` in fluxion.config.json, FLUXION_RUPTURE_POINTS),
 * apart from the catalogue: the options are read on every start, by the require hook's bundle, which then need not
 * carry (and build, at its top level) the built-in catalogue only the compiler reads.
 */
import type { CalleeSpec } from '../types';

/** Validate user-supplied entries; the message names the option and the entry. */
export function validateCalleeSpecs(value: unknown, option: string): CalleeSpec[] {
  if (!Array.isArray(value)) throw new TypeError(`${option} must be an array of { kind, module/export | global | method }`);
  return value.map((entry: unknown, i) => {
    const where = `${option}[${i}]`;
    if (!entry || typeof entry !== 'object') throw new TypeError(`${where} must be an object`);
    const e = entry as Record<string, unknown>;
    if (e.kind !== 'start' && e.kind !== 'post') throw new TypeError(`${where}.kind must be "start" or "post"`);
    const keys = ['module', 'global', 'method'].filter((k) => e[k] !== undefined);
    if (keys.length !== 1) throw new TypeError(`${where} must have exactly one of module, global, method`);
    for (const k of ['module', 'export', 'global', 'method']) {
      if (e[k] !== undefined && (typeof e[k] !== 'string' || e[k] === '')) throw new TypeError(`${where}.${k} must be a non-empty string`);
    }
    if (e.minArgs !== undefined && !(Number.isInteger(e.minArgs) && (e.minArgs as number) >= 1)) {
      throw new TypeError(`${where}.minArgs must be a positive integer`);
    }
    if (e.callbacks !== undefined && e.callbacks !== 'last' && e.callbacks !== 'first' && e.callbacks !== 'all') {
      throw new TypeError(`${where}.callbacks must be "first", "last" or "all"`);
    }
    return e as unknown as CalleeSpec;
  });
}

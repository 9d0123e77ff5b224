/**
 * The runtime, on the main loop. Rewritten modules call `load()` once (through their `$flx$()`) and then
 * talk to their ModuleRuntime. There is one registry per process, shared by every copy of fluxion.
 */
import type { ModuleDescription } from '../internal-types';
import { Registry, type ModuleRuntime, type StateSetter } from './registry';

const KEY = Symbol.for('fluxion.registry');
type Holder = typeof globalThis & { [KEY]?: Registry };

export function registry(): Registry {
  const holder = globalThis as Holder;
  return (holder[KEY] ??= new Registry());
}

export function load(file: string, description: ModuleDescription, declarations: () => unknown[], setState?: StateSetter, classes?: () => Record<string, unknown>): ModuleRuntime {
  return registry().load(file, description, declarations, setState, classes);
}

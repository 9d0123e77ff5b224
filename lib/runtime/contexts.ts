/**
 * The request's async context, carried with a message to a worker (DESIGN §5, flows): what the app's and its
 * packages' AsyncLocalStorage instances hold when the message leaves (`als.run(new Map([['id', …]]), next)` in a
 * middleware, `reqctx.get('id')` in the handler), and the active contexts of cls-hooked's namespaces
 * (`process.namespaces`). The worker runs the code inside the same stores, given to its copies of those instances
 * (the ones created at the same line of the same file, in the same order); what the code changes in them comes
 * back and is written into the main loop's stores. A store that cannot travel (an instance of a class: a span, a
 * child logger) keeps the message on the main loop, as any value that cannot travel does.
 */
import * as asyncHooks from 'node:async_hooks';
import { syncBuiltinESMExports } from 'node:module';
import type * as Serialize from './serialize';

/** serialize.ts, given by the caller: this file is part of the require hook's bundle, which must not load it. */
type Codec = Pick<typeof Serialize, 'encode' | 'decode' | 'refill'>;

type Storage = asyncHooks.AsyncLocalStorage<unknown>;

/** Where an instance was made: `file:line#n` (the n-th made there), the same on every thread. */
const keyOf = new WeakMap<object, string>();
const madeAt = new Map<string, number>();
/** Main thread: the instances, to look for active stores. Worker: by key, to run code inside them. */
const instances: Array<WeakRef<Storage>> = [];
const byKey = new Map<string, Storage>();
let onWorker = false;

/** Where the frame that called `new` is (its file and line), or null. */
function callerSite(constructor: object): string | null {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_error, frames) => frames;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, constructor as (...args: unknown[]) => unknown);
    const frame = holder.stack?.[0];
    const file = frame?.getFileName();
    return file ? `${file}:${frame!.getLineNumber()}` : null;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/**
 * From now on, every AsyncLocalStorage the app or a package makes is noted where it is made: `async_hooks`'s
 * export is a subclass that does (ES modules' named imports too). Node's own instances are made from its internal
 * class, and are not. Once per thread, before the app's first line. `esm`: ES modules may have imported
 * `node:async_hooks` already (another `--import` loader), whose named exports are synced then (~0.3 ms, which a
 * CommonJS start does not pay: an ES module importing it later reads the export as it is then).
 */
export function trackContexts(worker: boolean, esm = false): void {
  const Base = asyncHooks.AsyncLocalStorage as unknown as new (...args: unknown[]) => Storage;
  const marker = Symbol.for('fluxion.contexts');
  if ((Base as unknown as Record<symbol, unknown>)[marker]) return;
  onWorker = worker;
  const Tracked = class AsyncLocalStorage extends Base {
    constructor(...args: unknown[]) {
      super(...args);
      const site = callerSite(new.target);
      if (site === null) return;
      const n = (madeAt.get(site) ?? 0) + 1;
      madeAt.set(site, n);
      const key = `${site}#${n}`;
      keyOf.set(this, key);
      if (onWorker) byKey.set(key, this);
      else instances.push(new WeakRef(this));
    }
  };
  (Tracked as unknown as Record<symbol, unknown>)[marker] = true;
  Object.defineProperty(asyncHooks, 'AsyncLocalStorage', { value: Tracked, writable: true, enumerable: true, configurable: true });
  if (esm) syncBuiltinESMExports();
}

interface ClsNamespace {
  active: Record<string, unknown> | null;
  runAndReturn<T>(fn: (context: Record<string, unknown>) => T): T;
}

function namespaces(): Record<string, ClsNamespace> | null {
  const all = (process as unknown as { namespaces?: Record<string, ClsNamespace> }).namespaces;
  return all && typeof all === 'object' ? all : null;
}

/** A cls-hooked context's values, its parents' too (a context inherits from the one around it). */
function flat(context: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in context) if (key !== '_ns_name' && key !== 'id') out[key] = context[key];
  return out;
}

/** [key, the store as it left, encoded]: `als:<file:line#n>` or `cls:<namespace>`. */
export type CarriedContext = [key: string, store: unknown];

/**
 * The stores active now (the message's async context), encoded, and the main loop's store objects, to write the
 * worker's changes into; null when there are none. Throws NotTransferable for a store that cannot travel.
 */
export function activeContexts({ encode }: Codec): { carried: CarriedContext[]; stores: unknown[] } | null {
  let out: { carried: CarriedContext[]; stores: unknown[] } | null = null;
  for (let i = 0; i < instances.length; i++) {
    const storage = instances[i]!.deref();
    if (!storage) {
      instances.splice(i--, 1);
      continue;
    }
    const store = storage.getStore();
    if (store === undefined) continue;
    const key = keyOf.get(storage)!;
    out ??= { carried: [], stores: [] };
    out.carried.push([`als:${key}`, encode(store, `the async context (an AsyncLocalStorage made at ${key.replace(/#\d+$/, '')})`)]);
    out.stores.push(store);
  }
  const cls = namespaces();
  if (cls) {
    for (const name of Object.keys(cls)) {
      const context = cls[name]?.active;
      if (!context) continue;
      out ??= { carried: [], stores: [] };
      out.carried.push([`cls:${name}`, encode(flat(context), `the cls-hooked context of namespace ${name}`)]);
      out.stores.push(context);
    }
  }
  return out;
}

/**
 * Worker: the carried stores, given to this thread's copies of their instances: `run(call)` runs code inside them,
 * `changed()` says what it changed there (to go back with the answer), null when nothing.
 */
export function enterContexts({ encode, decode }: Codec, carried: CarriedContext[]): { run<T>(call: () => T): T; changed(): CarriedContext[] | null } {
  const inside: Array<{ key: string; sent: unknown; now: () => unknown }> = [];
  const wrappers: Array<(next: () => unknown) => unknown> = [];
  for (const [key, encoded] of carried) {
    const store = decode(encoded);
    if (key.startsWith('als:')) {
      const storage = byKey.get(key.slice(4));
      if (!storage) continue; // (a package this code does not load: it cannot read that store)
      wrappers.push((next) => storage.run(store, next));
      if (store !== null && typeof store === 'object') inside.push({ key, sent: encoded, now: () => store });
    } else {
      const ns = namespaces()?.[key.slice(4)];
      if (!ns || typeof ns.runAndReturn !== 'function') continue;
      let context: Record<string, unknown> | null = null;
      wrappers.push((next) =>
        ns.runAndReturn((c) => {
          Object.assign(c, store as Record<string, unknown>);
          context = c;
          return next();
        }),
      );
      inside.push({ key, sent: encoded, now: () => (context ? flat(context) : store) });
    }
  }
  return {
    run<T>(call: () => T): T {
      let run: () => unknown = call;
      for (const wrap of wrappers) {
        const next = run;
        run = () => wrap(next);
      }
      return run() as T;
    },
    changed(): CarriedContext[] | null {
      let out: CarriedContext[] | null = null;
      for (const c of inside) {
        let now: unknown;
        try {
          now = encode(c.now(), 'the async context');
        } catch {
          continue; // (what the code put there cannot travel: the main loop's store keeps what it had)
        }
        if (!(require('node:util') as typeof import('node:util')).isDeepStrictEqual(now, c.sent)) (out ??= []).push([c.key, now]);
      }
      return out;
    },
  };
}

/** Main thread: what the worker changed in the stores, written into the main loop's (in place: same objects). */
export function applyContexts({ decode, refill }: Codec, stores: unknown[], sent: CarriedContext[], changed: CarriedContext[]): void {
  for (const [key, encoded] of changed) {
    const i = sent.findIndex(([k]) => k === key);
    const store = stores[i];
    if (i < 0 || store === null || typeof store !== 'object') continue;
    const value = decode(encoded);
    if (key.startsWith('cls:')) Object.assign(store, value);
    else {
      try {
        refill(store, value);
      } catch {
        // (its kind changed on the worker: the main loop's store stays as it was)
      }
    }
  }
}

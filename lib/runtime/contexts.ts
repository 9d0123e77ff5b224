/**
 * The request's async context, carried with a message to a worker (DESIGN §5, flows): what the app's and its
 * packages' AsyncLocalStorage instances hold when the message leaves (`als.run(new Map([['id', …]]), next)` in a
 * middleware, `reqctx.get('id')` in the handler), and the active contexts of cls-hooked's namespaces
 * (`process.namespaces`). The worker runs the code inside the same stores, given to its copies of those instances
 * (the ones created at the same line of the same file, in the same order); what the code changes in them comes
 * back and is written into the main loop's stores. A store that cannot travel (an instance of a class: a span, an
 * APM's context, which holds every request's: OpenTelemetry's, any other kept in an AsyncLocalStorage) goes as a stand-in when the message
 * may run twice (a stateless fluxion's) and the worker has a copy of its instance: code that reads it there
 * (`getStore()`) stops, and the message runs again on the main loop, where the fluxion stays; code that never reads
 * it (most handlers) runs there. Otherwise it keeps the message on the main loop, as any value that cannot travel.
 */
import * as asyncHooks from 'node:async_hooks';
import { syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';
import { warnOnce } from '../debug';
import { callSites } from './clock';
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
/** The file whose code unit is being built, with a colon (`/app/app.js:`, and as a URL: an ES module's), or null. */
let unitFile: [string, string] | null = null;
/** While a unit is built: the instances its code made so far at each site (the n-th there is the module's n-th). */
let unitMade: Map<string, number> | null = null;

/**
 * Builds a code unit of `file` (units.ts buildFactory). A unit makes the module constants it uses again
 * (factories.ts): `const als = new AsyncLocalStorage()` at the top of an app file, made once when the file loaded,
 * would be made once more per unit. Instead, the unit's `new` gives the instance made at that line before: on the
 * main loop, the module's own (the unit runs a message that could not go, in the same stores); on a worker, the
 * first unit's copy, which takes the stores made there on the main loop (one instance per key and thread).
 */
export function buildingUnit<T>(file: string, build: () => T): T {
  const outer = unitFile;
  const outerMade = unitMade;
  unitFile = [`${file}:`, `${pathToFileURL(file).href}:`];
  unitMade = new Map();
  try {
    return build();
  } finally {
    unitFile = outer;
    unitMade = outerMade;
  }
}
/**
 * Instances made before trackContexts ran (by a preload that comes before fluxion's: `node -r ./tracing.js -r
 * fluxion/register`), seen when they first `run` or `enterWith` a store. Where they were made is not known, so no
 * other thread can be given their store: a message whose context holds one stays on the main loop, and a worker's
 * code that hands the request on inside one (contextsAtNext) runs again there.
 */
const untracked: Array<WeakRef<Storage>> = [];
const seenUntracked = new WeakSet<object>();
/** Of those, the ones made after it ran by code without a file name (`new Function`): not a preload's. */
const nameless = new WeakSet<object>();
/** fluxion's own instances (internalStorage): neither the app's to carry nor untracked. */
const ours = new WeakSet<object>();

/** An AsyncLocalStorage of fluxion's own (a worker's clock of async messages): never carried, never the app's. */
export function internalStorage<T>(): asyncHooks.AsyncLocalStorage<T> {
  const storage = new asyncHooks.AsyncLocalStorage<T>();
  const key = keyOf.get(storage);
  if (key !== undefined) {
    keyOf.delete(storage);
    byKey.delete(key);
    const i = instances.findIndex((ref) => ref.deref() === storage);
    if (i >= 0) instances.splice(i, 1);
  }
  ours.add(storage);
  return storage;
}

/** Where the frame that called `new` is (its file and line), or null. */
function callerSite(constructor: object): string | null {
  const frame = callSites(1, constructor as (...args: unknown[]) => unknown)[0];
  // (code evaluated with a `//# sourceURL`, a stateful code unit's: its file's name, as its stack frames say)
  const file = frame?.getFileName() || frame?.getScriptNameOrSourceURL?.();
  return file ? `${file}:${frame!.getLineNumber()}` : null;
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
      if (site === null) {
        // (made by code without a file name: no other thread can tell its copy of it)
        nameless.add(this);
        seenUntracked.add(this);
        untracked.push(new WeakRef(this));
        return;
      }
      if (unitFile !== null && unitMade !== null && (site.startsWith(unitFile[0]) || site.startsWith(unitFile[1]))) {
        // (a module constant of the file a unit is built from: buildingUnit)
        const n = (unitMade.get(site) ?? 0) + 1;
        unitMade.set(site, n);
        const key = `${site}#${n}`;
        const made = instanceAt(key);
        if (made) return made;
        keyOf.set(this, key);
        madeAt.set(site, Math.max(n, madeAt.get(site) ?? 0));
        if (onWorker) byKey.set(key, this);
        else instances.push(new WeakRef(this));
        return;
      }
      const n = (madeAt.get(site) ?? 0) + 1;
      madeAt.set(site, n);
      const key = `${site}#${n}`;
      keyOf.set(this, key);
      if (onWorker) byKey.set(key, this);
      else instances.push(new WeakRef(this));
    }
  };
  baseGetStore = Base.prototype.getStore;
  // (a worker's: the stand-in of a store that could not travel stops the code reading it, Unreadable)
  if (worker) {
    Object.defineProperty(Tracked.prototype, 'getStore', {
      value: function getStore(this: Storage): unknown {
        const store = baseGetStore.call(this);
        return store instanceof Unreadable ? store.read() : store;
      },
      writable: true,
      enumerable: false,
      configurable: true,
    });
  }
  (Tracked as unknown as Record<symbol, unknown>)[marker] = true;
  Object.defineProperty(asyncHooks, 'AsyncLocalStorage', { value: Tracked, writable: true, enumerable: true, configurable: true });
  if (esm) syncBuiltinESMExports();
  noteUntracked(Base.prototype as unknown as Record<'run' | 'enterWith', (...args: unknown[]) => unknown>);
}

/** The base class's `getStore`, which a worker's instances override (trackContexts): fluxion's own reads. */
let baseGetStore: (this: Storage) => unknown = asyncHooks.AsyncLocalStorage.prototype.getStore;

/**
 * Thrown where code on a worker reads the stand-in of a store that could not travel (Unreadable), once the message
 * is to run again on the main loop: it stops the code there (an outgoing request an APM's instrumentation was about
 * to trace does not leave twice). The worker's process handlers let it pass (worker.ts forwardToMain).
 */
export class UnreadableContext extends Error {
  override name = 'UnreadableContext';
}

/**
 * Worker: the stand-in of a store that could not travel (CarriedContext [key, null, why]), which the code runs
 * inside. Reading it calls `onRead`: true while the message can still run again on the main loop (then it stops the
 * code); false once its answer has left (a timer after `res.send`): that code reads undefined, with a warning.
 */
class Unreadable {
  /** `site`: where the AsyncLocalStorage was made, or `cls:<namespace>` for a cls-hooked context's value. */
  constructor(
    private readonly site: string,
    private readonly why: string,
    private readonly onRead: (reason: string) => boolean,
  ) {}

  read(): undefined {
    const of = this.site.startsWith('cls:') ? `the cls-hooked context of namespace ${this.site.slice(4)}` : `the async context of the AsyncLocalStorage made at ${this.site}`;
    const reason = `it read ${of}, which could not travel (${this.why})`;
    if (this.onRead(reason)) throw new UnreadableContext(`fluxion: this message runs again on the main loop: ${reason}`);
    warnOnce(`contexts:late:${this.site}`, `code running on a worker after its message had answered ${reason.slice(3)}: it read undefined there`);
    return undefined;
  }
}

/**
 * Worker: the instances of the carried stores that could not travel that this thread has no copy of (keys
 * `file:line#n`), or null. Then no read of them would be seen here: the message runs on the main loop, which keeps
 * the next ones holding those stores (noCopyOnWorkers).
 */
export function lacksCopies(carried: CarriedContext[]): string[] | null {
  let out: string[] | null = null;
  for (const [key, , why] of carried) if (why !== undefined && key.startsWith('als:') && !byKey.has(key.slice(4))) (out ??= []).push(key.slice(4));
  return out;
}

/** The instance of this thread with that key (`file:line#n`), or undefined. */
function instanceAt(key: string): Storage | undefined {
  if (onWorker) return byKey.get(key);
  for (const ref of instances) {
    const storage = ref.deref();
    if (storage && keyOf.get(storage) === key) return storage;
  }
  return undefined;
}

/** The instances made before the subclass existed reach `run`/`enterWith` on the base class's prototype. */
function noteUntracked(proto: Record<'run' | 'enterWith', (...args: unknown[]) => unknown>): void {
  for (const name of ['run', 'enterWith'] as const) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    const wrapped = {
      [name](this: Storage, ...args: unknown[]): unknown {
        if (!keyOf.has(this) && !seenUntracked.has(this) && !ours.has(this)) {
          seenUntracked.add(this);
          untracked.push(new WeakRef(this));
        }
        return original.apply(this, args);
      },
    }[name]!;
    Object.defineProperty(wrapped, 'length', { value: original.length });
    Object.defineProperty(proto, name, { value: wrapped, writable: true, enumerable: false, configurable: true });
  }
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
  // (not a value standing in for one that could not travel, enterContexts: reading it would count as the code's)
  for (const key in context) if (key !== '_ns_name' && key !== 'id' && !(onWorker && isAccessor(context, key))) out[key] = context[key];
  return out;
}

/**
 * [key, the store as it left, encoded]: `als:<file:line#n>` or `cls:<namespace>`; [key, null, why] for a store that
 * cannot travel (`why`), whose reading on the worker makes the message run again on the main loop (Unreadable);
 * [key, what of it travels, [member, why][]] for a plain object's fields, a Map's entries or a cls-hooked context's
 * values of which some cannot travel (a request's id beside its logger): reading one of those does (`partly`).
 */
export type CarriedContext = [key: string, store: unknown, unreadable?: string | Unreadables];

/** The members of a store that cannot travel: [field, or key of a Map's entry, why]. */
export type Unreadables = Array<[member: string, why: string]>;

/**
 * Main thread: a store that cannot travel whole, as what of it can: a plain object's fields, or a Map's entries
 * under string keys, that can, encoded, and those that cannot; null for another kind of store.
 */
function partly({ encode, NotTransferable }: Pick<Codec, 'encode'> & Pick<typeof Serialize, 'NotTransferable'>, store: unknown, what: string): [encoded: unknown, unreadable: Unreadables] | null {
  const unreadable: Unreadables = [];
  const travels = (value: unknown, member: string): boolean => {
    try {
      encode(value, `${what}: ${member}`);
      return true;
    } catch (error) {
      if (!(error instanceof NotTransferable)) throw error;
      unreadable.push([member, error.what]);
      return false;
    }
  };
  let kept: Map<string, unknown> | Record<string, unknown>;
  if (store instanceof Map && Object.getPrototypeOf(store) === Map.prototype) {
    kept = new Map();
    for (const [key, value] of store as Map<unknown, unknown>) {
      if (typeof key !== 'string') return null;
      if (travels(value, key)) kept.set(key, value);
    }
  } else if (store !== null && typeof store === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(store))) {
    kept = {};
    for (const key of Object.keys(store)) if (travels((store as Record<string, unknown>)[key], key)) kept[key] = (store as Record<string, unknown>)[key];
  } else return null;
  return unreadable.length ? [encode(kept, what), unreadable] : null;
}

/**
 * Worker: a partly carried store (`partly`) as the code sees it: what came, and, for each member that could not
 * travel, an entry whose reading is that of a whole store that could not (Unreadable); writing one makes it data.
 */
function standIn(data: unknown, unreadable: Unreadables, site: string, onRead: (reason: string) => boolean): object {
  const stand = (member: string, why: string) => new Unreadable(site, `${why}: its ${data instanceof Map ? 'entry' : 'field'} \`${member}\``, onRead);
  if (data instanceof Map) {
    const map = new PartlyMap(data as Map<string, unknown>);
    for (const [member, why] of unreadable) map.unreadable.set(member, stand(member, why));
    return map;
  }
  const object = data as Record<string, unknown>;
  for (const [member, why] of unreadable) withUnreadable(object, member, stand(member, why));
  return object;
}

/** `object[field]` reads the stand-in; an assignment makes it the value assigned (a cls-hooked `ns.set()` too). */
function withUnreadable(object: Record<string, unknown>, field: string, stand: Unreadable): void {
  Object.defineProperty(object, field, {
    get: () => stand.read(),
    set(this: Record<string, unknown>, value: unknown) {
      Object.defineProperty(this, field, { value, writable: true, enumerable: true, configurable: true });
    },
    enumerable: true,
    configurable: true,
  });
}

/** What of a partly carried store is data now (its fields and entries not standing in), to send back. */
function readable(store: unknown): unknown {
  if (store instanceof PartlyMap) return new Map(Map.prototype.entries.call(store));
  const out: Record<string, unknown> = {};
  for (const key in store as Record<string, unknown>) {
    if (!isAccessor(store as object, key)) out[key] = (store as Record<string, unknown>)[key];
  }
  return out;
}

/** Whether `key` of `object` (or of what it inherits: a cls-hooked context's parent) is a getter (a stand-in). */
function isAccessor(object: object, key: string): boolean {
  for (let o: object | null = object; o; o = Object.getPrototypeOf(o) as object | null) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d.get !== undefined;
  }
  return false;
}

/** A Map store whose entries that could not travel stand in (`unreadable`): reading one, or all of them, reads it. */
class PartlyMap extends Map<string, unknown> {
  readonly unreadable = new Map<string, Unreadable>();

  private readAll(): void {
    for (const stand of this.unreadable.values()) stand.read();
  }

  override get(key: string): unknown {
    const stand = this.unreadable?.get(key);
    return stand ? stand.read() : super.get(key);
  }

  override has(key: string): boolean {
    return this.unreadable?.has(key) || super.has(key);
  }

  override get size(): number {
    return super.size + (this.unreadable?.size ?? 0);
  }

  override set(key: string, value: unknown): this {
    this.unreadable?.delete(key);
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    return this.unreadable.delete(key) || super.delete(key);
  }

  override forEach(callback: (value: unknown, key: string, map: Map<string, unknown>) => void, thisArg?: unknown): void {
    this.readAll();
    super.forEach(callback, thisArg);
  }

  override entries(): MapIterator<[string, unknown]> {
    this.readAll();
    return super.entries();
  }

  override values(): MapIterator<unknown> {
    this.readAll();
    return super.values();
  }

  override [Symbol.iterator](): MapIterator<[string, unknown]> {
    return this.entries();
  }
}

/** Main thread: the instances (`file:line#n`) a worker had no copy of (`lacksCopies`): their stores keep messages home. */
const withoutCopy = new Set<string>();

/** Main thread: a worker had no copy of these instances (DoneMessage `noCopy`, pool.ts). */
export function noCopyOnWorkers(keys: string[]): void {
  for (const key of keys) {
    if (withoutCopy.has(key)) continue;
    withoutCopy.add(key);
    warnOnce(
      `contexts:no-copy:${key}`,
      `the request's async context holds a store that cannot travel, of an AsyncLocalStorage made at ${key.replace(/#\d+$/, '')} that fluxion's workers have no copy of (the app's own code made it, not a preload): they cannot tell whether code reads it, so the code that runs inside it stays on the main loop; make it in a preload that comes after fluxion/register (\`node -r fluxion/register -r ./tracing.js app.js\`) to let that code move`,
    );
  }
}

/** An instance made before fluxion started (or by code without a file name) that holds a store now, or null. */
function activeUntracked(): Storage | null {
  for (let i = 0; i < untracked.length; i++) {
    const storage = untracked[i]!.deref();
    if (!storage) untracked.splice(i--, 1);
    else if (storage.getStore() !== undefined) return storage;
  }
  return null;
}

/**
 * The stores active now (the message's async context), encoded, and the main loop's store objects, to write the
 * worker's changes into; null when there are none. A store that cannot travel goes as [key, null, why] when the
 * message `mayRunTwice` (a stateless fluxion's) and the workers have a copy of its instance, as far as they said
 * (`withoutCopy`); else it throws NotTransferable, as for a store of an instance made before fluxion started
 * (`untracked`).
 */
export function activeContexts({ encode, NotTransferable }: Codec & Pick<typeof Serialize, 'NotTransferable'>, mayRunTwice: boolean): { carried: CarriedContext[]; stores: unknown[] } | null {
  const held = activeUntracked();
  if (held !== null && nameless.has(held)) throw new NotTransferable('the async context', 'an AsyncLocalStorage made by code without a file name: no worker can tell its copy of it');
  if (held !== null) {
    warnOnce(
      'contexts:untracked',
      'an AsyncLocalStorage made before fluxion/register was loaded (by a preload that comes before it) holds the request\'s context: the code that runs inside it stays on the main loop; load fluxion/register first (`node -r fluxion/register -r <the other> app.js`) to let it move',
    );
    throw new NotTransferable('the async context', 'an AsyncLocalStorage made before fluxion started: no worker can be given its store');
  }
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
    const what = `the async context (an AsyncLocalStorage made at ${key.replace(/#\d+$/, '')})`;
    let encoded: unknown;
    try {
      encoded = encode(store, what);
    } catch (error) {
      if (!(error instanceof NotTransferable) || !mayRunTwice) throw error;
      // (a span, an APM's context: a stand-in goes, which the code must not read there)
      if (withoutCopy.has(key)) throw new NotTransferable(what, `${error.what}; no worker has a copy of that AsyncLocalStorage to tell whether the code reads it: make it in a preload that comes after fluxion/register`);
      out ??= { carried: [], stores: [] };
      // (a request's id beside its logger: the id travels, the logger stands in)
      const part = partly({ encode, NotTransferable }, store, what);
      out.carried.push(part ? [`als:${key}`, part[0], part[1]] : [`als:${key}`, null, error.what]);
      out.stores.push(store);
      continue;
    }
    out ??= { carried: [], stores: [] };
    out.carried.push([`als:${key}`, encoded]);
    out.stores.push(store);
  }
  const cls = namespaces();
  if (cls) {
    for (const name of Object.keys(cls)) {
      const context = cls[name]?.active;
      if (!context) continue;
      const what = `the cls-hooked context of namespace ${name}`;
      const values = flat(context);
      let carried: CarriedContext;
      try {
        carried = [`cls:${name}`, encode(values, what)];
      } catch (error) {
        // (its values that can travel do, the others stand in: `ns.get('user')` of a model instance reads one)
        const part = error instanceof NotTransferable && mayRunTwice ? partly({ encode, NotTransferable }, values, what) : null;
        if (!part) throw error;
        carried = [`cls:${name}`, part[0], part[1]];
      }
      out ??= { carried: [], stores: [] };
      out.carried.push(carried);
      out.stores.push(context);
    }
  }
  return out;
}

/**
 * Worker: the carried stores, given to this thread's copies of their instances: `run(call)` runs code inside them,
 * `changed()` says what it changed there (to go back with the answer), null when nothing.
 */
export function enterContexts(
  { encode, decode }: Codec,
  carried: CarriedContext[],
  onRead: (reason: string) => boolean,
): { run<T>(call: () => T): T; changed(): CarriedContext[] | null; entered: Map<string, unknown> } {
  const inside: Array<{ key: string; sent: unknown; now: () => unknown }> = [];
  const wrappers: Array<(next: () => unknown) => unknown> = [];
  // key → the store the code runs inside (a cls-hooked namespace: the context its run made, once it ran)
  const entered = new Map<string, unknown>();
  for (const [key, encoded, why] of carried) {
    if (typeof why === 'string') {
      // (a store that could not travel: its stand-in, in this thread's copy of the instance, lacksCopies)
      const storage = byKey.get(key.slice(4));
      if (!storage) continue;
      const stand = new Unreadable(key.slice(4).replace(/#\d+$/, ''), why, onRead);
      wrappers.push((next) => storage.run(stand, next));
      entered.set(key, stand);
      continue;
    }
    const store = why ? standIn(decode(encoded), why, key.startsWith('als:') ? key.slice(4).replace(/#\d+$/, '') : key, onRead) : decode(encoded);
    if (key.startsWith('als:')) {
      const storage = byKey.get(key.slice(4));
      if (!storage) continue; // (a package this code does not load: it cannot read that store)
      wrappers.push((next) => storage.run(store, next));
      entered.set(key, store);
      if (store !== null && typeof store === 'object') inside.push({ key, sent: encoded, now: () => (why ? readable(store) : store) });
    } else {
      // a cls-hooked namespace: the context its run makes takes the values (partly carried: and the stand-ins)
      const ns = namespaces()?.[key.slice(4)];
      if (!ns || typeof ns.runAndReturn !== 'function') continue;
      const values = store as Record<string, unknown>;
      let context: Record<string, unknown> | null = null;
      wrappers.push((next) =>
        ns.runAndReturn((c) => {
          for (const name of Object.keys(values)) {
            const d = Object.getOwnPropertyDescriptor(values, name)!;
            if (d.get) Object.defineProperty(c, name, d);
            else c[name] = d.value;
          }
          context = c;
          entered.set(key, c);
          return next();
        }),
      );
      inside.push({ key, sent: encoded, now: () => (context ? flat(context) : why ? readable(values) : values) });
    }
  }
  return {
    entered,
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

/**
 * A store active when the code called `next` that is not the one it ran inside: [key, the store, encoded], or
 * [key] where it left the store (`als.exit(next)`). A middleware that hands on the request inside a store of its
 * own (`als.run({ id }, next)`, `als.enterWith(store); next()`, cls-hooked's `ns.run(() => { ns.set(…); next(); })`)
 * on a worker: what follows on the main loop runs inside it, as it would without fluxion (resumeInContexts).
 */
export type NextContext = [key: string, store?: unknown];

/**
 * Worker, as the code calls `next`: the stores active now that differ from those it ran inside (`entered`, from
 * enterContexts; null when the message carried none); null when none does. Throws NotTransferable for a store
 * that cannot travel.
 */
export function contextsAtNext({ encode, NotTransferable }: Codec & Pick<typeof Serialize, 'NotTransferable'>, entered: ReadonlyMap<string, unknown> | null): NextContext[] | null {
  const held = activeUntracked();
  if (held !== null) throw new NotTransferable('the async context', `an AsyncLocalStorage made ${nameless.has(held) ? 'by code without a file name' : 'before fluxion started'}: the main loop cannot be given its store`);
  let out: NextContext[] | null = null;
  for (const [site, storage] of byKey) {
    const key = `als:${site}`;
    const store = baseGetStore.call(storage);
    if (store === (entered?.has(key) ? entered.get(key) : undefined)) continue;
    (out ??= []).push(store === undefined ? [key] : [key, encode(store, `the async context (an AsyncLocalStorage made at ${site.replace(/#\d+$/, '')})`)]);
  }
  const cls = namespaces();
  if (cls) {
    for (const name of Object.keys(cls)) {
      const key = `cls:${name}`;
      const context = cls[name]?.active;
      if (!context || context === entered?.get(key)) continue;
      (out ??= []).push([key, encode(flat(context), `the cls-hooked context of namespace ${name}`)]);
    }
  }
  return out;
}

/** Main thread: `call` (the request's `next`) inside the stores the worker's code handed the request on in. */
export function resumeInContexts({ decode }: Codec, at: NextContext[], call: () => void): void {
  let run: () => unknown = call;
  for (const [key, ...store] of at) {
    const next = run;
    if (key.startsWith('als:')) {
      const storage = instanceAt(key.slice(4));
      if (!storage) continue;
      const value = store.length ? decode(store[0]) : undefined;
      run = store.length ? () => storage.run(value, next) : () => storage.exit(next);
    } else {
      const ns = namespaces()?.[key.slice(4)];
      if (!ns || typeof ns.runAndReturn !== 'function' || !store.length) continue;
      const values = decode(store[0]) as Record<string, unknown>;
      run = () =>
        ns.runAndReturn((c) => {
          Object.assign(c, values);
          return next();
        });
    }
  }
  run();
}

/** Main thread: what the worker changed in the stores, written into the main loop's (in place: same objects). */
export function applyContexts({ decode, refill }: Codec, stores: unknown[], sent: CarriedContext[], changed: CarriedContext[]): void {
  for (const [key, encoded] of changed) {
    const i = sent.findIndex(([k]) => k === key);
    const store = stores[i];
    if (i < 0 || store === null || typeof store !== 'object') continue;
    const value = decode(encoded);
    if (key.startsWith('cls:')) Object.assign(store, value);
    else if (Array.isArray(sent[i]![2])) {
      // (partly carried: what went and came back changed; the members that could not go are as they were here)
      const before = decode(sent[i]![1]);
      if (store instanceof Map && value instanceof Map && before instanceof Map) {
        for (const k of before.keys()) if (!value.has(k)) store.delete(k);
        for (const [k, v] of value) store.set(k, v);
      } else if (value && typeof value === 'object' && before && typeof before === 'object') {
        for (const k of Object.keys(before)) if (!(k in value)) delete (store as Record<string, unknown>)[k];
        Object.assign(store, value);
      }
    } else {
      try {
        refill(store, value);
      } catch {
        // (its kind changed on the worker: the main loop's store stays as it was)
      }
    }
  }
}

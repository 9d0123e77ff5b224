/**
 * Values that cross event loops. Structured clone (postMessage) already carries typed arrays, Maps, Sets,
 * Dates, RegExps; this layer adds what it loses: Buffers stay Buffers, Errors keep name, message, stack,
 * `code` and their own properties, not enumerable ones too (encodeError). A value that cannot travel (a function, a
 * socket, a class instance whose prototype would be lost) raises NotTransferable with its path, and the message runs
 * on the main loop.
 */

export class NotTransferable extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(`${path} cannot travel to another event loop (${what})`);
  }
}

/** A `const` Map, Set, array or object of the module takes the worker's contents in place (same identity). */
export function refill(target: unknown, value: unknown): void {
  if (target instanceof Map && value instanceof Map) {
    target.clear();
    for (const [k, v] of value) target.set(k, v);
  } else if (target instanceof Set && value instanceof Set) {
    target.clear();
    for (const v of value) target.add(v);
  } else if (Array.isArray(target) && Array.isArray(value)) {
    target.length = 0;
    target.push(...(value as unknown[]));
  } else if (target && typeof target === 'object' && value && typeof value === 'object') {
    for (const key of Object.keys(target)) if (!(key in value)) delete (target as Record<string, unknown>)[key];
    Object.assign(target, value);
  } else throw new Error('its kind of value changed');
}

type Tagged = { $flx: string; [key: string]: unknown };

/**
 * Keys of a class instance's copy on the request (dispatcher.ts `instanceData`): the names of the fields its
 * class's getters computed (a worker keeps them out of the copy's own enumerable fields, as they are on the
 * instance: `Object.keys`, `JSON.stringify`), and what its class's `toJSON` printed (a worker's copy prints that).
 */
export const COPY_GETTERS = '$flxGetters';
export const COPY_JSON = '$flxJson';

/** The prototypes of plain objects (`{}`, `Object.create(null)`). */
export const PLAIN = new Set<unknown>([Object.prototype, null]);

/** `seen` (shared and cyclic references) is made on the first container: a primitive or a Buffer needs none. */
export function encode(value: unknown, path: string, seen?: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'function') throw new NotTransferable(path, `a function${value.name ? ` (${value.name})` : ''}`);
    if (typeof value === 'symbol') throw new NotTransferable(path, 'a symbol');
    return value;
  }
  if (seen?.has(value)) return seen.get(value);
  if (Buffer.isBuffer(value)) return { $flx: 'buffer', bytes: bytesOf(value) } satisfies Tagged;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return value;
  seen ??= new Map<object, unknown>();
  if (value instanceof Error) return encodeError(value, path, seen, false);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out.push(encode(value[i], `${path}[${i}]`, seen));
    // named properties of an array (express 3's req.params): structured clone would drop them
    const keys = Object.keys(value);
    if (keys.length === value.length) return out;
    const props: Record<string, unknown> = {};
    for (const key of keys) if (!isIndex(key)) props[key] = encode((value as unknown as Record<string, unknown>)[key], `${path}.${key}`, seen);
    return { $flx: 'array', items: out, props } satisfies Tagged;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(encode(k, `${path}.<key>`, seen), encode(v, `${path}.get(${String(k)})`, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(encode(v, `${path}.<item>`, seen));
    return out;
  }
  if (!PLAIN.has(Object.getPrototypeOf(value))) {
    throw new NotTransferable(path, `an instance of ${(value as object).constructor?.name || 'a class without a name'}`);
  }
  const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  seen.set(value, out);
  for (const key of Object.keys(value)) out[key] = encode((value as Record<string, unknown>)[key], `${path}.${key}`, seen);
  if ('$flx' in out) throw new NotTransferable(path, 'an object with a `$flx` key');
  return out;
}

/**
 * An instance of a class a package exports, as its data (its own fields but `omit`) and where its class is: the other
 * side makes one with that class's prototype, its constructor not run. For objects a package's middleware leaves on
 * the request for its own functions (express-validator's validation contexts, dispatcher.ts), whose omitted fields
 * (their validators' functions) those functions do not read. Throws NotTransferable for a class no module exports.
 */
export function encodeInstance(value: object, path: string, omit: ReadonlySet<string>): unknown {
  const where = classLocation(value.constructor);
  if (!where || (where[1] ?? '').startsWith('#')) throw new NotTransferable(path, `an instance of ${value.constructor?.name || 'a class'} that no package exports`);
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(value)) if (!omit.has(key)) fields[key] = encode((value as Record<string, unknown>)[key], `${path}.${key}`);
  return { $flx: 'instance', class: where, fields } satisfies Tagged;
}

/**
 * An Error: its name, message, stack, own properties — those it does not enumerate too (`cause`, zod 4's `issues`),
 * marked so — and the data its class puts on its prototype (http-errors' `ForbiddenError.prototype.status = 403`).
 * What its constructor put on it that cannot travel (a function of each instance: zod's `addIssue`, `flatten`)
 * raises NotTransferable, or, `lossy`, is left out; a getter of its own goes as the value it reads.
 */
function encodeError(value: Error, path: string, seen: Map<object, unknown>, lossy: boolean): Tagged {
  const props: Record<string, unknown> = {};
  const hidden: string[] = [];
  // (made again by its constructor on the other side, which puts back what it put on it here: REVIVERS)
  const reviving = revivable(value);
  const where = reviving?.where ?? classLocation(value.constructor);
  const revive = reviving?.args ?? null;
  for (const key of Object.getOwnPropertyNames(value)) {
    if (key === 'stack') continue;
    const field = Object.getOwnPropertyDescriptor(value, key)!;
    if (!field.enumerable && (key === 'message' || key === 'name')) continue; // (the tagged error's own)
    try {
      // (a getter of its own, Node's SystemError `info`, zod 4's `isEmpty`: what it reads now, as data)
      props[key] = encode('value' in field ? field.value : readGetter(field, value, `${path}.${key}`), `${path}.${key}`, seen);
      if (!field.enumerable) hidden.push(key);
    } catch (error) {
      // (what the reviving constructor puts back: its functions, what it defines without enumerating; a field the
      // code added that cannot travel still cannot)
      const remade = revive !== null && (!field.enumerable || typeof field.value === 'function');
      if (!(lossy || remade) || !(error instanceof NotTransferable)) throw error;
    }
  }
  for (const key in value) {
    if (key in props) continue;
    const field = (value as unknown as Record<string, unknown>)[key];
    if (field === null || (typeof field !== 'function' && typeof field !== 'object')) props[key] = field;
  }
  const tagged: Tagged = { $flx: 'error', name: value.name, message: value.message, stack: value.stack, props };
  if (hidden.length) tagged.hidden = hidden;
  if (where) tagged.class = where;
  if (revive) tagged.revive = encode(revive, `${path} (its constructor's arguments)`, seen);
  return tagged;
}

/**
 * Errors whose constructor puts functions on each instance (zod's `ZodError`: `flatten`, `format`, `addIssue`, and
 * zod 4's `_zod` its `instanceof` reads), which cannot travel: the other side makes the error again with that
 * constructor, of the package as that side loaded it (classLocation), from these arguments, and gives it the stack
 * and the other fields it had. Before, such an error could not travel: a moved handler's request ran again on the
 * main loop (what the handler logged before throwing was logged twice), and an error handler reading it stayed there.
 */
const REVIVERS: Array<{ name: string; module: RegExp; made(error: Record<string, unknown>): unknown; args(error: Record<string, unknown>): unknown[] | null }> = [
  {
    name: 'ZodError',
    module: /[\\/]node_modules[\\/]zod[\\/]/,
    // (zod 4's `parse` throws a ZodRealError, whose instances' class is one zod does not export: `_zod.constr` is the
    // function that made it, exported; zod 3's is the class)
    made: (e) => (e._zod as { constr?: unknown } | undefined)?.constr ?? e.constructor,
    args: (e) => (Array.isArray(e.issues) ? [e.issues] : null),
  },
];

/** Where the function that makes an error again is (REVIVERS), and the arguments it takes; or null. */
function revivable(error: Error): { where: [string, string | null]; args: unknown[] } | null {
  for (const reviver of REVIVERS) {
    if (error.name !== reviver.name) continue;
    const where = classLocation(reviver.made(error as unknown as Record<string, unknown>));
    if (!where || (where[1] ?? '').startsWith('#') || !reviver.module.test(where[0])) continue;
    const args = reviver.args(error as unknown as Record<string, unknown>);
    if (args) return { where, args };
  }
  return null;
}

/** An error's own getter's value; one that throws cannot travel (its message runs where the getter works). */
function readGetter(field: PropertyDescriptor, error: Error, path: string): unknown {
  try {
    return field.get?.call(error);
  } catch {
    throw new NotTransferable(path, 'a getter that throws here');
  }
}

/**
 * What code threw, as far as it can travel: an Error without what cannot (encodeError, `lossy`); anything else that
 * cannot, as a TypeError saying so.
 */
export function encodeThrown(value: unknown, path: string): unknown {
  if (value instanceof Error) {
    try {
      return encodeError(value, path, new Map(), true);
    } catch {
      // (below)
    }
  }
  try {
    return encode(value, path);
  } catch (error) {
    return encode(new TypeError(`the code threw what cannot travel to another event loop: ${(error as Error).message}`), path);
  }
}

/**
 * The bytes of a Buffer, for a structured clone (which copies them): a view of its memory when the Buffer has
 * its ArrayBuffer to itself (one copy, the clone's, instead of two); a copy of its bytes when it is a slice of a
 * larger one (Node's pool of small Buffers), since the clone would copy the whole ArrayBuffer, not the slice.
 */
function bytesOf(buffer: Buffer): Uint8Array {
  const whole = buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength && buffer.buffer instanceof ArrayBuffer;
  // (a SharedArrayBuffer would be shared by the clone, not copied: its bytes are copied here)
  return whole ? new Uint8Array(buffer.buffer, 0, buffer.byteLength) : new Uint8Array(buffer);
}

function isIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key);
}

/**
 * Where an error's class comes from, when a module exports it (`module.exports = { NotFoundError }`, http-errors'
 * `createError.NotFound`): [the module's file, the export's key, or null for the module's exports itself]. The other
 * side takes the class of that module as it loaded it, so an error handler's `err instanceof NotFoundError` holds
 * there as without fluxion (with a copy of the class: a 500 instead of the 404). Looked up in Node's module cache
 * (data properties only: no getter runs), once per class.
 */
const classLocations = new WeakMap<object, [string, string | null] | null>();
function classLocation(ctor: unknown): [string, string | null] | undefined {
  if (typeof ctor !== 'function' || BUILTIN_ERRORS.get(ctor.name) === ctor) return undefined;
  let found = classLocations.get(ctor);
  if (found === undefined) {
    found = null;
    for (const [file, entry] of Object.entries(require.cache)) {
      const exported: unknown = entry?.exports;
      if (exported === ctor) found = [file, null];
      else if (exported && (typeof exported === 'object' || typeof exported === 'function')) {
        for (const key of Object.keys(exported)) {
          const d = Object.getOwnPropertyDescriptor(exported, key);
          if (d && 'value' in d && d.value === ctor) {
            found = [file, key];
            break;
          }
        }
      }
      if (found) break;
    }
    // a class of a rewritten module that is not exported (`class NotFound extends Error {}` beside the routes)
    found ??= registry()?.locateClass?.(ctor) ?? null;
    classLocations.set(ctor, found);
  }
  return found ?? undefined;
}

/**
 * A worker's copy of a class the handler's file defines (a helper, units.ts): located as `#Name` of that file, which
 * the main thread's registry holds (`Registry.classOf`): the module's own class, exported or not.
 */
export function noteHelperClass(file: string, name: string, ctor: unknown): void {
  if (typeof ctor !== 'function') return;
  classLocations.set(ctor, [file, `#${name}`]);
  helperCopies.set(`${file}#${name}`, ctor);
}
const helperCopies = new Map<string, unknown>();
/** The classes of the code unit about to run (worker.ts): its arguments' errors are made of its copies. */
let unitClasses: Map<string, unknown> | null = null;
export function setUnitClasses(classes: Map<string, unknown> | null): void {
  unitClasses = classes;
}

/** The main thread's registry (runtime/index.ts), where there is one: not on a worker. */
function registry(): { classOf?(file: string, name: string): unknown; locateClass?(ctor: unknown): [string, string] | null } | undefined {
  return (globalThis as Record<symbol, ReturnType<typeof registry>>)[Symbol.for('fluxion.registry')];
}

/**
 * The class `classLocation` named, as this thread loaded that module, or null; `revive`: the function that makes
 * such an error again (REVIVERS), the module loaded now if it is not yet.
 */
function exportedClass(where: unknown, revive = false): (new (...args: unknown[]) => Error) | null {
  if (!Array.isArray(where) || typeof where[0] !== 'string') return null;
  let exported: unknown = require.cache[where[0]]?.exports;
  if (exported === undefined && revive && !String(where[1] ?? '').startsWith('#')) {
    try {
      exported = require(where[0]);
    } catch {
      return null;
    }
  }
  let value: unknown = exported;
  if (typeof where[1] === 'string' && where[1].startsWith('#')) {
    // the main thread's module holds it; a worker has the copy its code unit carries
    value = registry()?.classOf?.(where[0], where[1].slice(1)) ?? unitClasses?.get(`${where[0]}${where[1]}`) ?? helperCopies.get(`${where[0]}${where[1]}`);
  } else if (where[1] != null) {
    const d = exported && (typeof exported === 'object' || typeof exported === 'function') ? Object.getOwnPropertyDescriptor(exported, String(where[1])) : undefined;
    value = d && 'value' in d ? d.value : undefined;
  }
  return typeof value === 'function' && (revive || value.prototype instanceof Error) ? (value as new (...args: unknown[]) => Error) : null;
}

const BUILTIN_ERRORS = new Map<string, ErrorConstructor>([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map((c) => [c.name, c]));
const namedErrors = new Map<string, ErrorConstructor>();

/**
 * The class an error comes back as: the built-in one of its name (`err instanceof TypeError` holds, and Node prints
 * `TypeError: …`, not `Error [TypeError]: …`), or a subclass of Error of that name for the app's own
 * (`ValidationError`: its `constructor.name` and `name` say so, as what util.inspect and loggers print).
 */
function errorClass(name: string): ErrorConstructor {
  let found = BUILTIN_ERRORS.get(name) ?? namedErrors.get(name);
  if (!found) {
    const made = { [name]: class extends Error {} }[name]!;
    Object.defineProperty(made.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
    namedErrors.set(name, (found = made as ErrorConstructor));
  }
  return found;
}

export function decode(value: unknown, seen?: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen?.has(value)) return seen.get(value);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp) return value;
  seen ??= new Map<object, unknown>();
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const v of value) out.push(decode(v, seen));
    return out;
  }
  if (value instanceof Map) {
    const out = new Map();
    seen.set(value, out);
    for (const [k, v] of value) out.set(decode(k, seen), decode(v, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    seen.set(value, out);
    for (const v of value) out.add(decode(v, seen));
    return out;
  }
  const tagged = value as Tagged;
  if (tagged.$flx === 'buffer') {
    const bytes = tagged.bytes as Uint8Array;
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  if (tagged.$flx === 'array') {
    const out = decode(tagged.items, seen) as unknown[];
    seen.set(value, out);
    Object.assign(out, decode(tagged.props, seen));
    return out;
  }
  if (tagged.$flx === 'instance') {
    // (encodeInstance: the package's class, as this thread loaded it — or loads it now —, its constructor not run)
    const [file, key] = tagged.class as [string, string | null];
    const exported = (require.cache[file]?.exports ?? require(file)) as Record<string, unknown>;
    const made = key === null ? exported : exported?.[key];
    if (typeof made !== 'function') throw new Error(`${file}: no class ${key ?? ''} there to make an instance of`);
    const out = Object.create((made as { prototype: object }).prototype) as Record<string, unknown>;
    seen.set(value, out);
    Object.assign(out, decode(tagged.fields, seen));
    return out;
  }
  if (tagged.$flx === 'error') {
    const own = tagged.revive ? exportedClass(tagged.class, true) : exportedClass(tagged.class);
    // (the app's own class, as loaded here: made as an Error of that class, its constructor not run again; one whose
    // constructor puts what cannot travel on it, REVIVERS, made by its constructor)
    const revived = own && Array.isArray(tagged.revive);
    const error = revived ? new own(...(decode(tagged.revive, seen) as unknown[])) : own ? (Reflect.construct(Error, [String(tagged.message)], own) as Error) : new (errorClass(String(tagged.name)))(String(tagged.message));
    if (typeof tagged.stack === 'string') Object.defineProperty(error, 'stack', { value: tagged.stack, writable: true, configurable: true, enumerable: false });
    // (a name its constructor sets on the instance, which was not run here: http-errors' `ForbiddenError`)
    if (error.name !== tagged.name) Object.defineProperty(error, 'name', { value: tagged.name, writable: true, configurable: true, enumerable: false });
    const props = decode(tagged.props, seen) as Record<string, unknown>;
    // (what its constructor made again is its own: a field the code added after, `err.status = 400`, is not)
    if (revived) for (const key of Object.getOwnPropertyNames(error)) delete props[key];
    for (const key of (tagged.hidden as string[] | undefined) ?? []) {
      if (!(key in props)) continue;
      Object.defineProperty(error, key, { value: props[key], writable: true, configurable: true, enumerable: false });
      delete props[key];
    }
    Object.assign(error, props);
    return error;
  }
  const out: Record<string, unknown> = Object.getPrototypeOf(value) === null ? Object.create(null) : {};
  seen.set(value, out);
  for (const key of Object.keys(value)) out[key] = decode((value as Record<string, unknown>)[key], seen);
  return out;
}

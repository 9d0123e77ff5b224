/**
 * An isolated event loop (a worker thread). It runs the messages of the fluxions placed on it: builds each
 * code unit once, rebuilds `req` / `res` / `next` from the markers (express_dispatcher's worker side), runs
 * the function, and answers when the message is done: the response finished, `next` called, the function
 * returned (a plain callback), or it threw.
 */
import Module = require('node:module');
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import { MADE_HANDLER, type CodeUnit } from '../internal-types';
import { COPY_GETTERS, COPY_JSON, decode, encode, encodeThrown, noteHelperClass, NotTransferable, PLAIN, refill, setUnitClasses } from './serialize';
import { buildFactory, original, resetState, stateOf, type Factory } from './units';
import { AsyncClock, confirmAfter, MADE_FIRST_SAMPLE, maySample, now, RESAMPLE_MESSAGES, RESAMPLE_MS, resampleAfter, startSample } from './clock';
import { buildingUnit, contextsAtNext, enterContexts, internalStorage, lacksCopies, trackContexts, UnreadableContext, type CarriedContext, type NextContext } from './contexts';
import type { Ops, RequestMarker, ResponseMarker, ViewConfig } from './dispatcher';
import { debug, warnOnce } from '../debug';
import { Scavenger } from './scavenge';
import { streamsText } from './body';

/**
 * A message to a fluxion placed on a worker. Every property a structured clone carries costs on both sides
 * (each key is looked up again as it is read), so what is absent is left out rather than sent as null: the
 * code unit, its file's hash and state names travel with the fluxion's first message to a worker only.
 */
export interface RunMessage {
  type: 'run';
  id: number;
  file: string;
  ix: number;
  args: unknown[];
  /** The captured variables (a closure's): absent when the function captures nothing that travels. */
  env?: Record<string, unknown>;
  /** The code unit, with the first message of the fluxion to this worker only. */
  unit?: CodeUnit;
  /** With the unit: the hash of the file's text the compiler saw. */
  hash?: string;
  /** With the unit: the state of every stateful fluxion of the file (one scope per file on this worker). */
  fileState?: string[];
  /**
   * With the unit: what other files wrote at start-up in the exports of app files the code calls into, which this
   * worker's copies of them must hold before it runs (applyStartup).
   */
  startup?: StartupValue[];
  /** With the unit: its module constants (CodeUnit.constants), encoded; every later message of it uses them. */
  constants?: Record<string, unknown>;
  /** An async function's message: answered when its promise settles, with its value or its rejection. */
  async?: true;
  /** With a unit: the package configurations of the app's files this worker has not run yet (Registry.replays). */
  replays?: Replay[];
  /** The request's async context: AsyncLocalStorage stores and cls-hooked contexts (contexts.ts), encoded. */
  contexts?: CarriedContext[];
  /** A stateful fluxion's message: the file's state lives here from now on (the main loop asks for it: StateRequest). */
  returnState?: true;
  /** The main loop's copy of the file's state is newer than this worker's: take it from this message. */
  resetState?: true;
  /** The state of app files its code reads through exports that only read it (pool.ts Pending `reads`). */
  reads?: ReadCopy[];
}

/**
 * A file whose state the code reads: the version it reads, with the state (encoded) when this worker's copy is
 * another one, and with the file's hash and the setter to append to its text when this worker has no copy yet.
 */
export interface ReadCopy {
  file: string;
  version: number;
  hash?: string;
  setter?: string;
  state?: Record<string, unknown>;
}

/** A file's top-level statement configuring a package (`dayjs.extend(utc)`), with the requires of what it reads. */
export interface Replay {
  id: number;
  file: string;
  script: string;
}

const replayed = new Set<number>();
/**
 * A configuration failed here (`replay`): every message is refused (it runs on the main loop) until the main loop has
 * kept the code calling into that package at home (ReplaysChecked): a unit built meanwhile could call into a package
 * left unconfigured on this thread, and answer what the app never would.
 */
let replayFailed = false;

/** Why this message cannot run here now, which is not its code's fault: the next may (DoneMessage `transient`). */
class Refused extends Error {}

/** The message carries a store that could not travel, of an instance this worker has no copy of (contexts.ts lacksCopies). */
class NoCopy extends Refused {
  constructor(readonly keys: string[]) {
    super(`the async context holds a store that cannot travel, of an AsyncLocalStorage this worker has no copy of (made at ${keys.map((k) => k.replace(/#\d+$/, '')).join(', ')}): it could not tell whether the code reads it`);
  }
}

/** Configurations this worker could not make again: [Replay id, why]. */
class ReplayFailure extends Refused {
  constructor(
    readonly failures: Array<[number, string]>,
    files: string[],
  ) {
    super(failures.map(([, why], i) => `${files[i]}: its start-up configuration of a package could not be done again on a worker (${why})`).join('; '));
  }
}

/**
 * The configurations the app's files made of packages at their top level, made again here, each once, before a
 * unit is built (its code may call into them): one of a file this worker loaded already (a unit required it) ran
 * with that file's top level. Each is tried once, and the others are made all the same when one fails.
 */
function replay(replays: Replay[]): void {
  const failures: Array<[number, string]> = [];
  const files: string[] = [];
  for (const r of replays) {
    if (replayed.has(r.id)) continue;
    replayed.add(r.id);
    if (require.cache[r.file]) continue;
    try {
      const run = new Function('require', '__filename', '__dirname', '$flx$default', r.script) as (...args: unknown[]) => void;
      run(Module.createRequire(r.file), r.file, path.dirname(r.file), (m: unknown) => (Object.prototype.toString.call(m) === '[object Module]' ? (m as { default: unknown }).default : m));
    } catch (error) {
      failures.push([r.id, (error as Error).message]);
      files.push(r.file);
    }
  }
  if (failures.length) {
    replayFailed = true;
    throw new ReplayFailure(failures, files);
  }
}

/**
 * A start-up write of another file, as it left the exports of an app file (Registry.startupFor): the file, the
 * path written (`['mode']`, `['db', 'host']`; `[]`: its exports object), and the value there, encoded, or false
 * when nothing is there (`delete config.debug`); file null: a global of the app's, at [its name].
 */
export type StartupValue = [file: string | null, at: string[], has: true, value: unknown] | [file: string | null, at: string[], has: false];

/**
 * What the app's code did here that is the process's to do (forwardToMain): an exception nothing caught, a
 * rejection nothing handled (encoded), `process.exit(code)`.
 */
export type ProcessMessage = { type: 'uncaught' | 'rejection'; value: unknown } | { type: 'exit'; code?: number | string | null };

/** The answer to a RunMessage; as there, what is absent is left out. */
export interface DoneMessage {
  type: 'done';
  id: number;
  cpuMs: number;
  /** A sampled async message's (this one's or an earlier one's of its fluxion): what it started in packages' callbacks (clock.ts). */
  extraMs?: number;
  /** The ms its copies of the state it reads took to decode here, where they replaced older ones (not in `cpuMs`). */
  readMs?: number;
  ops: Ops;
  /** The request fields the fluxion set, changed or deleted. */
  req?: Record<string, unknown>;
  /** The arguments of its `next` call. */
  next?: unknown[];
  /** The async context's stores it called `next` inside, where they are not those it ran in (contexts.ts). */
  nextContexts?: NextContext[];
  /** What it threw (or its promise rejected with), encoded. */
  error?: unknown;
  /** An async function's promise resolved to its `req` or `res` (`return res.status(201).json(…)`): the main loop's. */
  valueIs?: 'req' | 'res';
  /** What an async function's promise resolved to. */
  value?: unknown;
  /** What the code changed in the carried async context's stores. */
  contexts?: CarriedContext[];
  /** With `unavailable`, a stateful fluxion's: the file's state here, encoded (the main loop runs the message now). */
  state?: unknown;
  /** [function index, messages, CPU ms, timed messages] of the file's nested functions that ran here since. */
  nested?: Array<[number, number, number, number]>;
  /** The unit could not be built here: run the message on the main loop. */
  unavailable?: string;
  /** With `unavailable`: the message ran here until a response call could not travel back; run it again there. */
  again?: true;
  /** With `unavailable`: nothing of the fluxion's made it (a package configuration failed here): the next message may go. */
  transient?: true;
  /** With `unavailable`: the unit was not built here (its next message brings it again). */
  unbuilt?: true;
  /** With `unavailable`: the package configurations that failed here, [Replay id, why] (ReplayFailure). */
  replayFailed?: Array<[number, string]>;
  /** With `unavailable`: the AsyncLocalStorage instances (`file:line#n`) of stores that could not travel that this worker has no copy of. */
  noCopy?: string[];
}

/** The main loop has kept at home the code calling into a package whose configuration failed here: messages run again. */
export interface ReplaysChecked {
  type: 'checked';
}

/**
 * The main loop asks for a file's state (pool.ts `requestState`): before it runs one of the file's messages itself,
 * when the fluxions come back, before this worker retires or stops, and now and then while its copy is old (what
 * it would lose if this worker died). It comes in order with the messages, so the state answered is the one after
 * every message posted before the request.
 */
export interface StateRequest {
  type: 'state';
  id: number;
  file: string;
}

/** The answer to a StateRequest: the file's state here, encoded (absent: it cannot travel), and the ms that took. */
export interface StateAnswer {
  type: 'state';
  id: number;
  state?: unknown;
  stateMs: number;
}

function answerState(request: StateRequest): void {
  // (after the answers of the messages that came before it)
  if (answers) flushAnswers();
  const started = now();
  const answer: StateAnswer = { type: 'state', id: request.id, stateMs: 0 };
  try {
    answer.state = encode(stateOf(request.file), 'state');
  } catch {
    // a value that cannot travel: the main loop keeps its copy
  }
  answer.stateMs = now() - started;
  parentPort!.postMessage(answer);
}

/** The code units (`file#index`) nothing of which runs after they return (CodeUnit.leaf). */
const leaves = new Set<string>();
/**
 * Units of handlers a package made (compiler/units.ts madeHandlerUnit, graphql-http's): the package's awaits have no
 * clock pauses, so their time is their synchronous run and, sampled, their promises' reactions (the main loop's
 * ModuleRuntime.madeHandler does the same), first sampled at their 64th message here, once V8 compiled their code.
 */
const madeUnits = new Set<string>();

/** Per code unit (`file#index`): its module constants, as they came with the unit (RunMessage.constants). */
const constantsOf = new Map<string, Record<string, unknown>>();

/** The start-up writes this worker's copies of the app's files were given (`file#path`): each once. */
const givenStartup = new Set<string>();

/**
 * This worker's copies of the app files a code unit calls into take what other files wrote in their exports at
 * start-up on the main thread (Registry.startupFor): `config.mode = 'x'` in app.js, `items.push(…)`. A Map, Set,
 * array or object there takes the main thread's contents in place (the file's own functions may hold it), any
 * other value is assigned, a property the main thread's copy has not is deleted. Throws when the path is not there
 * (the unit is then unavailable: its message runs on the main loop).
 */
function applyStartup(values: StartupValue[]): void {
  for (const item of values) {
    const [file, at] = item;
    const key = `${file ?? 'globalThis'}#${at.join('.')}`;
    if (givenStartup.has(key)) continue;
    let parent = file === null ? globalThis : (Module.createRequire(file)(file) as unknown);
    for (const name of at.slice(0, -1)) {
      parent = parent == null ? undefined : (parent as Record<string, unknown>)[name];
      if (parent === null || (typeof parent !== 'object' && typeof parent !== 'function')) {
        throw new Error(`${file === null ? 'globalThis' : path.relative(process.cwd(), file) || file} has no \`${at.join('.')}\` on this worker`);
      }
    }
    const last = at[at.length - 1];
    const value = item[2] ? decode(item[3]) : undefined;
    const holder = parent as Record<string, unknown>;
    if (last === undefined) refill(parent, value);
    else if (!item[2]) delete holder[last];
    else if (sameKind(holder[last], value)) refill(holder[last], value);
    else holder[last] = value;
    givenStartup.add(key);
  }
}

type ReadSetter = (name: string, value: unknown, refill: (target: unknown, value: unknown) => void) => void;
const READ_STATE = Symbol.for('fluxion.readState');
/** This worker's copies of the files whose state code units read (Registry `reading`): the version each holds. */
const readCopies = new Map<string, { version: number; set: ReadSetter }>();

/**
 * Gives this worker's copies of the files the code reads the state the main loop's had when the message left
 * (`reads`): loaded once, from the file's text (hash-checked) with the setter the compiler wrote appended (the
 * module a unit's `require` finds: a copy loaded before without it is replaced), then given each new version's
 * state in place (a `const` Map or array refilled, as the file's functions hold it). A message whose version
 * this worker does not hold, and that does not bring it, is refused: the main loop runs it. Returns the ms spent
 * replacing older copies.
 */
function applyReads(reads: ReadCopy[]): number {
  let againMs = 0;
  for (const r of reads) {
    let copy = readCopies.get(r.file);
    if (!copy) {
      if (r.hash === undefined || r.setter === undefined) throw new Refused(`this worker has no copy of ${path.relative(process.cwd(), r.file) || r.file}`);
      copy = { version: -1, set: loadReadCopy(r.file, r.hash, r.setter) };
      readCopies.set(r.file, copy);
    }
    if (r.state) {
      const t = now();
      const seen = new Map<object, unknown>();
      for (const name of Object.keys(r.state)) copy.set(name, decode(r.state[name], seen), refill);
      if (copy.version !== -1) againMs += now() - t;
      copy.version = r.version;
    } else if (copy.version !== r.version) {
      throw new Refused(`this worker's copy of the state of ${path.relative(process.cwd(), r.file) || r.file} is not the one the message read`);
    }
  }
  return againMs;
}

function loadReadCopy(file: string, hash: string, setter: string): ReadSetter {
  const modules = Module as unknown as { _cache: Record<string, (NodeJS.Module & { [READ_STATE]?: ReadSetter; _compile(text: string, file: string): void }) | undefined>; _nodeModulePaths(dir: string): string[] };
  const cached = modules._cache[file];
  if (cached?.[READ_STATE]) return cached[READ_STATE];
  const text = original(file, hash);
  if (text === null) throw new Error(`${file} changed on disk since it was loaded`);
  const ModuleClass = Module as unknown as new (id: string, parent?: unknown) => NonNullable<(typeof modules._cache)[string]>;
  const copy = new ModuleClass(file, null);
  copy.filename = file;
  copy.paths = modules._nodeModulePaths(path.dirname(file));
  modules._cache[file] = copy;
  try {
    copy._compile(text + setter, file);
  } catch (error) {
    delete modules._cache[file];
    throw error;
  }
  copy.loaded = true;
  const set = copy[READ_STATE];
  if (!set) throw new Error(`${file} gave no state setter`);
  return set;
}

/** Both Maps, Sets, arrays, or plain objects: what `refill` fills in place. */
function sameKind(a: unknown, b: unknown): boolean {
  if (a instanceof Map) return b instanceof Map;
  if (a instanceof Set) return b instanceof Set;
  if (Array.isArray(a)) return Array.isArray(b);
  const plain = (v: unknown): boolean => v !== null && typeof v === 'object' && PLAIN.has(Object.getPrototypeOf(v));
  return plain(a) && plain(b);
}

/** The clock of the async message running: units.ts's spliced awaits pause and resume it (fluxion's, not the app's). */
const clocks = internalStorage<AsyncClock>();
/** The classes of the file each code unit carries (`file#Name` → its copy), noted while it is built. */
const unitClasses = new WeakMap<object, Map<string, unknown>>();
let building: Map<string, unknown> | null = null;
/** The module constants known factories made here, one per file and line for all its units (units.ts madeOnce). */
const sharedConstants = new Map<string, unknown>();
/** Those the unit being built made: forgotten if its build fails (their configuration may not have run). */
let madeByBuild: string[] | null = null;

/** Per file, per nested function: messages, CPU ms and timed messages not yet sent back. */
const nestedCounts = new Map<string, Map<number, [number, number, number]>>();
(globalThis as Record<symbol, unknown>)[Symbol.for('fluxion.worker')] = {
  pause: <V>(value: V): V => {
    clocks.getStore()?.pause();
    return value;
  },
  resume: <V>(value?: V): V | undefined => {
    clocks.getStore()?.resume();
    return value;
  },
  /** A class of the file that a code unit carries (units.ts): an error of it goes back as the file's own. */
  noteClass: (file: string, name: string, ctor: unknown): void => {
    noteHelperClass(file, name, ctor);
    building?.set(`${file}#${name}`, ctor);
  },
  /** A module constant a known factory makes: the one this worker made for another unit of the file, or made now. */
  once: (key: string, make: () => unknown): unknown => {
    if (sharedConstants.has(key)) return sharedConstants.get(key);
    const value = make();
    sharedConstants.set(key, value);
    madeByBuild?.push(key);
    return value;
  },
  /** A nested function starts (`start` undefined: returns the time; -1: an async one, counted only) or ends. */
  nested: (file: string, ix: number, start?: number): number => {
    let counts = nestedCounts.get(file);
    if (!counts) nestedCounts.set(file, (counts = new Map()));
    let c = counts.get(ix);
    if (!c) counts.set(ix, (c = [0, 0, 0]));
    if (start === undefined || start === -1) {
      c[0]++;
      return start === -1 ? -1 : now();
    }
    if (start >= 0) {
      c[1] += now() - start;
      c[2]++;
    }
    return 0;
  },
};

/** The counts of nested functions of `file` since the last answer: they go with this one. */
function takeNested(file: string): Array<[number, number, number, number]> | undefined {
  const counts = nestedCounts.get(file);
  if (!counts || counts.size === 0) return undefined;
  const out = [...counts].map(([ix, [messages, cpuMs, timed]]) => [ix, messages, cpuMs, timed] as [number, number, number, number]);
  counts.clear();
  return out;
}

const FINISHERS = new Set(['send', 'json', 'jsonp', 'end', 'redirect', 'sendStatus', 'render', 'sendFile', 'download']);
/** The calls after which the response's head is written (`res.headersSent`): a later header call throws there. */
const HEAD_WRITERS = new Set(['send', 'json', 'jsonp', 'end', 'redirect', 'sendStatus', 'write', 'writeHead', 'flushHeaders']);
/**
 * The calls that set or remove a header (express's through `setHeader`), and what Node's error says of them, once
 * the head is written: on the main loop they throw `ERR_HTTP_HEADERS_SENT` in the handler (a missing `return`
 * after `res.send`), so they throw here too, and nothing is recorded (Express's error path follows, as it does).
 */
const AFTER_HEAD: Record<string, string> = {
  setHeader: 'set', set: 'set', header: 'set', append: 'set', type: 'set', contentType: 'set', cookie: 'set', clearCookie: 'set',
  location: 'set', attachment: 'set', vary: 'set', links: 'set', redirect: 'set', sendStatus: 'set', json: 'set', jsonp: 'set', send: 'set',
  removeHeader: 'remove', writeHead: 'write',
};

/** Node's own error (`Error [ERR_HTTP_HEADERS_SENT]: Cannot set headers after they are sent to the client`). */
function headersSentError(what: string): Error {
  const error = new Error(`Cannot ${what} headers after they are sent to the client`);
  Error.captureStackTrace(error, headersSentError);
  Object.defineProperty(error, 'name', { value: 'Error [ERR_HTTP_HEADERS_SENT]', configurable: true, writable: true });
  void error.stack; // formatted with that name, as Node's internal errors are
  delete (error as { name?: string }).name;
  (error as Error & { code: string }).code = 'ERR_HTTP_HEADERS_SENT';
  return error;
}
const factories = new Map<string, Factory>();

/**
 * The response methods that only set headers or the status: on a worker they are recorded (the main loop replays
 * them on the real `res`) and, once the fluxion reads headers back, applied to a model of them with express's
 * own code, so that reading them (`res.get('Content-Type')` after `res.type('txt')`, `res.getHeaderNames()`) answers what it would.
 */
const HEADER_METHODS = new Set(['set', 'header', 'append', 'type', 'contentType', 'vary', 'links', 'location', 'attachment', 'cookie', 'clearCookie', 'status', 'setHeader', 'removeHeader', 'writeHead']);

let nodeMethods: Set<string> | null = null;
/** express's response methods (3.x, 4.x, 5.x). */
const EXPRESS_METHODS = new Set(
  ('status links send json jsonp sendStatus sendFile sendfile download contentType type format attachment append set ' +
    'header get clearCookie cookie location redirect vary render').split(' '),
);
const expressMethods = new Map<string, Set<string>>();
/** Whether `name` is a method of the real response: Node's ServerResponse's, express's (`data.methods`), or the app's. */
function responseMethod(name: string, data: ResponseMarker): boolean {
  if (!nodeMethods) {
    nodeMethods = new Set();
    const http = require('node:http') as typeof import('node:http');
    for (let o: object | null = http.ServerResponse.prototype; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      for (const key of Object.getOwnPropertyNames(o)) {
        const d = Object.getOwnPropertyDescriptor(o, key)!;
        if ('value' in d && typeof d.value === 'function') nodeMethods.add(key);
      }
    }
  }
  if (nodeMethods.has(name) || EXPRESS_METHODS.has(name) || data.functions?.includes(name)) return true;
  if (!data.methods) return false;
  // (another name: express's file says; loading it here costs ~35 M instructions once, so the usual names above
  // answer without it)
  let names = expressMethods.get(data.methods);
  if (!names) {
    names = new Set();
    try {
      const source = require(data.methods) as object;
      for (const key of Object.getOwnPropertyNames(source)) if (typeof Object.getOwnPropertyDescriptor(source, key)!.value === 'function') names.add(key);
    } catch {
      // (express's file could not be read here: its names are not known, every name is a call)
      names.add('*');
    }
    expressMethods.set(data.methods, names);
  }
  return names.has(name) || names.has('*');
}

let properties: Map<string, unknown> | null = null;
/**
 * The properties of Node's ServerResponse that are not methods, with a new response's values: own fields and the
 * getters of its prototypes (OutgoingMessage's, Stream's), read once on a response of no socket.
 */
function responseProperties(): Map<string, unknown> {
  if (!properties) {
    properties = new Map();
    try {
      const http = require('node:http') as typeof import('node:http');
      const sample = new http.ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as import('node:http').IncomingMessage) as unknown as Record<string, unknown>;
      for (let o: object | null = sample; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
        for (const key of Object.getOwnPropertyNames(o)) {
          if (properties.has(key) || key.startsWith('_') || key === 'constructor') continue;
          const d = Object.getOwnPropertyDescriptor(o, key)!;
          if ('value' in d && typeof d.value === 'function') continue;
          let value: unknown;
          try {
            value = sample[key];
          } catch {
            continue;
          }
          if (typeof value !== 'function' && (value === null || typeof value !== 'object')) properties.set(key, value);
        }
      }
    } catch {
      // no sample: every unknown name stays a recorded call
    }
  }
  return properties;
}

/** The worker-side `res`: records every call, answers what it can from the snapshot and the header calls. */
/** How run() follows a template rendered here: it answers once every render has called back. */
interface Rendering {
  begin(): void;
  /** The render called back: its HTML is sent (or its error goes to `next`), then the answer may go. */
  end(error: unknown, html: unknown): void;
}

function recorder(data: ResponseMarker, ops: Ops, finished: () => void, appCalled: () => void, req: () => unknown, cannotTravel: (error: NotTransferable) => void, onLocals: (flush: () => void) => void, rendering: Rendering) {
  const headers: Record<string, unknown> = { ...data.headers };
  // res.locals: what the fluxion changed goes back as an `=locals` call, before each call that ends the response
  // (`res.render` reads them) and with the answer, so a middleware's `res.locals.user = …` reaches what follows
  let localsSent: Record<string, unknown> = data.locals ?? {};
  const flushLocals = (): void => {
    const now = target.locals as Record<string, unknown>;
    if (!now || typeof now !== 'object') return;
    const changed = changes(localsSent, now, 'res.locals');
    if (!changed) return;
    ops.push('=locals', 1, changed);
    localsSent = encode(now, 'res.locals') as Record<string, unknown>;
  };
  onLocals(flushLocals);
  let statusCode = data.statusCode ?? 200;
  let done = false;
  // the header calls not applied to the model yet: it is made, and they are applied, when headers are read back
  // (most handlers never do: express's `res.type()` alone is a mime lookup the main loop does again anyway)
  let model: Record<string, unknown> | null = null;
  const unapplied: Array<[string, unknown[]]> = [];
  const read = (): Record<string, unknown> => {
    model ??= headerModel(data.methods, headers, (code) => (statusCode = code), () => statusCode, req);
    for (const [prop, args] of unapplied.splice(0)) applyToModel(model, prop, args, headers);
    return headers;
  };
  const target: Record<string, unknown> = {
    ...(data.fields ? (decode(data.fields) as Record<string, unknown>) : {}),
    // (`res.app.get('title')`: what the code reads of the app, as the request's, appView)
    ...(data.app ? { app: appView(data.app) } : {}),
    locals: data.locals ? decode(data.locals) : {},
    headersSent: data.headersSent === true,
    get req() {
      return req();
    },
    get statusCode() {
      return statusCode;
    },
    set statusCode(value: number) {
      statusCode = value;
      ops.push('=statusCode', 1, value);
    },
    // the state of the response as a stream: ended once a call that ends it is recorded (`if (res.finished) return`:
    // unknown names are recorded calls, and a function is truthy)
    get finished() {
      return done;
    },
    get writableEnded() {
      return done;
    },
    get writable() {
      return !done;
    },
    writableFinished: false,
    closed: false,
    destroyed: false,
    sendDate: true,
    getHeader: (name: string) => read()[name.toLowerCase()],
    get: (name: string) => read()[name.toLowerCase()],
    getHeaders: () => ({ ...read() }),
    getHeaderNames: () => Object.keys(read()),
    hasHeader: (name: string) => name.toLowerCase() in read(),
  };
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop !== 'string' || prop in t) return Reflect.get(t, prop, receiver);
      // a property of Node's response that is no method (`res.writableLength`, `res.chunkedEncoding`): what a new
      // response has, not a recording function (truthy)
      const plain = responseProperties();
      if (plain.has(prop)) return plain.get(prop);
      // a name that is no method of a response (Node's, express's, or one the app put on it): undefined, as there
      // (`res.count || 0` in a middleware that sets it first)
      if (!responseMethod(prop, data)) return undefined;
      if (prop === 'then') return undefined;
      return (...args: unknown[]) => {
        for (let i = 0; i < args.length; i++) {
          if (typeof args[i] !== 'function') continue;
          // a package handed the response on as a stream (`readable.pipe(res)` listens on it): the callback
          // would have to come back; a stateless fluxion's message runs again on the main loop
          const error = new NotTransferable(`res.${prop}()'s argument ${i + 1}`, 'a callback');
          cannotTravel(error);
          throw error;
        }
        // (`res.send()` with no body sets no header)
        if (t.headersSent && AFTER_HEAD[prop] && !(prop === 'send' && args[0] === undefined)) throw headersSentError(AFTER_HEAD[prop]);
        if (prop === 'status' || prop === 'sendStatus' || prop === 'writeHead') statusCode = Number(args[0]);
        // a template rendered here, as app.render would (the main loop only sends the HTML, or calls next(err))
        if (prop === 'render' && data.view && !done) {
          const started = renderHere(data.view, args, t.locals as Record<string, unknown>, (error, html) => {
            if (error == null) t.headersSent = true;
            rendering.end(error, html);
            finished();
          });
          if (started) {
            done = true;
            rendering.begin();
            return receiver;
          }
        }
        let encoded: unknown[];
        try {
          encoded = encodeResponseCall(prop, args, printing.has(req() as object));
          if (FINISHERS.has(prop)) flushLocals(); // what `res.render` will read, replayed before it
        } catch (error) {
          if (error instanceof NotTransferable) cannotTravel(error);
          throw error;
        }
        ops.push(prop, encoded.length, ...encoded);
        if (HEADER_METHODS.has(prop)) unapplied.push([prop, args]);
        if (HEAD_WRITERS.has(prop)) t.headersSent = true;
        if (FINISHERS.has(prop) && !done) {
          done = true;
          finished();
        } else if (!done && data.functions?.includes(prop) && !EXPRESS_METHODS.has(prop) && !nodeMethods!.has(prop)) appCalled();
        return prop.startsWith('get') ? undefined : receiver;
      };
    },
    set(t, prop, value) {
      if (prop === 'statusCode' || prop === 'locals' || prop === 'headersSent') return Reflect.set(t, prop, value);
      if (prop === 'statusMessage') ops.push('=statusMessage', 1, value);
      if (prop === 'sendDate') ops.push('=sendDate', 1, value);
      else if (typeof prop === 'string' && prop !== 'statusMessage' && prop.charCodeAt(0) !== 95 /* _ */ && typeof value !== 'function') {
        // a field the app sets on the response (`res.startedAt = …`): the real one gets it too
        try {
          ops.push(`=${prop}`, 1, encode(value, `res.${prop}`));
        } catch {
          // (what cannot travel stays on this res only)
        }
      }
      return Reflect.set(t, prop, value);
    },
  });
}

interface ViewLike {
  path?: string;
  render(options: object, done: (error: unknown, html?: unknown) => void): void;
}
const views = new Map<string, ViewLike>();

/**
 * `res.render(name, options)` on this worker, as express's `res.render` and `app.render` do it: the options over
 * the response's locals over the app's locals, the view found by express's own View class (from the app's
 * settings), its engine the module the app's is. False when it cannot start here (no such view, a View that
 * throws): the call is then recorded and replayed on the main loop, which answers as express does.
 */
function renderHere(config: ViewConfig, args: unknown[], locals: Record<string, unknown>, done: (error: unknown, html?: unknown) => void): boolean {
  const [name, options] = args as [unknown, unknown];
  if (typeof name !== 'string' || (options !== undefined && (options === null || typeof options !== 'object'))) return false;
  let view: ViewLike | undefined;
  const opts: Record<string, unknown> = { ...(options as Record<string, unknown> | undefined), _locals: locals };
  const renderOptions: Record<string, unknown> = { ...config.locals, ...locals, ...opts };
  if (renderOptions.cache == null) renderOptions.cache = config.cache;
  const key = JSON.stringify([config.file, config.views, config.engine, name]);
  if (renderOptions.cache) view = views.get(key);
  if (!view) {
    try {
      const View = require(config.file) as new (name: string, options: object) => ViewLike;
      const engines: Record<string, unknown> = {};
      for (const ext of Object.keys(config.engines)) {
        const [file, property] = config.engines[ext]!;
        const exports = require(file) as Record<string, unknown>;
        engines[ext] = property ? exports[property] : exports;
      }
      view = new View(name, { defaultEngine: config.engine, root: config.views, engines });
    } catch {
      return false;
    }
    if (!view.path) return false;
    if (renderOptions.cache) views.set(key, view);
  }
  try {
    view.render(renderOptions, done);
  } catch (error) {
    done(error);
  }
  return true;
}

/** Response calls whose objects express turns into JSON text (`res.send(object)` is `res.json(object)`; `res.cookie`'s value too). */
const JSON_BODIES = new Set(['json', 'jsonp', 'send']);

/**
 * A response call's arguments, encoded. An object that cannot travel as it is (an instance of the app's class:
 * a model with `toJSON`, a DTO) goes to `res.json`/`res.jsonp`/`res.send` (and as `res.cookie`'s value) as the
 * data JSON.stringify makes of it here: toJSON runs before express's replacer and spacing do, so the main loop
 * writes the same text. So do a request's JSON bodies when a copy on it prints as its class's toJSON did
 * (`printers`, `revive`): structured clone would copy its fields instead.
 */
function encodeResponseCall(prop: string, args: unknown[], printers = false): unknown[] {
  const json = JSON_BODIES.has(prop) || prop === 'cookie';
  // (a request whose instances' copies print as their classes' toJSON did, `revive`: JSON bodies are printed here)
  if (!printers || !json) {
    try {
      return encode(args, `res.${prop}()`) as unknown[];
    } catch (error) {
      if (!(error instanceof NotTransferable) || !json) throw error;
    }
  }
  // res.cookie(name, object) writes 'j:' + JSON.stringify(object): its value alone
  const data = args.map((a, i) => ((prop !== 'cookie' || i === 1) && a !== null && typeof a === 'object' && !ArrayBuffer.isView(a) && !(a instanceof ArrayBuffer) ? asJson(a) : a));
  return encode(data, `res.${prop}()`) as unknown[];
}

function asJson(value: object): unknown {
  const text = JSON.stringify(value);
  return text === undefined ? undefined : JSON.parse(text);
}

/** The headers of a worker-side `res` as express's methods see them: `methods` (its response.js) over `headers`. */
function headerModel(methods: string | undefined, headers: Record<string, unknown>, setStatus: (code: number) => void, status: () => number, req: () => unknown): Record<string, unknown> {
  const model = Object.create(methods ? methodsProto(methods) : null) as Record<string, unknown>;
  Object.assign(model, {
    setHeader: (name: string, value: unknown) => void (headers[String(name).toLowerCase()] = value),
    getHeader: (name: string) => headers[String(name).toLowerCase()],
    removeHeader: (name: string) => void delete headers[String(name).toLowerCase()],
    getHeaders: () => ({ ...headers }),
    getHeaderNames: () => Object.keys(headers),
    hasHeader: (name: string) => String(name).toLowerCase() in headers,
    writeHead: (code: number, ...rest: unknown[]) => {
      setStatus(code);
      const fields = rest.find((r) => r && typeof r === 'object') as Record<string, unknown> | undefined;
      if (fields) for (const [k, v] of Object.entries(fields)) headers[k.toLowerCase()] = v;
    },
  });
  Object.defineProperty(model, 'statusCode', { get: status, set: setStatus });
  Object.defineProperty(model, 'req', { get: req });
  return model;
}

/**
 * A header call on the model: express's method when the response has express's (the main loop replays the same
 * call, so a model that cannot follow, e.g. a signed cookie without the secret, only leaves a read-back stale);
 * without express, `set`/`header` with a name and a value or an object of them, as `http` would.
 */
function applyToModel(model: Record<string, unknown>, prop: string, args: unknown[], headers: Record<string, unknown>): void {
  const method = model[prop];
  if (typeof method === 'function') {
    try {
      (method as (...a: unknown[]) => unknown).apply(model, args);
    } catch {
      // the real call, on the main loop, throws or not as it does without fluxion
    }
    return;
  }
  if (prop !== 'set' && prop !== 'header') return;
  if (typeof args[0] === 'string') headers[args[0].toLowerCase()] = args[1];
  else if (args[0] && typeof args[0] === 'object') for (const [k, v] of Object.entries(args[0] as object)) headers[k.toLowerCase()] = v;
}

/** Express's header helpers of the worker-side `req`, on its prototype (not own fields: they are not data). */
const REQUEST_PROTO = {
  get(this: { headers?: Record<string, unknown> }, name: string): unknown {
    const key = name.toLowerCase();
    return this.headers?.[key === 'referrer' ? 'referer' : key];
  },
  header(this: { headers?: Record<string, unknown> }, name: string): unknown {
    return this.headers?.[name.toLowerCase()];
  },
};
Object.defineProperties(REQUEST_PROTO, { get: { enumerable: false }, header: { enumerable: false } });

const methodProtos = new Map<string, object>();

/**
 * The prototype of a worker-side `req` whose fluxion may call express's request methods: those of `file`
 * (express's `lib/request.js`, required here: `is`, `accepts…`, `range`, `param`, its own `get`), and its getters
 * (express 3's `acceptedEncodings`, read from the headers by its `acceptsEncoding`). A getter that needs the app
 * or the socket (`req.ip`) is not called here when the fluxion reads it by name: its value came in the snapshot.
 * Also the prototype of a `res` header model (`lib/response.js`).
 */
function methodsProto(file: string): object {
  let proto = methodProtos.get(file);
  if (!proto) {
    proto = Object.create(REQUEST_PROTO) as object;
    try {
      const source = require(file) as object;
      for (const key of Object.getOwnPropertyNames(source)) {
        const d = Object.getOwnPropertyDescriptor(source, key)!;
        if (typeof d.value === 'function' || d.get) Object.defineProperty(proto, key, { ...d, enumerable: false, configurable: true });
      }
    } catch (error) {
      debug('pool', `the request methods of ${file} could not be loaded on this worker (${(error as Error).message})`);
    }
    methodProtos.set(file, proto);
  }
  return proto;
}

/** The request fields whose calls are recorded here (dispatcher.ts `calledOnly`), taken out of the snapshot. */
function calledFields(data: Record<string, unknown>): string[] | null {
  let out: string[] | null = null;
  for (const key of Object.keys(data)) {
    const value = data[key];
    if (value && typeof value === 'object' && (value as { $flx?: unknown }).$flx === 'calls') {
      (out ??= []).push(key);
      delete data[key];
    }
  }
  return out;
}

/**
 * A request field whose methods the fluxion only calls, as statements (`req.log.info({ id }, 'saved');`): each
 * call is recorded with the response's (`.log.info`), and the main loop makes it on the real field in that order
 * (dispatcher.ts `replay`). A callback among the arguments cannot come back: the message runs again there.
 */
function recordCalls(field: string, ops: Ops, answered: () => boolean, cannotTravel: (error: NotTransferable) => void): object {
  const recording =
    (name: string) =>
    (...args: unknown[]): undefined => {
      let encoded: unknown[];
      try {
        for (let i = 0; i < args.length; i++) if (typeof args[i] === 'function') throw new NotTransferable(`req.${name}()'s argument ${i + 1}`, 'a callback');
        encoded = encode(args, `req.${name}()`) as unknown[];
      } catch (error) {
        if (error instanceof NotTransferable) cannotTravel(error);
        throw error;
      }
      // (after the answer left, as in a timer the code set: the main loop never sees it)
      if (answered()) warnOnce(`calls:${field}`, `req.${name}() was called on a worker after its message answered: that call is not made on the main loop`);
      else ops.push(`.${name}`, encoded.length, ...encoded);
      return undefined;
    };
  // `req.flash(…)`: the field is the function; `req.log.info(…)`: its methods are
  return new Proxy(recording(field), {
    get(_target, method) {
      if (typeof method !== 'string' || method === 'then') return undefined;
      return recording(`${field}.${method}`);
    },
  });
}

/** The worker-side `req`: the snapshot, with express's header helpers (and its other methods, from `methods`). */
function request(data: Record<string, unknown>, methods?: string, stale?: (error: NotTransferable) => void): Record<string, unknown> {
  const fields = decode(data) as Record<string, unknown>;
  let printers = false;
  for (const key of Object.keys(fields)) if (revive(fields[key], data[key], `req.${key}`, stale)) printers = true;
  let req: Record<string, unknown>;
  if (!methods) req = Object.assign(Object.create(REQUEST_PROTO) as Record<string, unknown>, fields);
  else {
    // own fields shadow the prototype's getters (assigning would call their setters, or throw without one)
    req = Object.create(methodsProto(methods)) as Record<string, unknown>;
    for (const key of Object.keys(fields)) Object.defineProperty(req, key, { value: fields[key], writable: true, enumerable: true, configurable: true });
  }
  if (printers) printing.add(req);
  return req;
}

/** The worker-side requests holding a copy that prints as its class's toJSON did (`revive`). */
const printing = new WeakSet<object>();

/**
 * A class instance's copy on the request (dispatcher.ts `instanceData`), made to look as the instance does: what
 * its class's getters computed becomes fields that are not enumerable (as on the instance, where they are its
 * prototype's: `Object.keys`, `JSON.stringify` and the changes sent back see its own fields only) until the code
 * assigns one (a setter there: `req.session.cookie.maxAge = 60000`), which then goes back as a change; what its
 * class's `toJSON` printed is the copy's `toJSON` (not enumerable either), while its own fields are as they came:
 * printed after the code changed them, the class would print something else, which only the main loop can
 * compute, so the message runs again there (`stale`). `encoded` is the copy as it came (the snapshot `changes` compares
 * with): its getters' fields and the two keys go from it too. Copies inside a copy likewise. True when a copy
 * prints with a toJSON (the response's JSON bodies are then printed here, `encodeResponseCall`).
 */
function revive(copy: unknown, encoded: unknown, path: string, stale?: (error: NotTransferable) => void): boolean {
  if (!copy || typeof copy !== 'object' || !encoded || typeof encoded !== 'object' || Object.getPrototypeOf(copy) !== Object.prototype) return false;
  const fields = copy as Record<string, unknown>;
  const came = encoded as Record<string, unknown>;
  const getters = fields[COPY_GETTERS];
  const hasJson = Object.prototype.hasOwnProperty.call(fields, COPY_JSON);
  if (!Array.isArray(getters) && !hasJson) return false;
  let printers = false;
  for (const key of Object.keys(fields)) if (revive(fields[key], came[key], `${path}.${key}`, stale)) printers = true;
  delete fields[COPY_GETTERS];
  delete came[COPY_GETTERS];
  for (const key of Array.isArray(getters) ? (getters as string[]) : []) {
    const value = fields[key];
    delete fields[key];
    delete came[key];
    Object.defineProperty(fields, key, {
      get: () => value,
      set: (next: unknown) => Object.defineProperty(fields, key, { value: next, writable: true, enumerable: true, configurable: true }),
      enumerable: false,
      configurable: true,
    });
  }
  if (!hasJson) return printers;
  const printed = fields[COPY_JSON];
  delete fields[COPY_JSON];
  delete came[COPY_JSON];
  const ownData = (): string => JSON.stringify(Object.fromEntries(Object.keys(fields).map((key) => [key, fields[key]])));
  const arrived = ownData();
  Object.defineProperty(fields, 'toJSON', {
    value: () => {
      if (ownData() !== arrived) {
        // (the app's own JSON.stringify too, not only a response's body: `stale` runs the message again there)
        const error = new NotTransferable(`${path}.toJSON()`, 'its class prints it, and the code changed it here');
        stale?.(error);
        throw error;
      }
      return structuredClone(printed);
    },
    writable: true,
    configurable: true,
  });
  return true;
}

/**
 * A worker's `req.app`: the settings and locals the code reads by name, as they were when the message left
 * (dispatcher.ts appOf), with express's getters of settings.
 */
function appView(data: NonNullable<RequestMarker['app']>): Record<string, unknown> {
  const settings = decode(data.settings) as Record<string, unknown>;
  return {
    settings,
    locals: decode(data.locals),
    get: (name: string) => settings[name],
    enabled: (name: string) => Boolean(settings[name]),
    disabled: (name: string) => !settings[name],
  };
}

/**
 * The request fields the fluxion set, changed or deleted (`undefined`), encoded. `before` is the snapshot as
 * it came (encoded: decoding made `after` a copy of it), so nothing is decoded twice; what is not plain data
 * is compared as before, with `isDeepStrictEqual` on its decoded copy.
 */
function changes(before: Record<string, unknown>, after: Record<string, unknown>, where = 'req'): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(before)) {
    if (Object.prototype.hasOwnProperty.call(after, key) && same(after[key], before[key])) continue;
    (out ??= {})[key] = encode(after[key], `${where}.${key}`);
  }
  for (const key of Object.keys(after)) {
    if (Object.prototype.hasOwnProperty.call(before, key) || after[key] === undefined) continue;
    (out ??= {})[key] = encode(after[key], `${where}.${key}`);
  }
  return out;
}

/** isDeepStrictEqual(value, decode(encoded)), without decoding plain data. */
function same(value: unknown, encoded: unknown): boolean {
  if (encoded === null || typeof encoded !== 'object') return Object.is(value, encoded);
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(encoded);
  if (Array.isArray(encoded)) {
    if (!Array.isArray(value) || value.length !== encoded.length || Object.keys(value).length !== value.length || Object.getPrototypeOf(value) !== proto) {
      return isDeepStrictEqual(value, decode(encoded));
    }
    for (let i = 0; i < encoded.length; i++) if (!same(value[i], encoded[i])) return false;
    return true;
  }
  if ((proto === Object.prototype || proto === null) && !('$flx' in encoded)) {
    if (Object.getPrototypeOf(value) !== proto || Array.isArray(value)) return false;
    const keys = Object.keys(encoded);
    if (Object.keys(value).length !== keys.length) return false;
    for (const key of keys) {
      if (!Object.prototype.hasOwnProperty.call(value, key) || !same((value as Record<string, unknown>)[key], (encoded as Record<string, unknown>)[key])) return false;
    }
    return true;
  }
  return isDeepStrictEqual(value, decode(encoded));
}

const data = workerData as { started?: Int32Array; scavengeMb?: number; gcLock?: Int32Array; argv?: string[]; main?: string | null } | null;
mirrorMain(data);

/**
 * A worker thread's `process.argv` and `require.main` are its own (`[node, dist/runtime/worker.js]`, this file):
 * the app's code here sees the main thread's instead, `process.argv` and a `require.main` for the app's entry
 * (`require.main.filename`, `.path`, `.require()`: what apps use to find their root), as it does there. Set
 * before any code unit is built: each unit's `require` takes `require.main` from `process.mainModule` then.
 */
function mirrorMain(from: typeof data): void {
  if (from?.argv) process.argv.splice(0, process.argv.length, ...from.argv);
  const ModuleClass = Module as unknown as new (id: string, parent?: unknown) => NodeJS.Module & { paths: string[] };
  const process_ = process as unknown as { mainModule?: NodeJS.Module };
  if (from?.main) {
    const main = new ModuleClass('.');
    main.filename = from.main;
    main.path = path.dirname(from.main);
    main.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(from.main));
    main.loaded = true;
    process_.mainModule = main;
  } else if (from && 'main' in from) process_.mainModule = undefined; // an ES module entry: no require.main there either
}
/** Messages this worker has started, shared with the pool (its queue is what was posted minus this). */
const startedCount: Int32Array | null = data?.started ?? null;

/** The dead array buffers of the messages this worker ran are freed by its own scavenges (scavenge.ts). */
const scavenger = new Scavenger((data?.scavengeMb ?? 0) * 1024 * 1024, data?.gcLock ?? null, 'this worker');

/** Runs one message; returns when it started (`now()`). */
function run(message: RunMessage): number {
  if (startedCount) Atomics.add(startedCount, 0, 1);
  const started = now();
  // the time the message's copies of the state it reads took (none of its work), and the part that replaced an older
  // copy (what the main loop's JIT weighs against the work: Registry.reconsider)
  let readMs = 0;
  let readAgainMs = 0;
  const key = `${message.file}#${message.ix}`;
  const ops: Ops = [];
  let req: Record<string, unknown> | null = null;
  let reqBefore: Record<string, unknown> | null = null;
  let answered = false;
  let nextArgs: unknown[] | undefined;
  let nextContexts: NextContext[] | null = null;
  let valueIs: DoneMessage['valueIs'];
  let hasRes = false;
  let hasNext = false;
  let running = false;
  let finishedWhileRunning = false;
  // an async function answers when its promise settles (its value or rejection is part of the answer);
  // its CPU time is its synchronous segments (the clock pauses at each of its own awaits: units.ts)
  const settleOnly = message.async === true;
  if (message.unit?.prefix === MADE_HANDLER && !madeUnits.has(key)) {
    madeUnits.add(key);
    sampleAt.set(key, [-1, MADE_FIRST_SAMPLE, RESAMPLE_MS]);
  }
  const clock = settleOnly ? new AsyncClock() : null;
  // (now and then one is sampled: what it starts in packages' callbacks, reported with a later answer of its fluxion)
  const due = clock ? sampleAt.get(key) : undefined;
  if (clock && (due === undefined || (--due[1] <= 0 && started >= due[0])) && maySample(started, due === undefined || due[0] <= 0)) {
    const every = due?.[2] ?? RESAMPLE_MS;
    // (its first here: of its first message, or of a made handler's 64th)
    const firstAt = due === undefined ? 1 : due[0] === -1 ? MADE_FIRST_SAMPLE : -1;
    const entry: [number, number, number] = [started + every, RESAMPLE_MESSAGES, every];
    sampleAt.set(key, entry);
    clock.sample = startSample(started, (extraMs) => {
      sampled.set(key, extraMs);
      entry[2] = resampleAfter(every, extraMs);
      // (a first sample that found work: the next, to confirm it — the registry charges the lesser —, comes soon,
      // as a first one may: beside others)
      const confirm = firstAt < 0 ? null : confirmAfter(extraMs, 0, firstAt);
      if (confirm !== null) {
        entry[0] = 0;
        entry[1] = confirm;
      }
    });
  }
  // a response call whose argument cannot travel back (`res.render(view, { user: instanceOfAModel })`): a
  // stateless fluxion's message runs again on the main loop, whatever the function did after the throw
  let again: string | null = null;
  /** `again` is what the code threw: the main loop runs this message again, not the fluxion's next ones. */
  let thrownAgain = false;
  let contexts: ReturnType<typeof enterContexts> | null = null;
  let flushLocals: (() => void) | null = null;
  // templates rendering here: the answer waits for them (an async handler's promise may settle first)
  let renders = 0;
  let afterRenders: (() => void) | null = null;
  const rendering: Rendering = {
    begin: () => void renders++,
    end: (error, html) => {
      if (error != null) nextArgs = encode([error], 'next()') as unknown[]; // express's render callback: req.next(err)
      else ops.push('send', 1, encode(html, 'the rendered view'));
      if (--renders === 0 && afterRenders) {
        const go = afterRenders;
        afterRenders = null;
        go();
      }
    },
  };
  const answer = (error: unknown, value?: unknown) => {
    if (answered) return;
    if (renders > 0) {
      afterRenders = () => answer(error, value);
      return;
    }
    answered = true;
    // what the function left in req and res.locals: a value that cannot travel back there (a helper function a
    // middleware adds for what follows) makes a stateless fluxion's message run again on the main loop; a
    // stateful one's request fails through next(err) (it must not run twice)
    let changed: Record<string, unknown> | undefined;
    if (again === null) {
      try {
        flushLocals?.();
        changed = reqBefore && req ? changes(reqBefore, req) : undefined;
      } catch (problem) {
        if (problem instanceof NotTransferable && !message.returnState) again = problem.message;
        else error = encode(problem, 'error');
      }
    }
    // (an async message: its segments; what a sampled one started in packages' callbacks, once that is done)
    clock?.end();
    const extraMs = sampled.get(key);
    sampled.delete(key);
    const cpuMs = Math.max(0, (clock ? clock.cpu : now() - started) - readMs);
    lastMs.set(key, cpuMs);
    if (again !== null) {
      takeNested(message.file);
      post({ type: 'done', id: message.id, cpuMs, ops: [], unavailable: again, again: true, ...(thrownAgain ? { transient: true as const } : {}) });
      return;
    }
    const done: DoneMessage = { type: 'done', id: message.id, cpuMs, ops };
    if (extraMs !== undefined) done.extraMs = extraMs;
    if (readAgainMs > 0) done.readMs = readAgainMs;
    if (changed) done.req = changed;
    const contextsChanged = contexts?.changed();
    if (contextsChanged) done.contexts = contextsChanged;
    if (nextArgs) done.next = nextArgs;
    if (nextContexts) done.nextContexts = nextContexts;
    if (error != null) done.error = error;
    if (value !== undefined) done.value = value;
    if (valueIs) done.valueIs = valueIs;
    const nested = takeNested(message.file);
    if (nested) done.nested = nested;
    post(done);
  };
  // what the code threw, or its promise rejected with (not encoded once answered: the stop of code that read a
  // stand-in, UnreadableContext, holds what cls-hooked put on it, its context, whose stand-ins encoding would read)
  const failed = (error: unknown): void => {
    if (answered) return;
    let encoded: unknown;
    try {
      encoded = encode(error, 'error');
    } catch (problem) {
      // an error that cannot travel back whole (functions its constructor put on it: zod's `flatten`, which an error
      // handler calls): a stateless fluxion's message runs again on the main loop; a stateful one's error goes
      // without them (its message cannot run twice)
      if (problem instanceof NotTransferable && !message.returnState) {
        // (this message only: an error is the odd request's, the fluxion's next message goes)
        if (again === null) thrownAgain = true;
        again ??= problem.message;
        return answer(null);
      }
      encoded = encodeThrown(error, 'error');
    }
    answer(encoded);
  };
  // the code read the stand-in of a store that could not travel (contexts.ts Unreadable; the main loop sends them
  // with a stateless fluxion's messages only): the message runs again on the main loop, which keeps the fluxion
  const readUnreadable = (reason: string): boolean => {
    if (answered) return false;
    again ??= reason;
    answer(null);
    return true;
  };
  const unmark = (value: unknown): unknown => {
    const tag = value && typeof value === 'object' ? (value as { $flx?: string }).$flx : undefined;
    if (tag === 'req') {
      if (!req) {
        const marker = value as RequestMarker;
        reqBefore = marker.data;
        const recorded = calledFields(reqBefore);
        // (a copy printed after the code changed it: the message runs again here, whatever the code does next)
        req = request(reqBefore, marker.methods, (error) => {
          if (!message.returnState) again ??= error.message;
        });
        if (recorded) {
          for (const field of recorded) {
            // (not enumerable: nothing to merge back)
            Object.defineProperty(req, field, {
              value: recordCalls(field, ops, () => answered, (error) => {
                if (!message.returnState) again ??= error.message;
              }),
              writable: true,
              configurable: true,
            });
          }
        }
        // (not enumerable: it is no field of the request's to merge back)
        if (marker.app) Object.defineProperty(req, 'app', { value: appView(marker.app), writable: true, configurable: true });
        // (the body the main loop read, for a handler that reads it from the request as from the socket)
        if (typeof marker.stream === 'string') streamsText(req, marker.stream);
      }
      return req;
    }
    if (tag === 'res') {
      hasRes = true;
      return (response = recorder(
        value as ResponseMarker,
        ops,
        // the function's own run goes on to its end first: what it does after `res.send` (a header call that
        // throws, as on the main loop) is part of the answer, whether or not answers leave in a batch
        () => settleOnly || (running ? (finishedWhileRunning = true) : answer(null)),
        // a method the app put on the response (`res.success(data)`, `app.response.shout = …`) may end it, here
        // unknown: the answer goes once the code that called it has run (the main loop makes the call)
        () => settleOnly || (running ? (finishedWhileRunning = true) : queueMicrotask(() => answer(null))),
        () => req,
        (error) => {
          if (!message.returnState) again ??= error.message;
        },
        (flush) => (flushLocals = flush),
        rendering,
      ));
    }
    if (tag === 'next') {
      hasNext = true;
      return function next(...args: unknown[]) {
        nextArgs = encode(args, 'next()') as unknown[];
        // (a middleware handing the request on inside a store of its own: `als.run({ id }, next)`)
        try {
          nextContexts = contextsAtNext({ encode, decode, refill, NotTransferable }, contexts?.entered ?? null);
        } catch (problem) {
          if (!(problem instanceof NotTransferable)) throw problem;
          // a store that cannot travel: a stateless fluxion's message runs again on the main loop; a stateful one's
          // cannot (its state changed here), and goes on there without it
          if (!message.returnState) again ??= problem.message;
          else warnOnce('contexts:next', `${problem.message}: the request goes on without it on the main loop (load fluxion/register before the preload that makes it)`);
        }
        if (!settleOnly) answer(null);
      };
    }
    // (one map for the message: two of its values that shared an object on the main loop still do)
    return decode(value, value !== null && typeof value === 'object' ? (decoded ??= new Map()) : undefined);
  };
  let decoded: Map<object, unknown> | undefined;
  // (the worker's `res`, to tell it when an async function resolves to it)
  let response: unknown = null;
  let fn: (...args: unknown[]) => unknown;
  let args: unknown[];
  if (message.resetState) resetState(message.file);
  try {
    // (decoded once: every message of the unit on this worker reads the same copy, as every call on the main loop
    // reads the one module binding)
    if (message.constants) {
      const decoded: Record<string, unknown> = {};
      const seen = new Map<object, unknown>(); // (a constant referring to another still does)
      for (const name of Object.keys(message.constants)) decoded[name] = decode(message.constants[name], seen);
      constantsOf.set(key, decoded);
    }
    // (first: the versions the main loop counts on this worker holding are the ones it sent)
    if (message.reads) {
      const t = now();
      readAgainMs = applyReads(message.reads);
      readMs = now() - t;
    }
    if (replayFailed) throw new Refused('a package configuration failed on this worker: the main loop is checking which code calls into it');
    let factory = factories.get(key);
    if (!factory) {
      if (!message.unit) throw new Error('the code unit never reached this worker');
      if (message.replays) replay(message.replays);
      if (message.startup) applyStartup(message.startup);
      building = new Map();
      madeByBuild = [];
      try {
        factory = buildingUnit(message.file, () => buildFactory(message.file, message.hash!, message.unit!, message.fileState));
      } catch (error) {
        for (const made of madeByBuild) sharedConstants.delete(made);
        throw error;
      } finally {
        if (building.size && factory) unitClasses.set(factory, building);
        building = null;
        madeByBuild = null;
      }
      factories.set(key, factory);
      if (message.unit.leaf) leaves.add(key);
    }
    // an error of one of the file's classes decodes as this unit's copy of it (each unit carries its own)
    setUnitClasses(unitClasses.get(factory) ?? null);
    const constants = constantsOf.get(key) ?? null;
    let env: Record<string, unknown> | null = constants;
    if (message.env) {
      env = constants ? (Object.create(constants) as Record<string, unknown>) : {};
      for (const name of Object.keys(message.env)) env[name] = unmark(message.env[name]);
    }
    fn = factory(env);
    // (after the build: a package the unit loads may make the instance)
    const missing = message.contexts ? lacksCopies(message.contexts) : null;
    if (missing) throw new NoCopy(missing);
    // (a value this worker cannot make again — an instance of a package's class whose file it cannot load — is a
    // message the main loop runs, as any other that cannot be run here; not an exception ending the worker)
    args = message.args.map(unmark);
  } catch (error) {
    // (its clock's section, and a sample of it, end here: the main loop runs it)
    clock?.end();
    const unavailable: DoneMessage = { type: 'done', id: message.id, cpuMs: 0, ops: [], unavailable: String((error as Error).message) };
    if (!factories.has(key)) unavailable.unbuilt = true;
    if (error instanceof Refused) unavailable.transient = true;
    if (error instanceof NoCopy) unavailable.noCopy = error.keys;
    if (error instanceof ReplayFailure) unavailable.replayFailed = error.failures;
    // (the main loop runs it now, with the latest state this worker has)
    if (message.returnState) {
      try {
        unavailable.state = encode(stateOf(message.file), 'state');
      } catch {
        // none here, or one that cannot travel: the main loop's copy
      }
    }
    post(unavailable);
    return started;
  }
  let result: unknown;
  running = true;
  try {
    // (inside the request's AsyncLocalStorage stores, as on the main loop: `contexts` reads what the code changed)
    contexts = message.contexts ? enterContexts({ encode, decode, refill }, message.contexts, readUnreadable) : null;
    const call = contexts ? () => contexts!.run(() => fn(...args)) : () => fn(...args);
    result = clock ? clocks.run(clock, call) : call();
    if (clock && madeUnits.has(key)) clock.pause();
  } catch (error) {
    running = false;
    failed(error);
    return started;
  }
  running = false;
  if (finishedWhileRunning) answer(null);
  if (settleOnly) {
    Promise.resolve(result).then(
      (value) => {
        // `return res.status(201).json(…)`: the main loop's own response (or request) settles its promise there
        if (value !== null && value !== undefined && (value === response || value === req)) {
          valueIs = value === req ? 'req' : 'res';
          return answer(null);
        }
        let encoded: unknown;
        try {
          encoded = encode(value, 'the resolved value');
        } catch (error) {
          // (a value that cannot travel back: a stateless fluxion's message runs again on the main loop)
          if (error instanceof NotTransferable && !message.returnState) {
            again ??= error.message;
            return answer(null);
          }
          return failed(error);
        }
        answer(null, encoded);
      },
      failed,
    );
  } else if (result && typeof (result as Promise<unknown>).then === 'function') {
    (result as Promise<unknown>).then(() => !hasRes && !hasNext && answer(null), failed);
  } else if (!hasRes && !hasNext) answer(null);
  else if (!answered && leaves.has(key) && renders === 0) {
    // it has res or next but called neither, and nothing of it runs after it returned (`if (!err) return;` in the
    // callback of express's download example): done; a message never answered would hold its worker (and its
    // file's state) for good
    answer(null);
  }
  return started;
}

/**
 * Answers of a batch (the messages the main loop sent in one turn of its event loop) go back together, one
 * postMessage, unless the batch has run for more than a millisecond, and the answers so far leave before a
 * message whose fluxion took 0.5 ms or more here last time (or has not run here yet): a fast answer never
 * waits behind a slow message.
 */
const lastMs = new Map<string, number>();
/**
 * Per fluxion (`file#ix`): when its next async message here is sampled (clock.ts; `at` -1: a made handler's first,
 * 0: the one confirming a first that found work), and a sample's figure not yet sent.
 */
const sampleAt = new Map<string, [at: number, messages: number, every: number]>();
const sampled = new Map<string, number>();
let answers: DoneMessage[] | null = null;
let batchStarted = 0;
function post(done: DoneMessage): void {
  if (answers) {
    answers.push(done);
    if (now() - batchStarted > 1) flushAnswers();
    return;
  }
  postOne(done);
}
function postOne(done: DoneMessage): void {
  try {
    parentPort!.postMessage(done);
  } catch (e) {
    // what could not travel (a response call's argument, the state) is dropped; the error says why
    const failed: DoneMessage = { type: 'done', id: done.id, cpuMs: done.cpuMs, ops: [], error: encode(e, 'error') };
    if (done.nested) failed.nested = done.nested;
    parentPort!.postMessage(failed);
  }
}
function flushAnswers(): void {
  const out = answers!.splice(0);
  batchStarted = now();
  if (out.length === 1) postOne(out[0]!);
  else if (out.length > 1) {
    try {
      parentPort!.postMessage({ type: 'batch', answers: out });
    } catch {
      for (const done of out) postOne(done);
    }
  }
}

/**
 * What the app's code does here to the process as a whole happens to the process, as without fluxion: an
 * exception that nothing caught, or a rejection that nothing handled (code a handler left running after its answer:
 * a timer, a callback), is raised again on the main thread, where the app's 'uncaughtException' and
 * 'unhandledRejection' listeners are, and where Node's default ends the process with the error's stack (a worker's
 * would end the worker only, and the error went unseen); `process.exit()` ends the process, not just this thread.
 * The answers already made leave first.
 */
function forwardToMain(port: NonNullable<typeof parentPort>): void {
  const send = (message: ProcessMessage): void => {
    if (answers?.length) flushAnswers();
    port.postMessage(message);
  };
  const encoded = (value: unknown, what: string): unknown => {
    try {
      return encode(value, what);
    } catch {
      // (its own properties could not travel: its name, message and stack can)
      return value instanceof Error ? encode(Object.assign(new Error(value.message), { name: value.name, stack: value.stack }), what) : encode(String(value), what);
    }
  };
  // (not the stop of code that read a store that could not travel: its message runs again on the main loop)
  process.on('uncaughtException', (error) => error instanceof UnreadableContext || send({ type: 'uncaught', value: encoded(error, 'error') }));
  process.on('unhandledRejection', (reason) => reason instanceof UnreadableContext || send({ type: 'rejection', value: encoded(reason, 'reason') }));
  const exitThread = process.exit;
  process.exit = function exit(code?: number | string | null): never {
    send({ type: 'exit', code });
    return exitThread.call(process, code);
  } as typeof process.exit;
}

if (parentPort) {
  forwardToMain(parentPort);
  // (before the app's files load here: their AsyncLocalStorage instances take the stores the messages carry)
  trackContexts(true);
  parentPort.on('message', (message: RunMessage | StateRequest | ReplaysChecked | { type: 'batch'; messages: Array<RunMessage | StateRequest | ReplaysChecked> }) => {
    if (message && message.type === 'run') {
      if (scavenger.due(run(message))) scavenger.scavenge();
    } else if (message && message.type === 'state') answerState(message);
    else if (message && message.type === 'checked') replayFailed = false;
    else if (message && message.type === 'batch') {
      answers = [];
      batchStarted = now();
      try {
        for (const m of message.messages) {
          if (m.type === 'state') {
            answerState(m);
            continue;
          }
          if (m.type === 'checked') {
            replayFailed = false;
            continue;
          }
          if (answers.length > 0 && !((lastMs.get(`${m.file}#${m.ix}`) ?? Infinity) < 0.5)) flushAnswers();
          // the answers so far leave first: they do not wait for the scavenge
          if (scavenger.due(run(m))) {
            flushAnswers();
            scavenger.scavenge();
          }
        }
      } finally {
        flushAnswers();
        answers = null;
      }
    }
  });
}

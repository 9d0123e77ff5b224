/**
 * express_dispatcher (paper §4.2), main-loop side. An offloaded handler or callback cannot take the socket
 * with it, so the message carries instead:
 * - `req` as a snapshot (method, url, path, params, query, headers, body, cookies, session data, and the app's
 *   own fields); the changes the fluxion makes to it are merged back into the real `req`;
 * - `res` as a recorder; its calls (status, set, cookie, json, send, end, redirect, …) are replayed on the real
 *   `res`, in order;
 * - `next` as a placeholder; its call (`next()`, `next('route')`, `next(err)`) resumes the real `next`.
 * All of it runs in the request's original async context (AsyncLocalStorage, cls-hooked).
 * The paper patched Express's Router by hand for this; fluxion needs no patch at all, because the fluxion's
 * own rewritten body is where the message leaves: the same works for `router`, Express 3, 4 and 5.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import type { CodeUnit } from '../internal-types';
import { COPY_GETTERS, COPY_JSON, decode, encode, encodeInstance, NotTransferable } from './serialize';

/** Request fields that live on a prototype as getters (Node's `headers`, express's `path`…): read them in. */
const REQUEST_GETTERS = ['method', 'url', 'headers', 'httpVersion', 'path', 'hostname', 'ip', 'ips', 'protocol', 'secure', 'xhr', 'subdomains', 'fresh', 'stale'];
const REQUEST_SKIP = new Set(['socket', 'client', 'connection', 'res', 'req', 'next', 'app', 'route', 'rawHeaders', 'rawTrailers', 'trailers', 'upgrade', 'complete', 'aborted']);
/**
 * Fields a package's middleware leaves on the request for its own functions, which a fluxion gives `req` to (units.ts
 * REQUEST_READERS): how each travels. express-validator's validation contexts: as instances of its Context class,
 * without their chain of validators (functions: `validationResult` reads their errors, `matchedData` their data).
 */
const CONTEXT_OMIT = new Set(['stack']);
const PACKAGE_FIELDS = new Map<string, (value: unknown, path: string) => unknown>([
  ['express-validator#contexts', (value, path) => (Array.isArray(value) ? value.map((context, i) => encodeInstance(context as object, `${path}[${i}]`, CONTEXT_OMIT)) : encode(value, path))],
]);

/** Fields left out when `req` escapes (every message would pay for them) that travel when a fluxion names them. */
const NAMED_DATA = new Set(['route', 'rawHeaders', 'rawTrailers', 'trailers', 'upgrade', 'complete', 'aborted']);

export interface Held {
  req: IncomingMessage | null;
  res: ServerResponse | null;
  next: ((...args: unknown[]) => unknown) | null;
  /** The snapshot as sent. */
  snapshot: Record<string, unknown> | null;
  /** The file whose request methods the worker's `req` gets (`methodsFile`), when the fluxion may call them. */
  methods: string | null;
}

/**
 * Replaces `req`, `res`, `next` (at the top of the arguments and the captured variables) by markers. `uses`
 * (from the code unit) names the request fields the function touches: the snapshot carries those only.
 */
export function prepare(args: ArrayLike<unknown>, env: Record<string, unknown> | null, uses?: CodeUnit['uses'], app?: CodeUnit['app'], stateful = false): { args: unknown[]; env: Record<string, unknown> | undefined; held: Held } {
  const held: Held = { req: null, res: null, next: null, snapshot: null, methods: null };
  const fields = requestFields(args, env, uses);
  // (`req.app` read by name goes in the marker, `appOf`, not in the snapshot)
  if (app) fields?.delete('app');
  const renders = callsRender(args, env, uses);
  const mark = (value: unknown, path: string): unknown => {
    if (value instanceof IncomingMessage) {
      if (held.req && held.req !== value) throw new NotTransferable(path, 'a second request');
      held.req = value;
      held.snapshot ??= snapshotRequest(value, fields, held, stateful);
      const marker: RequestMarker = { $flx: 'req', data: held.snapshot };
      const body = readBodies.get(value);
      if (body !== undefined) marker.stream = body;
      if (held.methods) marker.methods = held.methods;
      if (app) marker.app = appOf(value, app, path);
      return marker;
    }
    if (value instanceof ServerResponse) {
      if (held.res && held.res !== value) throw new NotTransferable(path, 'a second response');
      held.res = value;
      const res = value as ServerResponse & { locals?: unknown };
      const marker: ResponseMarker = { $flx: 'res', headers: { ...res.getHeaders() } };
      // the worker applies express's header methods to a model of the headers, so reading them back works there
      const methods = methodsFile(res, ServerResponse.prototype);
      if (methods) marker.methods = methods;
      if (res.statusCode !== 200) marker.statusCode = res.statusCode;
      if (app) marker.app = appOf(value, app, path);
      if (res.headersSent) marker.headersSent = true;
      const own = appFields(res);
      if (own.fields) marker.fields = own.fields;
      const inherited = appMethods(res);
      if (own.functions || inherited) marker.functions = inherited ? [...(own.functions ?? []), ...inherited] : own.functions!;
      // res.locals is an object (a function with properties in express 3): its data travels
      let localsWhole = true;
      if (res.locals) {
        const left: NotTransferable[] = [];
        const locals = dataOf(res.locals as Record<string, unknown>, 'res.locals', left);
        // (a helper or an instance there, `res.locals.t = i18n.t`, a model: code that may read res.locals would
        // find it missing there, so the message runs here; a handler that only answers does not read them)
        if (left.length > 0 && readsLocals(args, env, uses)) throw left[0];
        if (Object.keys(locals).length > 0) marker.locals = locals;
        localsWhole = left.length === 0;
      }
      // (a helper function in res.locals, `res.locals.t = i18n.t`: the template needs it, the worker has not)
      if (renders && localsWhole) {
        const view = viewOf(res);
        if (view) marker.view = view;
      }
      return marker;
    }
    // express's `next`: a function named so, or the function that follows a request and a response in
    // the arguments (express 3 calls it `callbacks`, express 4's app.param `paramCallback`)
    if (typeof value === 'function' && (value.name === 'next' || (held.req !== null && held.res !== null && path.startsWith('argument ')))) {
      held.next = value as Held['next'];
      return { $flx: 'next' };
    }
    return encode(value, path, value !== null && typeof value === 'object' ? (seen ??= new Map()) : undefined);
  };
  // (one map of what is encoded already, for the whole message: two values that share an object still do there)
  let seen: Map<object, unknown> | undefined;
  const outArgs = Array.from(args, (a, i) => mark(a, `argument ${i + 1}`));
  let outEnv: Record<string, unknown> | undefined;
  if (env) {
    outEnv = {};
    for (const key of Object.keys(env)) outEnv[key] = mark(env[key], key);
  }
  return { args: outArgs, env: outEnv, held };
}

/** How a request travels: its snapshot, the file of express's request methods, what the code reads of the app. */
export interface RequestMarker {
  $flx: 'req';
  data: Record<string, unknown>;
  /** Its body as the main loop read it, which the worker's request gives as a stream (body.ts streamsText). */
  stream?: string;
  methods?: string;
  app?: { settings: Record<string, unknown>; locals: Record<string, unknown> };
}

/**
 * The settings and locals of the request's (or response's) express app that the code reads by name (CodeUnit.app), as they are
 * now (`app.set()` may change them at run time); one that cannot travel (a database handle kept in a setting)
 * keeps the message on the main loop.
 */
function appOf(req: IncomingMessage | ServerResponse, reads: NonNullable<CodeUnit['app']>, path: string): NonNullable<RequestMarker['app']> {
  const app = (req as unknown as { app?: { settings?: Record<string, unknown>; locals?: Record<string, unknown> } }).app;
  const out: NonNullable<RequestMarker['app']> = { settings: {}, locals: {} };
  for (const name of reads.settings) out.settings[name] = encode(app?.settings?.[name], `${path}.app.get(${JSON.stringify(name)})`);
  for (const name of reads.locals) out.locals[name] = encode(app?.locals?.[name], `${path}.app.locals.${name}`);
  return out;
}

/**
 * Requests whose body the main loop read for a handler a known package made (registry.ts madeWrapper), while their
 * message is prepared: the text goes with the request marker (`stream`).
 */
export const readBodies = new WeakMap<object, string>();

/** Express's `next` among the arguments, by the rule `prepare` follows; null when there is none. */
export function nextOf(args: ArrayLike<unknown>): Held['next'] {
  let req = false;
  let res = false;
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    if (value instanceof IncomingMessage) req = true;
    else if (value instanceof ServerResponse) res = true;
    else if (typeof value === 'function' && (value.name === 'next' || (req && res))) return value as Held['next'];
  }
  return null;
}

/** Whether the fluxion may read `res.locals`: it names it, or its response goes where the compiler cannot follow. */
function readsLocals(args: ArrayLike<unknown>, env: Record<string, unknown> | null, uses: CodeUnit['uses']): boolean {
  const reads = (used: string[] | null | undefined): boolean => !used || used.includes('locals');
  for (let i = 0; i < args.length; i++) if (args[i] instanceof ServerResponse && reads(uses?.params[i])) return true;
  if (env) for (const key of Object.keys(env)) if (env[key] instanceof ServerResponse && reads(uses?.captured[key])) return true;
  return false;
}

/**
 * Whether the function calls `res.render()` on a response it is given (the fields it uses on it say so: `render`,
 * or `render!` where every call is a statement).
 */
function callsRender(args: ArrayLike<unknown>, env: Record<string, unknown> | null, uses: CodeUnit['uses']): boolean {
  const renders = (used: string[] | null | undefined): boolean => !!used && (used.includes('render') || used.includes('render!'));
  for (let i = 0; i < args.length; i++) if (args[i] instanceof ServerResponse && renders(uses?.params[i])) return true;
  if (env) for (const key of Object.keys(env)) if (env[key] instanceof ServerResponse && renders(uses?.captured[key])) return true;
  return false;
}

/**
 * What a worker needs to render the app's templates as `app.render` would (worker.ts `renderHere`): the file of
 * its View class, its views, default engine and view cache setting, its engines as the modules that export them,
 * and the data of `app.locals` (with its settings). Null when the response has no express app, a View class or
 * an engine function no module exports (the worker could not get the same one), or `app.locals` holds a helper
 * function: then `res.render` is replayed on the main loop.
 */
function viewOf(res: ServerResponse): ViewConfig | null {
  const app = (res as unknown as { app?: { get?: (name: string) => unknown; enabled?: (name: string) => boolean; engines?: Record<string, unknown>; locals?: Record<string, unknown>; settings?: Record<string, unknown> } }).app;
  if (!app || typeof app.get !== 'function' || typeof app.enabled !== 'function') return null;
  const viewFile = exportOf(app.get('view'));
  if (!viewFile || viewFile[1] !== '') return null;
  const engines: Record<string, [string, string]> = {};
  for (const ext of Object.keys(app.engines ?? {})) {
    const where = exportOf(app.engines![ext]);
    if (!where) return null;
    engines[ext] = where;
  }
  const locals = app.locals ? dataOf(app.locals, 'app.locals') : {};
  // a helper in app.locals (`app.locals.formatDate = …`) would be missing in the templates there
  for (const key of Object.keys(app.locals ?? {})) if (key !== 'settings' && !(key in locals)) return null;
  if (app.settings) locals.settings = dataOf(app.settings, 'app.settings');
  return { file: viewFile[0], views: app.get('views'), engine: app.get('view engine'), cache: app.enabled('view cache'), engines, locals };
}

export interface ViewConfig {
  /** express's lib/view.js */
  file: string;
  views: unknown;
  engine: unknown;
  cache: boolean;
  /** extension → [module file, export key ('' for the module itself)] */
  engines: Record<string, [string, string]>;
  locals: Record<string, unknown>;
}

const exported = new WeakMap<object, [string, string] | null>();

/** The module file, and the key in its exports ('' for the exports themselves), of a function a module exports. */
function exportOf(fn: unknown): [string, string] | null {
  if (typeof fn !== 'function') return null;
  let where = exported.get(fn);
  if (where === undefined) {
    where = null;
    for (const id of Object.keys(require.cache)) {
      const exports = require.cache[id]?.exports as Record<string, unknown> | undefined;
      if ((exports as unknown) === fn) where = [id, ''];
      else if (exports && (typeof exports === 'object' || typeof exports === 'function')) {
        // `ejs.__express`, `ejs.renderFile`, consolidate's `cons.handlebars`…
        for (const key of Object.keys(exports)) {
          // data properties only: a getter may load a module (express 3's connect exports its middleware so)
          const value = Object.getOwnPropertyDescriptor(exports, key)?.value as unknown;
          if (value === fn) {
            where = [id, key];
            break;
          }
        }
      }
      if (where) break;
    }
    exported.set(fn, where);
  }
  return where;
}

/** The union of the fields used wherever a request is passed, or null (all) when one of them is unknown. */
function requestFields(args: ArrayLike<unknown>, env: Record<string, unknown> | null, uses: CodeUnit['uses']): Set<string> | null {
  const fields = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    if (!(args[i] instanceof IncomingMessage)) continue;
    const used = uses?.params[i];
    if (!used) return null;
    for (const f of used) fields.add(f);
  }
  if (env) {
    for (const key of Object.keys(env)) {
      if (!(env[key] instanceof IncomingMessage)) continue;
      const used = uses?.captured[key];
      if (!used) return null;
      for (const f of used) fields.add(f);
    }
  }
  return fields;
}

/** A request field whose method calls the worker records and the main loop makes on the real one (`replay`). */
export interface CallsMarker {
  $flx: 'calls';
}

/**
 * The request fields the fluxion uses only to call them or their methods, as statements (`req.log.info(…);` with
 * pino-http, `req.flash('info', 'Saved');` with connect-flash: `log!` in its `uses`, and no `log`): when the field
 * is the request's own (a middleware put it there) and each method called is a function of its value here, the
 * worker's field records its calls (worker.ts `recordCalls`), which the main loop then makes on the real value
 * (`req.flash(…)` on the request) in their order among the response's calls. A call's results are unused
 * and its arguments travel as data (one that cannot, a callback, runs the message again here), so this is what
 * the call would have done here, made when the answer arrives: a logger's line bears that time.
 */
function calledOnly(r: Record<string, unknown>, fields: Set<string>): { keys: Set<string>; recorded: Set<string> | null } {
  let recorded: Set<string> | null = null;
  let otherwise: string[] | null = null;
  for (const key of fields) {
    if (!key.endsWith('!')) continue;
    const field = key.slice(0, -1);
    const value = r[field];
    // (what a middleware put on this request: not express's methods, nor the socket, the response, the app)
    let callable = !fields.has(field) && !REQUEST_SKIP.has(field) && value !== null && (typeof value === 'object' || typeof value === 'function') && Object.prototype.hasOwnProperty.call(r, field);
    for (const use of fields) {
      if (callable && use.endsWith('()') && use.startsWith(`${field}.`) && typeof (value as Record<string, unknown>)[use.slice(field.length + 1, -2)] !== 'function') callable = false;
    }
    if (callable) (recorded ??= new Set()).add(field);
    else (otherwise ??= []).push(key);
  }
  if (!otherwise) return { keys: fields, recorded };
  // (used otherwise too, undefined here, or a method it has not: the field travels, or not, as any field does)
  const keys = new Set(fields);
  for (const key of otherwise) {
    keys.delete(key);
    keys.add(key.slice(0, -1));
  }
  return { keys, recorded };
}

function snapshotRequest(req: IncomingMessage, fields: Set<string> | null, held: Held, stateful: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = req as unknown as Record<string, unknown>;
  if (fields) {
    let methods: string[] | null = null;
    let calls: string[] | null = null;
    const { keys, recorded } = calledOnly(r, fields);
    for (const key of keys) {
      if (key.endsWith('()')) {
        if (!recorded?.has(key.slice(0, key.indexOf('.')))) (calls ??= []).push(key);
        continue;
      }
      if (key.endsWith('!')) {
        out[key.slice(0, -1)] = { $flx: 'calls' } satisfies CallsMarker;
        continue;
      }
      if (key.startsWith('_')) continue;
      const travels = PACKAGE_FIELDS.get(key);
      if (travels) {
        if (r[key] !== undefined) out[key] = travels(r[key], `req[${JSON.stringify(key)}]`);
        continue;
      }
      if (REQUEST_SKIP.has(key) && !NAMED_DATA.has(key)) {
        // read by name, the app, the response or the socket cannot be left out: the message stays here
        if (r[key] != null) throw new NotTransferable(`req.${key}`, 'it stays on the main loop');
        continue;
      }
      if (readField(r, key, out, stateful) && key !== 'get' && key !== 'header') (methods ??= []).push(key);
    }
    if (methods) {
      // `req.is('json')`, `req.accepts(…)`: on the worker, from the file that defines them (express's request.js)
      const file = methodsFile(r);
      const source = file ? (require.cache[file]?.exports as Record<string, unknown>) : null;
      for (const key of methods) {
        if (Object.prototype.hasOwnProperty.call(r, key)) throw new NotTransferable(`req.${key}`, 'a function');
        if (!source || source[key] !== r[key]) throw new NotTransferable(`req.${key}()`, 'a method the worker does not have');
      }
      held.methods = file;
    }
    // `req.session.save()`: a field that travels as the data of a class instance has no methods there, nor one
    // that travels whole (an object literal, an array) the functions it holds (`req.audit = { record() {…} }`)
    if (calls) {
      for (const call of calls) {
        const [field, method] = call.slice(0, -2).split('.') as [string, string];
        if (!(field in out) || recorded?.has(field)) continue;
        const value = r[field];
        if (!value || typeof value !== 'object' || typeof (value as Record<string, unknown>)[method] !== 'function') continue;
        if (!travelsWhole(value)) throw new NotTransferable(`req.${field}.${method}()`, `a method of ${value.constructor?.name || 'its class'}, which the worker's copy has not`);
        if (Object.prototype.hasOwnProperty.call(value, method)) throw new NotTransferable(`req.${field}.${method}()`, "a function it holds, which the worker's copy has not");
      }
    }
    return out;
  }
  for (const key of Object.keys(req)) {
    if (key.startsWith('_') || REQUEST_SKIP.has(key)) continue;
    // (what a package left there for its readers travels as they read it: an escaping `req` may reach one; one
    // that cannot keeps the message here — without it, `validationResult(req)` there would find no error)
    const travels = PACKAGE_FIELDS.get(key);
    if (travels) out[key] = travels(r[key], `req[${JSON.stringify(key)}]`);
    else readField(r, key, out, stateful);
  }
  for (const key of [...REQUEST_GETTERS, 'query']) {
    if (!(key in out)) readField(r, key, out, stateful);
  }
  // `req` escapes: whatever it reaches may call express's methods
  held.methods = methodsFile(r);
  return out;
}

const methodFiles = new WeakMap<object, string | null>();

/**
 * The file of the methods `req` (or `res`) inherits: express's `lib/request.js` (`req.is`, `req.accepts…`,
 * `req.range`, `req.param`) or `lib/response.js` (`res.append`, `res.type`, `res.vary`…), the first object of
 * its prototype chain that is the exports of a loaded module (an app's `app.request` is not: it inherits
 * express's). Null for a plain `http` request or response (`router` alone).
 */
function methodsFile(object: object, base: object = IncomingMessage.prototype): string | null {
  for (let proto = Object.getPrototypeOf(object) as object | null; proto && proto !== base; proto = Object.getPrototypeOf(proto) as object | null) {
    let file = methodFiles.get(proto);
    if (file === undefined) {
      file = null;
      for (const id of Object.keys(require.cache)) {
        if (require.cache[id]?.exports === proto) {
          file = id;
          break;
        }
      }
      methodFiles.set(proto, file);
    }
    if (file) return file;
  }
  return null;
}

/**
 * The methods an app put on its response prototype (`app.response.shout = function …`, a sub-app's inheriting its
 * parent's): own functions of the prototypes between the response and express's `lib/response.js` (found by
 * `methodsFile` before). The worker's `res` records a call of one, the main loop makes it; a name no app of this
 * request has reads undefined there, as here (`res.shout is not a function`).
 */
function appMethods(res: ServerResponse): string[] | null {
  let out: string[] | null = null;
  for (let proto = Object.getPrototypeOf(res) as object | null; proto && proto !== ServerResponse.prototype && !methodFiles.get(proto); proto = Object.getPrototypeOf(proto) as object | null) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key)!;
      // (not express's `app.response.app`, the app itself: code reading `res.app` stays on the main loop)
      if (typeof d.value === 'function' && key !== 'constructor' && key !== 'app') (out ??= []).push(key);
    }
  }
  return out;
}

/** Whether a structured clone keeps what the object is (its methods too): plain data, arrays, and the built-ins. */
function travelsWhole(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Array.isArray(value) || value instanceof Map || value instanceof Set || value instanceof Date || value instanceof RegExp || ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Error;
}

/** Reads one field into the snapshot; true when it is a function (the caller decides whether it can travel). */
function readField(r: Record<string, unknown>, key: string, out: Record<string, unknown>, stateful: boolean): boolean {
  let value: unknown;
  try {
    value = r[key];
  } catch {
    return false; // a getter that needs the app (not an express request): leave it out
  }
  if (typeof value === 'function') return true;
  if (value === undefined) return false;
  try {
    out[key] = encode(value, `req.${key}`);
  } catch {
    // an object of a class (a session, a user model): its data travels, its changes are merged back
    // (dataOf encodes each field: encoding its result again would take a tagged field, a Map or an array with
    // named keys like express 3's `req.route.params`, for a value that cannot travel)
    if (value && typeof value === 'object') out[key] = instanceData(value as Record<string, unknown>, `req.${key}`, 0, stateful);
  }
  return false;
}

/**
 * An instance's data: its own fields, and what the getters of its class compute (pino's `req.log.level`, an app
 * model's `get fullName()`), read here as the message leaves: its own fields alone would read `undefined` there.
 * Their names go along (COPY_GETTERS): the worker's copy has them as non-enumerable fields, as the instance has
 * them on its prototype, so that `Object.keys(req.user)` and `res.json(req.user)` there see its own fields only.
 * A getter that throws, or whose value is not data (an object of a class, a function), could be read there too,
 * and would read `undefined`; a class that says how it converts to a primitive (`toString`, `valueOf`,
 * `Symbol.toPrimitive`) would convert its copy differently there: the message stays here (NotTransferable, with
 * `path`). What a class's `toJSON` prints goes along (COPY_JSON): the copy there prints that (`res.json(req.session)`
 * prints express-session's Cookie as its toJSON does), unless the worker changed it first (the message then runs
 * again here, worker.ts `revive`): not for a stateful fluxion (`stateful`), whose message cannot run twice: there
 * a class with `toJSON` keeps it here, as the converters do, and an instance inside prints as its copy.
 */
const CONVERTERS: ReadonlyArray<string | symbol> = ['toString', 'valueOf', Symbol.toPrimitive];
const PRINTERS: ReadonlyArray<string | symbol> = ['toJSON', ...CONVERTERS];
function instanceData(object: Record<string, unknown>, path: string, depth: number, stateful: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // (copies inside it: the worker looks into a copy that says it is one, never into other data)
  let holds = false;
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (typeof value === 'function') continue;
    try {
      out[key] = encode(value, `${path}.${key}`);
    } catch (error) {
      // an instance inside it (express-session's `req.session.cookie`, a Cookie): its data and getters too, merged
      // back field by field (`assignChanged`); it says how it prints, but is printed with its holder, if ever
      if (value && typeof value === 'object' && !isPlain(value) && depth < 3) {
        out[key] = instanceData(value as Record<string, unknown>, `${path}.${key}`, depth + 1, stateful);
        holds = true;
      } else if (!(error instanceof NotTransferable)) throw error;
      // (else not data: left out, as before)
    }
  }
  const getters: string[] = [];
  let printsJson = false;
  for (let proto = Object.getPrototypeOf(object) as object | null; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    // (a stateful fluxion's message cannot run again here: one whose copy would print after a change must not go)
    for (const converter of depth ? [] : stateful ? PRINTERS : CONVERTERS) {
      if (Object.prototype.hasOwnProperty.call(proto, converter)) throw new NotTransferable(path, `an instance of ${object.constructor?.name || 'a class'} whose class defines ${String(converter)}: its copy would convert differently`);
    }
    if (!stateful && Object.prototype.hasOwnProperty.call(proto, 'toJSON')) printsJson = true;
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key in out || !Object.getOwnPropertyDescriptor(proto, key)!.get) continue;
      let value: unknown;
      try {
        value = object[key];
      } catch {
        throw new NotTransferable(`${path}.${key}`, `a getter of ${object.constructor?.name || 'its class'} that throws here`);
      }
      out[key] = encode(value, `${path}.${key}`);
      getters.push(key);
    }
  }
  if (getters.length > 0 || holds) out[COPY_GETTERS] = getters;
  if (printsJson) {
    let printed: unknown;
    try {
      const text = JSON.stringify(object);
      printed = text === undefined ? undefined : JSON.parse(text);
    } catch {
      throw new NotTransferable(`${path}.toJSON()`, `the toJSON of ${object.constructor?.name || 'its class'}, which throws here`);
    }
    out[COPY_JSON] = encode(printed, `${path}.toJSON()`);
  }
  return out;
}

/** The fields of `object` that are data, encoded; what is not (a function, a class's instance) goes on `left`. */
function dataOf(object: Record<string, unknown>, path: string, left?: NotTransferable[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (typeof value === 'function') {
      left?.push(new NotTransferable(`${path}.${key}`, 'a function'));
      continue;
    }
    try {
      out[key] = encode(value, `${path}.${key}`);
    } catch (error) {
      // (whatever encode refused it with: not data, never an exception for the app)
      left?.push(error instanceof NotTransferable ? error : new NotTransferable(`${path}.${key}`, `not data (${error instanceof Error ? error.message : String(error)})`));
    }
  }
  return out;
}

/** Merge the fields the fluxion changed (the worker sends only those) back into the real request. */
export function mergeRequest(held: Held, changed: Record<string, unknown> | undefined): void {
  if (!held.req || !changed) return;
  const real = held.req as unknown as Record<string, unknown>;
  for (const key of Object.keys(changed)) {
    const value = decode(changed[key]);
    const current = real[key];
    try {
      if (value === undefined) delete real[key];
      else if (current && typeof current === 'object' && value && typeof value === 'object' && !isPlain(current)) {
        // a session or another class instance: its data in place
        const sent = held.snapshot?.[key];
        assignChanged(current as Record<string, unknown>, value as Record<string, unknown>, sent && typeof sent === 'object' ? (decode(sent) as Record<string, unknown>) : null);
      } else real[key] = value;
    } catch {
      // a getter-only field (express 5's req.query): sloppy code's assignment would be ignored too
    }
  }
}

/**
 * What the worker changed in a class instance's copy, written into the instance: the fields that differ from what
 * was sent (`sent`, decoded; from the instance's own where it was not), and the deletion of the ones it deleted
 * (`delete req.session.role` at a logout). The copy also holds what the class's getters computed (`instanceData`),
 * which an assignment would give to a setter again (or throw at, getter-only): those did not change.
 */
function assignChanged(target: Record<string, unknown>, copy: Record<string, unknown>, sent: Record<string, unknown> | null): void {
  for (const key of Object.keys(copy)) {
    const before = sent && Object.prototype.hasOwnProperty.call(sent, key) ? sent[key] : target[key];
    if (isDeepStrictEqual(copy[key], before)) continue;
    const inner = target[key];
    const value = copy[key];
    // an instance inside it (`req.session.cookie.maxAge = …`): what changed there, through its setters
    if (inner && typeof inner === 'object' && !isPlain(inner) && value && typeof value === 'object' && isPlain(value) && before && typeof before === 'object') {
      assignChanged(inner as Record<string, unknown>, value as Record<string, unknown>, before as Record<string, unknown>);
      continue;
    }
    try {
      target[key] = value;
    } catch {
      // a getter-only field: as above
    }
  }
  if (!sent) return;
  // (what the class's getters computed, and what it printed, are no fields of the instance's to delete)
  const computed = Array.isArray(sent[COPY_GETTERS]) ? (sent[COPY_GETTERS] as string[]) : [];
  for (const key of Object.keys(sent)) {
    if (Object.prototype.hasOwnProperty.call(copy, key) || key === COPY_GETTERS || key === COPY_JSON || computed.includes(key)) continue;
    try {
      delete target[key];
    } catch {
      // not configurable: as above
    }
  }
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null || Array.isArray(value);
}

/**
 * The response calls a worker recorded, in order, flat (one array for all of them: a message's every array and
 * object costs on both sides of a structured clone): the method's name (`=statusCode` for an assignment), the
 * number of arguments, the encoded arguments; then the next call.
 */
export type Ops = unknown[];

/** What the worker's `res` starts from: the response's headers so far, and its status and locals when set. */
export interface ResponseMarker {
  $flx: 'res';
  headers: Record<string, unknown>;
  /** Absent: 200. */
  statusCode?: number;
  /** Absent: none. */
  locals?: Record<string, unknown>;
  /** Present (true) when the head is written already: an error handler's `if (res.headersSent) return next(err)`. */
  headersSent?: true;
  /** The file of express's response methods (`methodsFile`); absent for a plain `http` response. */
  methods?: string;
  /** For a fluxion that calls `res.render()`: how the app renders (`viewOf`). */
  view?: ViewConfig;
  /** Data the app put on the response (`res.startedAt = Date.now()` in a middleware); absent: none. */
  fields?: Record<string, unknown>;
  /** The names of functions put on the response (`res.success = …`): calls the worker records. */
  functions?: string[];
  /** What the code reads of the app by name, `res.app.get('title')` (as RequestMarker's). */
  app?: RequestMarker['app'];
}

let nodeFields: Set<string> | null = null;
/**
 * The data fields the app (or a middleware of a package) put on the response, which a worker's `res` then has too:
 * own enumerable properties that a new response of Node's has not, nor express's (`locals`, `req`, `app`), not
 * private (`_…`), not functions (a method put on `res` is a call the worker records and the main loop makes), that
 * can travel. Null when there are none.
 */
function appFields(res: ServerResponse): { fields: Record<string, unknown> | null; functions: string[] | null } {
  if (!nodeFields) {
    nodeFields = new Set(['locals', 'req', 'app', 'socket', 'connection', 'statusMessage']);
    try {
      const sample = new ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as IncomingMessage);
      for (const key of Object.keys(sample)) nodeFields.add(key);
    } catch {
      // every own field counts as the app's then, but Node's are private or written by Node's own code
    }
  }
  let out: Record<string, unknown> | null = null;
  let functions: string[] | null = null;
  for (const key of Object.keys(res)) {
    if (nodeFields.has(key) || key.charCodeAt(0) === 95 /* _ */) continue;
    const value = (res as unknown as Record<string, unknown>)[key];
    if (typeof value === 'function') {
      (functions ??= []).push(key);
      continue;
    }
    try {
      (out ??= {})[key] = encode(value, `res.${key}`);
    } catch {
      // (what cannot travel stays here: the worker's res does not have it)
    }
  }
  return { fields: out, functions };
}

/** Replays the recorded response calls on the real response, in order. */
export function replay(held: Held, ops: Ops): void {
  const res = held.res as unknown as Record<string, unknown>;
  for (let i = 0; i < ops.length; ) {
    const name = ops[i] as string;
    const count = ops[i + 1] as number;
    const args = decode(ops.slice(i + 2, i + 2 + count)) as unknown[];
    i += 2 + count;
    if (name.charCodeAt(0) === 46 /* . */) {
      // `.log.info`, `.flash`: a call the worker recorded on a request field (`calledOnly`), made on the real one
      const dot = name.indexOf('.', 1);
      const req = held.req as unknown as Record<string, unknown>;
      const target = (dot < 0 ? req : req[name.slice(1, dot)]) as Record<string, (...a: unknown[]) => unknown>;
      target[name.slice(dot < 0 ? 1 : dot + 1)]!.apply(target, args);
    } else if (name === '=statusCode') res.statusCode = args[0];
    else if (name === '=statusMessage') res.statusMessage = args[0];
    else if (name === '=sendDate') res.sendDate = args[0];
    else if (name.charCodeAt(0) === 61 /* = */ && name !== '=locals') res[name.slice(1)] = args[0]; // a field the app set there
    else if (name === '=locals') {
      const locals = res.locals as Record<string, unknown>;
      const changed = args[0] as Record<string, unknown>;
      for (const key of Object.keys(changed)) {
        if (changed[key] === undefined) delete locals[key];
        else locals[key] = changed[key];
      }
    }
    else (res[name] as (...a: unknown[]) => unknown).apply(res, args);
  }
}

import * as path from 'node:path';

/** A module specifier naming a file (relative or absolute), not a package: an app file, for the state check. */
export function isLocal(specifier: string): boolean {
  return /^(?:\.{1,2}(?:\/|$)|\/)/.test(specifier);
}

/** Why code that calls into `file` cannot run on another event loop (the runtime and `fluxion explain` say the same). */
export function keepsState(file: string, state: string[]): string {
  const what = state.map((n) => (n === 'this' ? 'objects it made at load time' : `\`${n}\``)).join(', ');
  return `it calls into ${file}, which keeps ${what} in its module memory`;
}

/**
 * Why code that reads the global `name`, which Node does not define (the app's), cannot run on another event loop:
 * `writer` writes it after start-up (`*`: writes globals by a name not known), so a worker, which has globals of its
 * own, would not see it; with no writer, what it holds after start-up could not be copied to a worker.
 */
export function appGlobalReason(name: string, writer: [file: string, global: string] | null): string {
  const own = `it reads the global \`${name}\`, which Node does not define (the app's)`;
  if (writer === null) return `${own}: a worker has globals of its own, and what it holds cannot be copied there`;
  return writer[1] === '*'
    ? `${own}, and ${writer[0]} writes globals by computed names after start-up: a worker has globals of its own`
    : `${own}, and ${writer[0]} writes it after start-up: a worker has globals of its own`;
}

/**
 * Why code reading these globals cannot run on another event loop, or null: one that Node does not define (the
 * app's) is written after start-up (`laterWrites`: global → the file writing it; `*`: by a name not known). The
 * app's others, only written at start-up (`global.__basedir = __dirname`), are pushed on `startup`: a worker gets
 * what they hold before the code runs there. The runtime and `fluxion explain` apply the same rule.
 */
export function globalsReason(names: string[] | undefined, nodeGlobals: Set<string>, laterWrites: Map<string, string>, startup: string[]): string | null {
  for (const name of names ?? []) {
    if (nodeGlobals.has(name)) continue;
    const writer = laterWrites.get(name);
    if (writer !== undefined) return appGlobalReason(name, [writer, name]);
    const anyName = laterWrites.get('*');
    if (anyName !== undefined) return appGlobalReason(name, [anyName, '*']);
    startup.push(name);
  }
  return null;
}

/** Why code that calls into `file` cannot run on another event loop when another app file writes its exports. */
export function writtenElsewhere(file: string, writer: string, write: string, atLoad: boolean): string {
  return atLoad
    ? `it calls into ${file}, whose exports ${writer} writes at start-up (\`${write}\`): another event loop would load the file without it`
    : `it calls into ${file}, whose exports ${writer} writes after start-up (\`${write}\`): one copy for every request`;
}

/**
 * Why code that requires `specifier` cannot run on another event loop when it names a package of `statefulPackages`
 * (`@scope/name/sub` → `@scope/name`), or null; `through`: the app file that requires it (the runtime and
 * `fluxion explain` say the same).
 */
export function statefulPackage(specifier: string, stateful: string[], through: string | null, connected?: Map<string, string>): string | null {
  const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  const connect = connected?.get(name);
  if (connect) return `it calls into the package \`${name}\`${through ? ` (through ${through})` : ''}, which ${connect} at start-up: another event loop's copy would not be`;
  if (!stateful.includes(name)) return null;
  return `it calls into the package \`${name}\`${through ? ` (through ${through})` : ''}, whose module memory holds connections or configuration made at start-up (statefulPackages)`;
}

/** What the state check knows of an app file: its module state and what it requires (app files and packages). */
export interface RequiredFile {
  state: string[];
  requires: string[];
  /** With `state`: its exports that reach none of it, with the specifiers they reach (FluxionalProgram.reach). */
  reach?: Record<string, string[]>;
  /** With `state`: its exports that only read it, with the specifiers they reach (FluxionalProgram.reads). */
  reads?: Record<string, string[]>;
  /** What its top level does that a worker's copy would do again (FluxionalProgram.atLoad). */
  atLoad?: string;
  /** An ES module (else an ES module's default import of it is its `module.exports`: `default.x` is `x`). */
  esm?: boolean;
}

/** A specifier, or [a specifier, the exports of it the code reaches by name] (CodeUnit requires' `members`). */
export type Required = string | [specifier: string, members: string[]];

/** A write of another file's exports as the state check sees it: [writer, text, path, method, at start-up]. */
export type WriteOf = [string, string, string[], string | null, boolean];

/**
 * What a worker's copy of a file must be given before code calling into it runs there: the file (absolute), the
 * path written, the write (another file's, at start-up); or, for a global of the app's, null, [its name], null.
 */
export type StartupWrite = [file: string, at: string[], write: WriteOf] | [file: null, at: [string], write: null];

/** How the runtime (the loaded modules) and `fluxion explain` (the compiled files) answer the state check's questions. */
export interface StateFacts {
  resolve(from: string, specifier: string): string | null;
  /** What fluxion knows of an app file: null for one it left as it is (no functions), or could not read. */
  describe(file: string): RequiredFile | null;
  /** What an app file that `describe` knows nothing of requires, packages and files (the runtime reads its text). */
  packagesOf(file: string): string[];
  /** The writes other files make to the file's exports that write its data (not a call of its own function). */
  writesOf(file: string): WriteOf[];
  statefulPackages: string[];
  /** Packages the app's start-up code connects or initialises (FluxionalProgram.connects): `redis` → `app.js connects (\`client.connect()\`)`. */
  connected?: Map<string, string>;
  /** Packages files configure at their top level (FluxionalProgram.configures). */
  configured?: Map<string, Configuration[]>;
}

/** A file's top-level statement configuring a package (FluxionalProgram.configures), as the runtime knows it. */
export interface Configuration {
  file: string;
  text: string;
  /** A worker does it again before its first unit (a statement of the entry file that it can do again). */
  again: boolean;
  /** What a worker's copy threw when it did it again (`again` is false from then on). */
  failed?: string;
}

/**
 * Whether a worker configures packages as a file other than the entry did by loading that file: a CommonJS file
 * whose top level does nothing else a worker's copy would repeat (FluxionalProgram.atLoad: its configurations
 * only) and requires no app file (`lib/dayjs.js`: `dayjs.extend(utc); module.exports = dayjs`). Loaded once there
 * (Module's cache), its configurations are made once, whether a unit requires the file later or not.
 */
export function configuresByLoading(file: { atLoad?: string; requires: string[]; esm?: boolean }): boolean {
  return !file.esm && !!file.atLoad?.startsWith('configures') && !file.requires.some(isLocal);
}

/**
 * Why code reaching a package that files configure at their top level (`dayjs.extend(utc)`) cannot run on another
 * event loop, or null: a configuration that the entry file makes and a worker cannot do again, or that another file
 * makes, unless the code requires that file itself (its top level runs there too). The entry file's that a worker
 * can do again, it does, before its first unit (Registry.replays): a worker never loads the entry file, so it does
 * them once; another file's it might load later, and do them twice (a `marked.use(extension)`: applied twice).
 */
function configuredPackage(facts: StateFacts, specifier: string, seen: Set<string>, through: string | null): string | null {
  const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  for (const c of facts.configured?.get(name) ?? []) {
    if (c.again || seen.has(c.file)) continue;
    const why = c.failed ? `a worker's copy could not be configured so (${c.failed})` : "another event loop's copy would not be, and cannot be configured so there";
    return `it calls into the package \`${name}\`${through ? ` (through ${through})` : ''}, which ${relative(c.file)} configures at start-up (\`${c.text}\`): ${why}`;
  }
  return null;
}

/** Listener methods: what a listener registered at start-up does cannot be copied to another event loop. */
const LISTENER_METHODS = new Set(['on', 'once', 'addListener', 'prependListener', 'prependOnceListener']);

/**
 * Methods that connect or initialise what a package made (`mongoose.connect(uri)`, `client.connect()` of
 * node-redis, `AppDataSource.initialize()` of TypeORM, `Sentry.init({…})`, `sequelize.authenticate()`): called by
 * the app's start-up code (its top level, or a function it calls, `async function main() { await db.connect() }`),
 * they leave the main thread's copy connected; a worker's copy of the package, or of the app file exporting it,
 * would not be (a query that waits for a connection forever, a client that throws, errors nobody reports).
 */
export const CONNECT_METHODS = new Set(['connect', '$connect', 'createConnection', 'initialize', 'init', 'authenticate', 'open', 'start', 'login']);


/**
 * Why code of `from` that requires these specifiers cannot run on another event loop, or null: one of the app
 * files they name, or one those require in turn, keeps state in its module memory (a worker would require its own
 * copy, and the app would see two stores), or another file writes its exports after start-up, or registers a
 * listener on them at start-up; or they name a package of `statefulPackages`. Packages of node_modules are taken
 * as stateless, as the paper does. The other writes made at start-up (`config.mode = 'x'` in app.js) are pushed
 * on `startup`: a worker's copy of the file gets their values before the code runs there (Registry, worker.ts).
 * A file with state whose exports the code reaches only read it (FluxionalProgram.reads) is pushed on `reads`: a
 * worker's copy of it gets a copy of that state, again whenever it changed (ModuleRuntime `reading`, pool.ts `reads`).
 */
export function stateReason(facts: StateFacts, from: string, specifiers: Required[], startup: StartupWrite[], reads: string[] = [], seen = new Set<string>(), nested = false): string | null {
  for (const required of specifiers) {
    const [specifier, members] = typeof required === 'string' ? [required, null] : required;
    if (!isLocal(specifier)) {
      const reason = statefulPackage(specifier, facts.statefulPackages, nested ? relative(from) : null, facts.connected) ?? configuredPackage(facts, specifier, seen, nested ? relative(from) : null);
      if (reason) return reason;
      continue;
    }
    const target = facts.resolve(from, specifier);
    if (target === null || seen.has(target) || /[\\/]node_modules[\\/]/.test(target)) continue;
    const file = facts.describe(target);
    // a file with state whose exports this code reaches reach none of it (`todos.score(…)`, a pure helper of a
    // service with a store): a worker's copy of the file does those as this one does; what they reach is checked
    // (a whole visit of the file, from another path, still checks all of it: `seen` keeps the partial one apart)
    let reached = file?.state.length && members && file.reach ? reachOf(file.reach, members, file.esm === true) : null;
    // exports that only read it, and none that writes it: a copy of the state goes with the messages
    const reading = !reached && file?.state.length && members && file.reads ? reachOf({ ...file.reach, ...file.reads }, members, false) : null;
    if (reading) reached = reading;
    const key = reached ? `${target}#${[...members!].sort().join(',')}` : target;
    if (seen.has(key)) continue;
    seen.add(key);
    if (file?.state.length && !reached) return keepsState(relative(target), file.state);
    if (reading && !reads.includes(target)) reads.push(target);
    for (const write of facts.writesOf(target)) {
      const [writer, text, at, method, atLoad] = write;
      if (method !== null && atLoad && CONNECT_METHODS.has(method)) return `it calls into ${relative(target)}, whose exports ${writer} connects or initialises at start-up (\`${text}\`): another event loop's copy of the file would not be`;
      if (!atLoad || (method !== null && LISTENER_METHODS.has(method))) return writtenElsewhere(relative(target), writer, text, atLoad);
      startup.push([target, at, write]);
    }
    const deeper = stateReason(facts, target, reached ?? (file ? file.requires : facts.packagesOf(target)), startup, reads, seen, true);
    if (deeper) return deeper;
    // what the file requires and those exports do not reach is loaded on the worker all the same: its copies are
    // never called there, and must not do work of their own at load (a timer flushing an empty copy's data)
    const loaded = reached ? loadReason(facts, target, file!.requires.filter((s) => isLocal(s) && !reached.includes(s)), new Set([target])) : null;
    if (loaded) return loaded;
  }
  return null;
}

/**
 * Why a worker must not load these app files of `from` (nor those they require): one whose top level does work
 * a worker's copy would do again (FluxionalProgram.atLoad); or null.
 */
function loadReason(facts: StateFacts, from: string, specifiers: string[], seen: Set<string>): string | null {
  for (const specifier of specifiers) {
    const target = facts.resolve(from, specifier);
    if (target === null || seen.has(target) || /[\\/]node_modules[\\/]/.test(target)) continue;
    seen.add(target);
    const file = facts.describe(target);
    if (!file) continue;
    if (file.atLoad) return `it calls into ${relative(from)}, which requires ${relative(target)}, whose top level ${file.atLoad}: a worker's copy of it would too`;
    const deeper = loadReason(facts, target, file.requires.filter(isLocal), seen);
    if (deeper) return deeper;
  }
  return null;
}

/**
 * The specifiers those exports reach, or null when one of them is not among those that reach no state. An ES
 * module's default import reads `default.price`: of a CommonJS file (not `esm`), that is its `module.exports.price`.
 */
function reachOf(reach: Record<string, string[]>, members: string[], esm: boolean): string[] | null {
  const out = new Set<string>();
  for (const member of members) {
    const name = !esm && member.startsWith('default.') ? member.slice(8) : member;
    if (!Object.prototype.hasOwnProperty.call(reach, name)) return null;
    for (const specifier of reach[name]!) out.add(specifier);
  }
  return [...out];
}

function relative(file: string): string {
  return path.relative(process.cwd(), file) || file;
}

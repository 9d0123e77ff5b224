/**
 * Public types of fluxion's compiler model. The names follow the paper
 * ("Transforming Javascript event-loop into a scalable pipeline"): a program is cut
 * at rupture points into fluxions that exchange messages over streams.
 */

/** A position in a source file: 1-based line, 0-based column (like ESTree and V8 stack traces). */
export interface Position {
  line: number;
  column: number;
}

export interface SourceSpan {
  start: Position;
  end: Position;
}

/** `start`: a listener (app.get, emitter.on); `post`: a continuation (fs.readFile's callback). */
export type RuptureKind = 'start' | 'post';

/** One entry of the catalogue of asynchronous callees. */
export interface CalleeSpec {
  kind: RuptureKind;
  /**
   * Module-bound callee: the function `export` of the module `module` (`fs` + `readFile`), or the
   * module itself when `export` is `default` (`raw-body`). Node's `node:` prefix is accepted.
   */
  module?: string;
  export?: string;
  /** A global function (`setTimeout`) or a member of a global (`process.nextTick`). */
  global?: string;
  /** A method matched by name on any receiver the compiler cannot type (`on`, `query`, `render`). */
  method?: string;
  /** For `method` entries: the callback must be the last argument and there must be at least this many. */
  minArgs?: number;
  /** Which arguments can be callbacks: `last` (the default), `first` (timers) or `all` (express handlers). */
  callbacks?: 'last' | 'first' | 'all';
}

export type Tag = string; // 'network' | 'isolated' | `grp_${string}`

/** What the pipeliner decided for a variable that crosses a fluxion boundary (paper §3.2). */
export type VariableClass = 'scope' | 'stream' | 'share' | 'read-only';

export interface VariableInfo {
  name: string;
  /** Where it is declared. */
  declaredAt: Position | null;
  /** The fluxion whose code declares it (or `main` for module bindings and the CommonJS wrapper). */
  origin: string;
  class: VariableClass;
  /** For read-only: what it holds. */
  holds?: 'module' | 'function' | 'constant' | 'value' | 'network';
  /** Fluxions that read it, fluxions that write it (initialisation at load time excluded). */
  readers: string[];
  writers: string[];
  /** scope: the owning fluxion; share: the group members; stream: the fluxions it travels to. */
  fluxions: string[];
  /** True when the value is bound to the network (req, res, next, an express app, a socket). */
  network: boolean;
  /** One sentence: why this class. */
  reason: string;
}

/** An output edge of a fluxion: the messages it sends to a downstream fluxion. */
export interface Stream {
  type: RuptureKind;
  from: string;
  to: string;
  /** Variables carried by the message, besides the callback's own arguments. */
  vars: string[];
  /** Id of the rupture point that yields this stream. */
  rupturePoint: number;
}

export interface RupturePoint {
  id: number;
  kind: RuptureKind;
  /** The callee as written, e.g. `fs.readFile`, `app.get`. */
  callee: string;
  /** The catalogue entry it matched, e.g. `fs.readFile`, `express app.get`, `method .on`. */
  matched: string;
  loc: SourceSpan;
  /** The fluxion whose code makes the call. */
  in: string;
  /** Fluxions fed by this rupture point (callbacks proven statically). */
  to: string[];
  /** Arguments that may be callbacks but are only known at run time. */
  dynamic: number[];
}

/** A callback argument the compiler cannot prove; the JIT settles it at run time. */
export interface DynamicSite {
  rupturePoint: number;
  callee: string;
  argument: number;
  /** Source text of the argument, e.g. `bodyParser(1 * 1024 * 1024)`. */
  expression: string;
  loc: SourceSpan;
  reason: string;
}

export interface Fluxion {
  /** `main`, the callback's function name, or `anonymous_<n>` (from 1000). */
  id: string;
  kind: 'main' | 'start' | 'post';
  tags: Tag[];
  /** Context: variables the fluxion holds (scope, share, and read-only bindings it needs). */
  context: string[];
  streams: Stream[];
  /** The fluxion upstream of this one (`null` for main). */
  parent: string | null;
  params: string[];
  loc: SourceSpan;
  /** Can it run on another event loop, and if not, why. */
  isolatable: boolean;
  reasons: string[];
  /**
   * Whether the runtime can run it on a worker (express_dispatcher carries req, res and next), and if not,
   * why: what its code unit cannot take along.
   */
  offload: {
    movable: boolean;
    blockers: string[];
    state: string[];
    shared: string[];
    requires: string[];
    packages?: string[];
    globals?: string[];
    /** The exports it reaches of the app files it requires, where it reaches them by name only (`todos.score(…)`). */
    members?: Record<string, string[]>;
    /**
     * `fluxion explain` only: the writes other app files make at start-up to the exports of files this code calls
     * into (`settings.mode = 'x'` in app.js): the workers' copies of those files get what they left there.
     */
    startup?: string[];
    /**
     * The request fields it only calls, as statements (`req.log.info(…);`, `req.flash(…);`), named by its first
     * parameter (Express's `req`): on a worker their calls are recorded and made on the main loop, in order.
     */
    called?: string[];
    /**
     * `fluxion explain` only: the app files whose state it reads through exports that only read it
     * (FluxionalProgram.reads), with that state: a copy goes with its messages when it changed.
     */
    reads?: string[];
  };
  /** Its code in the fluxional language (split callbacks replaced by `>> dest` / `-> dest`). */
  code: string;
}

/** A write to another app file's exports (FluxionalProgram.writes): [specifier, text, path, method, at start-up]. */
export type ForeignWrite = [string, string, string[], string | null, boolean];

export interface FluxionalProgram {
  file: string;
  sourceType: 'commonjs' | 'module';
  fluxions: Fluxion[];
  rupturePoints: RupturePoint[];
  dynamicSites: DynamicSite[];
  variables: VariableInfo[];
  /** Why some parts cannot be analysed precisely (eval, with…). Never fatal. */
  notes: string[];
  /**
   * What the module keeps in its memory after start-up (variables its functions write; `this` when methods
   * write objects made at load time): code of other files that calls into it cannot move to a worker.
   */
  state: string[];
  /** The app files it requires or imports (relative or absolute specifiers). */
  requires: string[];
  /**
   * With `state`: its exports that reach none of it, each with the specifiers its code reaches (compiler/exports.ts):
   * code calling only those may move (a worker's copy of the file runs them as this one does).
   */
  reach?: Record<string, string[]>;
  /**
   * With `state`, a CommonJS file: its exports that read some of it and write none (compiler/readers.ts), each with
   * the specifiers its code reaches, and the state they read. Code calling only those (and `reach`'s) may run on a
   * worker with a copy of that state, sent again whenever the file's other functions may have changed it.
   */
  reads?: { exports: Record<string, string[]>; state: string[] };
  /**
   * What its top level does that a worker's copy of it would do again (compiler/exports.ts loadTimeWork): a
   * callback registered (`setInterval(flush, 1000)`), the network opened, a package connected or configured.
   */
  atLoad?: string;
  /** The packages it requires or imports (bare specifiers). */
  packages?: string[];
  /**
   * The globals its code writes after start-up (in functions; `*`: one whose name is not known): code of any file
   * reading them stays on the main loop, where a worker would not see the new value.
   */
  globalWrites?: string[];
  /**
   * The packages its start-up code connects or initialises (`mongoose.connect(uri)`, `client.connect()` of what
   * `redis`'s createClient made), as [package, the call]: code calling into one stays on the main loop.
   */
  connects?: Array<[string, string]>;
  /**
   * Its top-level statements that configure a package for the process (`dayjs.extend(utc)`, `axios.defaults.baseURL =
   * …`), as [package, the statement, the script a worker runs to do it again, or null when it cannot be]: code
   * calling into such a package without requiring this file gets the script run first on its worker, or stays.
   */
  configures?: Array<[string, string, string | null]>;
  /**
   * The app files whose exports it writes, as [specifier, the write, the path from the export to the object
   * written, the method called or null, whether it is a write of its top level (at start-up)]: `store.set(k, v)` on
   * `module.exports = new Map()`, `config.debug = true`, `bus.on('x', f)`. Code that calls into such a file cannot
   * move either (unless the method is one of that file's `functions`): another event loop requires the file again
   * and gets none of it.
   */
  writes?: ForeignWrite[];
  /** The names of the functions it defines (not class methods): its own, when another file calls them as methods. */
  functions?: string[];
}

export interface CompileOptions {
  /** File name used in messages and locations. */
  filename?: string;
  /** Force a source type; by default `.mjs` is a module, `.cjs` CommonJS, `.js` is detected. */
  sourceType?: 'commonjs' | 'module';
  /** Extra asynchronous callees, on top of the built-in catalogue. */
  rupturePoints?: CalleeSpec[];
  /** Print each fluxion's code and work out its placement verdict (default true); the require hook needs neither. */
  withCode?: boolean;
}

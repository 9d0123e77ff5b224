/**
 * Module constants a worker makes again instead of receiving them: what a known factory makes at start-up from
 * literals and from what the module requires — a function Node's `util` wraps (`promisify(fs.readFile)`), a logger
 * (`winston.createLogger({…})`, `pino()`, `require('debug')('app')`), a formatter (`new Intl.NumberFormat('en')`),
 * `new TextEncoder()`, an AsyncLocalStorage (a copy made on a worker takes the request's store, contexts.ts), a validation schema (`z.object({ name: z.string().min(2) })`, `Joi.object({…})`). Their
 * values cannot travel (functions, instances of classes), and they hold configuration only: a copy made on the
 * worker from the same text behaves as the main loop's does. Their bindings are taken as modules are
 * (`logger.info(…)`, `schema.parse(body)` do not write module memory). What the file's top level does to such an
 * object once made (`logger.add(new winston.transports.Console())` under an `if`, `md.use(anchor)`,
 * `addFormats(ajv)`) is done again after it, on the worker (`startupConfiguration`); where that cannot be done
 * (it reads a variable of the module), the object is not made again: it is a value, which cannot travel.
 */
import { memberPath, propertyName, requireSpecifier, requiredFrom, type AstNode } from './ast';
import type { Scopes, Variable } from './scopes';
import { isLocal } from '../specifiers';
import { isMutation } from './pipeliner';

/** [package, path of the factory in it] ('' : the package itself is called). */
const FACTORIES = new Set([
  'util.promisify',
  'util.callbackify',
  'util.debuglog',
  'debug',
  'winston.createLogger',
  'pino',
  'bunyan.createLogger',
  'log4js.getLogger',
  // template compilers: a template's function made from its text (`Handlebars.compile(fs.readFileSync(…))`)
  'handlebars.compile',
  'pug.compile',
  'pug.compileFile',
  'ejs.compile',
  'lodash.template',
  'lodash/template',
  'marked.Marked',
  'xml2js.Parser',
  'xml2js.Builder',
  // HTTP clients of a base URL and headers (`axios.create({ baseURL })`), their interceptors set by the top level
  'axios.create',
  'got.extend',
  // an HTML sanitizer on a window of its own (`createDOMPurify(new JSDOM('').window)`)
  'dompurify',
  'isomorphic-dompurify',
  'jsdom.JSDOM',
  // (the request's context store of the app's: a worker's copy takes the store a message carries, contexts.ts)
  'async_hooks.AsyncLocalStorage',
]);

/** Namespaces of a logger package whose every function is a factory: winston's formats (`printf(…)`, `combine(…)`, `winston.format((info) => …)()`) and transports. */
const FACTORY_FAMILIES = /^winston\.(format|transports)(\.\w+)*(\(\))?$/;

/**
 * Packages of validation schemas: whatever they make is an immutable description of data (each method returns a
 * new schema: `z.string().min(2)`, `Joi.object({…}).unknown()`), so every call into them, chained, is a factory.
 */
const SCHEMA_PACKAGES = new Set(['zod', 'joi', '@hapi/joi', 'yup', 'superstruct', 'valibot', '@sinclair/typebox']);

/**
 * Packages whose objects hold options and what was compiled from them (a validator compiled from a schema, a
 * markdown renderer, an XML parser, an HTML-to-markdown converter): every call into them, chained, and into what they
 * make, is a factory, as for schemas; their objects are configured after they are made (`md.use(plugin)`,
 * `ajv.addSchema(…)`, `addFormats(ajv)`), which startupConfiguration does again on the worker.
 */
const CONFIGURED_PACKAGES = new Set(['ajv', 'ajv-formats', 'ajv-errors', 'ajv-keywords', 'markdown-it', 'fast-xml-parser', 'turndown', 'showdown', 'remarkable', 'hashids']);

/**
 * GraphQL's: a schema built from its SDL (`buildSchema(\`type Query {…}\`)`), from type objects (`new
 * GraphQLSchema({ query: new GraphQLObjectType({…}) })`) or from type definitions and a map of resolvers
 * (`makeExecutableSchema({ typeDefs, resolvers })`), a document parsed by `gql\`…\``: every call into them, chained,
 * is a factory; their resolvers are functions of the file, made again with them when they read nothing a worker
 * cannot make again (selfContained: one that changes the module's memory is not).
 */
const GRAPHQL_PACKAGES = new Set(['graphql', 'graphql-tag', '@graphql-tools/schema', '@graphql-tools/merge', '@graphql-tools/utils', '@graphql-tools/load-files', 'graphql-scalars']);

/** Constructors of every thread whose objects hold their options only. */
const GLOBAL_FACTORIES = new Set([
  'Intl.NumberFormat',
  'Intl.DateTimeFormat',
  'Intl.Collator',
  'Intl.PluralRules',
  'Intl.RelativeTimeFormat',
  'Intl.ListFormat',
  'Intl.Segmenter',
  'Intl.DisplayNames',
  'TextEncoder',
  'TextDecoder',
]);

/**
 * For a module constant's declarator whose initialiser one of those factories makes (`const gzip =
 * util.promisify(zlib.gzip)`, `const log = winston.createLogger({ transports: [new winston.transports.Console()] })`):
 * the module bindings it and its start-up configuration are made of (required packages or files, the module's
 * functions, other such constants, `pureFrom` values), with their variables, for the unit to bring along, and the
 * statements of that configuration; null for anything else. Arguments may be literals, object and array literals of
 * them, `__dirname`, `process.env.X`, expressions of those (`process.env.LEVEL || 'info'`, a ternary), what required
 * bindings hold or make (`winston.format.json()`, `path.join(__dirname, 'logs')`) but a random value, and functions
 * reading nothing else (`selfContained`).
 */
export function derivedFrom(declarator: AstNode, scopes: Scopes): Remade | null {
  return remaking(declarator, scopes).remade;
}

/**
 * Per declarator, once (the pipeliner, the file's state and every code unit ask about the same bindings): whether a
 * known factory makes it and a worker can make it again (`remade`), or why not when only its start-up configuration
 * stands in the way (`unremade`, unremadeReason).
 */
const remakings = new WeakMap<AstNode, { remade: Remade | null; unremade: string | null }>();
function remaking(declarator: AstNode, scopes: Scopes): { remade: Remade | null; unremade: string | null } {
  let known = remakings.get(declarator);
  if (known) return known;
  known = { remade: null, unremade: null };
  remakings.set(declarator, known);
  const used: Array<[string, Variable]> = [];
  const variable = declarator.id?.type === 'Identifier' ? scopes.declarationOf.get(declarator.id) : undefined;
  let refused: string | null = null;
  const factory = variable ? factoryOf(declarator.init, scopes, used, (why) => (refused ??= why)) : null;
  if (variable && !factory && refused !== null && variable.defs.length === 1) {
    // a known factory's, of what a worker cannot make again (`makeExecutableSchema({ resolvers })` whose resolvers
    // change a Map of the module): the object is here only
    known.unremade = refused;
    return known;
  }
  if (!variable || !factory) return known;
  let line = 0;
  const configures = startupConfiguration(variable, scopes, used, (statement) => (line = statement.loc.start.line));
  if (configures !== null) known.remade = { used, configures };
  else if (variable.defs.length === 1) {
    known.unremade = `made by ${factory.name}() at start-up, then configured at line ${line} in a way a worker cannot do again (it reads what only the main loop has, or is more than calls and assignments)`;
  }
  return known;
}

/** A module constant a worker makes again (derivedFrom). */
export interface Remade {
  /** The module bindings its initialiser and its start-up configuration read, with their variables. */
  used: Array<[string, Variable]>;
  /** The file's top-level statements that configure it once made (startupConfiguration), in order. */
  configures: AstNode[];
}

/**
 * The factory that makes `init` (see derivedFrom), or null; `refuse` hears why, when a known factory makes it of
 * what a worker cannot make again.
 */
function factoryOf(init: AstNode | null, scopes: Scopes, used: Array<[string, Variable]>, refuse?: (why: string) => void): Callee | null {
  // a member of what a factory makes: `new JSDOM('').window`
  while (init?.type === 'MemberExpression' && propertyName(init) !== null && (init.object.type === 'CallExpression' || init.object.type === 'NewExpression' || init.object.type === 'TaggedTemplateExpression' || init.object.type === 'MemberExpression')) init = init.object;
  if (!init || (init.type !== 'CallExpression' && init.type !== 'NewExpression' && init.type !== 'TaggedTemplateExpression')) return null;
  const factory = calleePath(calledBy(init), scopes, used);
  if (factory === null) return null;
  const known = factory.global ? GLOBAL_FACTORIES.has(factory.name) : FACTORIES.has(factory.name) || FACTORY_FAMILIES.test(factory.name) || [SCHEMA_PACKAGES, CONFIGURED_PACKAGES, GRAPHQL_PACKAGES].some((set) => set.has(packageName(factory.specifier)));
  if (!known) return null;
  let blamed: string | null = null;
  const blame = (name: string) => (blamed ??= name);
  if (callArguments(init).every((a) => allowedArgument(a, scopes, used, blame))) return factory;
  if (blamed !== null) refuse?.(`made by ${factory.name}() at start-up from \`${blamed}\`, which a worker cannot make again (module memory that code changes, or an object only the main loop has)`);
  return null;
}

/** What a call, a `new` or a tagged template (`gql\`…\``) calls. */
function calledBy(node: AstNode): AstNode {
  return (node.type === 'TaggedTemplateExpression' ? node.tag : node.callee) as AstNode;
}

/** Its arguments: a tagged template's are its substitutions. */
function callArguments(node: AstNode): AstNode[] {
  return (node.type === 'TaggedTemplateExpression' ? node.quasi.expressions : node.arguments) as AstNode[];
}

/**
 * Request handlers packages make from what the app gives them, where a worker can make the same one from the same
 * arguments and run it there: graphql-http's (`app.all('/graphql', createHandler({ schema, rootValue: root }))`, as
 * graphql.org's guide writes it), which runs the query and answers with `res.writeHead(…).end(body)`. `needs: 'body'`:
 * it reads the request's body itself when no parser did (`req.on('data')`), which a request on a worker cannot give:
 * the main loop reads it first and sends it as `req.body`, the text, which graphql-http takes as it takes what the
 * socket gives (runtime: registry.ts madeWrapper).
 */
const HANDLER_FACTORIES = new Map<string, { needs: 'body' | null }>([
  ['graphql-http/lib/use/express.createHandler', { needs: 'body' }],
  // (`http.createServer(createHandler({ schema }))`: it always reads the body from the request's stream, which the
  // worker's request gives from the text the main loop read)
  ['graphql-http/lib/use/http.createHandler', { needs: 'body' }],
]);

/**
 * A dynamic site's call that a known package makes a handler with (HANDLER_FACTORIES), of arguments a worker can make
 * again (as a factory's: derivedFrom): the package function's name, what the handler needs of a request, and the
 * module bindings the arguments read (for the code unit); or why not, when it is such a call; null for anything else.
 */
export function madeHandler(call: AstNode, scopes: Scopes): { name: string; needs: 'body' | null; used: Array<[string, Variable]> } | { name: string; refused: string } | null {
  if (call.type !== 'CallExpression') return null;
  const used: Array<[string, Variable]> = [];
  const made = calleePath(call.callee as AstNode, scopes, used);
  const known = made && !made.global ? HANDLER_FACTORIES.get(made.name) : undefined;
  if (!made || !known) return null;
  let blamed: string | null = null;
  const ok = (call.arguments as AstNode[]).every((a) => allowedArgument(a, scopes, used, (name) => (blamed ??= name)));
  if (!ok) return { name: made.name, refused: blamed !== null ? `it is made of \`${blamed}\`, which a worker cannot make again (module memory that code changes, or an object only the main loop has)` : 'its arguments are more than literals, requires and what a worker can make again' };
  return { name: made.name, needs: known.needs, used };
}

/** The constants whose initialisers are being looked at (`const a = z.object({ b: a })` asks about itself). */
const visiting = new Set<Variable>();

/**
 * The factory of a module constant it made (`const Role = z.enum([…])`, used in `z.object({ role: Role })` or
 * `Role.default('user')`), or null.
 */
function derivedConstant(variable: Variable, scopes: Scopes): Callee | null {
  const def = variable.defs[0];
  if (variable.defs.length !== 1 || def?.type !== 'Variable' || variable.references.some((r) => r.isWrite() && !r.init)) return null;
  const declarator = def.node as unknown as AstNode;
  if (declarator.id.type !== 'Identifier' || visiting.has(variable)) return null;
  visiting.add(variable);
  try {
    const made = factoryOf(declarator.init, scopes, []);
    return made && startupConfiguration(variable, scopes, []) !== null ? made : null;
  } finally {
    visiting.delete(variable);
  }
}

type Callee = { name: string; specifier: string; global: boolean };

/**
 * What a callee names: `util.promisify` (a required binding's package and path, with the specifier required),
 * `Intl.NumberFormat` (a global, `global`), `zod.z.string().min` (a call of what a package makes, chained, when its
 * arguments are allowed ones), or null; the module bindings it goes through are pushed on `used`.
 */
function calleePath(callee: AstNode, scopes: Scopes, used: Array<[string, Variable]>): Callee | null {
  const path = memberPath(callee);
  if (path === null) return null;
  const { root, members } = path;
  const specifier = requireSpecifier(root);
  if (specifier !== null) return { name: [packageOf(specifier), ...members].join('.'), specifier, global: false };
  if ((root.type === 'CallExpression' || root.type === 'NewExpression' || root.type === 'TaggedTemplateExpression') && members.length > 0) {
    const inner = calleePath(calledBy(root), scopes, used);
    if (inner === null || inner.global || !callArguments(root).every((a) => allowedArgument(a, scopes, used))) return null;
    return { name: [`${inner.name}()`, ...members].join('.'), specifier: inner.specifier, global: false };
  }
  if (root.type !== 'Identifier') return null;
  const variable = scopes.referenceOf.get(root)?.resolved;
  if (!variable) return { name: [root.name, ...members].join('.'), specifier: '', global: true };
  const from = moduleRequire(variable, scopes);
  if (!from) {
    // a method of what a factory made (`Role.default('user')`, where `const Role = z.enum([…])`)
    const made = members.length > 0 ? derivedConstant(variable, scopes) : null;
    if (made === null) return null;
    used.push([root.name, variable]);
    return { name: [`${made.name}()`, ...members].join('.'), specifier: made.specifier, global: made.global };
  }
  used.push([root.name, variable]);
  return { name: [packageOf(from.specifier), ...from.path, ...members].join('.'), specifier: from.specifier, global: false };
}

/** `node:util` → `util`; a file's specifier stays as it is (no factory of the table). */
function packageOf(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
}

/** The package a specifier names: `zod/v4` → `zod`, `@sinclair/typebox/compiler` → `@sinclair/typebox`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * A module-level `const` (or a binding never assigned again) holding another app file's memory, got from that file's binding by members, indexes or calls
 * (`const todos = data.todos`, `const first = data.todos[0]`, `const admin = users.byName('admin')`, `const db =
 * data`): the file's
 * specifier, and the path into its exports when it is made of named members only (null otherwise). A handler's
 * `todos.push(x)` changes that file's array, which code reading `data.todos` must see: it is that file's memory,
 * not this file's state (units.ts). App files only: a package's member (`const Router = express.Router`) is not.
 */
export function appFileAlias(variable: Variable, scopes: Scopes): { specifier: string; path: string[] | null } | null {
  const def = variable.defs[0];
  if (!def || def.type !== 'Variable' || variable.scope !== scopes.moduleScope) return null;
  const declarator = def.node as unknown as AstNode;
  if (declarator.id.type !== 'Identifier' || !declarator.init) return null;
  // (a `var` or `let` never assigned again holds it as a `const` does)
  if ((def.parent as unknown as AstNode | undefined)?.kind !== 'const' && variable.references.some((r) => r.isWrite() && !r.init)) return null;
  let root: AstNode = declarator.init;
  let named = true;
  const members: string[] = [];
  for (;;) {
    if (root.type === 'MemberExpression') {
      const name = propertyName(root);
      if (name === null) named = false;
      else members.unshift(name);
      root = root.object;
    } else if (root.type === 'CallExpression') {
      named = false;
      root = root.callee;
    } else if (root.type === 'AwaitExpression' || root.type === 'ChainExpression') root = root.type === 'AwaitExpression' ? root.argument : root.expression;
    else break;
  }
  if (root.type !== 'Identifier') return null;
  const base = scopes.referenceOf.get(root)?.resolved;
  const required = base ? moduleRequire(base, scopes) : null;
  if (required === null || !isLocal(required.specifier)) return null;
  return { specifier: required.specifier, path: named ? [...required.path, ...members] : null };
}

/**
 * A module-level binding of a `require` or an import: its specifier and the path into it (`import { a } from 'x'`
 * → `a`; a default or namespace import → the module itself); null for any other binding.
 */
export function moduleRequire(variable: Variable, scopes: Scopes): Required | null {
  const def = variable.defs[0];
  if (!def || variable.scope !== scopes.moduleScope) return null;
  if (def.type === 'Variable') return requiredFrom(def.node as unknown as AstNode, def.name as unknown as AstNode) ?? packageMember(def.node as unknown as AstNode, def.name as unknown as AstNode, variable, scopes);
  if (def.type === 'ImportBinding') {
    const spec = def.node as unknown as AstNode;
    const imported = spec.type === 'ImportSpecifier' ? (spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value)) : null;
    return { specifier: String((def.parent as unknown as AstNode).source.value), path: imported && imported !== 'default' ? [imported] : [] };
  }
  return null;
}

/** What a module binding requires: a specifier, the path into it, and `import: 'default'` for a member of a default import (`$flx$default(require(…))`). */
type Required = { specifier: string; path: string[]; import?: 'default' };

const aliasing = new Set<Variable>();

/**
 * `const { combine, printf } = winston.format`, `const Console = winston.transports.Console`: a member of a package
 * another module binding requires (`const winston = require('winston')`) is that package's, as `require('winston')
 * .format.combine` is; an import's too (`import winston from 'winston'`: its default, `$flx$default` there). Not an
 * app file's member, which is that file's memory (appFileAlias).
 */
function packageMember(declarator: AstNode, id: AstNode, variable: Variable, scopes: Scopes): Required | null {
  let init: AstNode | null = declarator.init;
  const path: string[] = [];
  while (init?.type === 'MemberExpression') {
    const name = propertyName(init);
    if (name === null) return null;
    path.unshift(name);
    init = init.object;
  }
  if (init?.type !== 'Identifier') return null;
  const base = scopes.referenceOf.get(init)?.resolved;
  if (!base || base === variable || base.scope !== scopes.moduleScope || aliasing.has(base)) return null;
  aliasing.add(variable);
  let from: Required | null;
  try {
    from = moduleRequire(base, scopes);
  } finally {
    aliasing.delete(variable);
  }
  if (!from || isLocal(from.specifier) || from.specifier.startsWith('file:')) return null;
  // (`import winston from 'winston'; const { format } = winston`: the default import's member)
  const spec = base.defs[0]?.type === 'ImportBinding' ? (base.defs[0].node as unknown as AstNode) : null;
  const viaDefault = from.import === 'default' || spec?.type === 'ImportDefaultSpecifier' || (spec?.type === 'ImportSpecifier' && from.path.length === 0);
  const made = (member: string[]): Required => ({ specifier: from.specifier, path: [...from.path, ...path, ...member], ...(viaDefault ? { import: 'default' as const } : {}) });
  if (declarator.id.type === 'Identifier') return declarator.id === id ? made([]) : null;
  if (declarator.id.type !== 'ObjectPattern') return null;
  for (const prop of declarator.id.properties as AstNode[]) {
    if (prop.type !== 'Property' || prop.computed) continue;
    const target = prop.value.type === 'AssignmentPattern' ? prop.value.left : prop.value;
    if (target === id) return made([prop.key.type === 'Identifier' ? prop.key.name : String(prop.key.value)]);
  }
  return null;
}

/**
 * Whether a factory's argument can be made again on a worker (derivedFrom); `blame` hears the name of a module
 * binding that makes it not (a Map its function changes, a client made at start-up).
 */
function allowedArgument(node: AstNode, scopes: Scopes, used: Array<[string, Variable]>, blame?: (name: string) => void): boolean {
  const allowed = (n: AstNode) => allowedArgument(n, scopes, used, blame);
  switch (node.type) {
    case 'Literal':
      return true;
    case 'TemplateLiteral':
      return (node.expressions as AstNode[]).every(allowed);
    // `process.env.LOG_LEVEL || 'info'`, `dev ? 'debug' : 'info'`, `!dev`
    case 'LogicalExpression':
    case 'BinaryExpression':
      return allowed(node.left) && allowed(node.right);
    case 'ConditionalExpression':
      return allowed(node.test) && allowed(node.consequent) && allowed(node.alternate);
    case 'UnaryExpression':
      return node.operator !== 'delete' && allowed(node.argument);
    case 'ArrowFunctionExpression':
    case 'FunctionExpression':
      return selfContained(node, scopes, used, blame);
    case 'ArrayExpression':
      return (node.elements as Array<AstNode | null>).every((e) => e !== null && e.type !== 'SpreadElement' && allowed(e));
    case 'ObjectExpression':
      // (a method, `authors() {…}` of a map of resolvers, is a function as a property's arrow is)
      return (node.properties as AstNode[]).every((p) => p.type === 'Property' && p.kind === 'init' && !p.computed && allowed(p.value));
    case 'Identifier':
    case 'MemberExpression': {
      // `zlib.gzip`, `__dirname`, `process.env.LOG_LEVEL`, a function of the module
      const path = memberPath(node);
      if (path === null) return false;
      const { root, members } = path;
      if (requireSpecifier(root) !== null) return true;
      if (root.type !== 'Identifier') return false;
      const variable = scopes.referenceOf.get(root)?.resolved;
      if (!variable) return (root.name === 'process' && members[0] === 'env') || (members.length === 0 && ['undefined', '__dirname', '__filename'].includes(root.name));
      if (variable.scope !== scopes.moduleScope && variable.scope.type !== 'function') return false;
      // (CommonJS's own `__dirname`, `__filename`: the worker's unit has them too)
      if ((root.name === '__dirname' || root.name === '__filename') && variable.defs.length === 0) return true;
      const def = variable.defs[0];
      if (variable.scope !== scopes.moduleScope || !def) return false;
      if (def.type !== 'FunctionName' && !moduleRequire(variable, scopes) && !(members.length === 0 && derivedConstant(variable, scopes)) && pureFrom(def.node as unknown as AstNode, scopes) === null) {
        blame?.(root.name);
        return false;
      }
      used.push([root.name, variable]);
      return true;
    }
    case 'CallExpression':
    case 'NewExpression':
    case 'TaggedTemplateExpression': {
      // a package itself (`md.use(require('markdown-it-footnote'))`)
      if (requireSpecifier(node) !== null) return !isLocal(requireSpecifier(node)!);
      // `Number(process.env.PORT)`
      if (node.type === 'CallExpression' && node.callee.type === 'Identifier' && CONVERSIONS.has(node.callee.name) && !scopes.referenceOf.get(node.callee)?.resolved) {
        return (node.arguments as AstNode[]).every(allowed);
      }
      // (a random value made again is another value: `new Hashids(crypto.randomBytes(8).toString('hex'))`)
      if (RANDOM.test(calleePath(calledBy(node), scopes, [])?.name ?? '')) return false;
      // what a required package makes (`winston.format.json()`, `new winston.transports.Console()`,
      // `z.string().min(2)`, `gql\`type Query {…}\``): not a file's
      const made = calleePath(calledBy(node), scopes, used);
      if (made === null || made.global || made.specifier.startsWith('.') || made.specifier.startsWith('/')) return false;
      return callArguments(node).every(allowed);
    }
    default:
      return false;
  }
}

/**
 * A function written among a factory's arguments (`winston.format.printf((info) => \`${info.level} ${info.message}\`)`,
 * `z.number().refine((n) => n % 2 === 0)`, a resolver) that reads nothing but its own variables, globals every thread
 * has, requires, the module's functions and constants made again (pushed on `used`), and changes none of them: made
 * again with the object, it does there what it does here. One reading the module's memory (`(n) => seen.has(n)`),
 * changing it (`votes.set(id, n)`: each worker would change its own) or reading an arrow's outer `this` is not.
 */
function selfContained(fn: AstNode, scopes: Scopes, used: Array<[string, Variable]>, blame?: (name: string) => void): boolean {
  const scope = scopes.manager.acquire(fn as never);
  if (!scope || (fn.type === 'ArrowFunctionExpression' && arrowThis(fn.body))) return false;
  const found: Array<[string, Variable]> = [];
  for (const ref of scope.through) {
    const variable = ref.resolved;
    const name = ref.identifier.name;
    if (!variable) {
      if (!REPLAY_GLOBALS.has(name)) return false;
      continue;
    }
    const def = variable.defs[0];
    if (variable.scope !== scopes.moduleScope || !def) return false;
    const module = moduleRequire(variable, scopes) !== null || derivedConstant(variable, scopes) !== null;
    // (a table the top level fills, `for (…) CATALOGUE.push(…)`, read when the function runs: the unit's constant,
    // its value sent to each worker once, units.ts)
    const known = def.type === 'FunctionName' || module || pureFrom(def.node as unknown as AstNode, scopes) !== null || readOnlyAfterStartUp(variable, scopes);
    if (!known || ref.isWrite() || isMutation(ref.identifier as unknown as AstNode, scopes.parentOf, module ? 'module' : def.type === 'FunctionName' ? 'function' : undefined)) {
      blame?.(name);
      return false;
    }
    found.push([name, variable]);
  }
  for (const entry of found) if (!used.some(([, v]) => v === entry[1])) used.push(entry);
  return true;
}

/**
 * A module variable whose every write and change is in the top level's own code (not in a function: `const
 * CATALOGUE = []; for (…) CATALOGUE.push(…)`): once start-up is over, nothing changes it. A function reading it when it
 * runs reads what start-up left, which can go to a worker as a value (not made again: its initialiser alone is not it).
 */
function readOnlyAfterStartUp(variable: Variable, scopes: Scopes): boolean {
  if (variable.defs[0]?.type !== 'Variable' || variable.scope !== scopes.moduleScope) return false;
  return variable.references.every((r) => r.init || r.from.variableScope === scopes.moduleScope || !((r.isWrite()) || isMutation(r.identifier as unknown as AstNode, scopes.parentOf, undefined)));
}

/** `this` in an arrow's body, outside the functions of its own it holds (they have their own `this`). */
function arrowThis(node: unknown): boolean {
  if (!node || typeof node !== 'object') return false;
  if (Array.isArray(node)) return node.some(arrowThis);
  const n = node as AstNode;
  if (n.type === 'ThisExpression' || (n.type === 'Super')) return true;
  if (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration' || (typeof n.type === 'string' && n.type.startsWith('Class'))) return false;
  return Object.keys(n).some((k) => k !== 'loc' && k !== 'range' && typeof n[k] === 'object' && arrowThis(n[k]));
}

/** Package functions whose every call gives another value: what is made of them cannot be made again. */
const RANDOM = /^((node:)?crypto\.(random\w*|generateKey\w*|getRandomValues|createECDH|createDiffieHellman\w*)|uuid(\.\w+)?|nanoid(\.\w+)?|@paralleldrive\/cuid2(\.\w+)?|cuid(\.\w+)?|ulid(\.\w+)?|crypto-random-string)(\(\)\..*)?$/;

/** Package functions that compute a value from their arguments (a module constant made by one is computed again). */
const VALUE_CALLS = /^(node:)?(path\.\w+|url\.(fileURLToPath|pathToFileURL)|util\.format|os\.(hostname|platform|type|arch|homedir|tmpdir)|fs\.readFileSync)$/;

/** Global functions of a value: `Number(process.env.PORT)`. */
const CONVERSIONS = new Set(['Number', 'String', 'Boolean', 'parseInt', 'parseFloat']);

/**
 * A module constant that a factory's arguments or a configuring statement read, a value made of what such arguments
 * may be (`const level = process.env.LOG_LEVEL || 'info'` in `pino({ level })`, `const dev = process.env.NODE_ENV !==
 * 'production'`, `const file = path.join(__dirname, 'app.log')`): the worker computes it again with the object made
 * of it (units.ts factoryInput); the module bindings it reads, or null for any other binding. A handler reading it
 * directly gets the main loop's value, as any constant.
 */
export function pureFrom(declarator: AstNode, scopes: Scopes): Array<[string, Variable]> | null {
  const init: AstNode | null | undefined = declarator.init;
  if (declarator.type !== 'VariableDeclarator' || declarator.id?.type !== 'Identifier' || !init) return null;
  // (another binding's name is that binding; a require is a module)
  if (init.type === 'Identifier' || requiredFrom(declarator, declarator.id) !== null) return null;
  const variable = scopes.declarationOf.get(declarator.id);
  if (!variable || variable.scope !== scopes.moduleScope || variable.defs.length !== 1 || visiting.has(variable)) return null;
  // (changed after it is made, by whatever code, `BOOKS.push(b)`: the worker's copy, made again, would not be)
  if (variable.references.some((r) => (r.isWrite() && !r.init) || isMutation(r.identifier as unknown as AstNode, scopes.parentOf, undefined))) return null;
  visiting.add(variable);
  try {
    const used: Array<[string, Variable]> = [];
    // a call at its top is a value's (`Number(…)`, `path.join(…)`), not what a package makes (`express()`,
    // `createClient()`: an object whose copy would be another; a known factory's is derivedFrom's)
    if (init.type === 'NewExpression') return null;
    if (init.type === 'CallExpression') {
      const callee = init.callee.type === 'Identifier' && !scopes.referenceOf.get(init.callee)?.resolved ? init.callee.name : calleePath(init.callee as AstNode, scopes, [])?.name;
      if (!callee || !(CONVERSIONS.has(callee) || VALUE_CALLS.test(callee))) return null;
    }
    return allowedArgument(init, scopes, used) ? used : null;
  } finally {
    visiting.delete(variable);
  }
}

/** Globals a statement done again on a worker may read: the same on every thread. */
export const REPLAY_GLOBALS = new Set(
  'process __dirname __filename require JSON Math Object Array String Number Boolean Date RegExp Symbol Promise Buffer URL URLSearchParams console undefined NaN Infinity Intl parseInt parseFloat isNaN isFinite encodeURIComponent decodeURIComponent encodeURI decodeURI Error TypeError RangeError Map Set WeakMap WeakSet Reflect BigInt'.split(' '),
);

/** Methods that configure the object they are called on (`logger.add(t)`, `md.use(p)`, `ajv.addSchema(s)`, `td.addRule(…)`). */
const CONFIGURING = /^(add\w*|use|unuse|set\w*|configure|config|enable|disable|remove\w*|clear|register\w*|extend|plugin|on|once|off|prepend\w*|keep|define\w*|option|options)$/;

/**
 * The file's top-level statements that configure a module constant a factory made, once it is made: a
 * configuring method called on it (`logger.add(…)`, `md.use(anchor)`), a member of it assigned (`logger.level =
 * 'debug'`, `md.renderer.rules.x = (…) => …`), or it handed to a package's function (`addFormats(ajv)`), as a
 * statement of its own or under an `if` (`if (process.env.NODE_ENV !== 'production') logger.add(…)`). Its other
 * uses at start-up read it (`logger.info('starting')`, `app.use(expressWinston.logger({ winstonInstance: logger }))`),
 * and what functions do with it later is theirs. Null when such a statement cannot be done again on a worker: it reads
 * a variable of the module other than requires, the module's functions and such constants (pushed on `used`), or
 * is not made of calls and assignments only.
 */
function startupConfiguration(variable: Variable, scopes: Scopes, used: Array<[string, Variable]>, failed?: (statement: AstNode) => void): AstNode[] | null {
  const program = scopes.moduleScope.block as unknown as AstNode;
  const out: AstNode[] = [];
  for (const ref of variable.references) {
    if (ref.init || ref.from.variableScope !== scopes.moduleScope) continue; // its declaration; a function's code
    const id = ref.identifier as unknown as AstNode;
    const top = (program.body as AstNode[]).find((s) => s.start <= id.start && id.end <= s.end);
    if (!top || out.includes(top)) continue;
    const use = configuringUse(ancestors(top, id), id, scopes);
    if (use === 'read') continue;
    if (use === 'unknown' || !replayable(top, variable, scopes, used)) {
      failed?.(top);
      return null;
    }
    out.push(top);
  }
  return out;
}

/**
 * Why a module constant a known factory makes is not made again on a worker, when that is because of what the top
 * level does to it after (startupConfiguration): `made by winston.createLogger(), then configured at line 14 in a way
 * a worker cannot do again (reading a variable of the module, in a loop)`; null otherwise. Code using it stays on the
 * main loop, where the object is (units.ts): neither its copy nor its value could go.
 */
export function unremadeReason(declarator: AstNode, scopes: Scopes): string | null {
  return remaking(declarator, scopes).unremade;
}

/** The nodes from `top` down to `target`'s parent. */
function ancestors(top: AstNode, target: AstNode): AstNode[] {
  const chain: AstNode[] = [];
  let node: AstNode | undefined = top;
  while (node && node !== target) {
    chain.push(node);
    let next: AstNode | undefined;
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'range') continue;
      const value = (node as Record<string, unknown>)[key];
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof (child as AstNode).type === 'string' && (child as AstNode).start <= target.start && target.end <= (child as AstNode).end) next = child as AstNode;
      }
      if (next) break;
    }
    node = next;
  }
  return chain;
}

/** What a top-level use of the constant does to it (startupConfiguration): `unknown`, its binding assigned. */
function configuringUse(chain: AstNode[], id: AstNode, scopes: Scopes): 'configures' | 'read' | 'unknown' {
  let node = id;
  let i = chain.length - 1;
  while (i >= 0 && chain[i]!.type === 'MemberExpression' && chain[i]!.object === node) node = chain[i--]!;
  const parent = chain[i];
  if (!parent) return 'read';
  if (node === id && ((parent.type === 'AssignmentExpression' && parent.left === id) || parent.type === 'UpdateExpression')) return 'unknown';
  if (node !== id) {
    if (parent.type === 'CallExpression' && parent.callee === node) return CONFIGURING.test(propertyName(node) ?? '') ? 'configures' : 'read';
    if ((parent.type === 'AssignmentExpression' && parent.left === node) || parent.type === 'UpdateExpression' || (parent.type === 'UnaryExpression' && parent.operator === 'delete')) return 'configures';
    return 'read';
  }
  // handed to a package's function, as a statement: `addFormats(ajv);`, `require('ajv-errors')(ajv);` (one whose
  // result is used makes something of it: `combine(timestamp(), logFormat)`)
  if (parent.type !== 'CallExpression' || !(parent.arguments as AstNode[]).includes(id) || chain[i - 1]?.type !== 'ExpressionStatement') return 'read';
  const path = memberPath(parent.callee as AstNode);
  if (!path) return 'read';
  if (requireSpecifier(path.root) !== null) return 'configures';
  const callee = path.root.type === 'Identifier' ? scopes.referenceOf.get(path.root)?.resolved : null;
  const from = callee ? moduleRequire(callee, scopes) : null;
  return from && !isLocal(from.specifier) ? 'configures' : 'read';
}

/**
 * Whether a top-level statement can be done again on a worker after the constant is made: calls and assignments,
 * under `if`s, reading the constant, globals every thread has, requires, the module's functions and other such
 * constants (pushed on `used`), and what it declares itself (a callback's parameters).
 */
function replayable(top: AstNode, self: Variable, scopes: Scopes, used: Array<[string, Variable]>): boolean {
  const shaped = (s: AstNode | null | undefined): boolean => {
    if (!s) return true;
    if (s.type === 'BlockStatement') return (s.body as AstNode[]).every(shaped);
    if (s.type === 'IfStatement') return shaped(s.consequent) && shaped(s.alternate);
    return s.type === 'ExpressionStatement' && (s.expression.type === 'CallExpression' || s.expression.type === 'AssignmentExpression');
  };
  if (!shaped(top)) return false;
  const found: Array<[string, Variable]> = [];
  const ok = (node: AstNode): boolean => {
    if (node.type === 'ThisExpression' || node.type === 'MetaProperty' || node.type === 'ImportExpression') return false;
    if (node.type === 'Identifier') {
      const ref = scopes.referenceOf.get(node);
      if (!ref) return true; // (a property name, a declaration)
      const variable = ref.resolved;
      if (!variable) return REPLAY_GLOBALS.has(node.name);
      if (variable === self) return true;
      const def = variable.defs[0];
      const inside = def && (def.name as unknown as AstNode).start >= top.start && (def.name as unknown as AstNode).end <= top.end;
      if (inside) return true;
      if (variable.scope !== scopes.moduleScope || ref.isWrite() || !def) return false;
      if (def.type === 'FunctionName' || moduleRequire(variable, scopes) || derivedConstant(variable, scopes) || pureFrom(def.node as unknown as AstNode, scopes) !== null) {
        found.push([node.name, variable]);
        return true;
      }
      return false;
    }
    for (const key of Object.keys(node)) {
      if (key === 'loc' || key === 'range') continue;
      const value = (node as Record<string, unknown>)[key];
      for (const child of Array.isArray(value) ? value : [value]) {
        if (child && typeof (child as AstNode).type === 'string' && !ok(child as AstNode)) return false;
      }
    }
    return true;
  };
  if (!ok(top)) return false;
  for (const entry of found) if (!used.some(([, v]) => v === entry[1])) used.push(entry);
  return true;
}

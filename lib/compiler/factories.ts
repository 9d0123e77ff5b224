/**
 * Module constants a worker makes again instead of receiving them: what a known factory makes at start-up from
 * literals and from what the module requires — a function Node's `util` wraps (`promisify(fs.readFile)`), a logger
 * (`winston.createLogger({…})`, `pino()`, `require('debug')('app')`), a formatter (`new Intl.NumberFormat('en')`),
 * `new TextEncoder()`, an AsyncLocalStorage (a copy made on a worker takes the request's store, contexts.ts), a validation schema (`z.object({ name: z.string().min(2) })`, `Joi.object({…})`). Their
 * values cannot travel (functions, instances of classes), and they hold configuration only: a copy made on the
 * worker from the same text behaves as the main loop's does. Their bindings are taken as modules are
 * (`logger.info(…)`, `schema.parse(body)` do not write module memory).
 */
import { memberPath, propertyName, requireSpecifier, requiredFrom, type AstNode } from './ast';
import type { Scopes, Variable } from './scopes';
import { isLocal } from '../specifiers';

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
  // (the request's context store of the app's: a worker's copy takes the store a message carries, contexts.ts)
  'async_hooks.AsyncLocalStorage',
]);

/**
 * Packages of validation schemas: whatever they make is an immutable description of data (each method returns a
 * new schema: `z.string().min(2)`, `Joi.object({…}).unknown()`), so every call into them, chained, is a factory.
 */
const SCHEMA_PACKAGES = new Set(['zod', 'joi', '@hapi/joi', 'yup', 'superstruct', 'valibot', '@sinclair/typebox']);

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
 * For a module constant's initialiser made by one of those factories (`const gzip = util.promisify(zlib.gzip)`,
 * `const log = winston.createLogger({ transports: [new winston.transports.Console()] })`): the module bindings it is
 * made of (required packages or files, the module's functions), with their variables, for the unit to bring along;
 * null for anything else. Arguments may be literals, object and array literals of them, `__dirname`, `process.env.X`,
 * and what required bindings hold or make (`winston.format.json()`, `path.join(__dirname, 'logs')`).
 */
export function derivedFrom(init: AstNode | null, scopes: Scopes): Array<[string, Variable]> | null {
  const used: Array<[string, Variable]> = [];
  return factoryOf(init, scopes, used) ? used : null;
}

/** The factory that makes `init` (see derivedFrom), or null. */
function factoryOf(init: AstNode | null, scopes: Scopes, used: Array<[string, Variable]>): Callee | null {
  if (!init || (init.type !== 'CallExpression' && init.type !== 'NewExpression')) return null;
  const factory = calleePath(init.callee as AstNode, scopes, used);
  if (factory === null) return null;
  const known = factory.global ? GLOBAL_FACTORIES.has(factory.name) : FACTORIES.has(factory.name) || SCHEMA_PACKAGES.has(packageName(factory.specifier));
  return known && (init.arguments as AstNode[]).every((a) => allowedArgument(a, scopes, used)) ? factory : null;
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
    return factoryOf(declarator.init, scopes, []);
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
  if (root.type === 'CallExpression' && members.length > 0) {
    const inner = calleePath(root.callee as AstNode, scopes, used);
    if (inner === null || inner.global || !(root.arguments as AstNode[]).every((a) => allowedArgument(a, scopes, used))) return null;
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
export function moduleRequire(variable: Variable, scopes: Scopes): { specifier: string; path: string[] } | null {
  const def = variable.defs[0];
  if (!def || variable.scope !== scopes.moduleScope) return null;
  if (def.type === 'Variable') return requiredFrom(def.node as unknown as AstNode, def.name as unknown as AstNode);
  if (def.type === 'ImportBinding') {
    const spec = def.node as unknown as AstNode;
    const imported = spec.type === 'ImportSpecifier' ? (spec.imported.type === 'Identifier' ? spec.imported.name : String(spec.imported.value)) : null;
    return { specifier: String((def.parent as unknown as AstNode).source.value), path: imported && imported !== 'default' ? [imported] : [] };
  }
  return null;
}

function allowedArgument(node: AstNode, scopes: Scopes, used: Array<[string, Variable]>): boolean {
  switch (node.type) {
    case 'Literal':
      return true;
    case 'TemplateLiteral':
      return node.expressions.length === 0;
    case 'ArrayExpression':
      return (node.elements as Array<AstNode | null>).every((e) => e !== null && e.type !== 'SpreadElement' && allowedArgument(e, scopes, used));
    case 'ObjectExpression':
      return (node.properties as AstNode[]).every((p) => p.type === 'Property' && p.kind === 'init' && !p.method && !p.computed && allowedArgument(p.value, scopes, used));
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
      if (def.type !== 'FunctionName' && !moduleRequire(variable, scopes) && !(members.length === 0 && derivedConstant(variable, scopes))) return false;
      used.push([root.name, variable]);
      return true;
    }
    case 'CallExpression':
    case 'NewExpression': {
      // what a required package makes (`winston.format.json()`, `new winston.transports.Console()`,
      // `z.string().min(2)`): not a file's
      const callee = calleePath(node.callee as AstNode, scopes, used);
      if (callee === null || callee.global || callee.specifier.startsWith('.') || callee.specifier.startsWith('/')) return false;
      return (node.arguments as AstNode[]).every((a) => allowedArgument(a, scopes, used));
    }
    default:
      return false;
  }
}

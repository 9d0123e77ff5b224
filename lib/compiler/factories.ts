/**
 * Module constants a worker makes again instead of receiving them: what a known factory makes at start-up from
 * literals and from what the module requires — a function Node's `util` wraps (`promisify(fs.readFile)`), a logger
 * (`winston.createLogger({…})`, `pino()`, `require('debug')('app')`), a formatter (`new Intl.NumberFormat('en')`),
 * `new TextEncoder()`. Their values cannot travel (functions, instances of classes), and they hold configuration
 * only: a copy made on the worker from the same text behaves as the main loop's does. Their bindings are taken as
 * modules are (`logger.info(…)` does not write module memory).
 */
import { propertyName, requireSpecifier, requiredFrom, type AstNode } from './ast';
import type { Scopes, Variable } from './scopes';

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
]);

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
  if (!init || (init.type !== 'CallExpression' && init.type !== 'NewExpression')) return null;
  const used: Array<[string, Variable]> = [];
  const factory = calleePath(init.callee as AstNode, scopes, used);
  if (factory === null || !(factory.global ? GLOBAL_FACTORIES : FACTORIES).has(factory.name)) return null;
  return (init.arguments as AstNode[]).every((a) => allowedArgument(a, scopes, used)) ? used : null;
}

/**
 * What a callee names: `util.promisify` (a required binding's package and path), `Intl.NumberFormat` (a global,
 * `global`), or null; the module bindings it goes through are pushed on `used`.
 */
function calleePath(callee: AstNode, scopes: Scopes, used: Array<[string, Variable]>): { name: string; global: boolean } | null {
  const members: string[] = [];
  let root = callee;
  while (root.type === 'MemberExpression') {
    const name = propertyName(root);
    if (name === null) return null;
    members.unshift(name);
    root = root.object;
  }
  const specifier = requireSpecifier(root);
  if (specifier !== null) return { name: [packageOf(specifier), ...members].join('.'), global: false };
  if (root.type !== 'Identifier') return null;
  const variable = scopes.referenceOf.get(root)?.resolved;
  if (!variable) return { name: [root.name, ...members].join('.'), global: true };
  const from = moduleRequire(variable, scopes);
  if (!from) return null;
  used.push([root.name, variable]);
  return { name: [packageOf(from.specifier), ...from.path, ...members].join('.'), global: false };
}

/** `node:util` → `util`; a file's specifier stays as it is (no factory of the table). */
function packageOf(specifier: string): string {
  return specifier.startsWith('node:') ? specifier.slice(5) : specifier;
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
      let root = node;
      const members: string[] = [];
      while (root.type === 'MemberExpression') {
        const name = propertyName(root);
        if (name === null) return false;
        members.unshift(name);
        root = root.object;
      }
      if (requireSpecifier(root) !== null) return true;
      if (root.type !== 'Identifier') return false;
      const variable = scopes.referenceOf.get(root)?.resolved;
      if (!variable) return (root.name === 'process' && members[0] === 'env') || (members.length === 0 && ['undefined', '__dirname', '__filename'].includes(root.name));
      if (variable.scope !== scopes.moduleScope && variable.scope.type !== 'function') return false;
      // (CommonJS's own `__dirname`, `__filename`: the worker's unit has them too)
      if ((root.name === '__dirname' || root.name === '__filename') && variable.defs.length === 0) return true;
      const def = variable.defs[0];
      if (variable.scope !== scopes.moduleScope || !def) return false;
      if (def.type !== 'FunctionName' && !moduleRequire(variable, scopes)) return false;
      used.push([root.name, variable]);
      return true;
    }
    case 'CallExpression':
    case 'NewExpression': {
      // what a required package makes (`winston.format.json()`, `new winston.transports.Console()`): not a file's
      const callee = calleePath(node.callee as AstNode, scopes, used);
      if (callee === null || callee.global || callee.name.startsWith('.') || callee.name.startsWith('/')) return false;
      return (node.arguments as AstNode[]).every((a) => allowedArgument(a, scopes, used));
    }
    default:
      return false;
  }
}

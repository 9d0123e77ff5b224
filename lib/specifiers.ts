/** A module specifier naming a file (relative or absolute), not a package: an app file, for the state check. */
export function isLocal(specifier: string): boolean {
  return /^(?:\.{1,2}(?:\/|$)|\/)/.test(specifier);
}

/** Why code that calls into `file` cannot run on another event loop (the runtime and `fluxion explain` say the same). */
export function keepsState(file: string, state: string[]): string {
  const what = state.map((n) => (n === 'this' ? 'objects it made at load time' : `\`${n}\``)).join(', ');
  return `it calls into ${file}, which keeps ${what} in its module memory`;
}

/** Why code that reads the global `name`, which Node does not define, cannot run on another event loop. */
export function appGlobalReason(name: string): string {
  return `it reads the global \`${name}\`, which Node does not define (the app's): a worker has globals of its own`;
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
export function statefulPackage(specifier: string, stateful: string[], through: string | null): string | null {
  const name = specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  if (!stateful.includes(name)) return null;
  return `it calls into the package \`${name}\`${through ? ` (through ${through})` : ''}, whose module memory holds connections or configuration made at start-up (statefulPackages)`;
}

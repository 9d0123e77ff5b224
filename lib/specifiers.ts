/** A module specifier naming a file (relative or absolute), not a package: an app file, for the state check. */
export function isLocal(specifier: string): boolean {
  return /^(?:\.{1,2}(?:\/|$)|\/)/.test(specifier);
}

/** Why code that calls into `file` cannot run on another event loop (the runtime and `fluxion explain` say the same). */
export function keepsState(file: string, state: string[]): string {
  const what = state.map((n) => (n === 'this' ? 'objects it made at load time' : `\`${n}\``)).join(', ');
  return `it calls into ${file}, which keeps ${what} in its module memory`;
}

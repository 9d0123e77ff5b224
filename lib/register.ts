/**
 * What `node -r fluxion/register` runs. For now it only makes sure fluxion is initialised once per process
 * (`-r` plus NODE_OPTIONS) and leaves the app untouched: the require hook and runtime come next (issue 3).
 */
const INITIALISED = Symbol.for('fluxion.register');

type Marked = typeof globalThis & { [INITIALISED]?: boolean };

export function register(): void {
  const g = globalThis as Marked;
  if (g[INITIALISED]) return;
  g[INITIALISED] = true;
  if (process.env.FLUXION_ENABLED === 'false' || process.env.FLUXION_ENABLED === '0') return;
}

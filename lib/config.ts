/**
 * Project configuration for the compiler: `fluxion.config.json` or `package.json#fluxion`, found from the
 * app's folder upwards. Only the compile-time part lives here for now (`rupturePoints`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateCalleeSpecs } from './compiler/catalogue';
import { FluxionError } from './errors';
import type { CalleeSpec } from './types';

export interface ProjectConfig {
  rupturePoints: CalleeSpec[];
  /** The file it came from, if any. */
  from: string | null;
}

export function loadProjectConfig(startFile: string): ProjectConfig {
  for (let dir = path.dirname(path.resolve(startFile)); ; dir = path.dirname(dir)) {
    const own = path.join(dir, 'fluxion.config.json');
    if (fs.existsSync(own)) return fromObject(readJson(own), own, 'fluxion.config.json');
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      const json = readJson(pkg) as { fluxion?: unknown };
      return json.fluxion === undefined ? { rupturePoints: [], from: null } : fromObject(json.fluxion, pkg, 'package.json#fluxion');
    }
    if (path.dirname(dir) === dir) return { rupturePoints: [], from: null };
  }
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new FluxionError('E_OPTION', `invalid JSON: ${(error as Error).message}`, { file });
  }
}

function fromObject(value: unknown, file: string, label: string): ProjectConfig {
  if (!value || typeof value !== 'object') throw new FluxionError('E_OPTION', `${label} must be an object`, { file });
  const raw = (value as { rupturePoints?: unknown }).rupturePoints;
  try {
    return { rupturePoints: raw === undefined ? [] : validateCalleeSpecs(raw, `${label}.rupturePoints`), from: file };
  } catch (error) {
    throw new FluxionError('E_OPTION', (error as Error).message, { file });
  }
}

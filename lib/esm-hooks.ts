/**
 * Module customization hooks for ES modules (`module.register`, Node >= 20.6): the same transform, cache,
 * options and fail-open behaviour as the require hook. The load hook asks the next hook in the chain first
 * (another loader such as tsx or import-in-the-middle, then Node), so fluxion rewrites what they produced and
 * never replaces them. These hooks run in Node's hooks thread; the rewritten code runs in the main thread.
 */
import { fileURLToPath } from 'node:url';
import type { Options } from './config';
import { setLogLevel } from './debug';
import { createTransformer, type Transformer } from './hook';

export interface HooksData {
  options: Options;
  version: string;
}

let transformer: Transformer | null = null;

export function initialize(data: HooksData): void {
  setLogLevel(data.options.logLevel);
  transformer = createTransformer(data.options, data.version, { warnings: false });
}

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | ArrayBufferView | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;

export async function load(url: string, context: unknown, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (!transformer || result.format !== 'module' || !url.startsWith('file:') || result.source == null) return result;
  const filename = fileURLToPath(url);
  if (!transformer.matcher(filename)) return result;
  const source =
    typeof result.source === 'string'
      ? result.source
      : Buffer.from(result.source instanceof ArrayBuffer ? new Uint8Array(result.source) : new Uint8Array(result.source.buffer, result.source.byteOffset, result.source.byteLength)).toString('utf8');
  const out = transformer.transform(source, filename, 'module');
  return out === source ? result : { ...result, source: out };
}

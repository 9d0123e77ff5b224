/** Parse step: source text → ESTree (meriyah), the way Node would read the file. */
import { parse as meriyahParse, isParseError } from 'meriyah';
import { FluxionError } from '../errors';
import type { AstNode } from './ast';

export interface Parsed {
  ast: AstNode;
  sourceType: 'commonjs' | 'module';
  /** Comments, for `/* fluxion ignore *\/` markers. */
  comments: Array<{ type: string; value: string; start: number; end: number }>;
}

function attempt(source: string, sourceType: 'commonjs' | 'module'): Parsed {
  const comments: Parsed['comments'] = [];
  const ast = meriyahParse(source, {
    sourceType,
    next: true,
    loc: true,
    ranges: true,
    // Node parses scripts in sloppy mode with Annex B (HTML comments, legacy octals…).
    webcompat: sourceType === 'commonjs',
    // comments matter only as `fluxion ignore` markers: a file without the word keeps none
    ...(source.includes('fluxion') ? { onComment: (type: string, value: string, start: number, end: number) => comments.push({ type, value, start, end }) } : {}),
  }) as unknown as AstNode;
  return { ast, sourceType, comments };
}

/**
 * Parse `source`. With no `sourceType`, CommonJS is tried first and ES module syntax is accepted
 * when the file only parses as a module (Node's own syntax detection for ambiguous `.js` files).
 * A syntax error becomes a FluxionError `E_SYNTAX` with the parser's message, file:line:col and a frame.
 */
export function parse(source: string, filename: string, sourceType?: 'commonjs' | 'module'): Parsed {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  try {
    return attempt(text, sourceType ?? 'commonjs');
  } catch (first) {
    if (sourceType === undefined && isParseError(first)) {
      try {
        return attempt(text, 'module');
      } catch {
        // report the CommonJS error: that is what Node reports for an ambiguous file
      }
    }
    throw toFluxionError(first, text, filename);
  }
}

function toFluxionError(error: unknown, source: string, filename: string): Error {
  if (!isParseError(error)) return error instanceof Error ? error : new Error(String(error));
  const message = error.description || error.message.replace(/^\[[^\]]*\]:\s*/, '');
  return new FluxionError('E_SYNTAX', `SyntaxError: ${message}`, {
    file: filename,
    line: error.loc.start.line,
    column: error.loc.start.column,
    source,
  });
}

/**
 * Code generation by splicing: the rewrite inserts text into the original source and never adds a line
 * break, so every line of the generated code is the line of the original. Stack traces name the original
 * lines with no source-map machinery at all; only columns after an insertion on the same line move, and
 * the source map built here (for `--enable-source-maps` users) puts them back.
 *
 * Why not regenerate the file with astring: codegen renumbers lines, so every stack trace would need a
 * source map, and the only ways to apply one (source-map-support's prepareStackTrace, Node's
 * `--enable-source-maps`) are process-wide: they would also change the stack traces of modules fluxion does
 * not touch (e.g. dependencies that ship maps), and "the app behaves exactly as without fluxion" includes
 * its stack traces.
 */

export interface Insertion {
  /** Offset in the original source; text is inserted before the character at `at`. */
  at: number;
  text: string;
  /** Order among insertions at the same offset (lower first). */
  order?: number;
}

export interface Spliced {
  code: string;
  /** Source map v3 (only columns move: one segment per insertion boundary). */
  map: { version: 3; sources: string[]; names: string[]; mappings: string; file?: string; sourcesContent?: string[] };
}

export function splice(source: string, insertions: Insertion[], sourceName: string): Spliced {
  for (const ins of insertions) {
    if (/[\n\r\u2028\u2029]/.test(ins.text)) throw new Error(`fluxion internal: an insertion must not add a line (${JSON.stringify(ins.text)})`);
  }
  const sorted = insertions
    .map((ins, i) => ({ ...ins, i }))
    .sort((a, b) => a.at - b.at || (a.order ?? 0) - (b.order ?? 0) || a.i - b.i);
  let code = '';
  let last = 0;
  // mappings: per generated line, segments [genCol, 0, origLine, origCol] relative-encoded
  const lineStarts = lineStartsOf(source);
  const shifts: Array<Array<{ genCol: number; origCol: number }>> = lineStarts.map(() => []);
  const colShift = new Map<number, number>(); // line -> accumulated shift
  for (const ins of sorted) {
    code += source.slice(last, ins.at) + ins.text;
    last = ins.at;
    const line = lineOf(lineStarts, ins.at);
    const origCol = ins.at - lineStarts[line];
    const shift = (colShift.get(line) ?? 0) + ins.text.length;
    colShift.set(line, shift);
    shifts[line].push({ genCol: origCol + shift, origCol });
  }
  code += source.slice(last);

  const lines: string[] = [];
  let prevOrigLine = 0;
  let prevOrigCol = 0;
  for (let line = 0; line < lineStarts.length; line++) {
    const segments: Array<[number, number]> = [[0, 0], ...shifts[line].map((s) => [s.genCol, s.origCol] as [number, number])];
    let prevGenCol = 0;
    const encoded: string[] = [];
    for (const [genCol, origCol] of segments) {
      encoded.push(vlq(genCol - prevGenCol) + vlq(0) + vlq(line - prevOrigLine) + vlq(origCol - prevOrigCol));
      prevGenCol = genCol;
      prevOrigLine = line;
      prevOrigCol = origCol;
    }
    lines.push(encoded.join(','));
  }
  return { code, map: { version: 3, sources: [sourceName], names: [], mappings: lines.join(';') } };
}

function lineStartsOf(source: string): number[] {
  const starts = [0];
  const re = /\r\n|[\n\r\u2028\u2029]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) starts.push(m.index + m[0].length);
  return starts;
}

function lineOf(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function vlq(value: number): string {
  let v = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = '';
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v > 0) digit |= 32;
    out += BASE64[digit];
  } while (v > 0);
  return out;
}

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

export interface SourceMap {
  version: 3;
  sources: string[];
  names: string[];
  mappings: string;
  sourcesContent?: Array<string | null>;
}

export interface Spliced {
  code: string;
  /** Source map v3, built on demand (only columns move). */
  map(): SourceMap;
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
  for (const ins of sorted) {
    code += source.slice(last, ins.at) + ins.text;
    last = ins.at;
  }
  code += source.slice(last);
  return { code, map: () => ({ version: 3, sources: [sourceName], names: [], mappings: mappings(source, sorted) }) };
}

/**
 * A "hires" map: V8 reports the position of a call or a throw, and Node's source-map lookup returns the
 * original position of the closest segment at or before it without adding the offset, so every token
 * start needs its own segment for columns to be exact.
 */
function mappings(source: string, sorted: Insertion[]): string {
  const starts = lineStartsOf(source);
  const out: string[] = [];
  let k = 0;
  let prevOrigLine = 0;
  let prevOrigCol = 0;
  for (let line = 0; line < starts.length; line++) {
    const from = starts[line];
    const to = line + 1 < starts.length ? starts[line + 1] : source.length;
    let shift = 0;
    let prevGen = 0;
    const segments: string[] = [];
    for (let p = from; p < to; p++) {
      let inserted = false;
      while (k < sorted.length && sorted[k].at === p) {
        shift += sorted[k].text.length;
        k++;
        inserted = true;
      }
      const c = source.charCodeAt(p);
      if (c === 10 || c === 13) break;
      const prev = p > from ? source.charCodeAt(p - 1) : 32;
      const boundary = p === from || inserted || (isWord(c) ? !isWord(prev) : !isSpace(c));
      if (!boundary) continue;
      const gen = p - from + shift;
      const col = p - from;
      segments.push(vlq(gen - prevGen) + vlq(0) + vlq(line - prevOrigLine) + vlq(col - prevOrigCol));
      prevGen = gen;
      prevOrigLine = line;
      prevOrigCol = col;
    }
    while (k < sorted.length && sorted[k].at < to) k++;
    out.push(segments.join(','));
  }
  return out.join(';');
}

function isWord(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 36 || c === 95 || c > 127;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

function lineStartsOf(source: string): number[] {
  const starts = [0];
  const re = /\r\n|[\n\r\u2028\u2029]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(source)) !== null) starts.push(m.index + m[0].length);
  return starts;
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

/** One decoded mapping segment: generated column, then (source, line, column[, name]) when it has them. */
type Segment = number[];

function decodeMappings(mappings: string): Segment[][] {
  const lines: Segment[][] = [];
  const state = [0, 0, 0, 0, 0];
  for (const line of mappings.split(';')) {
    const segments: Segment[] = [];
    state[0] = 0;
    if (line) {
      for (const text of line.split(',')) {
        if (!text) continue;
        const values = decodeVlq(text);
        for (let i = 0; i < values.length && i < 5; i++) state[i] = (state[i] ?? 0) + (values[i] ?? 0);
        segments.push(state.slice(0, values.length >= 5 ? 5 : values.length >= 4 ? 4 : 1));
      }
    }
    segments.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    lines.push(segments);
  }
  return lines;
}

function decodeVlq(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (let i = 0; i < text.length; i++) {
    const digit = BASE64.indexOf(text[i]);
    if (digit < 0) throw new Error(`invalid base64 VLQ character ${JSON.stringify(text[i])}`);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}

/** A source map as a compiler before fluxion wrote it (TypeScript, Babel, esbuild…). */
export interface InputSourceMap {
  version: number;
  sources: string[];
  names?: string[];
  mappings: string;
  sourcesContent?: Array<string | null>;
  sourceRoot?: string;
  sections?: unknown;
  file?: string;
}

/**
 * Chains fluxion's map (generated → the file as it was read) with the file's own map (the file as read →
 * its sources): each of our segments takes the original position the input map gives for the position it
 * maps to, the way Node looks a position up (the closest segment at or before it, no offset added), so a
 * frame maps to exactly what it maps to without fluxion. `sources` are made absolute against `base` (the
 * URL the input map was read from), since the chained map is inlined into the generated file. An index map
 * (`sections`, as some bundlers write) is read as Node reads it: each section's map shifted by its offset.
 */
export function chainSourceMaps(ours: SourceMap, input: InputSourceMap, base: string): SourceMap {
  const read: ReadMap = { entries: [], sources: [], names: [], contents: [] };
  readMap(input, base, 0, 0, read);
  const { entries } = read;
  const ourLines = decodeMappings(ours.mappings);
  const out: string[] = [];
  let prevSource = 0;
  let prevLine = 0;
  let prevCol = 0;
  let prevName = 0;
  for (let line = 0; line < ourLines.length; line++) {
    let prevGen = 0;
    const segments: string[] = [];
    for (const [gen, , inLine, inCol] of ourLines[line]) {
      if (gen === undefined || inLine === undefined || inCol === undefined) continue;
      const [, source, origLine, origCol, name] = findEntry(entries, inLine, inCol) ?? [];
      let text = vlq(gen - prevGen);
      prevGen = gen;
      // unmapped there without fluxion: unmapped with it
      if (source !== undefined && origLine !== undefined && origCol !== undefined) {
        text += vlq(source - prevSource) + vlq(origLine - prevLine) + vlq(origCol - prevCol);
        prevSource = source;
        prevLine = origLine;
        prevCol = origCol;
        if (name !== undefined) {
          text += vlq(name - prevName);
          prevName = name;
        }
      }
      segments.push(text);
    }
    out.push(segments.join(','));
  }
  const withContent = read.contents.some((c) => c != null);
  return { version: 3, sources: read.sources, names: read.names, mappings: out.join(';'), ...(withContent ? { sourcesContent: read.contents } : {}) };
}

interface ReadMap {
  /** Every segment in (line, column) order, as Node searches them: across lines. */
  entries: Array<{ line: number; seg: Segment }>;
  sources: string[];
  names: string[];
  contents: Array<string | null>;
}

/** Appends `map`'s segments (shifted by a section's offset: lines, and columns on its first line) to `into`. */
function readMap(map: InputSourceMap, base: string, lineOffset: number, columnOffset: number, into: ReadMap): void {
  if (map.version !== 3) throw new Error('not a version 3 source map');
  if (map.sections !== undefined) {
    if (!Array.isArray(map.sections)) throw new Error('an index map whose `sections` is not an array');
    for (const section of map.sections as Array<{ offset?: { line?: unknown; column?: unknown }; map?: InputSourceMap; url?: unknown }>) {
      const { line, column } = section?.offset ?? {};
      if (typeof line !== 'number' || typeof column !== 'number') throw new Error('an index map section without a numeric offset');
      if (!section.map) throw new Error('an index map section without an inline `map` (`url` sections are not read)');
      readMap(section.map, base, lineOffset + line, line === 0 ? columnOffset + column : column, into);
    }
    return;
  }
  if (!Array.isArray(map.sources) || typeof map.mappings !== 'string') throw new Error('a source map without sources or mappings');
  const sourceBase = into.sources.length;
  const nameBase = into.names.length;
  decodeMappings(map.mappings).forEach((segments, l) => {
    for (const seg of segments) {
      const shifted = [...seg];
      if (l === 0) shifted[0] = (shifted[0] ?? 0) + columnOffset;
      if (shifted.length >= 4) shifted[1] = (shifted[1] ?? 0) + sourceBase;
      if (shifted.length >= 5) shifted[4] = (shifted[4] ?? 0) + nameBase;
      into.entries.push({ line: lineOffset + l, seg: shifted });
    }
  });
  const root = map.sourceRoot ?? '';
  map.sources.forEach((s, i) => {
    let url: string;
    try {
      url = new URL(root + s, base).href;
    } catch {
      url = root + s;
    }
    into.sources.push(url);
    into.contents.push(map.sourcesContent?.[i] ?? null);
  });
  into.names.push(...(map.names ?? []));
}

/** Node's lookup: the last entry at or before (line, column), or null when it comes before the first. */
function findEntry(entries: Array<{ line: number; seg: Segment }>, line: number, column: number): Segment | null {
  let lo = 0;
  let hi = entries.length - 1;
  let found: Segment | null = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = entries[mid];
    if (e.line < line || (e.line === line && (e.seg[0] ?? 0) <= column)) {
      found = e.seg;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Errors fluxion reports to users: one line naming the file (and line:column), plus a code frame. */

export type FluxionErrorCode =
  | 'E_SYNTAX'
  | 'E_NOT_FOUND'
  | 'E_IS_DIRECTORY'
  | 'E_BINARY'
  | 'E_READ'
  | 'E_OPTION'
  | 'E_USAGE';

export class FluxionError extends Error {
  readonly code: FluxionErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** A few lines of the source around the location, with a caret; empty when there is no location. */
  readonly frame: string;

  constructor(
    code: FluxionErrorCode,
    message: string,
    where: { file?: string; line?: number; column?: number; source?: string } = {},
  ) {
    super(message);
    this.name = 'FluxionError';
    this.code = code;
    this.file = where.file;
    this.line = where.line;
    this.column = where.column;
    this.frame =
      where.source !== undefined && where.line !== undefined
        ? codeFrame(where.source, where.line, where.column ?? 0)
        : '';
  }

  /** `file:line:col: message` (the form editors and terminals link). */
  get headline(): string {
    if (this.file === undefined) return this.message;
    if (this.line === undefined) return `${this.file}: ${this.message}`;
    return `${this.file}:${this.line}:${(this.column ?? 0) + 1}: ${this.message}`;
  }
}

/** Two lines of context either side of `line` (1-based), a caret under `column` (0-based). */
export function codeFrame(source: string, line: number, column: number): string {
  const lines = source.split(/\r\n|\r|\n/);
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 2);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const marker = n === line ? '>' : ' ';
    const text = (lines[n - 1] ?? '').replace(/\t/g, '  ');
    out.push(`${marker} ${String(n).padStart(width)} | ${text}`.trimEnd());
    if (n === line) {
      const before = (lines[n - 1] ?? '').slice(0, column).replace(/\t/g, '  ');
      out.push(`  ${' '.repeat(width)} | ${before.replace(/\S/g, ' ')}^`);
    }
  }
  return out.join('\n');
}

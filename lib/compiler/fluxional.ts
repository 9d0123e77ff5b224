/**
 * The fluxional language (paper Fig. 1, Listing 2), and the same model as JSON and Graphviz DOT.
 *
 *   flx <id> [& <tag>, …] [{<ctx var>, …}]
 *   <'>>' | '->'> <dest> [<msg var>, …]      one line per output stream, or '-> null'
 *     <code, indented two spaces, each split callback replaced by '>> dest' or '-> dest'>
 */
import type { AstNode } from './ast';
import type { Pipeline, FluxionDraft } from './pipeliner';
import type { Fluxion, FluxionalProgram, RuptureKind, Stream } from '../types';

const ARROW: Record<RuptureKind, string> = { start: '>>', post: '->' };

/** The fluxion's code: its function (the whole file for main) with split callbacks replaced by arrows. */
export function fluxionCode(f: FluxionDraft, source: string, pipeline: Pipeline): string {
  const lo = f.kind === 'main' ? 0 : f.node.start;
  const hi = f.kind === 'main' ? source.length : f.node.end;
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const [node, split] of pipeline.splits) {
    if (node === f.node || node.start < lo || node.end > hi) continue;
    if (node.type === 'FunctionDeclaration') edits.push({ ...wholeLines(source, node), text: '' });
    else edits.push({ start: node.start, end: node.end, text: `${ARROW[node === split.target.node ? split.target.arrive : split.type]} ${split.target.id}` });
  }
  edits.sort((a, b) => a.start - b.start || b.end - a.end);
  let out = '';
  let at = lo;
  for (const e of edits) {
    if (e.start < at) continue; // inside an edit already made
    out += source.slice(at, e.start) + e.text;
    at = e.end;
  }
  out += source.slice(at, hi);
  const lineStart = source.lastIndexOf('\n', lo - 1) + 1;
  const lead = /^[ \t]*/.exec(source.slice(lineStart, lo))![0];
  return reindent(lead + out.replace(/^#!.*/, ''));
}

/** A statement's whole lines when nothing else stands on them, so removing it leaves no blank hole. */
function wholeLines(source: string, node: AstNode): { start: number; end: number } {
  const lineStart = source.lastIndexOf('\n', node.start - 1) + 1;
  const nl = source.indexOf('\n', node.end);
  const lineEnd = nl < 0 ? source.length : nl + 1;
  const before = source.slice(lineStart, node.start);
  const after = source.slice(node.end, nl < 0 ? source.length : nl);
  return /^\s*$/.test(before) && /^\s*;?\s*$/.test(after) ? { start: lineStart, end: lineEnd } : { start: node.start, end: node.end };
}

function reindent(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\t/g, '  ').split('\n').map((l) => l.trimEnd());
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  const indents = lines.filter((l) => l !== '').map((l) => l.length - l.trimStart().length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines
    .map((l) => (l === '' ? '' : '  ' + l.slice(cut)))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}

/** Streams as printed: one line per (arrow, destination), message variables merged. */
export function printedStreams(streams: Stream[]): Array<{ type: RuptureKind; to: string; vars: string[] }> {
  const out: Array<{ type: RuptureKind; to: string; vars: string[] }> = [];
  for (const s of streams) {
    const same = out.find((o) => o.type === s.type && o.to === s.to);
    if (!same) out.push({ type: s.type, to: s.to, vars: [...s.vars] });
    else for (const v of s.vars) if (!same.vars.includes(v)) same.vars.push(v);
  }
  return out;
}

export function header(f: Fluxion): string {
  let line = `flx ${f.id}`;
  if (f.tags.length) line += ` & ${f.tags.join(', ')}`;
  if (f.context.length) line += ` {${f.context.join(', ')}}`;
  return line;
}

export function formatFlx(program: FluxionalProgram): string {
  const blocks = program.fluxions.map((f) => {
    const streams = printedStreams(f.streams);
    const lines = [header(f)];
    if (streams.length === 0) lines.push('-> null');
    for (const s of streams) lines.push(`${ARROW[s.type]} ${s.to}${s.vars.length ? ` [${s.vars.join(', ')}]` : ''}`);
    if (f.code) lines.push(f.code);
    return lines.join('\n');
  });
  return blocks.join('\n\n') + '\n';
}

export function formatJson(program: FluxionalProgram): string {
  return JSON.stringify(program, null, 2) + '\n';
}

function dotString(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

export function formatDot(program: FluxionalProgram): string {
  const lines = [`digraph ${dotString(program.file)} {`, '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  for (const f of program.fluxions) {
    const label = [f.id, f.tags.length ? `& ${f.tags.join(', ')}` : '', f.context.length ? `{${f.context.join(', ')}}` : '']
      .filter(Boolean)
      .join('\\n');
    const style = f.tags.includes('isolated') ? ', style=filled, fillcolor="#e0f0e0"' : f.tags.includes('network') ? ', style=filled, fillcolor="#f0e0e0"' : '';
    lines.push(`  ${dotString(f.id)} [label="${label.replace(/"/g, '\\"')}"${style}];`);
  }
  for (const f of program.fluxions) {
    for (const s of printedStreams(f.streams)) {
      const label = `${ARROW[s.type]}${s.vars.length ? ` [${s.vars.join(', ')}]` : ''}`;
      lines.push(`  ${dotString(f.id)} -> ${dotString(s.to)} [label=${dotString(label)}${s.type === 'start' ? ', style=bold' : ', style=dashed'}];`);
    }
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

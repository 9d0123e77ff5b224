/**
 * The observed program. `FLUXION_REPORT=<file>` writes it when the process exits; `fluxion report <file>`
 * prints it in the fluxional language with the counts. The field names are a contract for later tooling.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Registry } from './registry';

export interface Report {
  fluxions: Array<{
    id: string;
    file: string;
    line: number;
    kind: 'start' | 'post' | 'main';
    tags: string[];
    placement: string;
    messages: number;
    /** Messages it processed on a worker. */
    workerMessages: number;
    /** Mean CPU time per message (its own code — an async function's segments between awaits — and `callbackMs`), null for main. */
    cpuMsPerMessage: number | null;
    /** The work each message is charged for what it starts in packages' own callbacks: the lesser of its last two samples (clock.ts `charged`); absent: none. */
    callbackMs?: number;
    /** What its last sample read there; absent: none, or nothing found. */
    sampledMs?: number;
  }>;
  streams: Array<{ from: string; to: string; type: 'start' | 'post'; vars: string[]; messages: number }>;
}

export function buildReport(registry: Registry): Report {
  const streams = registry.streams();
  const incoming = new Map<string, number>();
  for (const s of streams) incoming.set(s.to.id, (incoming.get(s.to.id) ?? 0) + 1);
  return {
    fluxions: registry.fluxions.map((f) => ({
      id: f.id,
      file: path.relative(process.cwd(), f.file) || f.file,
      line: f.line,
      kind: f.kind,
      tags: f.tags,
      placement: f.home ? 'main' : f.placement,
      messages: f.messages,
      workerMessages: f.workerMessages,
      cpuMsPerMessage: f.timed > 0 ? Number((f.cpuMs / f.timed).toFixed(6)) : null,
      ...(f.extraMs > 0 ? { callbackMs: Number(f.extraMs.toFixed(6)) } : {}),
      ...(f.lastSampleMs > 0 ? { sampledMs: Number(f.lastSampleMs.toFixed(6)) } : {}),
    })),
    // A stream's messages are its destination's when it is the only stream into it; a fluxion fed by
    // several streams (one callback passed at several rupture points) splits them evenly.
    streams: streams.map((s) => ({
      from: s.from.id,
      to: s.to.id,
      type: s.type,
      vars: s.vars,
      messages: Math.round(s.to.messages / (incoming.get(s.to.id) ?? 1)),
    })),
  };
}

export function writeReport(registry: Registry, file: string): void {
  const json = JSON.stringify(buildReport(registry), null, 2) + '\n';
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, json);
  fs.renameSync(tmp, file);
}

/** `fluxion report`: the observed program in the fluxional language, with counts. */
export function formatReport(report: Report): string {
  const out: string[] = [];
  for (const f of report.fluxions) {
    // (of which what its messages start in packages' callbacks, sampled: clock.ts)
    const callbacks = f.callbackMs ? ` (${f.callbackMs.toFixed(3)} of it in packages' callbacks${f.sampledMs ? `, last sampled ${f.sampledMs.toFixed(3)}` : ''})` : '';
    const cpu = f.cpuMsPerMessage === null ? '' : `, ${f.cpuMsPerMessage.toFixed(3)} ms/message${callbacks}`;
    const workers = f.workerMessages ? ` (${f.workerMessages} on workers)` : '';
    out.push(`flx ${f.id}${f.tags.length ? ` & ${f.tags.join(', ')}` : ''}    # ${f.kind} ${f.file}:${f.line}, ${f.placement}, ${f.messages} message${f.messages === 1 ? '' : 's'}${workers}${cpu}`);
    const streams = report.streams.filter((s) => s.from === f.id);
    if (!streams.length) out.push('-> null');
    for (const s of streams) {
      const arrow = s.type === 'post' ? '->' : '>>';
      out.push(`${arrow} ${s.to}${s.vars.length ? ` [${s.vars.join(', ')}]` : ''}    # ${s.messages} message${s.messages === 1 ? '' : 's'}`);
    }
    out.push('');
  }
  return out.join('\n');
}

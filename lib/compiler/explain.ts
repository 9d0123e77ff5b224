/** `fluxion explain`: per fluxion, its tags, each variable's class and why, and the placement verdict. */
import { header, printedStreams } from './fluxional';
import type { FluxionalProgram, VariableInfo } from '../types';
import { MADE_AGAIN, NOT_MADE_AGAIN } from './pipeliner';

function where(line: number, column: number): string {
  return `${line}:${column + 1}`;
}

function describe(v: VariableInfo, fluxion: string): string {
  switch (v.class) {
    case 'scope':
      return `${v.name}: scope — ${v.reason}`;
    case 'share':
      return `${v.name}: share (grp_${v.name}) — ${v.reason}; shared by ${v.fluxions.join(', ')}`;
    case 'stream':
      return `${v.name}: stream from ${v.origin} — ${v.reason}${v.network ? ' (network)' : ''}`;
    case 'read-only':
      if (v.holds === 'module' && v.reason.startsWith(NOT_MADE_AGAIN)) return `${v.name}: read-only module — ${v.reason.slice(NOT_MADE_AGAIN.length)}: it is here only`;
      return v.holds === 'module'
        ? `${v.name}: read-only module — ${v.reason.startsWith(MADE_AGAIN) ? 'made again from its text' : 'required again'} where ${fluxion} runs${v.reason.startsWith(MADE_AGAIN) ? ' (once per worker, for every fluxion of the file there)' : ''}${v.reason.startsWith(MADE_AGAIN) ? v.reason.slice(MADE_AGAIN.length) : ''}`
        : `${v.name}: read-only ${v.holds} — ${v.reason}, copied with ${fluxion}`;
  }
}

export function explain(program: FluxionalProgram): string {
  const out: string[] = [];
  const rp = program.rupturePoints.length;
  out.push(`${program.file} (${program.sourceType}): ${program.fluxions.length} fluxion${program.fluxions.length === 1 ? '' : 's'}, ${rp} rupture point${rp === 1 ? '' : 's'}, ${program.dynamicSites.length} dynamic site${program.dynamicSites.length === 1 ? '' : 's'}`);
  for (const f of program.fluxions) {
    out.push('');
    out.push(`${header(f)}    (${f.kind}, line ${f.loc.start.line})`);
    out.push(`  tags: ${f.tags.length ? f.tags.join(', ') : '(none)'}`);
    const streams = printedStreams(f.streams);
    for (const s of streams) {
      const rpIds = f.streams.filter((x) => x.to === s.to && x.type === s.type).map((x) => x.rupturePoint);
      const rps = program.rupturePoints.filter((r) => rpIds.includes(r.id));
      const at = rps.map((r) => `${r.callee} at ${where(r.loc.start.line, r.loc.start.column)}`).join(', ');
      out.push(`  ${s.type === 'start' ? '>>' : '->'} ${s.to}${s.vars.length ? ` [${s.vars.join(', ')}]` : ''}    (${at})`);
    }
    const vars = program.variables.filter(
      (v) => (v.class === 'stream' ? v.fluxions.includes(f.id) || v.readers.includes(f.id) : v.fluxions.includes(f.id)),
    );
    if (vars.length) {
      out.push('  variables:');
      for (const v of vars) out.push(`    ${describe(v, f.id)}`);
    }
    let verdict: string;
    if (f.kind === 'main') verdict = `stays on the main loop: ${f.reasons[0]}`;
    else if (!f.offload.movable) verdict = `stays on the main loop: ${f.offload.blockers.join('; ')}`;
    else if (f.offload.shared.length) {
      verdict = `can run on another event loop when hot: on one worker with its share group (${f.offload.shared.map((n) => `grp_${n}`).join(', ')}), if every fluxion of the group can; that worker keeps {${f.offload.state.join(', ')}}`;
    } else if (f.offload.state.length) verdict = `can run on another event loop when hot: on one worker, which keeps its state {${f.offload.state.join(', ')}}`;
    else if (f.tags.includes('network')) verdict = 'can run on another event loop when hot: express_dispatcher carries its req, res and next';
    else verdict = 'can run on another event loop when hot: nothing holds it here (replicated on every worker)';
    out.push(`  isolation (paper): ${f.kind === 'main' || f.isolatable ? (f.tags.includes('isolated') ? 'isolated' : f.kind === 'main' ? 'main' : 'stateful') : f.reasons.join('; ')}`);
    if (f.offload.movable && f.offload.reads?.length) verdict += `; it reads ${f.offload.reads.join(' and ')}: a copy goes with its messages whenever that file's other functions may have changed it`;
    if (f.offload.movable && f.offload.called?.length) verdict += `; its calls on ${f.offload.called.map((c) => `\`${c}\``).join(', ')} (statements) are recorded there and made on the main loop, in order, when that is a field a middleware put on the request`;
    if (f.offload.movable && f.offload.startup?.length) verdict += `; a worker first gets ${f.offload.startup.join(' and ')} as start-up left them on the main loop, if they can be copied`;
    out.push(`  placement: ${verdict}`);
  }
  if (program.dynamicSites.length) {
    out.push('');
    out.push('dynamic sites (settled at run time by the JIT):');
    for (const d of program.dynamicSites) {
      out.push(`  ${where(d.loc.start.line, d.loc.start.column)} ${d.callee} argument ${d.argument + 1}: \`${d.expression}\` — ${d.reason}`);
    }
  }
  if (program.notes.length) {
    out.push('');
    out.push('notes:');
    for (const n of program.notes) out.push(`  ${n}`);
  }
  return out.join('\n') + '\n';
}

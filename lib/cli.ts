/** The `fluxion` command line: compile and explain. */
import type * as Compiler from './compiler/bundle';
import type * as Hook from './hook';
import { loadProjectConfig, resolveOptions } from './config';
import { FluxionError } from './errors';
import { readSourceFile } from './files';
import { formatReport, type Report } from './runtime/report';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { configuresByLoading, CONNECT_METHODS, globalsReason, stateReason, type Required, type StartupWrite, type StateFacts, type WriteOf } from './specifiers';
import type { FluxionalProgram } from './types';

const USAGE = `usage: fluxion <command> [options]

commands:
  compile <file> [--format flx|json|dot]   print the app as a fluxional program (default: flx)
  explain <file>                           per fluxion: tags, each variable's class and why, placement
  report <report.json>                     print a FLUXION_REPORT as a fluxional program with counts
  precompile [entry…]                      write the compiler's code cache (install does it); with entries, also
                                           rewrite the app's files into the transform cache (first start warm)
  help                                     this text

Asynchronous callees can be added in fluxion.config.json or package.json#fluxion:
  { "rupturePoints": [ { "kind": "post", "module": "my-db", "export": "fetch" },
                       { "kind": "start", "method": "subscribe", "minArgs": 2 } ] }
`;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Runs the command line; returns the exit code. */
export function main(argv: string[], io: Io = processIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 1 : 0;
      case '--version':
      case '-v':
        io.out(`${(require('../package.json') as { version: string }).version}\n`);
        return 0;
      case 'compile': {
        const { file, format } = parseArgs(rest, true);
        const program = compileFile(file);
        const { formatJson, formatDot, formatFlx } = compiler();
        io.out(format === 'json' ? formatJson(program) : format === 'dot' ? formatDot(program) : formatFlx(program));
        return 0;
      }
      case 'explain': {
        const { file } = parseArgs(rest, false);
        io.out(compiler().explain(compileFile(file)));
        return 0;
      }
      case 'report': {
        const { file } = parseArgs(rest, false);
        io.out(formatReport(readReport(file)));
        return 0;
      }
      case 'precompile': {
        const unknown = rest.find((a) => a.startsWith('-'));
        if (unknown) throw new FluxionError('E_USAGE', `unknown option ${unknown} (try: fluxion help)`);
        const started = performance.now();
        const hook = require('./hook') as typeof Hook;
        let line: string;
        try {
          const { dir, files } = hook.precompile();
          line = `code cache of ${files} files (the require hook with its runtime, and the compiler) for node ${process.version} in ${dir}`;
        } catch (error) {
          line = `no code cache of the require hook and the compiler (${(error as Error).message})`;
        }
        if (rest.length) {
          for (const file of rest) readSourceFile(file); // a missing entry is a usage error, named
          const options = resolveOptions({});
          const version = (require('../package.json') as { version: string }).version;
          const r = hook.precompileApp(rest, options, version);
          if (!r.dir) throw new FluxionError('E_USAGE', 'the transform cache is disabled or unusable: nothing to fill (see FLUXION_CACHE_DIR, FLUXION_DISABLE_CACHE)');
          line += `; ${r.files} app files into ${r.dir} (${r.rewritten} rewritten, ${r.unchanged} unchanged, ${r.failed} failed)`;
        }
        io.out(`fluxion: ${line} (${(performance.now() - started).toFixed(0)} ms)\n`);
        return 0;
      }
      default:
        throw new FluxionError('E_USAGE', `unknown command "${command}" (try: fluxion help)`);
    }
  } catch (error) {
    if (error instanceof FluxionError) {
      io.err(`fluxion: ${error.headline}\n${error.frame ? error.frame + '\n' : ''}`);
      return 1;
    }
    throw error;
  }
}

function parseArgs(args: string[], withFormat: boolean): { file: string; format: string } {
  let file: string | undefined;
  let format = 'flx';
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (withFormat && (a === '--format' || a === '-f')) {
      format = args[++i] ?? '';
      if (!['flx', 'json', 'dot'].includes(format)) throw new FluxionError('E_USAGE', `--format must be flx, json or dot (got "${format}")`);
    } else if (withFormat && a.startsWith('--format=')) {
      format = a.slice('--format='.length);
      if (!['flx', 'json', 'dot'].includes(format)) throw new FluxionError('E_USAGE', `--format must be flx, json or dot (got "${format}")`);
    } else if (a.startsWith('-')) {
      throw new FluxionError('E_USAGE', `unknown option ${a} (try: fluxion help)`);
    } else if (file === undefined) file = a;
    else throw new FluxionError('E_USAGE', `one file at a time (got "${file}" and "${a}")`);
  }
  if (file === undefined) throw new FluxionError('E_USAGE', 'missing <file> (try: fluxion help)');
  return { file, format };
}

/** Loaded on use: `report` and `precompile` must not load it (precompile loads it under the code cache). */
function compiler(): typeof Compiler {
  return require('./compiler/bundle') as typeof Compiler;
}

export function compileFile(file: string): FluxionalProgram {
  const program = compileOne(file);
  markStatefulRequires(program, file);
  return program;
}

function compileOne(file: string): FluxionalProgram {
  const { source, sourceType } = readSourceFile(file);
  const config = loadProjectConfig(file);
  return compiler().compile(source, { filename: file, sourceType, rupturePoints: config.rupturePoints });
}

/**
 * The check the runtime makes before a fluxion moves (Registry.statefulRequire), made here on the files: a
 * fluxion that calls into an app file keeping state in its module memory (or into one that requires such a
 * file) stays on the main loop. Packages are taken as stateless; a file that cannot be read or parsed is skipped.
 */
function markStatefulRequires(program: FluxionalProgram, file: string): void {
  const programs = new Map<string, FluxionalProgram | null>();
  const load = (target: string): FluxionalProgram | null => {
    if (!programs.has(target)) {
      try {
        programs.set(target, compileOne(target));
      } catch {
        programs.set(target, null);
      }
    }
    return programs.get(target) ?? null;
  };
  let stateful: string[] = [];
  try {
    stateful = resolveOptions({}, process.env, path.dirname(path.resolve(file))).statefulPackages;
  } catch {
    // options the hook would refuse: it says so when the app starts
  }
  // the app files whose exports some file reachable from this one writes (`store.set()` on another file's Map)
  const resolveFrom = (from: string, specifier: string): string | null => {
    try {
      return createRequire(path.resolve(from)).resolve(specifier);
    } catch {
      return null;
    }
  };
  const writtenBy = new Map<string, WriteOf[]>();
  const laterGlobals = new Map<string, string>();
  const connected = new Map<string, string>();
  const configured = new Map<string, Array<{ file: string; text: string; again: boolean }>>();
  const visit = (from: string, p: FluxionalProgram, visited: Set<string>): void => {
    for (const [name, text, script] of p.configures ?? []) {
      if (!configured.has(name)) configured.set(name, []);
      // (the file explained is taken for the entry: a worker does its configurations again, not another file's)
      configured.get(name)!.push({ file: from, text, again: (script !== null && from === path.resolve(file)) || (from !== path.resolve(file) && configuresByLoading({ ...p, esm: p.sourceType === 'module' })) });
    }
    for (const [name, call] of p.connects ?? []) if (!connected.has(name)) connected.set(name, `${path.relative(process.cwd(), from) || from} connects or initialises (\`${call}\`)`);
    for (const name of p.globalWrites ?? []) if (!laterGlobals.has(name)) laterGlobals.set(name, path.relative(process.cwd(), from) || from);
    for (const [specifier, write, at, method, atLoad] of p.writes ?? []) {
      const target = resolveFrom(from, specifier);
      if (!target) continue;
      let list = writtenBy.get(target);
      if (!list) writtenBy.set(target, (list = []));
      list.push([path.relative(process.cwd(), from) || from, write, at, method, atLoad === true]);
    }
    for (const specifier of p.requires) {
      const target = resolveFrom(from, specifier);
      if (!target || visited.has(target) || target.includes(`${path.sep}node_modules${path.sep}`)) continue;
      visited.add(target);
      const required = load(target);
      if (required) visit(target, required, visited);
    }
  };
  visit(path.resolve(file), program, new Set([path.resolve(file)]));
  const facts: StateFacts = {
    resolve: resolveFrom,
    describe: (target) => {
      const required = load(target);
      return required ? { state: required.state ?? [], requires: [...required.requires, ...(required.packages ?? [])], reach: required.reach, reads: required.reads?.exports, atLoad: required.atLoad, esm: required.sourceType === 'module' } : null;
    },
    packagesOf: () => [],
    // (the runtime reads the loaded module: a method that is the file's own function is not a write of data)
    writesOf: (target) => (writtenBy.get(target) ?? []).filter(([, , , method]) => method === null || CONNECT_METHODS.has(method) || !load(target)?.functions?.includes(method)),
    statefulPackages: stateful,
    connected,
    configured,
  };
  // (this process runs no app code: its globals are Node's, as the runtime's were before the app's first line)
  const nodeGlobals = new Set(Object.getOwnPropertyNames(globalThis));
  for (const f of program.fluxions) {
    const members = f.offload.members ?? {};
    const specifiers: Required[] = [...f.offload.requires.map((r): Required => (members[r] ? [r, members[r]] : r)), ...(f.offload.packages ?? [])];
    if (!f.offload.movable) continue;
    const startup: StartupWrite[] = [];
    const globals: string[] = [];
    const reads: string[] = [];
    const reason = (specifiers.length ? stateReason(facts, path.resolve(file), specifiers, startup, reads) : null) ?? globalsReason(f.offload.globals, nodeGlobals, laterGlobals, globals);
    if (reason) {
      f.offload.movable = false;
      f.offload.blockers.push(reason);
      continue;
    }
    // per file written: what is written there, and by which files
    const byTarget = new Map<string, { at: Set<string>; writers: Set<string> }>();
    for (const [target, at, write] of startup) {
      if (target === null) continue;
      let entry = byTarget.get(target);
      if (!entry) byTarget.set(target, (entry = { at: new Set(), writers: new Set() }));
      entry.at.add(at.join('.') || 'module.exports');
      entry.writers.add(write[0]);
    }
    const given = [...byTarget].map(([target, { at, writers }]) => `${path.relative(process.cwd(), target) || target}'s ${[...at].join(', ')} (written by ${[...writers].join(', ')})`);
    if (globals.length) given.push(`the global${globals.length > 1 ? 's' : ''} ${globals.map((n) => `\`${n}\``).join(', ')}`);
    if (given.length) f.offload.startup = given;
    if (reads.length) f.offload.reads = reads.map((target) => `${path.relative(process.cwd(), target) || target}'s ${load(target)?.reads?.state.map((n) => `\`${n}\``).join(', ')}`);
  }
}

function readReport(file: string): Report {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FluxionError(code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_READ', code === 'ENOENT' ? 'no such file' : `cannot read it (${code})`, { file });
  }
  let report: Report;
  try {
    report = JSON.parse(text) as Report;
  } catch (error) {
    throw new FluxionError('E_READ', `not a fluxion report: ${(error as Error).message}`, { file });
  }
  if (!report || !Array.isArray(report.fluxions) || !Array.isArray(report.streams)) {
    throw new FluxionError('E_READ', 'not a fluxion report (no "fluxions" and "streams")', { file });
  }
  return report;
}

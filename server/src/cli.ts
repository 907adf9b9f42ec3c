// `memlens` on the command line (report-contract.md): report, check, profile, lsp --stdio.
// `main` returns the exit code: 0 done, 1 `check` over budget, 2 bad input. User errors are one
// line on stderr, never a stack trace.

import * as fs from 'fs';
import * as path from 'path';
import { analyzeSource, SourceHost } from './analysis';
import { resolveEnvironment } from './engine/pythonEnv';
import { MAX_READ_BYTES, readRegularFile } from './interpreter/files';
import { parseInputSpec } from './engine/specs';
import { parsePlan } from './engine/checkpointPlan';
import { startLanguageServer } from './lsp/server';
import { loadPythonParser } from './python/parser';
import { renderHtml } from './report/html';
import { OnnxInputError, profileOnnxFile, renderOnnxTable, reportOnnxFile } from './profile/onnxFile';
import { LoweringError, profilePython } from './profile/python';
import { findingOf } from './profile/run';
import { memorySnapshot, pickle } from './report/snapshot';
import { renderTable } from './report/table';
import { AnalysisSettings, DEFAULT_SETTINGS, DEVICES, OPTIMIZERS, PRECISIONS } from './report/types';
import { ByteSizeError, formatBytes, parseBytes } from './report/units';

/** A problem with what the user asked for: printed as `memlens: <message>`, exit 2. */
export class UsageError extends Error {}

const USAGE = `usage: memlens report FILE [--entry EXPR] [--input SPEC]... [--call EXPR] [--batch N]
                      [--precision fp32|amp-fp16|amp-bf16|bf16] [--optimizer none|sgd|momentum|adam|adamw]
                      [--checkpoint PLAN] [--microbatch K] [--budget BYTES] [--torch VERSION]
                      [--device cuda|cpu|mps]
                      [--python INTERPRETER] [--json] [--html OUT.html] [--snapshot OUT.pickle]
       memlens check FILE --budget BYTES [same options]
       memlens profile FILE [--ep auto|cuda|webgpu|dml|coreml|cpu] [same options]
       memlens lsp --stdio`;

const VALUE_FLAGS = ['entry', 'input', 'call', 'batch', 'precision', 'optimizer', 'checkpoint', 'microbatch', 'budget', 'torch', 'device', 'html', 'snapshot', 'ep', 'python'] as const;
const BOOLEAN_FLAGS = ['json', 'help'] as const;
type ValueFlag = (typeof VALUE_FLAGS)[number];

export interface CliOptions {
  command: string;
  file: string | null;
  values: Partial<Record<ValueFlag, string>>;
  inputs: string[];
  json: boolean;
  help: boolean;
  stdio: boolean;
}

/** `--flag value` and `--flag=value`; `--input` repeats, other flags may appear once. */
export function parseArgs(argv: readonly string[]): CliOptions {
  const opts: CliOptions = { command: '', file: null, values: {}, inputs: [], json: false, help: false, stdio: false };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    if (name === 'stdio' && eq === -1) {
      opts.stdio = true;
    } else if (name === 'clientProcessId') {
      // vscode-languageclient appends --clientProcessId=PID to every server it starts;
      // vscode-languageserver reads it from process.argv itself (to exit with the editor).
      if (eq === -1) i++;
    } else if ((BOOLEAN_FLAGS as readonly string[]).includes(name)) {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      opts[name as (typeof BOOLEAN_FLAGS)[number]] = true;
    } else if ((VALUE_FLAGS as readonly string[]).includes(name)) {
      const value = eq !== -1 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      if (name === 'input') opts.inputs.push(value);
      else if (opts.values[name as ValueFlag] !== undefined) throw new UsageError(`--${name} given twice`);
      else opts.values[name as ValueFlag] = value;
    } else {
      throw new UsageError(`unknown option ${arg.slice(0, eq === -1 ? undefined : eq)} (see memlens --help)`);
    }
  }
  opts.command = positional[0] ?? '';
  if (positional.length > 2) throw new UsageError(`unexpected argument "${positional[2]}"`);
  opts.file = positional[1] ?? null;
  return opts;
}


function pick<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
}

export function analysisSettings(opts: CliOptions): AnalysisSettings {
  const v = opts.values;
  for (const spec of opts.inputs) {
    try {
      parseInputSpec(spec);
    } catch (e) {
      throw new UsageError(`malformed --input "${spec}": ${(e as Error).message.replace(/^malformed input spec '[^]*?': /, '')}`);
    }
  }
  let batch: number | null = null;
  if (v.batch !== undefined) {
    if (!/^\d+$/.test(v.batch) || Number(v.batch) < 1) throw new UsageError(`--batch must be a positive integer (got "${v.batch}")`);
    batch = Number(v.batch);
  }
  let budgetBytes: number | null = null;
  if (v.budget !== undefined) {
    try {
      budgetBytes = parseBytes(v.budget);
    } catch (e) {
      if (e instanceof ByteSizeError) throw new UsageError(`--budget: ${e.message}`);
      throw e;
    }
  }
  if (v.torch !== undefined && !/^\d+\.\d+(\.\d+)?$/.test(v.torch)) throw new UsageError(`--torch must be a release like 2.5 or 1.13 (got "${v.torch}")`);
  if (v.entry !== undefined && v.entry.trim() === '') throw new UsageError('--entry is empty');
  let microbatch: number | null = null;
  if (v.microbatch !== undefined) {
    if (!/^\d+$/.test(v.microbatch) || Number(v.microbatch) < 1) throw new UsageError(`--microbatch must be a positive integer (got "${v.microbatch}")`);
    microbatch = Number(v.microbatch);
  }
  const checkpoint = v.checkpoint === undefined ? [] : v.checkpoint.split(',').map((s) => s.trim()).filter(Boolean);
  try {
    parsePlan(checkpoint);
  } catch (e) {
    throw new UsageError(`--checkpoint: ${(e as Error).message}`);
  }
  return {
    entry: v.entry ?? null,
    call: v.call ?? null,
    inputs: opts.inputs.map((s) => s.trim()),
    batch,
    precision: pick(v.precision, PRECISIONS, 'precision', DEFAULT_SETTINGS.precision),
    optimizer: pick(v.optimizer, OPTIMIZERS, 'optimizer', DEFAULT_SETTINGS.optimizer),
    device: pick(v.device, DEVICES, 'device', DEFAULT_SETTINGS.device),
    torch: v.torch ?? DEFAULT_SETTINGS.torch,
    budgetBytes,
    checkpoint,
    microbatch,
  };
}

/**
 * Files from disk, and the installed packages of the user's Python environment: `--python`'s
 * (asked for its `sys.path`, as the user named it), else a `.venv`/`venv` beside the file or in the
 * working folder, else the `python3` on PATH (their layouts read from files).
 */
function diskHost(file: string, python: string | undefined): SourceHost {
  const roots = [...new Set([path.dirname(path.resolve(file)), process.cwd()])];
  if (python !== undefined && !fs.existsSync(python)) throw new UsageError(`--python: no such interpreter: ${python}`);
  const env = resolveEnvironment({ pythonPath: python ?? null, workspaceRoots: roots, trusted: python !== undefined });
  return {
    readFile: (absPath) => readRegularFile(absPath),
    libraryPaths: env.searchPaths,
  };
}

function write(stream: NodeJS.WriteStream, text: string): void {
  stream.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function runAnalysis(opts: CliOptions): Promise<number> {
  if (!opts.file) throw new UsageError(`${opts.command} needs a FILE`);
  const settings = analysisSettings(opts);
  if (opts.command === 'check' && settings.budgetBytes === null) throw new UsageError('check needs --budget BYTES');
  if (opts.values.ep !== undefined && opts.command !== 'profile') throw new UsageError('--ep applies to profile only');
  if (opts.file.toLowerCase().endsWith('.onnx')) return runOnnx(opts);
  let st: fs.Stats;
  try {
    st = fs.statSync(opts.file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such file: ${opts.file}` : `cannot read ${opts.file}: ${(e as Error).message}`);
  }
  if (st.isDirectory()) throw new UsageError(`${opts.file} is a directory`);
  // A FIFO or a device (/dev/zero) would block or never end: regular files only, size-bounded.
  if (!st.isFile()) throw new UsageError(`${opts.file} is not a regular file`);
  if (st.size > MAX_READ_BYTES) throw new UsageError(`${opts.file} is too large to analyze (${st.size} bytes; Memlens reads files up to ${MAX_READ_BYTES} bytes)`);
  const source = readRegularFile(opts.file);
  if (source === undefined) throw new UsageError(`cannot read ${opts.file}`);
  await loadPythonParser();
  // With a budget: also the plan that fits it and the largest batch under checkpointing.
  const analysis = analyzeSource(opts.file, source, settings, diskHost(opts.file, opts.values.python), { suggest: settings.budgetBytes !== null });
  if (analysis.error) throw new UsageError(`${analysis.error.file}:${analysis.error.line}: ${analysis.error.reason}`);
  const report = analysis.report;
  // A plan item that matches no module call is a mistake in what the user asked for.
  const unmatched = report.warnings?.find((w) => w.startsWith('checkpoint plan item'));
  if (unmatched && opts.values.checkpoint !== undefined) throw new UsageError(`--checkpoint: ${unmatched}`);

  if (opts.command === 'profile') {
    const ep = opts.values.ep ?? 'auto';
    if (!EPS.includes(ep)) throw new UsageError(`--ep: "${ep}" is not one of ${EPS.join(', ')}`);
    let profile;
    try {
      profile = await profilePython(opts.file, source, settings, diskHost(opts.file, opts.values.python), analysis, ep);
    } catch (e) {
      if (e instanceof LoweringError) throw new UsageError(`cannot profile ${opts.file}: ${e.message}`);
      throw e;
    }
    const o = profile.outcome;
    if (!o.ok) {
      write(process.stderr, `memlens: profiling ${opts.file} ${findingOf(o, report.settings.batch, ep)}: ${o.message}`);
      return o.kind === 'error' ? 2 : 1;
    }
    for (const l of report.layers) {
      const m = profile.layers.get(l.path);
      if (m) l.measured = { outputBytes: m.outputBytes, peakBytes: m.peakBytes, ms: Math.round(m.ms * 1000) / 1000 };
    }
    report.profile = { ep: o.ep, providers: o.providers, onnxruntime: o.version, notes: o.notes, nodes: profile.nodes, mismatches: profile.mismatches, measuredPeakBytes: profile.measuredPeakBytes, estimatedPeakBytes: profile.estimatedPeakBytes, comparison: profile.comparison, measured: profile.series };
    if (opts.json) write(process.stdout, JSON.stringify(report, null, 2));
    else {
      write(process.stdout, renderTable(report));
      write(process.stdout, `profiled with onnxruntime ${o.version} on ${o.providers.join(', ') || o.ep}${o.ep === 'cpu' && o.notes.length ? ` (CPU: ${o.notes.join('; ')})` : ''}: ${profile.nodes} nodes, forward ${o.runMs.toFixed(1)} ms`);
      const measured = report.layers.filter((l) => l.measured && l.leaf);
      write(process.stdout, profile.comparison);
      write(process.stdout, profile.mismatches.length ? `measured output bytes differ on ${profile.mismatches.length} layer(s): ${profile.mismatches.slice(0, 3).join('; ')}` : `measured output bytes equal the estimate on every profiled layer (${measured.length})`);
    }
    return 0;
  }

  if (opts.values.html !== undefined) {
    try {
      fs.writeFileSync(opts.values.html, renderHtml(analysis));
    } catch (e) {
      throw new UsageError(`cannot write ${opts.values.html}: ${(e as Error).message}`);
    }
  }
  if (opts.values.snapshot !== undefined) {
    try {
      fs.writeFileSync(opts.values.snapshot, pickle(memorySnapshot(report)));
    } catch (e) {
      throw new UsageError(`cannot write ${opts.values.snapshot}: ${(e as Error).message}`);
    }
  }
  if (opts.command === 'check') {
    const budget = settings.budgetBytes as number;
    const over = report.totals.peakBytes > budget;
    if (opts.json) write(process.stdout, JSON.stringify(report, null, 2));
    const line = `memlens: peak ${formatBytes(report.totals.peakBytes)} (${report.totals.peakPhase}) ${over ? 'exceeds' : 'fits'} the budget ${formatBytes(budget)}`;
    write(over ? process.stderr : process.stdout, line);
    return over ? 1 : 0;
  }
  write(process.stdout, opts.json ? JSON.stringify(report, null, 2) : renderTable(report));
  if (opts.values.html !== undefined && !opts.json) write(process.stdout, `timeline written to ${path.resolve(opts.values.html)}`);
  if (opts.values.snapshot !== undefined && !opts.json) write(process.stdout, `memory snapshot written to ${path.resolve(opts.values.snapshot)} (open it in https://pytorch.org/memory_viz)`);
  return 0;
}

const EPS = ['auto', 'cuda', 'webgpu', 'dml', 'coreml', 'cpu'];

/**
 * An .onnx file: `report` reads its graph, `profile` also runs it once in ONNX Runtime (a child
 * process with limits). A file that is not a valid model: exit 2 with the reason; a run that
 * fails (out of memory, a timeout, a crash): the finding on stderr, exit 1.
 */
async function runOnnx(opts: CliOptions): Promise<number> {
  const file = opts.file!;
  const ep = opts.values.ep ?? 'auto';
  if (!EPS.includes(ep)) throw new UsageError(`--ep: "${ep}" is not one of ${EPS.join(', ')}`);
  if (opts.command !== 'profile' && opts.values.ep !== undefined) throw new UsageError('--ep applies to profile only');
  if (opts.command === 'check') throw new UsageError('check reads PyTorch model files; use report or profile for .onnx files');
  for (const flag of ['entry', 'call', 'precision', 'optimizer', 'checkpoint', 'microbatch', 'torch', 'device', 'html', 'snapshot', 'python', 'budget'] as const) {
    if (opts.values[flag] !== undefined) throw new UsageError(`--${flag} does not apply to .onnx files`);
  }
  if (opts.inputs.length) throw new UsageError('--input does not apply to .onnx files (their inputs are declared; --batch binds symbolic dimensions)');
  const batch = opts.values.batch !== undefined ? Number(opts.values.batch) : 1;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new UsageError(`--batch: "${opts.values.batch}" is not a positive integer`);
  try {
    if (opts.command === 'profile') {
      const { report, outcome } = await profileOnnxFile(file, ep, batch);
      if (!outcome.ok) {
        write(process.stderr, `memlens: profiling ${file} ${findingOf(outcome, batch, ep)}: ${outcome.message}`);
        // ONNX Runtime refusing the model (an unknown operator, a type error) is bad input; the rest are findings.
        return outcome.kind === 'error' ? 2 : 1;
      }
      write(process.stdout, opts.json ? JSON.stringify(report, null, 2) : renderOnnxTable(report));
      return 0;
    }
    const report = reportOnnxFile(file, batch);
    write(process.stdout, opts.json ? JSON.stringify(report, null, 2) : renderOnnxTable(report));
    return 0;
  } catch (e) {
    if (e instanceof OnnxInputError) throw new UsageError(e.message);
    throw e;
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const opts = parseArgs(argv);
  if (opts.command === '' && !opts.help) throw new UsageError('no command given (report, check, profile or lsp --stdio; see memlens --help)');
  if (opts.help || opts.command === 'help') {
    write(process.stdout, USAGE);
    return 0;
  }
  switch (opts.command) {
    case 'report':
    case 'check':
      if (opts.stdio) throw new UsageError(`--stdio applies to lsp only`);
      return runAnalysis(opts);
    case 'profile':
      if (!opts.file) throw new UsageError('profile needs a FILE');
      if (opts.file.toLowerCase().endsWith('.onnx')) return runOnnx(opts);
      return runAnalysis(opts);
    case 'lsp':
      if (!opts.stdio) throw new UsageError('lsp needs --stdio (the only transport)');
      startLanguageServer();
      // The connection ends the process itself on the client's `exit` notification.
      return new Promise<number>(() => undefined);
    default:
      throw new UsageError(`unknown command "${opts.command}" (expected report, check, profile or lsp)`);
  }
}

/** The CLI; returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const message = e instanceof UsageError ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
    if (process.env.MEMLENS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    write(process.stderr, `memlens: ${message.split('\n')[0]}`);
    return 2;
  }
}

/** True when this file is the script node was started with (`node dist/server.js lsp --stdio`). */
function isMainScript(): boolean {
  try {
    return !!process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(__filename);
  } catch {
    return false;
  }
}

if (isMainScript()) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    () => (process.exitCode = 2),
  );
}

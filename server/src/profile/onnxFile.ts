// `.onnx` files: `memlens report model.onnx` (the graph read without running it: shapes,
// initializers, per-node output bytes, the forward's live-bytes peak) and `memlens profile
// model.onnx` (the same, then one real inference in ONNX Runtime with its profiler, each node's
// measured output bytes, arena use and time beside the estimate). Hostile files end in one line.

import * as fs from 'fs';
import * as path from 'path';
import { readOnnxGraph, OnnxGraphReport } from '../../../kernels/src/onnx/graph';
import { decodeModel, OnnxFormatError } from '../../../kernels/src/onnx/proto';
import { formatBytes } from '../report/units';
import type { MeasuredNode, ProfileOutcome } from './protocol';
import { DEFAULT_LIMITS, ProfileLimits, maxOf, runProfiler } from './run';

/** Largest .onnx file read (protobuf's own limit is 2 GiB; bigger models keep weights as external data). */
export const MAX_ONNX_BYTES = 2 ** 31 - 1;

export class OnnxInputError extends Error {}

export interface OnnxReport extends OnnxGraphReport {
  version: 1;
  file: string;
  kind: 'onnx';
  batch: number;
  profile?: OnnxProfile;
}

export interface OnnxProfile {
  ep: string;
  providers: string[];
  onnxruntime: string;
  notes: string[];
  /** The arena's peak bytes in use over the run, and the estimate's forward peak without initializers for comparison. */
  measuredPeakBytes: number;
  estimatedPeakBytes: number;
  /** What the comparison says, one line. */
  comparison: string;
  runMs: number;
  secondRunMs: number;
  /** Nodes whose measured output bytes differ from the estimate. */
  mismatches: string[];
  nodes: (MeasuredNode & { estimatedOutputBytes: number | null })[];
}

function readModelBytes(file: string): Uint8Array {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new OnnxInputError(`no such file: ${file}`);
  }
  if (!st.isFile()) throw new OnnxInputError(`${file} is not a regular file`);
  if (st.size > MAX_ONNX_BYTES) throw new OnnxInputError(`${file} is too large (${formatBytes(st.size)}; an .onnx file holds at most 2 GiB, larger weights are external data)`);
  return fs.readFileSync(file);
}

/** The graph of an .onnx file, read without running it. */
export function reportOnnxFile(file: string, batch = 1): OnnxReport {
  const bytes = readModelBytes(file);
  try {
    const model = decodeModel(bytes);
    const graph = readOnnxGraph(model, { folder: path.dirname(path.resolve(file)), batch });
    return { version: 1, file, kind: 'onnx', batch, ...graph };
  } catch (e) {
    if (e instanceof OnnxFormatError) throw new OnnxInputError(`${file}: ${e.message}`);
    throw e;
  }
}

/** The graph, then one profiled inference of it in ONNX Runtime (a child process with limits). */
export async function profileOnnxFile(file: string, ep: string, batch = 1, limits: ProfileLimits = DEFAULT_LIMITS, signal?: AbortSignal, runtime: string | null = null): Promise<{ report: OnnxReport; outcome: ProfileOutcome }> {
  const report = reportOnnxFile(file, batch);
  const inputs = report.inputs.map((i) => {
    if (!i.shape) throw new OnnxInputError(`${file}: input ${i.name} has no shape to feed`);
    return { name: i.name, dtype: i.dtype, shape: i.shape };
  });
  const outcome = await runProfiler({ model: path.resolve(file), ep, inputs, ...(runtime ? { runtime } : {}) }, limits, signal);
  if (outcome.ok) report.profile = compare(report, outcome);
  return { report, outcome };
}

function compare(report: OnnxReport, o: Extract<ProfileOutcome, { ok: true }>): OnnxProfile {
  const byName = new Map(report.nodes.map((n) => [n.name, n]));
  const mismatches: string[] = [];
  const nodes = o.nodes.map((m) => {
    const est = byName.get(m.name)?.outputBytes ?? null;
    if (est !== null && est !== m.outputBytes) mismatches.push(`${m.name} (${m.opType}): measured ${m.outputBytes} B, estimated ${est} B`);
    return { ...m, estimatedOutputBytes: est };
  });
  const measuredPeak = maxOf(o.nodes.map((n) => n.peakBytes));
  // The arena holds what nodes make: initializers and the caller's inputs live in their own buffers.
  const estimated = report.peakMadeBytes;
  const diff = measuredPeak - estimated;
  const why = diff > 0
    ? 'the arena rounds allocations up and keeps buffers its plan (memory pattern) assigned for the whole run'
    : 'ONNX Runtime\'s allocation plan reuses a freed buffer for a later value of the same size, and runs some kernels in place, where the estimate keeps both';
  const comparison = estimated > 0
    ? `measured forward peak (arena in use) ${formatBytes(measuredPeak)} vs estimated ${formatBytes(estimated)} (${diff >= 0 ? '+' : ''}${((100 * diff) / estimated).toFixed(1)}%)${diff === 0 ? '' : `: ${why}`}`
    : `measured forward peak (arena in use) ${formatBytes(measuredPeak)}`;
  return { ep: o.ep, providers: o.providers, onnxruntime: o.version, notes: o.notes, measuredPeakBytes: measuredPeak, estimatedPeakBytes: estimated, comparison, runMs: o.runMs, secondRunMs: o.secondRunMs, mismatches, nodes };
}

/** The text a person reads. */
export function renderOnnxTable(r: OnnxReport): string {
  const lines: string[] = [];
  lines.push(`file      ${r.file}`, `producer  ${r.producer || 'unknown'} · opset ${r.opset ?? '?'} · ${r.nodes.length} nodes · batch ${r.batch}`);
  lines.push(`inputs    ${r.inputs.map((i) => `${i.name}: ${i.dtype}[${i.shape?.join(', ') ?? '?'}]`).join(', ') || 'none'}`);
  lines.push(`weights   ${formatBytes(r.initializerBytes)} in ${r.initializers} initializers`, '');
  const measured = new Map((r.profile?.nodes ?? []).map((n) => [n.name, n]));
  const head = ['node', 'op', 'output', 'bytes', ...(r.profile ? ['measured', 'arena peak', 'ms'] : [])];
  const rows = r.nodes.map((n) => {
    const m = measured.get(n.name);
    return [n.name || `#${n.index}`, n.opType, n.outputs.map((o) => (o.shape ? `[${o.shape.join(', ')}]` : '?')).join(' '), n.outputBytes === null ? '?' : formatBytes(n.outputBytes), ...(r.profile ? [m ? formatBytes(m.outputBytes) : '—', m ? formatBytes(m.peakBytes) : '—', m ? (m.us / 1000).toFixed(3) : '—'] : [])];
  });
  const widths = head.map((h, k) => Math.max(h.length, ...rows.map((row) => row[k].length)));
  const fmt = (row: string[]) => row.map((c, k) => (k >= 3 ? c.padStart(widths[k]) : c.padEnd(widths[k]))).join('  ').trimEnd();
  lines.push(fmt(head), ...rows.map(fmt), '');
  const peakAt = r.peakNode >= 0 ? r.nodes[r.peakNode] : null;
  lines.push(`forward peak ${formatBytes(r.peakBytes)} (weights included)${peakAt ? ` after ${peakAt.name || `#${peakAt.index}`} (${peakAt.opType})` : ''}`);
  if (r.unknowns.length) lines.push(`unknown shapes (${r.unknowns.length}; figures are lower bounds): ${r.unknowns.slice(0, 5).join('; ')}${r.unknowns.length > 5 ? ' …' : ''}`);
  if (r.profile) {
    const p = r.profile;
    lines.push(`profiled  onnxruntime ${p.onnxruntime} · ${p.providers.join(', ') || p.ep}${p.ep === 'cpu' && p.notes.length ? ` (fell back to CPU: ${p.notes.join('; ')})` : ''} · run ${p.runMs.toFixed(1)} ms (steady ${p.secondRunMs.toFixed(1)} ms)`);
    lines.push(p.comparison);
    lines.push(p.mismatches.length ? `output bytes differ on ${p.mismatches.length} node(s): ${p.mismatches.slice(0, 3).join('; ')}` : `measured output bytes equal the estimate on every node (${p.nodes.length})`);
  }
  return lines.join('\n');
}

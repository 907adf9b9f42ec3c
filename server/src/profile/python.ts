// `memlens profile model.py`: the analyzed model's forward lowered to ONNX (profile/lower.ts), run
// once in ONNX Runtime with its profiler (a child process with limits), and each layer's measured
// output bytes, arena peak and time laid beside the estimate (the report's `measured`), with the
// measured forward series for the timeline view.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { encodeModel } from '../../../kernels/src/onnx/proto';
import { AnalysisError, runModel } from '../engine/run';
import { findDirective } from '../engine/specs';
import { formatBytes } from '../report/units';
import type { MeasuredSeries } from '../../../protocol/messages';
import { pythonParser } from '../python/parser';
import type { SourceHost } from '../analysis';
import type { Analysis, AnalysisSettings } from '../report/types';
import { LoweringError, lowerForward } from './lower';
import type { MeasuredNode, ProfileOutcome } from './protocol';
import { DEFAULT_LIMITS, ProfileLimits, maxOf, runProfiler } from './run';

export interface PythonProfile {
  outcome: ProfileOutcome;
  /** Per leaf layer (path): the measured bytes of its output, the arena's peak while it ran, its time. */
  layers: Map<string, { outputBytes: number; peakBytes: number; ms: number }>;
  /** The measured forward, placed on the report's timeline (its forward points). */
  series: MeasuredSeries | null;
  /** Layers whose measured output bytes differ from the estimate. */
  mismatches: string[];
  nodes: number;
  /** ONNX Runtime's arena peak over the forward, the estimate's forward peak of the same bytes, and what the comparison says. */
  measuredPeakBytes: number;
  estimatedPeakBytes: number;
  comparison: string;
}

/**
 * Profiles the model of `text` at `settings` (the same analysis `analysis` came from): throws
 * AnalysisError/LoweringError for what cannot be profiled; a failed run is the outcome's finding.
 */
export async function profilePython(file: string, text: string, settings: AnalysisSettings, host: SourceHost, analysis: Analysis, ep: string, limits: ProfileLimits = DEFAULT_LIMITS, signal?: AbortSignal, baseline = false, runtime: string | null = null): Promise<PythonProfile> {
  const tree = pythonParser().parse(text);
  if (!tree) throw new AnalysisError('the file could not be parsed', { file, line: 1 });
  let lowered;
  let run;
  try {
    run = runModel({ file, tree, settings, directive: findDirective(text), source: host, startedAt: performance.now() });
    lowered = lowerForward(run);
  } finally {
    tree.delete();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-profile-'));
  const model = path.join(dir, 'forward.onnx');
  let outcome: ProfileOutcome;
  try {
    fs.writeFileSync(model, encodeModel(lowered.model));
    outcome = await runProfiler({ model, ep, inputs: lowered.inputs, ...(baseline ? { baseline } : {}), ...(runtime ? { runtime } : {}) }, limits, signal);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const layers = new Map<string, { outputBytes: number; peakBytes: number; ms: number }>();
  const mismatches: string[] = [];
  if (!outcome.ok) return { outcome, layers, series: null, mismatches, nodes: 0, measuredPeakBytes: 0, estimatedPeakBytes: 0, comparison: '' };
  const byNode = new Map<string, MeasuredNode>(outcome.nodes.map((n) => [n.name, n]));
  const ops = run.tracer.ops;
  // Each module call's output: the node that made it, and which of its outputs.
  // By tensor: a later in-place op on the same storage (a ReLU(inplace=True), a slice assignment) makes another tensor.
  const producer = new Map<number, { node: string; k: number; tensor: number }>();
  ops.forEach((op, i) => op.outputs.forEach((t, k) => {
    if (!producer.has(t.id)) producer.set(t.id, { node: `op${i}`, k, tensor: t.id });
  }));
  for (const call of run.lib.calls) {
    const pathName = run.lib.paths.get(call.module);
    if (pathName === undefined || layers.has(pathName) || call.output.k !== 'tensor') continue;
    // A layer that returns a view of another's output (nn.Identity, a slice): no node made it, nothing of its own to measure.
    const made = producer.get(call.output.t.id);
    const node = made ? byNode.get(made.node) : undefined;
    if (!node) continue;
    // Its ops: those the module's forward ran (the module itself or a child).
    const mine = ops.map((op, i) => ({ op, i })).filter(({ op }) => op.module !== null && (op.module === pathName || (pathName !== '' && op.module.startsWith(`${pathName}.`))));
    const measured = mine.map(({ i }) => byNode.get(`op${i}`)).filter((n): n is MeasuredNode => !!n);
    layers.set(pathName, {
      outputBytes: node.outputs[made!.k] ?? node.outputBytes,
      peakBytes: maxOf(measured.map((n) => n.peakBytes)),
      ms: measured.reduce((s, n) => s + n.us, 0) / 1000,
    });
  }
  for (const l of analysis.report.layers) {
    const m = layers.get(l.path);
    if (m && l.leaf && m.outputBytes !== l.outputBytes) mismatches.push(`${l.path}: measured ${formatBytes(m.outputBytes)}, estimated ${formatBytes(l.outputBytes)}`);
  }
  // The measured forward on the estimate's x axis: each profiled op at its forward point, its arena
  // bytes in use plus what the estimate holds outside the arena there (parameters, gradients,
  // optimizer state, inputs), so the two lines are comparable.
  const timeline = analysis.report.timeline;
  const points: MeasuredSeries['points'] = [];
  let forwardEnd = 0;
  let opIndex = -1;
  for (let x = 0; x < timeline.length; x++) {
    const p = timeline[x];
    if (p.phase !== 'forward' || p.recompute || p.microbatch) continue;
    forwardEnd = x + 1;
    opIndex++;
    const node = byNode.get(`op${opIndex}`);
    if (!node) continue;
    const outside = p.bytes.params + p.bytes.grads + p.bytes.optimizer;
    points.push({ x, bytes: outside + node.inUseBytes, op: p.op, line: p.line });
  }
  const series: MeasuredSeries | null = points.length ? { source: `onnxruntime ${outcome.version} ${outcome.providers.map((p) => p.replace('ExecutionProvider', '').toLowerCase()).join('+') || outcome.ep}`, points, phases: [{ phase: 'forward', start: 0, end: forwardEnd }] } : null;
  // The forward's peak of what the arena holds: activations and temporaries the forward made (the
  // caller's inputs and the weights live outside it).
  const inputs = analysis.report.totals.inputBytes;
  const estimatedPeakBytes = maxOf(timeline.filter((p) => p.phase === 'forward' && !p.microbatch).map((p) => p.bytes.activations + p.bytes.temporaries - inputs));
  const measuredPeakBytes = maxOf(outcome.nodes.map((n) => n.peakBytes));
  const diff = measuredPeakBytes - estimatedPeakBytes;
  const pct = estimatedPeakBytes > 0 ? `${diff >= 0 ? '+' : ''}${((100 * diff) / estimatedPeakBytes).toFixed(1)}%` : 'n/a';
  const why = diff > 0
    ? 'likely because ONNX Runtime materializes views PyTorch shares (reshapes, transposes) and its arena rounds allocations up and keeps its planned buffers (memory pattern) for the whole run'
    : diff < 0
      ? 'likely because ONNX Runtime\'s allocation plan reuses freed buffers and runs some kernels in place where PyTorch allocates anew'
      : 'equal';
  const comparison = `measured forward peak (arena in use) ${formatBytes(measuredPeakBytes)} vs estimated ${formatBytes(estimatedPeakBytes)} (${pct})${diff === 0 ? '' : `: ${why}`}`;
  return { outcome, layers, series, mismatches, nodes: outcome.nodes.length, measuredPeakBytes, estimatedPeakBytes, comparison };
}

export { LoweringError };

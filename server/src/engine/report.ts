import { DTYPE_BYTES, Storage, Tensor, numel } from '../../../kernels/src';
import { namedBuffers, namedModules, namedParameters } from '../interpreter/torch/nn';
import { InstanceV, Loc, nativeOf } from '../interpreter/values';
import { CheckpointRegion, OPTIMIZER_STATE, PlacedRegion, StepInput, StepResult, allocated, simulateStep } from '../memory/simulate';
import type { OpRecord } from '../interpreter/tracer';
import { PlanItem, regionsOfPlan } from './checkpointPlan';
import type { AnalysisSettings, LayerReport, LineCost, PeakTensor, Report } from '../report/types';
import type { ForwardPass, RunResult } from './run';

/** Per-module costs: own parameters and the saved bytes first seen while it was the innermost module. */
interface ModuleCost {
  params: number;
  paramBytes: number;
  trainableBytes: number;
  savedBytes: number;
  /** Its parameters, the gradients and optimizer state alive at the peak, and its saved activations alive then. */
  atPeakBytes: number;
}

/**
 * What the simulator replays for one forward pass of the analyzed model at these settings: the
 * regions the code checkpoints and those of the plan (`extra`).
 */
export function stepInputOf(run: RunResult, pass: ForwardPass, settings: AnalysisSettings, extra: readonly CheckpointRegion[] = []): StepInput {
  return {
    ops: pass.ops,
    params: namedParameters(run.model).map(([, t]) => t),
    buffers: namedBuffers(run.model).map(([, t]) => t),
    inputs: pass.inputTensors,
    outputs: pass.outputs,
    loss: pass.loss,
    heldUntil: run.tracer.heldUntil,
    retained: run.tracer.retained,
    optimizer: settings.optimizer,
    device: settings.device,
    torch: run.tracer.ctx.torch,
    regions: [...pass.regions, ...extra],
    microbatches: run.microbatches,
    batchInputBytes: run.microbatches > 1 ? (run.batchInputBytes * pass.inputTensors.reduce((s, t) => s + t.storage.bytes, 0)) / Math.max(1, run.inputTensors.reduce((s, t) => s + t.storage.bytes, 0)) : undefined,
  };
}

/** The first forward pass of a run, as a ForwardPass. */
export function firstPass(run: RunResult): ForwardPass {
  return { ops: run.tracer.ops, inputTensors: run.inputTensors, outputs: run.outputs, loss: run.loss, calls: run.lib.calls, regions: run.regions };
}

/**
 * Bytes of the unique activation storages autograd saves for backward, attributed where first
 * saved. Inside a checkpointed region (`regions`, as simulated) nothing is saved: what its ops
 * would save is recomputed, or kept by selective checkpointing's own cache; checkpoint saves the
 * region's inputs instead (reentrant: CheckpointFunction; non-reentrant from PyTorch 2.0:
 * `_NoopSaveInputs`), attributed to the module whose forward called it.
 */
export function attributeSaved(run: RunResult, regions: readonly PlacedRegion[] = []): { total: number; byModule: Map<string, number>; byLine: Map<string, number>; entries: SavedEntry[] } {
  const seen = new Set<number>();
  const byModule = new Map<string, number>();
  const byLine = new Map<string, number>();
  const entries: SavedEntry[] = [];
  let total = 0;
  const add = (s: Storage, module: string | null, line: Loc | null) => {
    if (s.kind !== 'activation' || seen.has(s.id)) return;
    seen.add(s.id);
    total += s.bytes;
    const m = module ?? '';
    byModule.set(m, (byModule.get(m) ?? 0) + s.bytes);
    const key = line ? lineKey(line) : null;
    if (key) byLine.set(key, (byLine.get(key) ?? 0) + s.bytes);
    entries.push({ id: s.id, module: m, line: key, bytes: s.bytes });
  };
  const ops = run.tracer.ops;
  const savesInputs = (r: PlacedRegion) => !!r.reentrant || run.tracer.ctx.torch[0] >= 2;
  let k = 0;
  ops.forEach((op, i) => {
    while (k < regions.length && regions[k].to <= i) k++;
    const r = k < regions.length && regions[k].from <= i ? regions[k] : undefined;
    if (r && r.from === i && savesInputs(r)) {
      const inputs = new Map<number, Storage>();
      for (let j = r.from; j < r.to; j++) for (const t of ops[j].inputs) if (r.inputs.has(t.storage.id)) inputs.set(t.storage.id, t.storage);
      for (const s of inputs.values()) add(s, r.caller?.module ?? op.module, r.caller?.line ?? op.line);
    }
    for (const s of op.saved) if (!(r && (r.inner.has(s.id) || r.inputs.has(s.id)))) add(s, op.module, op.line);
  });
  return { total, byModule, byLine, entries };
}

/** One saved storage: the module whose forward made it and the line that caused it. */
interface SavedEntry {
  id: number;
  module: string;
  line: string | null;
  bytes: number;
}

const lineKey = (l: Loc) => `${l.file}\u0000${l.line}`;

function tensorBytes(t: Tensor): number {
  return numel(t.shape) * DTYPE_BYTES[t.dtype];
}

/** Simulates the step and assembles the report and per-line costs. */
export function buildReport(run: RunResult, settings: AnalysisSettings, file: string, plan: readonly PlanItem[] = []): { report: Report; lines: LineCost[]; step: StepResult; planRegions: CheckpointRegion[]; blockClass: string | null } {
  // The module tree walked once here (every analysis, every edit): the rows, the costs, the peak's tensors.
  const named = namedParameters(run.model);
  const modules = namedModules(run.model);
  const params = named.map(([, t]) => t);
  const planned = regionsOfPlan(plan, run.lib.calls, run.tracer.ctx.torch);
  const step = simulateStep({ ...stepInputOf(run, firstPass(run), settings, planned.regions), file });
  // What is alive at the peak: each layer's share of it (hovers).
  const { atPeak } = step;
  const activationsAtPeak = new Map<string, number>();
  const saved = attributeSaved(run, step.regions);
  for (const e of saved.entries) if (atPeak.activations.has(e.id)) activationsAtPeak.set(e.module, (activationsAtPeak.get(e.module) ?? 0) + e.bytes);
  const optFactor = OPTIMIZER_STATE[settings.optimizer].states;

  const paths = run.lib.paths;
  const costs = new Map<InstanceV, ModuleCost>();
  const seenParam = new Map<number, string>();
  const sharedWith = new Map<InstanceV, string>();
  for (const [path, m] of modules) {
    let n = 0;
    let bytes = 0;
    let trainable = 0;
    let gradsAtPeak = 0;
    for (const p of m.module!.params.values()) {
      if (p.k !== 'tensor') continue;
      const owner = seenParam.get(p.t.storage.id);
      if (owner !== undefined) {
        // Tied weights: counted once, with the module that registered them first.
        if (owner !== path) sharedWith.set(m, owner);
        continue;
      }
      seenParam.set(p.t.storage.id, path);
      n += numel(p.t.shape);
      bytes += p.t.storage.bytes;
      if (p.t.requiresGrad) trainable += p.t.storage.bytes;
      if (p.t.requiresGrad && atPeak.grads.has(p.t.storage.id)) gradsAtPeak += p.t.storage.bytes;
    }
    costs.set(m, { params: n, paramBytes: bytes, trainableBytes: trainable, savedBytes: saved.byModule.get(path) ?? 0, atPeakBytes: bytes + gradsAtPeak + trainable * optFactor + (activationsAtPeak.get(path) ?? 0) });
  }

  // Calls in forward order; the first call of each module gives its call line and output.
  const firstCall = new Map<InstanceV, (typeof run.lib.calls)[number]>();
  const callCount = new Map<InstanceV, number>();
  for (const c of run.lib.calls) {
    if (!firstCall.has(c.module)) firstCall.set(c.module, c);
    callCount.set(c.module, (callCount.get(c.module) ?? 0) + 1);
  }
  const isLeaf = (m: InstanceV) => ![...m.module!.children.values()].some((c) => c.k === 'instance');
  const row = (path: string, m: InstanceV): LayerReport => {
    const cost = costs.get(m)!;
    const call = firstCall.get(m);
    const out = call?.output.k === 'tensor' ? call.output.t : null;
    return {
      path,
      kind: m.cls.name,
      file: m.module!.created.file,
      line: m.module!.created.line,
      ...(m.module!.created.column !== undefined ? { column: m.module!.created.column } : {}),
      callLine: call ? call.line.line : null,
      ...(call?.line.column !== undefined ? { callColumn: call.line.column } : {}),
      params: cost.params,
      outputShape: out ? [...out.shape] : null,
      outputBytes: out ? tensorBytes(out) : 0,
      savedBytes: cost.savedBytes,
      atPeakBytes: cost.atPeakBytes,
      measured: null,
      leaf: isLeaf(m),
      calls: callCount.get(m) ?? 0,
      paramBytes: cost.paramBytes,
      gradBytes: cost.trainableBytes,
      optimizerBytes: cost.trainableBytes * optFactor,
      ...(sharedWith.has(m) ? { sharedWith: sharedWith.get(m) } : {}),
      unknowns: run.interp.unknowns.filter((u) => u.module !== undefined && u.module !== null && (path === '' || u.module === path || u.module.startsWith(`${path}.`))).length,
    };
  };
  const called = modules.filter(([, m]) => firstCall.has(m)).sort(([, a], [, b]) => run.lib.calls.indexOf(firstCall.get(a)!) - run.lib.calls.indexOf(firstCall.get(b)!));
  const layers: LayerReport[] = [];
  for (const [path, m] of called) if (isLeaf(m) || costs.get(m)!.savedBytes > 0) layers.push(row(path, m));
  for (const [path, m] of modules) if (!firstCall.has(m) && isLeaf(m)) layers.push(row(path, m));

  const lines = lineCosts(run, costs, saved.entries, optFactor, paths, sharedWith);

  const totals = {
    params: params.reduce((s, t) => s + numel(t.shape), 0),
    trainableParams: params.filter((t) => t.requiresGrad).reduce((s, t) => s + numel(t.shape), 0),
    paramBytes: step.paramBytes,
    gradBytes: step.gradBytes,
    optimizerBytes: step.optimizerBytes,
    bufferBytes: step.bufferBytes,
    inputBytes: step.inputBytes,
    savedActivationBytes: saved.total,
    peakBytes: step.peakBytes,
    peakPhase: step.peakPhase,
    peakComposition: step.peakComposition,
  };
  const report: Report = {
    version: 1,
    file,
    entry: run.entry,
    entryGuessed: run.entryGuessed,
    inputs: run.inputs.map((i) => ({
      name: i.name, dtype: i.dtype, shape: i.shape, guessed: i.guessed,
      ...(i.argument !== undefined ? { argument: i.argument, index: i.index } : {}),
      ...(i.keyword ? { keyword: true } : {}),
    })),
    omittedArguments: run.omitted.map((o) => ({ name: o.name, note: o.note })),
    settings: {
      precision: settings.precision, optimizer: settings.optimizer, device: settings.device, torch: settings.torch,
      checkpoint: [...plan.map((p) => p.text), ...run.regions.map((r) => r.label)], batch: run.batch,
      ...(run.microbatches > 1 ? { microbatch: run.microbatches } : {}),
    },
    totals,
    layers,
    unknowns: run.interp.unknowns.map((u) => ({ file: u.file, line: u.line, ...(u.column !== undefined ? { column: u.column } : {}), reason: u.reason, ...(u.module !== undefined && u.module !== null ? { module: u.module } : {}), ...(u.kind ? { kind: u.kind } : {}) })),
    unknownsOutsideModel: run.interp.outsideUnknowns.length,
    timeline: step.timeline,
    maxBatch: null,
    budgetBytes: settings.budgetBytes,
  };
  const largest = peakTensors(run, step, settings, file, named, modules);
  if (largest.length) report.peakTensors = largest;
  const unreliable = unreliableReasons(run);
  if (unreliable.length) report.unreliable = unreliable;
  if (planned.unmatched.length) report.warnings = planned.unmatched.map((t) => `checkpoint plan item '${t}' matches no module call of the model`);
  return { report, lines, step, planRegions: planned.regions, blockClass: repeatedBlock(run) };
}

/** How many tensors alive at the peak the report lists. */
const PEAK_TENSORS = 12;

/**
 * The largest tensors alive at the training-step peak: activations and temporaries the step made
 * (named by the op that made them and its line), parameters, their gradients and optimizer state.
 */
function peakTensors(run: RunResult, step: StepResult, settings: AnalysisSettings, file: string, named: readonly [string, Tensor][], modules: readonly [string, InstanceV][]): PeakTensor[] {
  const made = new Map<number, { op: OpRecord; t: Tensor }>();
  for (const op of run.tracer.ops) for (const t of op.outputs) if (!made.has(t.storage.id)) made.set(t.storage.id, { op, t });
  // Tensors an op saved that no op returned (a mask, a reserve buffer): named by the op that saved them.
  const savedBy = new Map<number, { op: OpRecord; s: Storage }>();
  for (const op of run.tracer.ops) for (const st of op.saved) if (!made.has(st.id) && !savedBy.has(st.id)) savedBy.set(st.id, { op, s: st });
  const round = (b: number) => allocated(b, settings.device);
  const out: PeakTensor[] = [];
  const where = (loc: Loc | null) => (loc ? { line: loc.line, ...(loc.file !== file ? { file: loc.file } : {}) } : { line: null });
  // The batch's inputs: alive through the whole step (the simulator counts them from the start).
  const inputIds = new Set(run.inputTensors.map((t) => t.storage.id));
  run.inputTensors.forEach((t, i) => {
    if (run.inputTensors.findIndex((u) => u.storage.id === t.storage.id) !== i) return;
    out.push({ bytes: round(t.storage.bytes), category: 'temporaries', what: `input ${run.inputs[i]?.name ?? i}`, shape: [...t.shape], dtype: t.dtype, module: null, line: null });
  });
  for (const a of step.atPeak.tensors) {
    if (inputIds.has(a.id)) continue;
    const m = made.get(a.id);
    const saved = m ? undefined : savedBy.get(a.id);
    const bytes = round(m?.t.storage.bytes ?? saved?.s.bytes ?? 0);
    if (!bytes) continue;
    const op = m?.op ?? saved?.op;
    const kind = op ? op.kind.replace(/^aten\./, '') : '';
    const what = m ? `${a.recomputed ? 'recomputed ' : ''}${kind} output` : saved ? `${a.recomputed ? 'recomputed ' : ''}tensor ${kind} saved` : 'tensor';
    out.push({ bytes, category: a.category, what, shape: m ? [...m.t.shape] : null, dtype: m?.t.dtype ?? null, module: op?.module ?? null, ...where(op?.line ?? null) });
  }
  const states = OPTIMIZER_STATE[settings.optimizer].states;
  const seen = new Set<number>();
  const built = new Map(modules.map(([p, m]) => [p, m.module!.created]));
  for (const [name, t] of named) {
    if (seen.has(t.storage.id)) continue;
    seen.add(t.storage.id);
    const bytes = round(t.storage.bytes);
    const owner = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : '';
    const loc = built.get(owner) ?? null;
    const base = { shape: [...t.shape], dtype: t.dtype, module: owner, ...where(loc) };
    out.push({ bytes, category: 'params', what: name, ...base });
    if (t.requiresGrad && step.atPeak.grads.has(t.storage.id)) out.push({ bytes, category: 'grads', what: `${name}.grad`, ...base });
    if (t.requiresGrad && states > 0) out.push({ bytes: bytes * states, category: 'optimizer', what: `${settings.optimizer} state of ${name}`, ...base, shape: states > 1 ? [states, ...t.shape] : [...t.shape] });
  }
  out.sort((a, b) => b.bytes - a.bytes);
  return out.slice(0, PEAK_TENSORS);
}

/**
 * The class of the block the model repeats most (a class of the model's code or library, called at
 * least twice, not a leaf layer, not the model): what "checkpoint every block" means for the view's checkpoint switch. Null when none.
 */
function repeatedBlock(run: RunResult): string | null {
  const counts = new Map<string, number>();
  for (const c of run.lib.calls) {
    // The model itself, and torch's own containers (Sequential, ModuleList): not a block of the model's.
    if (c.module === run.model || c.module.cls.native) continue;
    if (![...c.module.module!.children.values()].some((v) => v.k === 'instance')) continue;
    counts.set(c.module.cls.name, (counts.get(c.module.cls.name) ?? 0) + 1);
  }
  let best: string | null = null;
  for (const [name, n] of counts) if (n >= 2 && (best === null || n > counts.get(best)!)) best = name;
  return best;
}

/**
 * What makes figures that were computed unreliable: a text mid-edit that still builds but is not
 * the model the user means (a dimension typed as 0, an `n_layer` emptied to 0, a shape PyTorch
 * would reject). At most a few reasons, each naming where.
 */
function unreliableReasons(run: RunResult): string[] {
  const out: string[] = [];
  for (const u of run.interp.unknowns) {
    if (u.kind === 'error') {
      out.push(`PyTorch would raise at line ${u.line}${u.module ? ` (in \`${u.module}\`)` : ''}: ${u.reason}`);
      break;
    }
  }
  // A parameter or a layer's output with a zero-size dimension (`nn.Linear(d, 0)` mid-typing);
  // ops inside layers may make empty tensors by design (an empty cache), so only these count.
  const zeroParam = namedParameters(run.model).find(([, t]) => t.shape.includes(0));
  const zeroCall = zeroParam ? undefined : run.lib.calls.find((c) => c.output.k === 'tensor' && c.output.t.shape.includes(0));
  if (zeroParam) out.push(`the parameter \`${zeroParam[0]}\` has a zero-size dimension [${zeroParam[1].shape.join(', ')}]`);
  else if (zeroCall && zeroCall.output.k === 'tensor') out.push(`the output of \`${run.lib.paths.get(zeroCall.module) ?? zeroCall.path}\` has a zero-size dimension [${zeroCall.output.t.shape.join(', ')}] (line ${zeroCall.line.line})`);
  for (const [path, m] of namedModules(run.model)) {
    const kind = nativeName(m);
    // An empty nn.Sequential is a common identity; an empty ModuleList is a stack of 0 layers.
    if (kind === 'ModuleList' && m.module!.children.size === 0) {
      out.push(`\`${path || 'the model'}\` is an empty ${kind} (built with 0 layers?)`);
      break;
    }
  }
  return out;
}

function nativeName(m: InstanceV): string {
  return nativeOf(m.cls)?.owner.name ?? m.cls.name;
}

/** Inlay-hint costs: lines that construct modules and lines in forward that call modules or ops. */
function lineCosts(run: RunResult, costs: Map<InstanceV, ModuleCost>, savedEntries: readonly SavedEntry[], optFactor: number, paths: Map<InstanceV, string>, sharedWith: Map<InstanceV, string>): LineCost[] {
  const subtree = (m: InstanceV) => {
    const total = { paramBytes: 0, trainable: 0, saved: 0 };
    for (const [, x] of namedModules(m)) {
      const c = costs.get(x);
      if (!c) continue;
      total.paramBytes += c.paramBytes;
      total.trainable += c.trainableBytes;
      total.saved += c.savedBytes;
    }
    return total;
  };
  const out = new Map<string, LineCost>();
  const entry = (loc: Loc, role: 'construct' | 'call'): LineCost => {
    const key = `${role}\u0000${lineKey(loc)}`;
    let e = out.get(key);
    if (!e) {
      e = { file: loc.file, line: loc.line, role, modules: [], count: 0, repeats: 1, savedBytes: 0, paramBytes: 0, gradBytes: 0, optimizerBytes: 0, outputShape: null };
      out.set(key, e);
    }
    return e;
  };

  // Construction lines: the top-most modules built on each line (a one-line Sequential counts once).
  const parentOf = new Map<InstanceV, InstanceV>();
  for (const [, m] of namedModules(run.model)) for (const c of m.module!.children.values()) if (c.k === 'instance' && !parentOf.has(c)) parentOf.set(c, m);
  for (const [path, m] of namedModules(run.model)) {
    if (m === run.model) continue;
    const created = m.module!.created;
    const parent = parentOf.get(m);
    if (parent && parent !== run.model && lineKey(parent.module!.created) === lineKey(created)) continue;
    const e = entry(created, 'construct');
    const t = subtree(m);
    e.modules.push(path);
    e.count++;
    e.savedBytes += t.saved;
    e.paramBytes += t.paramBytes;
    e.gradBytes += t.trainable;
    e.optimizerBytes += t.trainable * optFactor;
  }

  // A model a library built (its class is defined elsewhere): the script line that built it
  // carries the whole model, its top-level blocks listed.
  const built = run.modelLoc;
  if (built && run.model.cls.loc?.file !== built.file) {
    const e = entry(built, 'construct');
    const t = subtree(run.model);
    e.modules.push(...[...run.model.module!.children.keys()].filter((k) => run.model.module!.children.get(k)?.k === 'instance'));
    e.count = 1;
    e.savedBytes = t.saved;
    e.paramBytes = t.paramBytes;
    e.gradBytes = t.trainable;
    e.optimizerBytes = t.trainable * optFactor;
  }

  // Call lines: modules called there (not those run by a container called on the same line), plus
  // the saved bytes of every op that line caused.
  const callParent = new Map<number, number>();
  run.lib.calls.forEach((c, i) => {
    for (let j = i - 1; j >= 0; j--) {
      const p = run.lib.calls[j];
      if (p.firstOp <= c.firstOp && p.lastOp >= c.lastOp && p !== c) {
        callParent.set(i, j);
        break;
      }
    }
  });
  run.lib.calls.forEach((c, i) => {
    if (c.module === run.model) return;
    const p = callParent.get(i);
    if (p !== undefined && lineKey(run.lib.calls[p].line) === lineKey(c.line)) return;
    const e = entry(c.line, 'call');
    const t = subtree(c.module);
    e.modules.push(paths.get(c.module) ?? c.path);
    e.count++;
    e.paramBytes += t.paramBytes;
    e.gradBytes += t.trainable;
    e.optimizerBytes += t.trainable * optFactor;
    if (c.output.k === 'tensor') e.outputShape = [...c.output.t.shape];
    const shared = sharedWith.get(c.module);
    if (shared !== undefined && !(e.sharedWith ??= []).includes(shared)) e.sharedWith.push(shared);
  });
  // Saved bytes of a call line: what its own ops saved, and everything the modules it calls saved
  // (a block's whole subtree, wherever in the block's file each op ran).
  for (const en of savedEntries) {
    if (en.line === null) continue;
    const [file, line] = en.line.split('\u0000');
    entry({ file, line: Number(line) }, 'call');
  }
  for (const e of out.values()) {
    if (e.role !== 'call') continue;
    const key = lineKey(e);
    const under = (m: string) => e.modules.some((p) => m === p || m.startsWith(`${p}.`));
    for (const en of savedEntries) if (en.line === key || under(en.module)) e.savedBytes += en.bytes;
  }
  // How many times each call line runs: the calls of one module name on it (blocks.0.fc …
  // blocks.11.fc, or a loop's calls), and the runs of the ops it causes (an op kind every run
  // makes, counted once per run).
  const opKinds = new Map<string, Map<string, number>>();
  for (const op of run.tracer.ops) {
    if (!op.line) continue;
    const key = lineKey(op.line);
    const kinds = opKinds.get(key) ?? new Map<string, number>();
    kinds.set(op.kind, (kinds.get(op.kind) ?? 0) + 1);
    opKinds.set(key, kinds);
  }
  for (const e of out.values()) {
    const byName = new Map<string, number>();
    for (const m of e.modules) {
      const name = m.split('.').filter((part) => !/^\d+$/.test(part)).pop() ?? m;
      byName.set(name, (byName.get(name) ?? 0) + 1);
    }
    const kinds = e.role === 'call' ? opKinds.get(lineKey(e)) : undefined;
    const opRuns = kinds && !e.modules.length ? Math.min(...kinds.values()) : 1;
    e.repeats = Math.max(1, opRuns, ...byName.values());
  }
  return [...out.values()].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file.localeCompare(b.file)));
}

export type { Storage };

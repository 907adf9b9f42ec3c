import { DTYPE_BYTES, Device, Release, Storage, Tensor, atenBase, derivativeEntry, isPointwise, numel } from '../../../kernels/src';
import type { OpRecord } from '../interpreter/tracer';
import type { Loc } from '../interpreter/values';
import type { Composition, OptimizerKind, Phase, TimelinePoint } from '../report/types';

/** What the simulator replays: the traced forward (and loss) and the model's persistent tensors. */
export interface StepInput {
  readonly ops: readonly OpRecord[];
  readonly params: readonly Tensor[];
  readonly buffers: readonly Tensor[];
  readonly inputs: readonly Tensor[];
  /** Tensors the forward returned (kept alive until backward ends, as a training loop holds them). */
  readonly outputs: readonly Tensor[];
  /** The scalar `loss.backward()` starts from; null: no backward (nothing requires grad). */
  readonly loss: Tensor | null;
  /** Storage id → op index through which a Python variable kept it alive (see Tracer.heldUntil). */
  readonly heldUntil?: ReadonlyMap<number, number>;
  /**
   * Storage id → op index through which an object attribute referred to it (see
   * Tracer.retained); past this step's last op: alive through backward.
   */
  readonly retained?: ReadonlyMap<number, number>;
  readonly optimizer: OptimizerKind;
  readonly device: Device;
  /** The PyTorch release whose autograd formulas apply. */
  readonly torch: Release;
  /** Activation-checkpointed regions of the forward (torch.utils.checkpoint in the code, or a plan). */
  readonly regions?: readonly CheckpointRegion[];
  /**
   * Gradient accumulation: the batch runs as this many microbatches, each a forward and backward
   * of `ops` (traced at the microbatch size), before one optimizer step. 1 (default): no accumulation.
   */
  readonly microbatches?: number;
  /** Bytes of the whole batch's inputs when `microbatches` > 1 (the microbatches are views of it). */
  readonly batchInputBytes?: number;
  /** Only the peak and each point's total (`totals`, `phases`): no timeline entries (the planner's many simulations). */
  readonly totalsOnly?: boolean;
  /** The analyzed file: timeline points name another file only when an op's line is in it. */
  readonly file?: string;
}

/**
 * Ops run under activation checkpointing (torch.utils.checkpoint): what autograd would save inside
 * is dropped after forward and recomputed when backward reaches the region; the region's inputs
 * stay alive until its backward is done.
 */
export interface CheckpointRegion {
  /** OpRecord.index of the region's first op, and one past its last. */
  readonly first: number;
  readonly end: number;
  /**
   * The recompute runs every op of the region (use_reentrant=True, and PyTorch before 2.1); else it
   * stops after the last op that saves a tensor (non-reentrant checkpoint's early stop).
   */
  readonly full: boolean;
  /**
   * Reentrant checkpoint (CheckpointFunction): the region's forward runs without grad, its inputs
   * are saved by autograd (save_for_backward), the recompute runs when the output's gradient arrives.
   */
  readonly reentrant?: boolean;
  /**
   * Selective checkpointing: the ops whose outputs are kept from forward, not recomputed — aten
   * names with their overload (`mm.default`, `add.Tensor`) or without (`mm`: every overload).
   */
  readonly keep?: ReadonlySet<string>;
  /** What the region is (a module path, `checkpoint(...)` at a line): for the timeline. */
  readonly label: string;
  /** The module whose forward checkpointed it ("" the root) and the line: where what checkpoint saves is attributed. */
  readonly caller?: { readonly module: string; readonly line: Loc | null };
}

export interface StepResult {
  readonly timeline: TimelinePoint[];
  readonly peakBytes: number;
  readonly peakPhase: Phase;
  readonly peakComposition: Composition;
  readonly peakIndex: number;
  /**
   * At the peak: the parameter storages whose gradient exists, the saved activations alive, and
   * every activation or temporary tensor alive (a recomputed copy flagged), for the view's list.
   */
  readonly atPeak: {
    readonly grads: ReadonlySet<number>;
    readonly activations: ReadonlySet<number>;
    readonly tensors: readonly { readonly id: number; readonly category: Category; readonly recomputed: boolean }[];
  };
  readonly paramBytes: number;
  readonly gradBytes: number;
  readonly optimizerBytes: number;
  readonly bufferBytes: number;
  readonly inputBytes: number;
  /** The checkpointed regions as simulated (positions in `ops`). */
  readonly regions: readonly PlacedRegion[];
  /** The position in `ops` of the op each timeline point is for (−1: the loss seed, the optimizer). */
  readonly pointOps: readonly number[];
  /** Live bytes and phase at each point (the timeline's, also when `totalsOnly` left it empty). */
  readonly totals: readonly number[];
  readonly phases: readonly Phase[];
}

/** CUDA's caching allocator hands out blocks in multiples of 512 bytes (max_memory_allocated counts them). */
export function allocated(bytes: number, device: Device): number {
  if (device !== 'cuda' || bytes === 0) return bytes;
  return Math.ceil(bytes / 512) * 512;
}

/** Optimizer state per trainable parameter, in multiples of the parameter's bytes. */
export const OPTIMIZER_STATE: Record<OptimizerKind, { states: number }> = {
  none: { states: 0 },
  sgd: { states: 0 },
  // momentum_buffer
  momentum: { states: 1 },
  // exp_avg and exp_avg_sq
  adam: { states: 2 },
  adamw: { states: 2 },
};

const isAdam = (o: OptimizerKind) => o === 'adam' || o === 'adamw';

/**
 * Bytes of optimizer state: the per-parameter buffers, and Adam's `step` counter — a 4-byte
 * float32 tensor per parameter that stays on the CPU (torch/optim/adam.py unless fused or
 * capturable): device memory on the CPU only (measured with AdamW on 1.13, 2.13, 2.14 CPU).
 */
export function optimizerStateBytes(optimizer: OptimizerKind, device: Device, trainableBytes: readonly number[]): number {
  const buffers = OPTIMIZER_STATE[optimizer].states * trainableBytes.reduce((a, b) => a + b, 0);
  return buffers + (isAdam(optimizer) && device === 'cpu' ? 4 * trainableBytes.length : 0);
}

/**
 * Scratch of one optimizer step. Adam's update builds the denominator out of place:
 * `denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)`. Off the GPU PyTorch runs the
 * per-parameter loop (measured, AdamW on 1.13/2.13/2.14 CPU): for parameter i the `sqrt` and
 * the division's result coexist while the previous parameter's `denom` is still bound, so the
 * peak is max over i of 2·size(i) + size(i−1), in parameter order. On CUDA the default foreach
 * implementation takes the square roots of all parameters at once (`_foreach_sqrt`; unmeasured):
 * one copy of all parameters. SGD and momentum update in place.
 */
export function optimizerScratch(optimizer: OptimizerKind, device: Device, trainableBytes: readonly number[]): number {
  if (!isAdam(optimizer)) return 0;
  if (device === 'cuda') return trainableBytes.reduce((a, b) => a + b, 0);
  let worst = 0;
  trainableBytes.forEach((b, i) => (worst = Math.max(worst, 2 * b + (i > 0 ? trainableBytes[i - 1] : 0))));
  return worst;
}

type Category = keyof Composition;

/** A gradient tensor of backward; several inputs' gradients may be one buffer (`add` passes its own on). */
interface GradBuffer {
  readonly bytes: number;
  refs: number;
}

/**
 * Which inputs of an op get the incoming gradient itself rather than a new tensor: those whose
 * derivatives.yaml formula is `grad` (add's self and other, clone's self; kernels/catalog
 * `passthrough`), and every input of `cat`/`stack`, whose backward hands each input a view (a
 * `narrow`/`select`) of the incoming gradient. A loss `sum`'s gradient is an expand: a view too.
 */
function passthrough(release: Release, op: OpRecord): (k: number) => boolean {
  const base = atenBase(op.kind);
  if (base === 'cat' || base === 'stack' || (base === 'sum' && op.outputs.every((t) => t.shape.length === 0))) return () => true;
  const names = kindInfo(release, op.kind).passthrough;
  if (!names?.length || !op.inputNames) return () => false;
  return (k) => names.includes(op.inputNames![k]);
}

/** What the backward needs of an op's catalog entry, looked up once per release and op. */
const kindInfos = new Map<string, { passthrough: readonly string[] | undefined; pointwise: boolean }>();
function kindInfo(release: Release, kind: string): { passthrough: readonly string[] | undefined; pointwise: boolean } {
  const key = `${release[0]}.${release[1]}|${kind}`;
  let info = kindInfos.get(key);
  if (!info) {
    info = { passthrough: derivativeEntry(release, kind)?.derivative?.passthrough, pointwise: isPointwise(kind) };
    kindInfos.set(key, info);
  }
  return info;
}

/**
 * Replays one steady-state training iteration over the traced ops — forward (ops of the model
 * and of the loss), `loss.backward()`, the optimizer step, `zero_grad(set_to_none=True)` —
 * tracking live bytes by category, as the measured ground truth does (test/groundtruth/measure.py:
 * live tensor bytes after every aten op):
 * - forward: a tensor lives until its last use unless autograd saved it; outputs live through backward;
 * - backward starts from a 4-byte `ones_like(loss)`; only ops on a path to the loss run their
 *   backward (`sum`'s is an expand: no memory); each allocates the gradients of its inputs that
 *   need grad, then releases the gradient of its output and the tensors it saved;
 * - parameter gradients appear when first produced and live through the optimizer step.
 */
export function simulateStep(input: StepInput): StepResult {
  const { ops, device } = input;
  const round = (b: number) => allocated(b, device);
  const live: Composition = { params: 0, grads: 0, optimizer: 0, activations: 0, temporaries: 0 };
  const timeline: TimelinePoint[] = [];
  let peak = -1;
  let peakAt: { phase: Phase; composition: Composition; index: number } = { phase: 'forward', composition: { ...live }, index: 0 };
  const total = () => live.params + live.grads + live.optimizer + live.activations + live.temporaries;
  const paramGrad = new Set<number>();
  // Backward uses of each parameter (counted in the first microbatch), and in a later one how
  // many of them are still to come while their summed gradient waits.
  const paramUses = new Map<number, number>();
  const pending = new Map<number, number>();
  const category = new Map<number, Category>();
  // Timeline indexes from which each tensor of the step and each parameter's gradient exist (and,
  // for tensors, until which): what is alive at the peak, read off once it is known. A recomputed
  // copy is keyed −1−id; a tensor made again in a later microbatch opens a new span.
  const spans: { id: number; cat: Category; from: number; to: number }[] = [];
  const openSpans = new Map<number, number>();
  const openSpan = (key: number, cat: Category) => {
    if (input.totalsOnly || openSpans.has(key)) return;
    openSpans.set(key, spans.length);
    spans.push({ id: key, cat, from: totals.length, to: Infinity });
  };
  const closeSpan = (key: number) => {
    const k = openSpans.get(key);
    if (k === undefined) return;
    spans[k].to = totals.length;
    openSpans.delete(key);
  };
  // Bytes of recomputed copies alive, by category (inside `live`'s activations and temporaries).
  const recomputed = { activations: 0, temporaries: 0 };
  const gradSince = new Map<number, number>();
  const microbatches = Math.max(1, Math.floor(input.microbatches ?? 1));
  let micro = 0;
  let recomputing = false;
  // The op position each point is for (−1: the loss seed, the optimizer).
  const pointOps: number[] = [];
  let at = -1;
  // Per point: its live bytes and phase (always), and the timeline entry (unless `totalsOnly`).
  const totals: number[] = [];
  const phases: Phase[] = [];
  const point = (phase: Phase, op: string, line: number | null, extra = 0, extraCat: Category = 'temporaries') => {
    const sum = total() + extra;
    const index = totals.length;
    totals.push(sum);
    phases.push(phase);
    pointOps.push(at);
    let bytes: Composition | null = null;
    if (!input.totalsOnly) {
      bytes = { ...live };
      bytes[extraCat] += extra;
      const p: TimelinePoint = { i: index, phase, op, line, bytes };
      if (at >= 0) {
        const o = ops[at];
        if (o.line && o.line.file !== input.file) p.file = o.line.file;
        if (o.module !== null && o.module !== undefined) p.module = o.module;
      }
      if (recomputing) p.recompute = true;
      if (recomputed.activations || recomputed.temporaries) p.recomputedBytes = { ...recomputed };
      if (microbatches > 1 && micro > 0) p.microbatch = micro;
      timeline.push(p);
    }
    if (sum > peak) {
      peak = sum;
      if (!bytes) {
        bytes = { ...live };
        bytes[extraCat] += extra;
      }
      peakAt = { phase, composition: bytes, index };
    }
  };

  const paramStorages = new Set(input.params.map((t) => t.storage.id));
  const trainable = input.params.filter((t) => t.requiresGrad);
  const trainableBytes = uniqueStorages(trainable.map((t) => t.storage)).map((s) => round(s.bytes));
  const paramBytes = sumStorages(input.params.map((t) => t.storage), round);
  const bufferBytes = sumStorages(input.buffers.map((t) => t.storage), round);
  const inputBytes = microbatches > 1 && input.batchInputBytes !== undefined ? round(input.batchInputBytes) : sumStorages(input.inputs.map((t) => t.storage), round);
  const gradBytes = trainableBytes.reduce((a, b) => a + b, 0);
  const optimizerBytes = optimizerStateBytes(input.optimizer, device, trainableBytes);

  live.params = paramBytes + bufferBytes;
  live.optimizer = optimizerBytes;
  live.temporaries = inputBytes;

  // ── what the forward keeps ──
  const producer = new Map<number, number>();
  ops.forEach((op, i) => {
    for (const t of op.outputs) if (!producer.has(t.storage.id)) producer.set(t.storage.id, i);
  });
  const regions = placeRegions(ops, input.regions ?? [], producer);
  // The region (index) each op position is in, −1 outside any.
  const regionIndex = new Int32Array(ops.length).fill(-1);
  regions.forEach((r, k) => regionIndex.fill(k, r.from, r.to));
  const regionAt = (i: number): PlacedRegion | undefined => (regionIndex[i] >= 0 ? regions[regionIndex[i]] : undefined);
  const savers = new Map<number, number>(); // storage id → number of saves keeping it from forward to backward
  ops.forEach((op, i) => {
    const r = regionAt(i);
    for (const s of op.saved) {
      if (!isActivation(s)) continue;
      if (r && r.inner.has(s.id) && !r.kept.has(s.id)) r.recomputed.set(s.id, (r.recomputed.get(s.id) ?? 0) + 1);
      else if (!(r && !r.inner.has(s.id))) savers.set(s.id, (savers.get(s.id) ?? 0) + 1);
    }
  });
  // A region's inputs stay referenced (by the checkpoint's frame, or saved by reentrant
  // checkpoint's CheckpointFunction) until its backward is done.
  for (const r of regions) for (const id of r.inputs) savers.set(id, (savers.get(id) ?? 0) + 1);
  // Selective checkpointing caches the kept ops' outputs from forward until the recompute takes them.
  for (const r of regions) for (const id of r.kept) savers.set(id, (savers.get(id) ?? 0) + 1);
  const lastUse = new Map<number, number>();
  const first = ops.length ? ops[0].index : 0;
  ops.forEach((op, i) => {
    for (const t of op.inputs) lastUse.set(t.storage.id, i);
  });
  const storagesById = new Map<number, Storage>();
  for (const op of ops) {
    for (const t of op.inputs) storagesById.set(t.storage.id, t.storage);
    for (const t of op.outputs) storagesById.set(t.storage.id, t.storage);
  }
  for (const op of ops) for (const s of op.saved) if (!storagesById.has(s.id)) storagesById.set(s.id, s);
  // A variable that still refers to a tensor keeps it alive past its last use (tensors of another
  // forward pass of the same model, which the tracer also saw, are not this step's).
  for (const [id, at] of input.heldUntil ?? []) {
    const i = at - first;
    if (storagesById.has(id) && i >= 0 && i < ops.length && i > (lastUse.get(id) ?? -1)) lastUse.set(id, i);
  }
  const kept = new Set(input.outputs.map((t) => t.storage.id));
  if (input.loss) kept.add(input.loss.storage.id);
  for (const [id, at] of input.retained ?? []) {
    if (!storagesById.has(id)) continue;
    const i = at - first;
    if (i >= ops.length - 1) kept.add(id);
    else if (i >= 0 && i > (lastUse.get(id) ?? -1)) lastUse.set(id, i);
  }
  // Storages freed after an op that does not use them (their variable dropped then).
  const releasedAt = new Map<number, number[]>();
  for (const [id, i] of lastUse) {
    if (savers.has(id) || kept.has(id) || ops[i].inputs.some((t) => t.storage.id === id)) continue;
    const list = releasedAt.get(i);
    if (list) list.push(id);
    else releasedAt.set(i, [id]);
  }

  const storages = new Map<number, Storage>();
  const allocate = (s: Storage) => {
    if (category.has(s.id) || !isActivation(s)) return;
    const cat: Category = savers.has(s.id) ? 'activations' : 'temporaries';
    category.set(s.id, cat);
    openSpan(s.id, cat);
    storages.set(s.id, s);
    live[cat] += round(s.bytes);
  };
  const release = (s: Storage) => {
    const cat = category.get(s.id);
    if (!cat) return;
    live[cat] -= round(s.bytes);
    category.delete(s.id);
    closeSpan(s.id);
  };

  /** One forward and backward of `ops` (one microbatch of several, or the whole batch). */
  const pass = () => {
    // ── forward ──
    ops.forEach((op, i) => {
      for (const s of op.saved) if (savers.has(s.id)) allocate(s);
      for (const t of op.outputs) allocate(t.storage);
      at = i;
      point('forward', op.kind, op.line?.line ?? null, op.workspaceBytes);
      for (const t of op.inputs) {
        const id = t.storage.id;
        if (lastUse.get(id) === i && !savers.has(id) && !kept.has(id)) release(t.storage);
      }
      for (const t of op.outputs) {
        const id = t.storage.id;
        if (!lastUse.has(id) && !savers.has(id) && !kept.has(id)) release(t.storage);
      }
      // Saved by nothing that keeps it (a checkpointed region's own saves) and used by nothing.
      for (const s of op.saved) if (!savers.has(s.id) && !lastUse.has(s.id) && !kept.has(s.id)) release(s);
      // Tensors whose last reference went after this op without another use.
      for (const id of releasedAt.get(i) ?? []) release(storagesById.get(id)!);
    });

    // ── backward ──
    const remaining = new Map(savers);
    const unsave = (id: number) => {
      if (!remaining.has(id)) return;
      const left = remaining.get(id)! - 1;
      remaining.set(id, left);
      if (left === 0 && !kept.has(id)) release(storagesById.get(id)!);
    };
    // Recomputed copies of checkpointed regions' tensors: storage id → its bytes and category.
    const copies = new Map<number, { bytes: number; cat: Category }>();
    const copy = (id: number, cat: Category) => {
      if (copies.has(id)) return;
      const bytes = round(storagesById.get(id)!.bytes);
      copies.set(id, { bytes, cat });
      live[cat] += bytes;
      if (cat === 'activations' || cat === 'temporaries') recomputed[cat] += bytes;
      openSpan(-1 - id, cat);
    };
    const uncopy = (id: number) => {
      const c = copies.get(id);
      if (!c) return;
      live[c.cat] -= c.bytes;
      if (c.cat === 'activations' || c.cat === 'temporaries') recomputed[c.cat] -= c.bytes;
      copies.delete(id);
      closeSpan(-1 - id);
    };
    const state = regions.map(() => ({ recomputed: false, done: false, left: new Map<number, number>(), held: [] as GradBuffer[], uncached: new Set<number>() }));
    let dropHeld: (b: GradBuffer) => void = () => undefined;
    const finish = (k: number) => {
      const r = regions[k];
      const st = state[k];
      if (st.done) return;
      st.done = true;
      for (const id of r.inputs) unsave(id);
      for (const id of r.kept) if (!st.uncached.has(id)) unsave(id);
      for (const id of [...copies.keys()]) if (r.inner.has(id)) uncopy(id);
      for (const b of st.held.splice(0)) dropHeld(b);
    };
    // Backward reaches a checkpointed region: its forward runs again (up to the last op that saves a
    // tensor, unless `full`), keeping what its ops save and freeing the rest as it goes.
    const recompute = (k: number) => {
      const r = regions[k];
      state[k].recomputed = true;
      state[k].left = new Map(r.recomputed);
      const stop = r.full ? r.to - 1 : r.lastSaving;
      const lastIn = new Map<number, number>();
      for (let j = r.from; j <= stop; j++) for (const t of ops[j].inputs) lastIn.set(t.storage.id, j);
      recomputing = true;
      for (let j = r.from; j <= stop; j++) {
        const op = ops[j];
        if (keeps(r, op.kind)) {
          // Its output comes from the cache (kept from forward): the cache lets go of it.
          for (const t of op.outputs) if (r.kept.has(t.storage.id) && !state[k].uncached.has(t.storage.id)) {
            state[k].uncached.add(t.storage.id);
            unsave(t.storage.id);
          }
          continue;
        }
        for (const s of op.saved) if (r.recomputed.has(s.id)) copy(s.id, 'activations');
        for (const t of op.outputs) {
          const id = t.storage.id;
          if (r.inner.has(id) && !r.kept.has(id) && isActivation(t.storage)) copy(id, r.recomputed.has(id) ? 'activations' : 'temporaries');
        }
        at = j;
        point('backward', op.kind, op.line?.line ?? null, op.workspaceBytes);
        const free = (id: number) => {
          const c = copies.get(id);
          // Reentrant: the recomputed outputs are the inner backward's roots, alive until it ends.
          if (c?.cat === 'temporaries' && !(r.reentrant && r.outputs.has(id))) uncopy(id);
        };
        for (const t of op.inputs) if (lastIn.get(t.storage.id) === j) free(t.storage.id);
        for (const t of op.outputs) if (!lastIn.has(t.storage.id)) free(t.storage.id);
      }
      recomputing = false;
    };

    if (input.loss?.requiresGrad) {
      const gradOf = new Map<number, GradBuffer>(); // storage id → the buffer holding its gradient
      const reached = new Set<number>([input.loss.storage.id]);
      const drop = (b: GradBuffer) => {
        if (--b.refs === 0) live.temporaries -= b.bytes;
      };
      dropHeld = drop;
      const seed: GradBuffer = { bytes: round(DTYPE_BYTES[input.loss.dtype]), refs: 1 };
      gradOf.set(input.loss.storage.id, seed);
      live.temporaries += seed.bytes;
      at = -1;
      point('backward', 'ones_like', null);
      let passed = regions.length - 1;
      for (let i = ops.length - 1; i >= 0; i--) {
        // Regions backward has left (sorted by position): done.
        while (passed >= 0 && regions[passed].from > i) {
          if (state[passed].recomputed) finish(passed);
          passed--;
        }
        const op = ops[i];
        if (!op.differentiable || !op.outputs.some((t) => reached.has(t.storage.id))) continue;
        const k = regionIndex[i];
        const region = k >= 0 ? regions[k] : undefined;
        if (region && !state[k].recomputed && (region.reentrant || op.saved.length > 0)) recompute(k);
        const incoming = op.outputs.map((t) => gradOf.get(t.storage.id)).find((b) => b !== undefined);
        const passes = passthrough(input.torch, op);
        const after: (() => void)[] = [];
        // A pointwise op's gradient for a broadcast input is computed at the output's size, then
        // summed down (`sum_to`): the full-size product lives while the node runs.
        const outBytes = op.outputs.length ? round(numel(op.outputs[0].shape) * DTYPE_BYTES[op.outputs[0].dtype]) : 0;
        const broadcasts = kindInfo(input.torch, op.kind).pointwise;
        op.inputs.forEach((t, k) => {
          if (!t.requiresGrad) return;
          const id = t.storage.id;
          reached.add(id);
          const bytes = round(numel(t.shape) * DTYPE_BYTES[t.dtype]);
          const broadcast = broadcasts && numel(t.shape) < numel(op.outputs[0].shape);
          if (broadcast && !passes(k)) {
            live.temporaries += outBytes;
            after.push(() => (live.temporaries -= outBytes));
          }
          if (paramStorages.has(id)) {
            // AccumulateGrad keeps the first gradient as `.grad`; later ones (another use of the
            // parameter, a later microbatch) are added in place.
            if (micro === 1) paramUses.set(id, (paramUses.get(id) ?? 0) + 1);
            const uses = paramUses.get(id) ?? 1;
            if (!paramGrad.has(id)) {
              paramGrad.add(id);
              gradSince.set(id, totals.length);
              live.grads += round(t.storage.bytes);
            } else if (micro >= 2 && uses > 1) {
              // A later microbatch: the engine sums a parameter's gradients over its uses in one
              // buffer and adds that into `.grad` after the last; the first lives until then.
              const buffer = round(t.storage.bytes);
              const left = pending.get(id);
              if (left === undefined) {
                live.temporaries += buffer;
                pending.set(id, uses - 1);
              } else {
                live.temporaries += bytes;
                after.push(() => (live.temporaries -= bytes));
                if (left <= 1) {
                  pending.delete(id);
                  after.push(() => (live.temporaries -= buffer));
                } else pending.set(id, left - 1);
              }
            } else {
              live.temporaries += bytes;
              after.push(() => (live.temporaries -= bytes));
            }
            return;
          }
          const old = gradOf.get(id);
          if (op.inplace && k === 0 && op.onView) {
            // CopySlices (autograd's backward of an in-place op on a view): a new gradient of the
            // whole base with the incoming one copied in, a contiguous clone of the view's slice,
            // and the op's own backward on it; the base's new gradient replaces the old.
            const base: GradBuffer = { bytes: round(t.storage.bytes), refs: 1 };
            const scratch = bytes + (passes(k) ? 0 : bytes);
            live.temporaries += base.bytes + scratch;
            gradOf.set(id, base);
            after.push(() => (live.temporaries -= scratch));
            if (old) after.push(() => drop(old));
            return;
          }
          // The gradient of a view (a slice, an expand) is made at the view's size and reaches its
          // base through the view's backward after the node: a gradient of the base's size (or an
          // addition into the base's existing one), the view-shaped one then gone.
          const baseBytes = round(t.storage.bytes);
          const partial = baseBytes !== bytes;
          if (partial) {
            live.temporaries += bytes;
            after.push(() => (live.temporaries -= bytes));
          }
          // Another view of a base that already has its gradient buffer adds into it.
          if (partial && old && !(op.inplace && k === 0)) return;
          const alias = incoming !== undefined && passes(k) && !broadcast && !partial;
          const b: GradBuffer = alias ? incoming : { bytes: baseBytes, refs: 0 };
          b.refs++;
          if (partial || (op.backward?.inputGradsLate && !alias)) after.unshift(() => (live.temporaries += b.bytes));
          else if (!alias) live.temporaries += b.bytes;
          if (old && op.inplace && k === 0) {
            // In place: self's gradient takes the place of the result's (same storage).
            gradOf.set(id, b);
            after.push(() => drop(old));
          } else if (old) {
            // A second consumer's gradient is accumulated into the first buffer, then dropped.
            after.push(() => drop(b));
          } else gradOf.set(id, b);
        });
        at = i;
        point('backward', op.kind, op.line?.line ?? null, op.backward?.workspaceBytes ?? 0);
        for (const f of after) f();
        for (const t of op.outputs) {
          const id = t.storage.id;
          if (producer.get(id) === i && !op.inplace && gradOf.has(id)) {
            const b = gradOf.get(id)!;
            // Reentrant checkpoint: the gradient of the region's output is CheckpointFunction's
            // input, held until its backward (the whole region's) returns.
            if (region?.reentrant && region.outputs.has(id)) state[k].held.push(b);
            else drop(b);
            gradOf.delete(id);
          }
        }
        for (const s of op.saved) {
          if (region && region.recomputed.has(s.id)) {
            // A recomputed copy goes when the last op of the region that saved it is done.
            const left = (state[k].left.get(s.id) ?? 1) - 1;
            state[k].left.set(s.id, left);
            // Reentrant: the recomputed outputs stay referenced until CheckpointFunction.backward returns.
            if (left === 0 && !(region.reentrant && region.outputs.has(s.id))) uncopy(s.id);
          } else if (!(region && !region.inner.has(s.id))) unsave(s.id);
        }
      }
      regions.forEach((_, k) => finish(k));
      for (const b of new Set(gradOf.values())) live.temporaries -= b.refs > 0 ? b.bytes : 0;
    }
    // The graph goes with the last references to the outputs and the loss: everything the forward made.
    for (const [id, cat] of category) {
      live[cat] -= round(storages.get(id)!.bytes);
      closeSpan(id);
    }
    category.clear();
    for (const id of [...copies.keys()]) uncopy(id);
  };

  // Gradient accumulation: the first microbatch makes the gradients, every later one adds into
  // them (all alike: the second stands for the rest).
  for (micro = 1; micro <= Math.min(microbatches, 2); micro++) pass();
  micro = 0;

  // ── optimizer step ──
  at = -1;
  if (input.optimizer !== 'none') {
    point('optimizer', `${input.optimizer}.step`, null, optimizerScratch(input.optimizer, device, trainableBytes));
  }
  // zero_grad(set_to_none=True) frees the gradients before the next forward.
  live.grads = 0;
  const gradsEnd = totals.length;
  point('optimizer', 'zero_grad', null);
  const p = peakAt.index;

  return {
    timeline,
    peakBytes: peak,
    peakPhase: peakAt.phase,
    peakComposition: peakAt.composition,
    peakIndex: peakAt.index,
    atPeak: atPeakOf(spans, gradSince, p, gradsEnd, !!input.totalsOnly),
    paramBytes,
    gradBytes,
    optimizerBytes,
    bufferBytes,
    inputBytes,
    pointOps,
    totals,
    phases,
    regions,
  };
}

/** What is alive at point `p` (the peak), from the tensors' spans and the gradients' starts. */
function atPeakOf(spans: readonly { id: number; cat: Category; from: number; to: number }[], gradSince: ReadonlyMap<number, number>, p: number, gradsEnd: number, none: boolean): StepResult['atPeak'] {
  if (none) return { grads: new Set(), activations: new Set(), tensors: [] };
  const alive = spans.filter((s) => s.from <= p && p < s.to);
  return {
    grads: new Set([...gradSince].filter(([, since]) => since <= p && p < gradsEnd).map(([id]) => id)),
    activations: new Set(alive.filter((s) => s.cat === 'activations').map((s) => (s.id < 0 ? -1 - s.id : s.id))),
    tensors: alive.map((s) => ({ id: s.id < 0 ? -1 - s.id : s.id, category: s.cat, recomputed: s.id < 0 })),
  };
}

/** `mm` → `mm.default`: an op record's kind as torch.ops names the overload. */
export function overloadName(kind: string): string {
  const base = kind.startsWith('aten.') ? kind.slice(5) : kind;
  return base.includes('.') ? base : `${base}.default`;
}

function keeps(r: CheckpointRegion, kind: string): boolean {
  return !!r.keep && (r.keep.has(overloadName(kind)) || r.keep.has(atenBase(kind)));
}

/** A checkpointed region placed on the step's ops (array positions) with what it makes and keeps. */
export interface PlacedRegion extends CheckpointRegion {
  readonly from: number;
  readonly to: number;
  /** Storages the region's ops make (their outputs, what they save that no op made). */
  readonly inner: ReadonlySet<number>;
  /** Selective checkpointing: outputs of the `keep` ops, kept from forward. */
  readonly kept: ReadonlySet<number>;
  /** Inner storages its ops save (→ how many saves): dropped after forward, recomputed in backward. */
  readonly recomputed: Map<number, number>;
  /** Activation storages made before the region and used in it. */
  readonly inputs: ReadonlySet<number>;
  /** Inner storages used after the region (its outputs). */
  readonly outputs: ReadonlySet<number>;
  /** Position of the region's last op that saves a tensor (where a non-reentrant recompute stops). */
  readonly lastSaving: number;
}

/**
 * Places regions on the ops: sorted, a region inside (or overlapping) an earlier one dropped (the
 * outer checkpoint recomputes the inner one's ops), empty ones dropped.
 */
function placeRegions(ops: readonly OpRecord[], regions: readonly CheckpointRegion[], producer: ReadonlyMap<number, number>): PlacedRegion[] {
  if (!regions.length || !ops.length) return [];
  const positionOf = (index: number) => {
    let lo = 0;
    let hi = ops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ops[mid].index < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const placed: PlacedRegion[] = [];
  let end = -1;
  const lastUsed = new Map<number, number>();
  ops.forEach((op, j) => {
    for (const t of op.inputs) lastUsed.set(t.storage.id, j);
  });
  for (const r of [...regions].sort((a, b) => a.first - b.first || b.end - a.end)) {
    const from = positionOf(r.first);
    const to = positionOf(r.end);
    if (to <= from || from < end) continue;
    end = to;
    const inner = new Set<number>();
    const inputs = new Set<number>();
    const kept = new Set<number>();
    const outputs = new Set<number>();
    let lastSaving = from;
    for (let j = from; j < to; j++) {
      const op = ops[j];
      for (const t of op.inputs) {
        const p = producer.get(t.storage.id);
        if (isActivation(t.storage) && (p === undefined || p < from) && !inner.has(t.storage.id)) inputs.add(t.storage.id);
      }
      for (const t of op.outputs) if (producer.get(t.storage.id) === j) inner.add(t.storage.id);
      for (const s of op.saved) if (isActivation(s) && !producer.has(s.id)) inner.add(s.id);
      if (keeps(r, op.kind)) for (const t of op.outputs) if (producer.get(t.storage.id) === j) kept.add(t.storage.id);
      if (op.saved.length && op.differentiable) lastSaving = j;
    }
    for (const id of inner) if ((lastUsed.get(id) ?? -1) >= to) outputs.add(id);
    placed.push({ ...r, from, to, inner, kept, inputs, outputs, recomputed: new Map(), lastSaving });
  }
  return placed;
}

function isActivation(s: Storage): boolean {
  return s.kind === 'activation';
}

function uniqueStorages(storages: readonly Storage[]): Storage[] {
  const seen = new Set<number>();
  return storages.filter((s) => !seen.has(s.id) && seen.add(s.id));
}

function sumStorages(storages: readonly Storage[], round: (b: number) => number): number {
  return uniqueStorages(storages).reduce((t, s) => t + round(s.bytes), 0);
}

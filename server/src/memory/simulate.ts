import { DTYPE_BYTES, Device, Release, Storage, Tensor, atenBase, derivativeEntry, isPointwise, numel } from '../../../kernels/src';
import type { OpRecord } from '../interpreter/tracer';
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
}

export interface StepResult {
  readonly timeline: TimelinePoint[];
  readonly peakBytes: number;
  readonly peakPhase: Phase;
  readonly peakComposition: Composition;
  readonly peakIndex: number;
  /** At the peak: the parameter storages whose gradient exists, and the saved activations alive. */
  readonly atPeak: { readonly grads: ReadonlySet<number>; readonly activations: ReadonlySet<number> };
  readonly paramBytes: number;
  readonly gradBytes: number;
  readonly optimizerBytes: number;
  readonly bufferBytes: number;
  readonly inputBytes: number;
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
  const names = derivativeEntry(release, op.kind)?.derivative?.passthrough;
  if (!names?.length || !op.inputNames) return () => false;
  return (k) => names.includes(op.inputNames![k]);
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
  const category = new Map<number, Category>();
  // Timeline indexes from which each saved activation and each parameter's gradient exist (and,
  // for activations, until which): what is alive at the peak, read off once it is known.
  const activationSpan = new Map<number, [number, number]>();
  const gradSince = new Map<number, number>();
  const point = (phase: Phase, op: string, line: number | null, extra = 0, extraCat: Category = 'temporaries') => {
    const bytes = { ...live };
    bytes[extraCat] += extra;
    const sum = total() + extra;
    timeline.push({ i: timeline.length, phase, op, line, bytes });
    if (sum > peak) {
      peak = sum;
      peakAt = { phase, composition: bytes, index: timeline.length - 1 };
    }
  };

  const paramStorages = new Set(input.params.map((t) => t.storage.id));
  const trainable = input.params.filter((t) => t.requiresGrad);
  const trainableBytes = uniqueStorages(trainable.map((t) => t.storage)).map((s) => round(s.bytes));
  const paramBytes = sumStorages(input.params.map((t) => t.storage), round);
  const bufferBytes = sumStorages(input.buffers.map((t) => t.storage), round);
  const inputBytes = sumStorages(input.inputs.map((t) => t.storage), round);
  const gradBytes = trainableBytes.reduce((a, b) => a + b, 0);
  const optimizerBytes = optimizerStateBytes(input.optimizer, device, trainableBytes);

  live.params = paramBytes + bufferBytes;
  live.optimizer = optimizerBytes;
  live.temporaries = inputBytes;

  // ── forward ──
  const savers = new Map<number, number>(); // storage id → number of differentiable ops saving it
  for (const op of ops) for (const s of op.saved) if (isActivation(s)) savers.set(s.id, (savers.get(s.id) ?? 0) + 1);
  const lastUse = new Map<number, number>();
  const first = ops.length ? ops[0].index : 0;
  ops.forEach((op, i) => {
    for (const t of op.inputs) lastUse.set(t.storage.id, i);
  });
  const storagesById = new Map<number, Storage>();
  for (const op of ops) for (const t of [...op.inputs, ...op.outputs]) storagesById.set(t.storage.id, t.storage);
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
  const storages = new Map<number, Storage>();
  const allocate = (s: Storage) => {
    if (category.has(s.id) || !isActivation(s)) return;
    const cat: Category = savers.has(s.id) ? 'activations' : 'temporaries';
    category.set(s.id, cat);
    if (cat === 'activations') activationSpan.set(s.id, [timeline.length, Infinity]);
    storages.set(s.id, s);
    live[cat] += round(s.bytes);
  };
  const release = (s: Storage) => {
    const cat = category.get(s.id);
    if (!cat) return;
    live[cat] -= round(s.bytes);
    category.delete(s.id);
    const span = activationSpan.get(s.id);
    if (span && span[1] === Infinity) span[1] = timeline.length;
  };
  // Storages freed after an op that does not use them (their variable dropped then).
  const releasedAt = new Map<number, number[]>();
  for (const [id, i] of lastUse) {
    if (savers.has(id) || kept.has(id) || ops[i].inputs.some((t) => t.storage.id === id)) continue;
    releasedAt.set(i, [...(releasedAt.get(i) ?? []), id]);
  }
  const producer = new Map<number, number>();
  ops.forEach((op, i) => {
    for (const t of op.outputs) if (!producer.has(t.storage.id)) producer.set(t.storage.id, i);
    for (const s of op.saved) allocate(s);
    for (const t of op.outputs) allocate(t.storage);
    point('forward', op.kind, op.line?.line ?? null, op.workspaceBytes);
    for (const t of op.inputs) {
      const id = t.storage.id;
      if (lastUse.get(id) === i && !savers.has(id) && !kept.has(id)) release(t.storage);
    }
    for (const t of op.outputs) {
      const id = t.storage.id;
      if (!lastUse.has(id) && !savers.has(id) && !kept.has(id)) release(t.storage);
    }
    // Tensors whose last reference went after this op without another use.
    for (const id of releasedAt.get(i) ?? []) release(storagesById.get(id)!);
  });

  // ── backward ──
  if (input.loss?.requiresGrad) {
    const gradOf = new Map<number, GradBuffer>(); // storage id → the buffer holding its gradient
    const reached = new Set<number>([input.loss.storage.id]);
    const drop = (b: GradBuffer) => {
      if (--b.refs === 0) live.temporaries -= b.bytes;
    };
    const seed: GradBuffer = { bytes: round(DTYPE_BYTES[input.loss.dtype]), refs: 1 };
    gradOf.set(input.loss.storage.id, seed);
    live.temporaries += seed.bytes;
    point('backward', 'ones_like', null);
    const remaining = new Map(savers);
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i];
      if (!op.differentiable || !op.outputs.some((t) => reached.has(t.storage.id))) continue;
      const incoming = op.outputs.map((t) => gradOf.get(t.storage.id)).find((b) => b !== undefined);
      const passes = passthrough(input.torch, op);
      const after: (() => void)[] = [];
      // A pointwise op's gradient for a broadcast input is computed at the output's size, then
      // summed down (`sum_to`): the full-size product lives while the node runs.
      const outBytes = op.outputs.length ? round(numel(op.outputs[0].shape) * DTYPE_BYTES[op.outputs[0].dtype]) : 0;
      const broadcasts = isPointwise(op.kind);
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
          // AccumulateGrad keeps the first gradient as `.grad`; later ones are added in place.
          if (!paramGrad.has(id)) {
            paramGrad.add(id);
            gradSince.set(id, timeline.length);
            live.grads += round(t.storage.bytes);
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
      point('backward', op.kind, op.line?.line ?? null, op.backward?.workspaceBytes ?? 0);
      for (const f of after) f();
      for (const t of op.outputs) {
        const id = t.storage.id;
        if (producer.get(id) === i && !op.inplace && gradOf.has(id)) {
          drop(gradOf.get(id)!);
          gradOf.delete(id);
        }
      }
      for (const s of op.saved) {
        if (!remaining.has(s.id)) continue;
        const left = remaining.get(s.id)! - 1;
        remaining.set(s.id, left);
        if (left === 0 && !kept.has(s.id)) release(s);
      }
    }
    for (const b of new Set(gradOf.values())) live.temporaries -= b.refs > 0 ? b.bytes : 0;
  }
  // The graph goes with the last references to the outputs and the loss: everything the forward made.
  for (const [id, cat] of category) {
    live[cat] -= round(storages.get(id)!.bytes);
    const span = activationSpan.get(id);
    if (span && span[1] === Infinity) span[1] = timeline.length;
  }
  category.clear();

  // ── optimizer step ──
  if (input.optimizer !== 'none') {
    point('optimizer', `${input.optimizer}.step`, null, optimizerScratch(input.optimizer, device, trainableBytes));
  }
  // zero_grad(set_to_none=True) frees the gradients before the next forward.
  live.grads = 0;
  const gradsEnd = timeline.length;
  point('optimizer', 'zero_grad', null);
  const p = peakAt.index;

  return {
    timeline,
    peakBytes: peak,
    peakPhase: peakAt.phase,
    peakComposition: peakAt.composition,
    peakIndex: peakAt.index,
    atPeak: {
      grads: new Set([...gradSince].filter(([, since]) => since <= p && p < gradsEnd).map(([id]) => id)),
      activations: new Set([...activationSpan].filter(([, [from, to]]) => from <= p && p < to).map(([id]) => id)),
    },
    paramBytes,
    gradBytes,
    optimizerBytes,
    bufferBytes,
    inputBytes,
  };
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

import { DTYPE_BYTES, DType, Device, Storage, Tensor, numel } from '../../../kernels/src';
import type { OpRecord } from '../interpreter/tracer';
import type { Composition, OptimizerKind, Phase, TimelinePoint } from '../report/types';

/** What the simulator replays: the traced forward and the model's persistent tensors. */
export interface StepInput {
  readonly ops: readonly OpRecord[];
  readonly params: readonly Tensor[];
  readonly buffers: readonly Tensor[];
  readonly inputs: readonly Tensor[];
  /** Tensors the forward returned (kept alive until backward ends). */
  readonly outputs: readonly Tensor[];
  readonly optimizer: OptimizerKind;
  /** dtype of optimizer state (the parameters' dtype: fp32 master weights under AMP). */
  readonly device: Device;
}

export interface StepResult {
  readonly timeline: TimelinePoint[];
  readonly peakBytes: number;
  readonly peakPhase: Phase;
  readonly peakComposition: Composition;
  readonly peakIndex: number;
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

/**
 * Scratch bytes of one optimizer step (torch/optim/adam.py, 1.13 and 2.x; unmeasured). Adam's
 * update builds the denominator `exp_avg_sq.sqrt() / bias_correction2_sqrt` out of place. On CUDA
 * the default foreach implementation does it for every parameter at once (`_foreach_sqrt`): one
 * copy of all parameters. Elsewhere PyTorch runs the per-tensor loop, where `sqrt()` and the
 * division's result coexist for one parameter: twice the largest parameter. SGD updates in place.
 */
export function optimizerScratch(optimizer: OptimizerKind, device: Device, trainableBytes: readonly number[]): number {
  if (optimizer !== 'adam' && optimizer !== 'adamw') return 0;
  if (device === 'cuda') return trainableBytes.reduce((a, b) => a + b, 0);
  return 2 * Math.max(0, ...trainableBytes);
}

type Category = keyof Composition;

/**
 * Replays one steady-state training iteration (forward, backward, optimizer step, zero_grad with
 * set_to_none) over the traced ops, tracking live bytes by category. Forward tensors are freed
 * after their last use unless autograd saved them; saved tensors are freed once every op that
 * saved them has run its backward; gradients of intermediate tensors live from the backward of
 * their consumers to that of their producer; parameter gradients appear when first reached and
 * live through the optimizer step.
 */
export function simulateStep(input: StepInput): StepResult {
  const { ops, device } = input;
  const round = (b: number) => allocated(b, device);
  const live: Composition = { params: 0, grads: 0, optimizer: 0, activations: 0, temporaries: 0 };
  const timeline: TimelinePoint[] = [];
  let peak = -1;
  let peakAt: { phase: Phase; composition: Composition; index: number } = { phase: 'forward', composition: { ...live }, index: 0 };
  const total = () => live.params + live.grads + live.optimizer + live.activations + live.temporaries;
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
  const paramBytes = sumStorages(input.params.map((t) => t.storage), round);
  const bufferBytes = sumStorages(input.buffers.map((t) => t.storage), round);
  const inputBytes = sumStorages(input.inputs.map((t) => t.storage), round);
  const gradBytes = trainable.reduce((s, t) => s + round(t.storage.bytes), 0);
  const opt = OPTIMIZER_STATE[input.optimizer];
  // Adam's per-parameter `step` counter is a CPU tensor unless the optimizer is fused or
  // capturable (torch/optim/adam.py, 1.13 and 2.x), so it costs no device memory.
  const optimizerBytes = opt.states * gradBytes;

  live.params = paramBytes + bufferBytes;
  live.optimizer = optimizerBytes;
  live.temporaries = inputBytes;

  // ── forward ──
  const savers = new Map<number, number>(); // storage id → number of differentiable ops saving it
  for (const op of ops) for (const s of op.saved) if (isActivation(s)) savers.set(s.id, (savers.get(s.id) ?? 0) + 1);
  const lastUse = new Map<number, number>();
  ops.forEach((op, i) => {
    for (const t of op.inputs) lastUse.set(t.storage.id, i);
  });
  const outputStorages = new Set(input.outputs.map((t) => t.storage.id));
  const category = new Map<number, Category>();
  const allocate = (s: Storage) => {
    if (category.has(s.id) || !isActivation(s)) return;
    const cat: Category = savers.has(s.id) ? 'activations' : 'temporaries';
    category.set(s.id, cat);
    live[cat] += round(s.bytes);
  };
  const release = (s: Storage) => {
    const cat = category.get(s.id);
    if (!cat) return;
    live[cat] -= round(s.bytes);
    category.delete(s.id);
  };
  const producer = new Map<number, number>();
  ops.forEach((op, i) => {
    for (const t of op.outputs) if (!producer.has(t.storage.id)) producer.set(t.storage.id, i);
    for (const s of op.saved) allocate(s);
    for (const t of op.outputs) allocate(t.storage);
    point('forward', op.kind, op.line?.line ?? null, op.workspaceBytes);
    for (const t of op.inputs) {
      const id = t.storage.id;
      if (lastUse.get(id) === i && !savers.has(id) && !outputStorages.has(id)) release(t.storage);
    }
    for (const t of op.outputs) {
      const id = t.storage.id;
      if (!lastUse.has(id) && !savers.has(id) && !outputStorages.has(id)) release(t.storage);
    }
  });

  // ── backward ──
  const differentiable = ops.filter((op) => op.differentiable);
  if (differentiable.length > 0) {
    const gradOf = new Map<number, number>(); // storage id → grad bytes (intermediate tensors)
    const paramGrad = new Set<number>();
    for (const t of input.outputs) {
      if (!t.requiresGrad) continue;
      const b = round(numel(t.shape) * DTYPE_BYTES[t.dtype]);
      gradOf.set(t.storage.id, b);
      live.temporaries += b;
    }
    const remaining = new Map(savers);
    for (let i = ops.length - 1; i >= 0; i--) {
      const op = ops[i];
      if (!op.differentiable) continue;
      for (const t of op.inputs) {
        if (!t.requiresGrad) continue;
        const id = t.storage.id;
        if (paramStorages.has(id)) {
          if (!paramGrad.has(id)) {
            paramGrad.add(id);
            live.grads += round(t.storage.bytes);
          }
          continue;
        }
        if (!gradOf.has(id)) {
          const b = round(gradBytesOf(t));
          gradOf.set(id, b);
          live.temporaries += b;
        }
      }
      point('backward', op.kind, op.line?.line ?? null, op.workspaceBytes);
      for (const t of op.outputs) {
        const id = t.storage.id;
        if (producer.get(id) === i && gradOf.has(id) && !op.inplace) {
          live.temporaries -= gradOf.get(id)!;
          gradOf.delete(id);
        }
      }
      for (const s of op.saved) {
        if (!remaining.has(s.id)) continue;
        const left = remaining.get(s.id)! - 1;
        remaining.set(s.id, left);
        if (left === 0 && !outputStorages.has(s.id)) release(s);
      }
    }
    for (const b of gradOf.values()) live.temporaries -= b;
    for (const t of input.outputs) release(t.storage);
    // Leftover forward tensors (outputs, never-consumed values) are gone once the graph is freed.
    for (const [id, cat] of category) {
      const s = storageById(ops, id);
      if (s) live[cat] -= round(s.bytes);
    }
    category.clear();
    live.activations = Math.max(0, live.activations);
    // Gradients of parameters the graph never reached still get nothing; those reached are live.
  }

  // ── optimizer step ──
  if (input.optimizer !== 'none') {
    point('optimizer', `${input.optimizer}.step`, null, optimizerScratch(input.optimizer, device, trainable.map((t) => round(t.storage.bytes))));
  }
  // zero_grad(set_to_none=True) frees the gradients before the next forward.
  live.grads = 0;
  point('optimizer', 'zero_grad', null);

  return {
    timeline,
    peakBytes: peak,
    peakPhase: peakAt.phase,
    peakComposition: peakAt.composition,
    peakIndex: peakAt.index,
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

function gradBytesOf(t: Tensor): number {
  // A gradient has its tensor's shape; for views of a larger storage autograd materialises the
  // view's size, not the base's.
  const dtype: DType = t.dtype;
  return numel(t.shape) * DTYPE_BYTES[dtype];
}

function sumStorages(storages: readonly Storage[], round: (b: number) => number): number {
  const seen = new Set<number>();
  let total = 0;
  for (const s of storages) {
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    total += round(s.bytes);
  }
  return total;
}

function storageById(ops: readonly OpRecord[], id: number): Storage | undefined {
  for (const op of ops) {
    for (const t of op.outputs) if (t.storage.id === id) return t.storage;
    for (const s of op.saved) if (s.id === id) return s;
  }
  return undefined;
}

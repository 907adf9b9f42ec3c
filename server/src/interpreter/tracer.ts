import {
  BackwardSpec,
  DType,
  ExtraSaved,
  Graph,
  KernelContext,
  OpSpec,
  Storage,
  StorageKind,
  Tensor,
  contiguousStrides,
  isDifferentiable,
  isTensor,
  tensorBytes,
} from '../../../kernels/src';
import type { Loc } from './values';
import type { CheckpointRegion } from '../memory/simulate';

/**
 * The elements of a view of a constant tensor, read through the view's strides from its base's
 * contiguous elements (constants are made contiguous).
 */
function viewValues(base: Tensor, v: Tensor): number[] | undefined {
  const src = base.values!;
  const dense = contiguousStrides(base.shape);
  if (base.shape.some((d, i) => d > 1 && base.strides[i] !== dense[i])) return undefined;
  const n = v.shape.reduce((p, d) => p * d, 1);
  if (n > src.length * 4 + 16) return undefined;
  const baseOffset = base.offset;
  const out: number[] = [];
  const idx = new Array<number>(v.shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let off = v.offset - baseOffset;
    idx.forEach((i, d) => (off += i * v.strides[d]));
    const x = src[off];
    if (x === undefined) return undefined;
    out.push(x);
    for (let d = v.shape.length - 1; d >= 0; d--) {
      if (++idx[d] < v.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** One operator as the forward pass ran it. */
export interface OpRecord {
  readonly index: number;
  readonly kind: string;
  readonly inputs: readonly Tensor[];
  /** The schema argument each input came from, when the kernel said (`self`, `other`). */
  readonly inputNames?: readonly string[];
  readonly outputs: readonly Tensor[];
  readonly inplace: boolean;
  /** In place on a view (`out.relu_()` on a view of a linear's output): autograd's CopySlices runs its backward. */
  readonly onView?: boolean;
  /** Storages autograd keeps for this op's backward (deduplicated within the op). */
  readonly saved: readonly Storage[];
  /** Qualified name of the innermost module running when the op ran ("" for the root). */
  readonly module: string | null;
  /** The user-code line that caused the op (the call inside `forward`). */
  readonly line: Loc | null;
  readonly flops: number;
  readonly workspaceBytes: number;
  readonly backward?: BackwardSpec;
  /** Whether autograd recorded the op (some input needed grad, grad mode on). */
  readonly differentiable: boolean;
  /** The op's other arguments, for the ONNX lowering (OpSpec.attrs). */
  readonly attrs?: Readonly<Record<string, unknown>>;
}

/**
 * Runs kernels on symbolic tensors and records what they allocate and save: the op graph that the
 * memory simulator replays. Implements the kernels' `Graph`.
 */
export class Tracer implements Graph {
  readonly ops: OpRecord[] = [];
  readonly storages: Storage[] = [];
  private nextTensor = 1;
  /**
   * Storage id → index of the last op before a Python variable referring to it was rebound or
   * went out of scope: Python frees a tensor on its last reference, not its last use.
   */
  readonly heldUntil = new Map<number, number>();
  /**
   * Storage id → index of the last op before the object attribute that referred to it
   * (`self.cache = t`) was rebound; Infinity while it still refers to it (alive past the forward).
   */
  readonly retained = new Map<number, number>();
  /** Ops that ran under torch.utils.checkpoint (interpreter/torch/checkpoint.ts), in the order their calls returned. */
  readonly regions: CheckpointRegion[] = [];
  /** Ids of tensors that are views of another tensor (autograd knows them by their `_base`). */
  private readonly viewIds = new Set<number>();
  /** Qualified names of the modules whose forward is running, innermost last. */
  readonly moduleStack: string[] = [];
  private readonly autocastCache = new Map<number, Tensor>();
  private context: KernelContext;
  /**
   * True while the model's forward runs: only then are ops part of the training step. Ops the
   * model's constructor runs (a relative-position index, layer widths computed with torch) make
   * constants (buffer storages) and record nothing.
   */
  recording = false;

  constructor(ctx: KernelContext, private readonly lineOf: () => Loc | null) {
    this.context = ctx;
  }

  get ctx(): KernelContext {
    return this.context;
  }

  setContext(patch: Partial<KernelContext>): void {
    const leavingAutocast = this.context.autocast && patch.autocast === null;
    this.context = { ...this.context, ...patch };
    // Leaving an autocast region drops its weight-cast cache (saved copies stay alive via autograd).
    if (leavingAutocast) this.autocastCache.clear();
  }

  /** A variable referring to the storage was just dropped: it was alive through the last op so far. */
  heldUntilNow(s: Storage): void {
    if (s.kind === 'activation' && this.ops.length > 0) this.heldUntil.set(s.id, Math.max(this.heldUntil.get(s.id) ?? -1, this.ops.length - 1));
  }

  newStorage(bytes: number, kind: StorageKind, dtype: DType): Storage {
    const s: Storage = { id: this.storages.length, bytes, kind, dtype };
    this.storages.push(s);
    return s;
  }

  /** A fresh contiguous tensor with its own storage (parameters, buffers, inputs, factories). */
  newTensor(shape: readonly number[], dtype: DType, requiresGrad: boolean, kind: StorageKind): Tensor {
    const storage = this.newStorage(tensorBytes(shape, dtype), kind, dtype);
    return { id: this.nextTensor++, shape: [...shape], strides: contiguousStrides(shape), offset: 0, dtype, requiresGrad, storage };
  }

  private record(kind: string, inputs: readonly Tensor[], outputs: readonly Tensor[], inplace: boolean, saved: readonly (Tensor | ExtraSaved)[], flops: number, workspaceBytes: number, inputNames?: readonly string[], onView = false, backward?: BackwardSpec, attrs?: Readonly<Record<string, unknown>>): void {
    if (!this.recording) return;
    const differentiable = outputs.some((t) => t.requiresGrad);
    const storages: Storage[] = [];
    if (differentiable) {
      for (const s of saved) {
        // Host-resident saves (wrapped Python numbers) cost device memory only on the CPU.
        if (!isTensor(s) && s.onHost && this.context.device !== 'cpu') continue;
        const storage = isTensor(s) ? s.storage : this.newStorage(tensorBytes(s.shape, s.dtype), 'activation', s.dtype);
        if (!storages.includes(storage)) storages.push(storage);
      }
    }
    const stack = this.moduleStack;
    this.ops.push({
      index: this.ops.length,
      kind,
      inputs,
      inputNames,
      outputs,
      inplace,
      onView,
      saved: storages,
      module: stack.length ? stack[stack.length - 1] : null,
      line: this.lineOf(),
      flops,
      workspaceBytes,
      backward,
      differentiable,
      ...(attrs ? { attrs } : {}),
    });
  }

  private needsGrad(inputs: readonly Tensor[]): boolean {
    return this.context.gradEnabled && inputs.some((t) => t.requiresGrad);
  }

  op(spec: OpSpec): Tensor[] {
    const grad = this.needsGrad(spec.inputs);
    const outputs = spec.outputs.map((o) => {
      const t = this.newTensor(o.shape, o.dtype, grad && isDifferentiable(o.dtype) && o.differentiable !== false, this.recording ? 'activation' : 'buffer');
      return o.strides ? { ...t, strides: [...o.strides] } : t;
    });
    this.record(spec.kind, spec.inputs, outputs, false, spec.save ? spec.save(outputs) : [], spec.flops ?? 0, spec.workspaceBytes ?? 0, spec.inputNames, false, spec.backward, spec.attrs);
    return outputs;
  }

  view(base: Tensor, shape: readonly number[], strides: readonly number[], offset: number, dtype: DType = base.dtype): Tensor {
    this.viewIds.add(this.nextTensor);
    const t: Tensor = { id: this.nextTensor++, shape: [...shape], strides: [...strides], offset, dtype, requiresGrad: base.requiresGrad, storage: base.storage };
    // A view of a lazily conjugated tensor is one too.
    if (base.conj && dtype === base.dtype) return { ...t, conj: true };
    return base.values && dtype === base.dtype ? { ...t, values: viewValues(base, t) } : t;
  }

  create(kind: string, shape: readonly number[], dtype: DType, options: { requiresGrad?: boolean; values?: readonly number[] } = {}): Tensor {
    const t = this.newTensor(shape, dtype, options.requiresGrad ?? false, this.recording ? 'activation' : 'buffer');
    if (this.recording) this.record(kind, [], [t], false, [], 0, 0);
    return options.values ? { ...t, values: options.values } : t;
  }

  inplace(kind: string, self: Tensor, others: readonly Tensor[], save?: (result: Tensor) => readonly (Tensor | ExtraSaved)[], flops = 0): Tensor {
    const grad = this.needsGrad([self, ...others]);
    // The write makes any known elements stale.
    const result: Tensor = { ...self, id: this.nextTensor++, requiresGrad: grad || self.requiresGrad, values: undefined };
    this.record(kind, [self, ...others], [result], true, save ? save(result) : [], flops, 0, ['self'], this.viewIds.has(self.id));
    if (this.viewIds.has(self.id)) this.viewIds.add(result.id);
    return result;
  }

  autocastCopy(t: Tensor, dtype: DType): Tensor {
    // autocast's `cached_cast` caches only low-precision casts of float32 leaves that need grad and
    // are not views: a slice of a packed weight is cast again at every use (measured, 1.13 and 2.14 CPU).
    const cacheable = t.storage.kind === 'param' && t.requiresGrad && !this.viewIds.has(t.id) && t.dtype === 'float32' && dtype === this.context.autocast;
    const hit = cacheable ? this.autocastCache.get(t.storage.id) : undefined;
    if (hit && hit.dtype === dtype && hit.shape.join() === t.shape.join()) return hit;
    const copy = this.op({ kind: '_to_copy', inputs: [t], outputs: [{ shape: t.shape, dtype }] })[0];
    if (cacheable) this.autocastCache.set(t.storage.id, copy);
    return copy;
  }
}

/** Element types a tensor can have; names follow torch (`torch.float32` → "float32"). */
export type DType = 'float64' | 'float32' | 'float16' | 'bfloat16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool' | 'complex64' | 'complex128';

/** Bytes per element of each dtype (a complex element is its real and imaginary parts). */
export const DTYPE_BYTES: Record<DType, number> = {
  float64: 8, float32: 4, float16: 2, bfloat16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1, complex64: 8, complex128: 16,
};

/** Real floating point (`torch.is_floating_point`: complex dtypes are not). */
export function isFloating(d: DType): boolean {
  return d === 'float64' || d === 'float32' || d === 'float16' || d === 'bfloat16';
}

export function isComplex(d: DType): boolean {
  return d === 'complex64' || d === 'complex128';
}

/** Dtypes autograd differentiates: floating point and complex. */
export function isDifferentiable(d: DType): boolean {
  return isFloating(d) || isComplex(d);
}

/** The real dtype of a complex one's parts (`complex64` → `float32`); other dtypes are their own. */
export function realDtype(d: DType): DType {
  return d === 'complex64' ? 'float32' : d === 'complex128' ? 'float64' : d;
}

/** The complex dtype whose parts have floating dtype `d` (`float64` → `complex128`, else `complex64`). */
export function complexDtype(d: DType): DType {
  return d === 'float64' || d === 'complex128' ? 'complex128' : 'complex64';
}

/** What a storage holds, which decides how the simulator and the report account for it. */
export type StorageKind = 'param' | 'buffer' | 'input' | 'activation';

/** A block of memory; views share one. `bytes` is the exact allocation size (no allocator rounding). */
export interface Storage {
  readonly id: number;
  readonly bytes: number;
  readonly kind: StorageKind;
  readonly dtype: DType;
}

/** A symbolic tensor: concrete shape and strides (in elements) over a storage. */
export interface Tensor {
  readonly id: number;
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
  readonly requiresGrad: boolean;
  readonly storage: Storage;
  /**
   * Elements, row-major, when they are known constants: small tensors built from Python numbers
   * (`torch.tensor([...])`, `torch.arange(n)`) and what pointwise ops make of them. Model code
   * computes layer widths with torch (torchvision's RegNet: `torch.round(…).int().tolist()`).
   */
  readonly values?: readonly number[];
  /**
   * A lazily conjugated view of a complex tensor (`x.conj()`, `torch.fft.ifft` of a real input):
   * no copy; an op without conjugate support resolves it into a scratch copy while it runs, but
   * autograd keeps the view itself (the Conjugate fallback runs below autograd; kernels/src/autograd.ts).
   */
  readonly conj?: boolean;
}

export type Device = 'cuda' | 'cpu' | 'mps';

/** Settings that change what an operator does or saves. */
export interface KernelContext {
  readonly device: Device;
  /** torch release as [major, minor], e.g. [2, 5]. */
  readonly torch: readonly [number, number];
  /** Low-precision dtype of an enclosing `torch.autocast` region, or null. */
  readonly autocast: DType | null;
  readonly gradEnabled: boolean;
  /** The dtype factories default to (float32; bfloat16 while a pure-bf16 model runs forward). */
  readonly defaultFloat?: DType;
}

/** A tensor that an operator saves for backward without returning it (indices, stats, masks). */
export interface ExtraSaved {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly label: string;
  /** Kept in host memory whatever the device (wrapped Python numbers): device memory only on the CPU. */
  readonly onHost?: boolean;
}

/** One recorded operator call. */
export interface OpSpec {
  /** aten-style operator name, e.g. "convolution", "addmm", "native_layer_norm". */
  readonly kind: string;
  readonly inputs: readonly Tensor[];
  /** The schema argument each input came from (`self`, `other`, `tensors`), when known. */
  readonly inputNames?: readonly string[];
  /** Outputs; `strides` for one laid out otherwise than row-major (a kernel that writes `[B, L, H, E]` for `[B, H, L, E]`). */
  readonly outputs: readonly { shape: readonly number[]; dtype: DType; differentiable?: boolean; strides?: readonly number[] }[];
  /** Tensors autograd keeps for this op's backward: inputs, outputs (by index) or extra tensors. */
  readonly save?: (outputs: readonly Tensor[]) => readonly (Tensor | ExtraSaved)[];
  /** Floating-point operations of the forward. */
  readonly flops?: number;
  /** Scratch bytes held only while the op runs. */
  readonly workspaceBytes?: number;
  /** How the op's backward differs from one node that makes every input gradient at once. */
  readonly backward?: BackwardSpec;
  /** The op's other arguments (dims, strides, flags): what its ONNX lowering needs (server/src/profile/lower.ts). */
  readonly attrs?: Readonly<Record<string, unknown>>;
}

/** The backward of a composite op that runs as many small steps (the CPU recurrence). */
export interface BackwardSpec {
  /** Scratch bytes held while the backward runs (default 0). */
  readonly workspaceBytes?: number;
  /** Gradients of non-parameter inputs come last, once the op's saved tensors are gone. */
  readonly inputGradsLate?: boolean;
}

/**
 * What a kernel needs from the tracer that runs it: create ops, views and in-place updates.
 * Implemented by the server's tracer; kernels never see the interpreter.
 */
export interface Graph {
  readonly ctx: KernelContext;
  op(spec: OpSpec): Tensor[];
  /**
   * A view of `base` with the given geometry (shares storage, records no op); `dtype` for a view
   * that reads the storage as another dtype (`view_as_real`), geometry in that dtype's elements.
   */
  view(base: Tensor, shape: readonly number[], strides: readonly number[], offset: number, dtype?: DType): Tensor;
  /** An in-place op on `self`: the result aliases self's storage. */
  inplace(kind: string, self: Tensor, others: readonly Tensor[], save?: (result: Tensor) => readonly (Tensor | ExtraSaved)[], flops?: number): Tensor;
  /** A low-precision copy for autocast; parameters are cast once per region (autocast's weight cache). */
  autocastCopy(t: Tensor, dtype: DType): Tensor;
  /**
   * A tensor made from no tensor inputs (factories: `zeros`, `arange`, `tensor`): an op of the
   * forward pass while forward runs, a constant of the model while it is built.
   */
  create(kind: string, shape: readonly number[], dtype: DType, options?: { requiresGrad?: boolean; values?: readonly number[] }): Tensor;
}

/** A dtype as a value: `torch.float32` passed to or returned by an op. */
export interface DTypeValue {
  readonly dtype: DType;
}

/** A slice in an index (`x[1:3]`); null bounds are omitted ones. */
export interface SliceValue {
  readonly slice: readonly [number | null, number | null, number | null];
}

/** A Python dict with string keys (`**kwargs`), as an op or layer receives it. */
export interface DictValue {
  readonly dict: Readonly<Record<string, unknown>>;
}

/** What an op returns: tensors, Python numbers, strings, dtypes, or tuples of those. */
export type KResult = Tensor | number | boolean | string | null | DTypeValue | readonly KResult[];

/** How a Python-visible name was called: that name, and the aten overload its binding chose. */
export interface OpCall {
  readonly name: string;
  readonly aten: string | null;
  /**
   * Calls a Python callable the op was given (`distance_function=` of
   * `F.triplet_margin_with_distance_loss`) through the interpreter; absent where none can be.
   */
  readonly callValue?: (fn: unknown, args: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>) => KResult;
}

/** A constraint an operator's arguments broke; the message names the operator. */
export class KernelError extends Error {
  constructor(readonly op: string, message: string) {
    super(`${op}: ${message}`);
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensorBytes(shape: readonly number[], dtype: DType): number {
  return numel(shape) * DTYPE_BYTES[dtype];
}

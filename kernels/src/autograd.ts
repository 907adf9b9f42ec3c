// What autograd keeps for one aten op, read from the release's derivatives.yaml as its codegen
// saves it (kernels/catalog): every saved attribute that holds a tensor, mapped to the call's
// arguments and outputs. Rules decide WHICH aten ops a Python call runs (ATen's decompositions);
// this decides what each of them saves, per release, without a hand-kept list.
import { isPyFloat } from './args';
import { atenBase, atenEntry, AtenEntry, Release } from './catalog';
import { isTensor } from './common';
import { schemaOf } from './schema';
import { ExtraSaved, Graph, KernelError, OpSpec, Tensor, tensorBytes } from './types';

/**
 * A Python number where the schema takes a Tensor (`x * 0.5` runs `mul.Tensor`): the argument
 * parser wraps it in a 0-dim CPU tensor (float64 for floats, int64 for ints), which a formula may
 * save (measured: `att * scale` keeps 8 bytes on PyTorch 1.13 CPU; 2.x saves it where hooks do
 * not see it). It lives on the host, so it costs no CUDA memory.
 */
function wrappedNumber(isFloat: boolean): ExtraSaved {
  return { shape: [], dtype: isFloat ? 'float64' : 'int64', label: 'wrapped number', onHost: true };
}

/** The derivative entry of an overload; an in-place op without its own uses its functional form's. */
export function derivativeEntry(release: Release, overload: string): AtenEntry | undefined {
  const own = atenEntry(release, overload);
  if (own?.derivative) return own;
  const base = atenBase(overload);
  if (base.endsWith('_')) {
    const functional = atenEntry(release, base.slice(0, -1) + overload.slice(base.length));
    if (functional?.derivative) return functional;
  }
  return own;
}

const needsGrad = (v: unknown): boolean =>
  isTensor(v) ? v.requiresGrad : Array.isArray(v) ? v.some(needsGrad) : false;

/**
 * Tensors saved for `overload` called with `args` (schema argument names → values) and producing
 * `outputs` (in schema return order). `inplace`: the op wrote its result into `args.self`, so a
 * saved `self` means the value before the write — the codegen clones it (gen_variable_type.py
 * `original_self`) — and a saved `result` is self's storage.
 */
export function autogradSaved(g: Graph, overload: string, args: Readonly<Record<string, unknown>>, outputs: readonly Tensor[], inplace = false): (Tensor | ExtraSaved)[] {
  const entry = derivativeEntry(g.ctx.torch, overload);
  const derivative = entry?.derivative;
  if (!entry || !derivative) return [];
  const returns = schemaOf(entry.schema).returns;
  const out: (Tensor | ExtraSaved)[] = [];
  for (const s of derivative.saved) {
    if (!s.tensor || (s.expr && s.expr !== s.name)) continue;
    if (s.if && !(Array.isArray(s.if) ? s.if : [s.if]).some((name) => needsGrad(args[name]))) continue;
    const result = /^result(\d*)$/.exec(s.name);
    const index = result ? Number(result[1] || 0) : returns.findIndex((r) => r.name === s.name);
    if (index >= 0 && !(s.name in args)) {
      const t = outputs[index];
      if (isTensor(t)) out.push(t);
      continue;
    }
    const v = args[s.name];
    if (inplace && s.name === 'self' && isTensor(v)) out.push({ shape: v.shape, dtype: v.dtype, label: 'original self' });
    else if (isTensor(v)) out.push(v);
    // PyTorch 2.x keeps wrapped numbers outside saved_tensors_hooks' view (SavedVariable skips
    // the pack hook for them); 8 bytes of host memory either way.
    else if (typeof v === 'number' && !Number.isNaN(v) && g.ctx.torch[0] < 2) out.push(wrappedNumber(isPyFloat(args, s.name)));
    else if (Array.isArray(v)) for (const x of v) if (isTensor(x)) out.push(x);
  }
  return out;
}

export interface AtenOutput {
  readonly shape: readonly number[];
  readonly dtype: Tensor['dtype'];
  readonly differentiable?: boolean;
  readonly strides?: readonly number[];
}

/** Every tensor among an op's arguments (tensor lists flattened), in schema order, with the argument it came from. */
function tensorInputs(args: Readonly<Record<string, unknown>>): { inputs: Tensor[]; names: string[] } {
  const inputs: Tensor[] = [];
  const names: string[] = [];
  for (const [name, v] of Object.entries(args)) {
    for (const x of isTensor(v) ? [v] : Array.isArray(v) ? v : []) {
      if (!isTensor(x)) continue;
      inputs.push(x);
      names.push(name);
    }
  }
  return { inputs, names };
}

/**
 * aten ops that read a lazily conjugated tensor as it is (ConjugateFallback.cpp's fallthroughs:
 * copies, the BLAS-backed products, the vector norm, the conj ops themselves). Views never reach
 * here (they are `g.view`), as in PyTorch, where they keep the conjugate bit.
 */
const CONJ_AWARE = new Set([
  'copy_', 'clone', 'conj_physical_', 'resolve_conj', 'resolve_neg', 'repeat_interleave', 'dot', 'vdot', 'mm', 'addmm', 'addmm_',
  'bmm', 'baddbmm', 'baddbmm_', 'linalg_solve_triangular', 'linalg_vector_norm', 'empty_like', 'new_empty', 'new_zeros', 'new_ones', 'new_full',
]);

/**
 * Bytes of the resolved copies an op without conjugate support makes of its lazily conjugated
 * arguments: the Conjugate fallback runs below autograd, so the op keeps the conjugated tensor
 * itself for backward and the copy lives only while the kernel runs (measured, 2.14: `ifft(x) * w`
 * keeps ifft's own storage, `abs` of it too).
 */
function conjCopyBytes(overload: string, args: Readonly<Record<string, unknown>>): number {
  if (CONJ_AWARE.has(atenBase(overload))) return 0;
  let bytes = 0;
  for (const v of Object.values(args)) {
    for (const t of isTensor(v) ? [v] : Array.isArray(v) ? v : []) if (isTensor(t) && t.conj) bytes += tensorBytes(t.shape, t.dtype);
  }
  return bytes;
}

/**
 * Records one aten op: `args` by schema name, outputs in schema return order; what it saves comes
 * from the release's derivatives.yaml. A lazily conjugated argument costs the op a resolved copy as
 * scratch unless the op reads it as it is; a `clone` of one stays lazily conjugated.
 */
export function atenOp(g: Graph, overload: string, args: Readonly<Record<string, unknown>>, outputs: readonly AtenOutput[], cost0: Pick<OpSpec, 'flops' | 'workspaceBytes'> = {}, extra: Readonly<Record<string, unknown>> = {}): Tensor[] {
  const copies = conjCopyBytes(overload, args);
  const cost = copies ? { ...cost0, workspaceBytes: (cost0.workspaceBytes ?? 0) + copies } : cost0;
  const { inputs, names } = tensorInputs(args);
  // derivatives.yaml's `output_differentiability: [False]` (histc, lu_unpack's P): no grad for that output.
  const flags = derivativeEntry(g.ctx.torch, overload)?.derivative?.outputDifferentiable;
  const outs = flags ? outputs.map((o, i) => (flags[i] === false ? { ...o, differentiable: false } : o)) : outputs;
  // The arguments that are not tensors, and what the kernel adds (a convolution's strides): for the ONNX lowering.
  const attrs: Record<string, unknown> = { ...extra };
  for (const [k, v] of Object.entries(args)) if (v === null || typeof v !== 'object' || (Array.isArray(v) && v.every((x) => typeof x === 'number'))) attrs[k] = v;
  const result = g.op({ kind: overload, inputs, inputNames: names, outputs: outs, save: (res) => autogradSaved(g, overload, args, res), ...cost, attrs });
  const self = args.self;
  return atenBase(overload) === 'clone' && isTensor(self) && self.conj ? result.map((t) => ({ ...t, conj: true })) : result;
}

/** An aten op that writes its result into `self` (`relu_`, `add_.Tensor`): the result aliases self. */
export function atenInplace(g: Graph, overload: string, args: Readonly<Record<string, unknown>>, flops = 0): Tensor {
  const self = args.self;
  if (!isTensor(self)) throw new KernelError(atenBase(overload), 'in-place op needs a tensor self');
  const others = tensorInputs(args).inputs.filter((t) => t !== self);
  return g.inplace(overload, self, others, (result) => autogradSaved(g, overload, { ...args }, [result], true), flops);
}

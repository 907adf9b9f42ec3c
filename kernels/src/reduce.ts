// Every aten op PyTorch tags `reduction` (sum, mean, amax, max.dim, var, std, norm, logsumexp,
// all, any, argmax, …), as one rule: the `dim` argument's dimensions are reduced (all of them when
// it is absent, None or empty), kept as size 1 with `keepdim`; an `indices` output is int64; what
// autograd saves comes from the release's derivatives.yaml.
import { atenOp } from './autograd';
import { atenBase, atenEntry } from './catalog';
import { isTensor } from './common';
import { schemaOf } from './schema';
import { normDim } from './shape';
import { DType, Graph, KernelError, KResult, OpCall, Tensor, isComplex, isFloating, numel, realDtype } from './types';
import type { KernelArgs } from './args';

/** Dimensions named by a `dim` argument (int, list of ints, None), or null for all. */
export function reducedDims(op: string, x: Tensor, dim: unknown): Set<number> | null {
  if (dim === undefined || dim === null) return null;
  const list = typeof dim === 'number' ? [dim] : Array.isArray(dim) ? dim : null;
  if (!list || list.some((d) => typeof d !== 'number')) throw new KernelError(op, 'dim must be an int or a sequence of ints');
  if (list.length === 0) return null;
  return new Set((list as number[]).map((d) => normDim(op, d, x.shape.length)));
}

export function reducedShape(x: Tensor, dims: Set<number> | null, keepdim: boolean): number[] {
  if (keepdim) return x.shape.map((s, i) => (dims === null || dims.has(i) ? 1 : s));
  return x.shape.filter((_, i) => dims !== null && !dims.has(i));
}

const TO_INT64 = new Set(['sum', 'prod', 'nansum', 'count_nonzero']);
const TO_BOOL = new Set(['all', 'any']);
const TO_INDEX = new Set(['argmax', 'argmin']);
/** Reductions of complex tensors: these keep the dtype, the norms and spreads give the real one; others refuse complex. */
const COMPLEX_KEEP = new Set(['sum', 'mean', 'prod', 'nansum']);
const COMPLEX_TO_REAL = new Set(['linalg_vector_norm', 'norm', 'std', 'var']);

function valueDtype(base: string, x: Tensor, requested: unknown): DType {
  if (isComplex(x.dtype)) {
    if (COMPLEX_TO_REAL.has(base)) return realDtype(x.dtype);
    if (!COMPLEX_KEEP.has(base)) throw new KernelError(base, `${x.dtype} tensors are not modelled for this reduction`);
  }
  if (typeof requested === 'object' && requested !== null && 'dtype' in requested) return (requested as { dtype: DType }).dtype;
  if (TO_INDEX.has(base) || base === 'count_nonzero') return 'int64';
  if (TO_BOOL.has(base)) return x.dtype === 'uint8' ? 'uint8' : 'bool';
  if (TO_INT64.has(base) && !isFloating(x.dtype)) return 'int64';
  return x.dtype;
}

/** var/std and their `_mean` forms: the overloads taking `unbiased` run `.correction`. */
const CORRECTED = new Set(['var', 'std', 'var_mean', 'std_mean']);

export function reduction(g: Graph, a: KernelArgs, call: OpCall): KResult {
  const overload = call.aten ?? call.name;
  const base = atenBase(overload);
  const entry = atenEntry(g.ctx.torch, overload);
  if (!entry) throw new KernelError(base, `no schema for aten::${overload} in PyTorch ${g.ctx.torch.join('.')}`);
  const x = a.self;
  if (!isTensor(x)) throw new KernelError(base, 'expected a tensor');
  if (CORRECTED.has(base) && entry.composite && !entry.derivative && overload !== `${base}.correction`) {
    // CompositeImplicitAutograd (`var(self, dim, unbiased, keepdim)` in ReduceOps.cpp): calls
    // `var.correction` with correction = unbiased ? 1 : 0, whose backward keeps self (and std's
    // result).
    const args = { self: x, dim: overload.endsWith('.dim') ? a.dim : null, correction: a.unbiased === false ? 0 : 1, keepdim: a.keepdim === true };
    return reduction(g, args, { name: call.name, aten: `${base}.correction` });
  }
  const schema = schemaOf(entry.schema);
  const hasDim = schema.args.some((s) => s.name === 'dim');
  const dims = hasDim ? reducedDims(base, x, a.dim) : null;
  const keepdim = a.keepdim === true;
  const shape = reducedShape(x, dims, keepdim);
  const dtype = valueDtype(base, x, a.dtype);
  const outputs = schema.returns.map((r) => ({ shape, dtype: r.name === 'indices' ? ('int64' as DType) : dtype }));
  const outs = atenOp(g, overload, a, outputs, { flops: numel(x.shape) });
  return outs.length === 1 ? outs[0] : outs;
}

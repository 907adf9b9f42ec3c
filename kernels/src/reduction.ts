import { KernelArgs, boolArg, tensorArg } from './args';
import { meanLike } from './pooling';
import { normDim } from './shape';
import { Graph, KernelError, Tensor, numel } from './types';

function reducedShape(op: string, x: Tensor, dims: number[] | null, keepdim: boolean): number[] {
  const all = dims === null || dims.length === 0;
  const set = new Set(all ? x.shape.map((_, i) => i) : dims.map((d) => normDim(op, d, x.shape.length)));
  if (keepdim) return x.shape.map((s, i) => (set.has(i) ? 1 : s));
  return x.shape.filter((_, i) => !set.has(i));
}

function dimsArg(op: string, a: KernelArgs): number[] | null {
  const v = a.dim;
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return [v];
  if (Array.isArray(v) && v.every((d) => typeof d === 'number')) return v as number[];
  throw new KernelError(op, 'dim must be an int or a tuple of ints');
}

/** `sum` keeps nothing for backward (only sizes). */
export function sum(g: Graph, x: Tensor, dims: number[] | null, keepdim: boolean): Tensor {
  const shape = reducedShape('sum', x, dims, keepdim);
  const dtype = x.dtype === 'bool' || x.dtype.startsWith('int') || x.dtype === 'uint8' ? 'int64' : x.dtype;
  return g.op({ kind: 'sum', inputs: [x], outputs: [{ shape, dtype }], flops: numel(x.shape) })[0];
}

export const reductionRules = {
  mean: (g: Graph, a: KernelArgs) => {
    const x = tensorArg('mean', a, 'input');
    return meanLike(g, x, reducedShape('mean', x, dimsArg('mean', a), boolArg(a, 'keepdim', false)));
  },
  sum: (g: Graph, a: KernelArgs) => {
    const x = tensorArg('sum', a, 'input');
    return sum(g, x, dimsArg('sum', a), boolArg(a, 'keepdim', false));
  },
};

// Pooling (1-d, 2-d, 3-d): max (with indices while training), average, adaptive average and
// adaptive max. Which aten op runs is ATen's choice; what it keeps comes from derivatives.yaml.
import { KernelArgs, boolArg, intsArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { showShape } from './common';
import { tupleN, windowOut } from './shape';
import { squeeze, unsqueeze } from './shapeops';
import { Graph, KernelError, KResult, Tensor, numel } from './types';

interface Window {
  readonly kernel: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly ceil: boolean;
}

function poolShape(op: string, n: number, x: Tensor, w: Window): number[] {
  if (x.shape.length !== n + 1 && x.shape.length !== n + 2) throw new KernelError(op, `expected ${n + 1}-D or ${n + 2}-D input, got ${showShape(x.shape)}`);
  w.padding.forEach((p, i) => {
    if (p > w.kernel[i] / 2) throw new KernelError(op, `pad should be at most half of effective kernel size, but got pad=${p}, kernel_size=${w.kernel[i]}`);
  });
  const spatial = x.shape.slice(-n).map((s, i) => windowOut(s, w.kernel[i], w.stride[i], w.padding[i], w.dilation[i], w.ceil));
  if (spatial.some((v) => v <= 0)) throw new KernelError(op, `output size is too small for input ${showShape(x.shape)} and kernel ${showShape(w.kernel)}`);
  return [...x.shape.slice(0, -n), ...spatial];
}

function windowOf(op: string, n: number, a: KernelArgs, withDilation: boolean): Window {
  const kernel = tupleN(op, 'kernel_size', intsArg(op, a, 'kernel_size'), n);
  const s = a.stride;
  const stride = s === undefined || s === null || (Array.isArray(s) && s.length === 0) ? kernel : tupleN(op, 'stride', intsArg(op, a, 'stride'), n);
  return {
    kernel,
    stride,
    padding: tupleN(op, 'padding', intsArg(op, a, 'padding', 0), n),
    dilation: withDilation ? tupleN(op, 'dilation', intsArg(op, a, 'dilation', 1), n) : new Array<number>(n).fill(1),
    ceil: boolArg(a, 'ceil_mode', false),
  };
}

/**
 * `max_pool{n}d`: with an input that needs grad ATen runs `max_pool{n}d_with_indices` (1-d through
 * the 2-d kernel on an unsqueezed view), whose backward keeps the input and the int64 indices.
 */
export function maxPool(g: Graph, n: number, x: Tensor, w: Window): Tensor {
  const op = `max_pool${n}d`;
  const shape = poolShape(op, n, x, w);
  const flops = numel(shape) * numel(w.kernel);
  if (!x.requiresGrad || !g.ctx.gradEnabled) return atenOp(g, op, { self: x }, [{ shape, dtype: x.dtype }], { flops })[0];
  if (n === 1) {
    const x2 = unsqueeze(g, x, -2);
    const out = atenOp(g, 'max_pool2d_with_indices', { self: x2 }, [{ shape: [...x2.shape.slice(0, -1), shape[shape.length - 1]], dtype: x.dtype }, { shape: [...x2.shape.slice(0, -1), shape[shape.length - 1]], dtype: 'int64', differentiable: false }], { flops })[0];
    return squeeze(g, out, -2);
  }
  return atenOp(g, `${op}_with_indices`, { self: x }, [{ shape, dtype: x.dtype }, { shape, dtype: 'int64', differentiable: false }], { flops })[0];
}

/** `avg_pool{n}d` (1-d runs the 2-d op on an unsqueezed view); its backward keeps the input (measured, 1.13 CPU). */
export function avgPool(g: Graph, n: number, x: Tensor, w: Window): Tensor {
  const op = `avg_pool${n}d`;
  const shape = poolShape(op, n, x, w);
  const flops = numel(shape) * numel(w.kernel);
  if (n === 1) {
    const x2 = unsqueeze(g, x, -2);
    const out = atenOp(g, 'avg_pool2d', { self: x2 }, [{ shape: [...x2.shape.slice(0, -1), shape[shape.length - 1]], dtype: x.dtype }], { flops })[0];
    return squeeze(g, out, -2);
  }
  return atenOp(g, op, { self: x }, [{ shape, dtype: x.dtype }], { flops })[0];
}

/** `mean` over the given dims: what it keeps differs by release (1.13 keeps the input; 2.x sizes only). */
export function meanLike(g: Graph, x: Tensor, shape: readonly number[], dims: readonly number[], keepdim: boolean): Tensor {
  return atenOp(g, 'mean.dim', { self: x, dim: [...dims], keepdim }, [{ shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

function adaptiveSize(op: string, n: number, x: Tensor, v: unknown): number[] {
  const list = Array.isArray(v) ? v : [v];
  const size = list.length === 1 && n > 1 ? new Array<unknown>(n).fill(list[0]) : list;
  if (size.length !== n) throw new KernelError(op, `output_size must have ${n} values`);
  if (x.shape.length !== n + 1 && x.shape.length !== n + 2) throw new KernelError(op, `expected ${n + 1}-D or ${n + 2}-D input, got ${showShape(x.shape)}`);
  return size.map((s, i) => (s === null || s === undefined ? x.shape[x.shape.length - n + i] : Number(s)));
}

/**
 * `adaptive_avg_pool{n}d`. An all-ones output is computed as `mean(spatial dims, keepdim=True)`
 * (ATen's shortcut); other sizes run `_adaptive_avg_pool{n}d`, which keeps the input. 1-d runs the
 * 2-d op on an unsqueezed view.
 */
export function adaptiveAvgPool(g: Graph, n: number, x: Tensor, size: readonly number[]): Tensor {
  if (n === 1) return squeeze(g, adaptiveAvgPool(g, 2, unsqueeze(g, x, -2), [1, size[0]]), -2);
  const shape = [...x.shape.slice(0, -n), ...size];
  if (size.every((s) => s === 1)) return meanLike(g, x, shape, size.map((_, i) => -n + i), true);
  return atenOp(g, `_adaptive_avg_pool${n}d`, { self: x }, [{ shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

/** `adaptive_max_pool{n}d`: output and int64 indices; the backward keeps the input and the indices. */
export function adaptiveMaxPool(g: Graph, n: number, x: Tensor, size: readonly number[]): Tensor[] {
  if (n === 1) return adaptiveMaxPool(g, 2, unsqueeze(g, x, -2), [1, size[0]]).map((t) => squeeze(g, t, -2));
  const shape = [...x.shape.slice(0, -n), ...size];
  return atenOp(g, `adaptive_max_pool${n}d`, { self: x }, [{ shape, dtype: x.dtype }, { shape, dtype: 'int64', differentiable: false }], { flops: numel(x.shape) });
}

const self = (op: string, a: KernelArgs) => tensorArg(op, a, 'self');

const maxRule = (n: number) => (g: Graph, a: KernelArgs): KResult => maxPool(g, n, self(`max_pool${n}d`, a), windowOf(`max_pool${n}d`, n, a, true));
/** `max_pool{n}d_with_indices`; the 1-d one is composite: the 2-d op on an unsqueezed view, both outputs squeezed. */
const maxWithIndicesRule = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const op = `max_pool${n}d_with_indices`;
  const x = self(op, a);
  const w = windowOf(op, n, a, true);
  const shape = poolShape(op, n, x, w);
  const flops = numel(shape) * numel(w.kernel);
  if (n === 1) {
    const x2 = unsqueeze(g, x, -2);
    const shape2 = [...x2.shape.slice(0, -1), shape[shape.length - 1]];
    const outs = atenOp(g, 'max_pool2d_with_indices', { self: x2 }, [{ shape: shape2, dtype: x.dtype }, { shape: shape2, dtype: 'int64', differentiable: false }], { flops });
    return outs.map((t) => squeeze(g, t, -2));
  }
  return atenOp(g, op, { self: x }, [{ shape, dtype: x.dtype }, { shape, dtype: 'int64', differentiable: false }], { flops });
};
const avgRule = (n: number) => (g: Graph, a: KernelArgs): KResult => avgPool(g, n, self(`avg_pool${n}d`, a), windowOf(`avg_pool${n}d`, n, a, false));
const adaptiveAvgRule = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const x = self(`adaptive_avg_pool${n}d`, a);
  return adaptiveAvgPool(g, n, x, adaptiveSize(`adaptive_avg_pool${n}d`, n, x, a.output_size));
};
const adaptiveMaxRule = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const x = self(`adaptive_max_pool${n}d`, a);
  return adaptiveMaxPool(g, n, x, adaptiveSize(`adaptive_max_pool${n}d`, n, x, a.output_size));
};

/** aten rows: schema argument names. */
export const poolingAten = {
  _adaptive_avg_pool2d: adaptiveAvgRule(2),
  adaptive_avg_pool1d: adaptiveAvgRule(1),
  adaptive_avg_pool2d: adaptiveAvgRule(2),
  adaptive_avg_pool3d: adaptiveAvgRule(3),
  adaptive_max_pool1d: adaptiveMaxRule(1),
  adaptive_max_pool2d: adaptiveMaxRule(2),
  adaptive_max_pool3d: adaptiveMaxRule(3),
  avg_pool1d: avgRule(1),
  avg_pool2d: avgRule(2),
  avg_pool3d: avgRule(3),
  max_pool1d: maxRule(1),
  max_pool1d_with_indices: maxWithIndicesRule(1),
  max_pool2d: maxRule(2),
  max_pool2d_with_indices: maxWithIndicesRule(2),
  max_pool3d: maxRule(3),
  max_pool3d_with_indices: maxWithIndicesRule(3),
};

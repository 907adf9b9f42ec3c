// Pooling (1-d, 2-d, 3-d): max (with indices while training), average, adaptive average and
// adaptive max. Which aten op runs is ATen's choice; what it keeps comes from derivatives.yaml.
import { KernelArgs, boolArg, intsArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { showShape } from './common';
import { tupleN, windowOut } from './shape';
import { squeeze, unsqueeze } from './shapeops';
import { Graph, KernelError, KResult, Tensor, numel } from './types';

export interface Window {
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

export function windowOf(op: string, n: number, a: KernelArgs, withDilation: boolean): Window {
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
  return atenOp(g, `${op}_with_indices`, { self: x }, [{ shape, dtype: x.dtype }, { shape, dtype: 'int64', differentiable: false }], { flops }, windowAttrs(w))[0];
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
  return atenOp(g, op, { self: x }, [{ shape, dtype: x.dtype }], { flops }, windowAttrs(w))[0];
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

function intsOf(op: string, v: unknown): number[] {
  if (Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return v as number[];
  throw new KernelError(op, `expected a sequence of ints, got ${JSON.stringify(v)}`);
}

const maxRule = (n: number) => (g: Graph, a: KernelArgs): KResult => maxPool(g, n, self(`max_pool${n}d`, a), windowOf(`max_pool${n}d`, n, a, true));
/**
 * `max_pool{n}d_with_indices`: output and int64 indices, kept with the input for backward; 1-d is
 * CompositeImplicitAutograd: the 2-d op on `unsqueeze(-2)`, both results squeezed (views).
 */
export function maxPoolWithIndices(g: Graph, n: number, x: Tensor, w: Window): Tensor[] {
  const op = `max_pool${n}d_with_indices`;
  const shape = poolShape(op, n, x, w);
  const flops = numel(shape) * numel(w.kernel);
  if (n === 1) {
    const x2 = unsqueeze(g, x, -2);
    const shape2 = [...x2.shape.slice(0, -1), shape[shape.length - 1]];
    const [out, idx] = atenOp(g, 'max_pool2d_with_indices', { self: x2 }, [{ shape: shape2, dtype: x.dtype }, { shape: shape2, dtype: 'int64', differentiable: false }], { flops });
    return [squeeze(g, out, -2), squeeze(g, idx, -2)];
  }
  return atenOp(g, op, { self: x }, [{ shape, dtype: x.dtype }, { shape, dtype: 'int64', differentiable: false }], { flops });
}

const maxWithIndicesRule = (n: number) => (g: Graph, a: KernelArgs): KResult => {
  const op = `max_pool${n}d_with_indices`;
  return maxPoolWithIndices(g, n, self(op, a), windowOf(op, n, a, true));
};

/**
 * `max_unpool2d(self, indices, output_size)` / `max_unpool3d(…, stride, padding)`: self's batch
 * dims with the given spatial size, zeros but where the indices scatter self; keeps the indices.
 */
export function maxUnpool(g: Graph, n: number, x: Tensor, indices: Tensor, outputSize: readonly number[]): Tensor {
  const op = `max_unpool${n}d`;
  if (x.shape.length !== n + 1 && x.shape.length !== n + 2) throw new KernelError(op, `Input to max_unpooling${n}d should be a ${n + 1}d or ${n + 2}d Tensor, but got a tensor with ${x.shape.length} dimensions.`);
  if (indices.dtype !== 'int64') throw new KernelError(op, `elements in indices should be type int64 but got: ${indices.dtype}`);
  if (indices.shape.join() !== x.shape.join()) throw new KernelError(op, `Expected shape of indices to be same as that of the input tensor (${showShape(x.shape)}) but got indices tensor with shape: ${showShape(indices.shape)}`);
  if (outputSize.length !== n) throw new KernelError(op, `There should be exactly ${n} elements (depth, height, width) in output_size, but got ${outputSize.length} elements.`);
  const shape = [...x.shape.slice(0, -n), ...outputSize];
  return atenOp(g, op, { self: x, indices }, [{ shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

/**
 * `fractional_max_pool{n}d(self, kernel_size, output_size, random_samples)`: output and int64
 * indices of the given size; the backward keeps the input and the indices.
 */
export function fractionalMaxPool(g: Graph, n: number, x: Tensor, kernel: readonly number[], outputSize: readonly number[], samples: Tensor): Tensor[] {
  const op = `fractional_max_pool${n}d`;
  if (x.shape.length !== n + 1 && x.shape.length !== n + 2) throw new KernelError(op, `expected ${n + 1}-D or ${n + 2}-D input, got ${showShape(x.shape)}`);
  const spatial = x.shape.slice(-n);
  outputSize.forEach((o, i) => {
    if (o + kernel[i] - 1 > spatial[i]) throw new KernelError(op, `out(): pool size ${kernel[i]} too large relative to input size ${spatial[i]} and output size ${o}`);
  });
  const shape = [...x.shape.slice(0, -n), ...outputSize];
  return atenOp(g, op, { self: x, random_samples: samples }, [{ shape, dtype: x.dtype }, { shape, dtype: 'int64', differentiable: false }], { flops: numel(shape) * numel(kernel) });
}

/** `im2col` (`F.unfold`): `[N, C, H, W]` → `[N, C·kh·kw, L]` with L the number of windows; 1.13 keeps the input, 2.x nothing. */
export function im2col(g: Graph, x: Tensor, kernel: readonly number[], dilation: readonly number[], padding: readonly number[], stride: readonly number[]): Tensor {
  const op = 'im2col';
  const batched = x.shape.length === 4;
  if (!batched && x.shape.length !== 3) throw new KernelError(op, `Expected 3D or 4D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${showShape(x.shape)}`);
  const blocks = x.shape.slice(-2).map((s, i) => windowOut(s, kernel[i], stride[i], padding[i], dilation[i]));
  if (blocks.some((b) => b < 1)) throw new KernelError(op, `Given input with spatial size ${showShape(x.shape.slice(-2))}, kernel_size ${showShape(kernel)}, dilation ${showShape(dilation)}, padding ${showShape(padding)}, calculated shape of the array of sliding blocks as ${showShape(blocks)}, but its components must be at least one.`);
  const c = x.shape[x.shape.length - 3] * kernel[0] * kernel[1];
  const shape = batched ? [x.shape[0], c, blocks[0] * blocks[1]] : [c, blocks[0] * blocks[1]];
  return atenOp(g, op, { self: x, kernel_size: [...kernel], dilation: [...dilation], padding: [...padding], stride: [...stride] }, [{ shape, dtype: x.dtype }], { flops: numel(shape) })[0];
}

/** `col2im` (`F.fold`): `[N, C·kh·kw, L]` → `[N, C, H, W]`, summing overlapping windows; keeps nothing. */
export function col2im(g: Graph, x: Tensor, outputSize: readonly number[], kernel: readonly number[], dilation: readonly number[], padding: readonly number[], stride: readonly number[]): Tensor {
  const op = 'col2im';
  const batched = x.shape.length === 3;
  if (!batched && x.shape.length !== 2) throw new KernelError(op, `Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions for input, but got: ${showShape(x.shape)}`);
  const [cols, l] = x.shape.slice(-2);
  const k = kernel[0] * kernel[1];
  if (cols % k !== 0) throw new KernelError(op, `Expected size of input's dimension 1 to be divisible by the product of kernel_size, but got input.size(1)=${cols} and kernel_size=${showShape(kernel)}`);
  const blocks = outputSize.map((s, i) => windowOut(s, kernel[i], stride[i], padding[i], dilation[i]));
  if (blocks[0] * blocks[1] !== l) throw new KernelError(op, `Given output_size=${showShape(outputSize)}, kernel_size=${showShape(kernel)}, dilation=${showShape(dilation)}, padding=${showShape(padding)}, stride=${showShape(stride)}, expected size of input's dimension 2 to match the calculated number of sliding blocks ${blocks[0]} * ${blocks[1]} = ${blocks[0] * blocks[1]}, but got input.size(2)=${l}.`);
  const shape = batched ? [x.shape[0], cols / k, ...outputSize] : [cols / k, ...outputSize];
  return atenOp(g, op, { self: x, output_size: [...outputSize], kernel_size: [...kernel], dilation: [...dilation], padding: [...padding], stride: [...stride] }, [{ shape, dtype: x.dtype }], { flops: numel(x.shape) })[0];
}

const pairOf = (op: string, a: KernelArgs, name: string, dflt?: number) => tupleN(op, name, intsArg(op, a, name, dflt), 2);
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
  col2im: (g: Graph, a: KernelArgs): KResult =>
    col2im(g, self('col2im', a), pairOf('col2im', a, 'output_size'), pairOf('col2im', a, 'kernel_size'), pairOf('col2im', a, 'dilation', 1), pairOf('col2im', a, 'padding', 0), pairOf('col2im', a, 'stride', 1)),
  fractional_max_pool2d: (g: Graph, a: KernelArgs): KResult =>
    fractionalMaxPool(g, 2, self('fractional_max_pool2d', a), tupleN('fractional_max_pool2d', 'kernel_size', intsArg('fractional_max_pool2d', a, 'kernel_size'), 2), tupleN('fractional_max_pool2d', 'output_size', intsArg('fractional_max_pool2d', a, 'output_size'), 2), tensorArg('fractional_max_pool2d', a, 'random_samples')),
  fractional_max_pool3d: (g: Graph, a: KernelArgs): KResult =>
    fractionalMaxPool(g, 3, self('fractional_max_pool3d', a), tupleN('fractional_max_pool3d', 'kernel_size', intsArg('fractional_max_pool3d', a, 'kernel_size'), 3), tupleN('fractional_max_pool3d', 'output_size', intsArg('fractional_max_pool3d', a, 'output_size'), 3), tensorArg('fractional_max_pool3d', a, 'random_samples')),
  im2col: (g: Graph, a: KernelArgs): KResult =>
    im2col(g, self('im2col', a), pairOf('im2col', a, 'kernel_size'), pairOf('im2col', a, 'dilation', 1), pairOf('im2col', a, 'padding', 0), pairOf('im2col', a, 'stride', 1)),
  max_unpool2d: (g: Graph, a: KernelArgs): KResult => maxUnpool(g, 2, self('max_unpool2d', a), tensorArg('max_unpool2d', a, 'indices'), intsOf('max_unpool2d', a.output_size)),
  max_unpool3d: (g: Graph, a: KernelArgs): KResult => maxUnpool(g, 3, self('max_unpool3d', a), tensorArg('max_unpool3d', a, 'indices'), intsOf('max_unpool3d', a.output_size)),
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

/** A pooling window as the ONNX lowering reads it. */
function windowAttrs(w: Window): Record<string, unknown> {
  return { kernel: w.kernel, stride: w.stride, padding: w.padding, dilation: w.dilation, ceil: w.ceil };
}

import { KernelArgs, boolArg, intsArg, tensorArg } from './args';
import { showShape } from './common';
import { tupleN, windowOut } from './shape';
import { Graph, KernelError, Tensor, numel } from './types';

function poolShape(op: string, x: Tensor, kernel: number[], stride: number[], padding: number[], dilation: number[], ceil: boolean): number[] {
  if (x.shape.length !== 3 && x.shape.length !== 4) throw new KernelError(op, `expected 3-D or 4-D input, got ${showShape(x.shape)}`);
  padding.forEach((p, i) => {
    if (p > kernel[i] / 2) throw new KernelError(op, `padding ${p} should be at most half of the kernel size ${kernel[i]}`);
  });
  const lead = x.shape.slice(0, -2);
  const hw = x.shape.slice(-2).map((s, i) => windowOut(s, kernel[i], stride[i], padding[i], dilation[i], ceil));
  if (hw.some((v) => v <= 0)) throw new KernelError(op, `output size is too small for input ${showShape(x.shape)} and kernel ${showShape(kernel)}`);
  return [...lead, ...hw];
}

/**
 * `F.max_pool2d`: with an input that needs grad, ATen runs `max_pool2d_with_indices`, whose backward
 * keeps the input and int64 indices of the output's size.
 */
export function maxPool2d(g: Graph, x: Tensor, kernel: number[], stride: number[], padding: number[], dilation: number[], ceil: boolean): Tensor {
  const shape = poolShape('max_pool2d', x, kernel, stride, padding, dilation, ceil);
  return g.op({ kind: 'max_pool2d_with_indices', inputs: [x], outputs: [{ shape, dtype: x.dtype }], save: () => [x, { shape, dtype: 'int64', label: 'indices' }], flops: numel(shape) * numel(kernel) })[0];
}

/** `F.avg_pool2d`: its backward keeps the input (measured, PyTorch 1.13 CPU). */
export function avgPool2d(g: Graph, x: Tensor, kernel: number[], stride: number[], padding: number[], ceil: boolean): Tensor {
  const shape = poolShape('avg_pool2d', x, kernel, stride, padding, [1, 1], ceil);
  return g.op({ kind: 'avg_pool2d', inputs: [x], outputs: [{ shape, dtype: x.dtype }], save: () => [x], flops: numel(shape) * numel(kernel) })[0];
}

/**
 * `F.adaptive_avg_pool2d`. An output of 1×1 is computed as `mean((-1, -2), keepdim=True)` (ATen's
 * shortcut), which saves like `mean` does; other sizes run `_adaptive_avg_pool2d`, which keeps the input.
 */
export function adaptiveAvgPool2d(g: Graph, x: Tensor, size: (number | null)[]): Tensor {
  if (x.shape.length !== 3 && x.shape.length !== 4) throw new KernelError('adaptive_avg_pool2d', `expected 3-D or 4-D input, got ${showShape(x.shape)}`);
  const hw = x.shape.slice(-2).map((s, i) => size[i] ?? s);
  const shape = [...x.shape.slice(0, -2), ...hw];
  if (hw[0] === 1 && hw[1] === 1) return meanLike(g, x, shape);
  return g.op({ kind: '_adaptive_avg_pool2d', inputs: [x], outputs: [{ shape, dtype: x.dtype }], save: () => [x], flops: numel(x.shape) })[0];
}

/**
 * `mean` over some dims. Its backward formula referenced `self` before PyTorch 2.0
 * (`grad.expand_as(self) / …`; measured: 1.13 CPU keeps the input) and only sizes since.
 */
export function meanLike(g: Graph, x: Tensor, shape: readonly number[]): Tensor {
  const keepsInput = g.ctx.torch[0] < 2;
  return g.op({ kind: 'mean', inputs: [x], outputs: [{ shape, dtype: x.dtype }], save: () => (keepsInput ? [x] : []), flops: numel(x.shape) })[0];
}

function ks(op: string, a: KernelArgs): { kernel: number[]; stride: number[]; padding: number[] } {
  const kernel = tupleN(op, 'kernel_size', intsArg(op, a, 'kernel_size'), 2);
  const s = a.stride;
  const stride = s === undefined || s === null || (Array.isArray(s) && s.length === 0) ? kernel : tupleN(op, 'stride', intsArg(op, a, 'stride'), 2);
  return { kernel, stride, padding: tupleN(op, 'padding', intsArg(op, a, 'padding', 0), 2) };
}

export const poolingRules = {
  adaptive_avg_pool2d: (g: Graph, a: KernelArgs) => {
    const v = a.output_size;
    const size = Array.isArray(v) ? (v as (number | null)[]) : [v as number, v as number];
    if (size.length !== 2) throw new KernelError('adaptive_avg_pool2d', 'output_size must have 2 values');
    return adaptiveAvgPool2d(g, tensorArg('adaptive_avg_pool2d', a, 'input'), size);
  },
  avg_pool2d: (g: Graph, a: KernelArgs) => {
    const { kernel, stride, padding } = ks('avg_pool2d', a);
    return avgPool2d(g, tensorArg('avg_pool2d', a, 'input'), kernel, stride, padding, boolArg(a, 'ceil_mode', false));
  },
  max_pool2d: (g: Graph, a: KernelArgs) => {
    const { kernel, stride, padding } = ks('max_pool2d', a);
    return maxPool2d(g, tensorArg('max_pool2d', a, 'input'), kernel, stride, padding, tupleN('max_pool2d', 'dilation', intsArg('max_pool2d', a, 'dilation', 1), 2), boolArg(a, 'ceil_mode', false));
  },
};

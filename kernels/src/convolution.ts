import { KernelArgs, intArg, intsArg, optTensorArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { autocastInputs, showShape } from './common';
import { tupleN, windowOut } from './shape';
import { Graph, KernelError, KResult, Tensor, numel } from './types';

/** The aten `convolution` every conv and transposed conv runs; its backward keeps input and weight (derivatives.yaml). */
function convolutionOp(g: Graph, x: Tensor, w: Tensor, bias: Tensor | null, shape: readonly number[], transposed: boolean, flops: number, attrs: Readonly<Record<string, unknown>> = {}): Tensor {
  return atenOp(g, 'convolution', { input: x, weight: w, bias, transposed }, [{ shape, dtype: x.dtype }], { flops }, attrs)[0];
}

/**
 * Autocast-cast operands of an N-d (transposed) convolution, checked, with the input seen as
 * batched. Transposed convolutions are on CPU autocast's float32 list in 1.13 (`autocastPolicy`).
 */
function convOperands(g: Graph, op: string, n: number, x0: Tensor, w0: Tensor, bias0: Tensor | null) {
  const [x, w, ...rest] = autocastInputs(g, op.startsWith('conv_transpose') ? 'conv_transpose' : 'conv', bias0 ? [x0, w0, bias0] : [x0, w0]);
  const batched = x.shape.length === n + 2;
  if (!batched && x.shape.length !== n + 1) {
    throw new KernelError(op, `expected ${n + 1}-D (unbatched) or ${n + 2}-D (batched) input, got shape ${showShape(x.shape)}`);
  }
  if (w.shape.length !== n + 2) throw new KernelError(op, `weight must be ${n + 2}-D, got ${showShape(w.shape)}`);
  return { x, w, bias: rest[0] ?? null, batched, inShape: batched ? x.shape : [1, ...x.shape] };
}

/**
 * N-d convolution (`F.conv1d/2d/3d`). Autograd's `ConvolutionBackward0` saves the input and the
 * weight (derivatives.yaml `convolution`); the weight is a parameter, so only the input costs
 * activation memory. Unbatched inputs (rank n+1) are treated as a batch of one.
 */
export function convolution(g: Graph, n: number, x0: Tensor, w0: Tensor, bias0: Tensor | null, stride: number | number[], padding: number | number[] | string, dilation: number | number[], groups: number): Tensor {
  const op = `conv${n}d`;
  const { x, w, bias, batched, inShape } = convOperands(g, op, n, x0, w0, bias0);
  const cin = inShape[1];
  const cout = w.shape[0];
  if (cin !== w.shape[1] * groups) {
    throw new KernelError(op, `expected input with ${w.shape[1] * groups} channels (weight ${showShape(w.shape)}, groups=${groups}), got ${cin} (input ${showShape(x.shape)})`);
  }
  const k = w.shape.slice(2);
  const s = tupleN(op, 'stride', stride, n);
  const d = tupleN(op, 'dilation', dilation, n);
  let p: number[];
  if (padding === 'valid') p = new Array<number>(n).fill(0);
  else if (padding === 'same') p = k.map((ki, i) => Math.floor((d[i] * (ki - 1)) / 2));
  else if (typeof padding === 'string') throw new KernelError(op, `padding must be 'valid', 'same' or ints, got '${padding}'`);
  else p = tupleN(op, 'padding', padding, n);
  const spatial = inShape.slice(2).map((sz, i) => (padding === 'same' ? sz : windowOut(sz, k[i], s[i], p[i], d[i])));
  if (spatial.some((v) => v <= 0)) {
    throw new KernelError(op, `input ${showShape(x.shape)} is smaller than the kernel ${showShape(k)} after padding`);
  }
  const outShape = [inShape[0], cout, ...spatial];
  const flops = 2 * numel(outShape) * (cin / groups) * numel(k);
  return convolutionOp(g, x, w, bias, batched ? outShape : outShape.slice(1), false, flops, { stride: s, padding: p, dilation: d, groups, same: padding === 'same' });
}

/**
 * N-d transposed convolution (`F.conv_transpose1d/2d/3d`): weight `[Cin, Cout/groups, k…]`,
 * out = (in − 1)·s − 2p + d·(k − 1) + output_padding + 1. Same `convolution` autograd node as the
 * forward convolution, so it saves the input (and the weight, a parameter); measured on PyTorch
 * 1.13 CPU.
 */
export function convTranspose(g: Graph, n: number, x0: Tensor, w0: Tensor, bias0: Tensor | null, stride: number | number[], padding: number | number[], outputPadding: number | number[], groups: number, dilation: number | number[]): Tensor {
  const op = `conv_transpose${n}d`;
  const { x, w, bias, batched, inShape } = convOperands(g, op, n, x0, w0, bias0);
  const cin = inShape[1];
  if (cin !== w.shape[0]) throw new KernelError(op, `expected input with ${w.shape[0]} channels (weight ${showShape(w.shape)}), got ${cin} (input ${showShape(x.shape)})`);
  const cout = w.shape[1] * groups;
  const k = w.shape.slice(2);
  const s = tupleN(op, 'stride', stride, n);
  const p = tupleN(op, 'padding', padding, n);
  const d = tupleN(op, 'dilation', dilation, n);
  const op_ = tupleN(op, 'output_padding', outputPadding, n);
  op_.forEach((v, i) => {
    if (v >= s[i] && v >= d[i]) throw new KernelError(op, `output_padding (${v}) must be smaller than either stride (${s[i]}) or dilation (${d[i]})`);
  });
  const spatial = inShape.slice(2).map((sz, i) => (sz - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op_[i] + 1);
  if (spatial.some((v) => v <= 0)) throw new KernelError(op, `output size ${showShape(spatial)} is too small for input ${showShape(x.shape)}`);
  const outShape = [inShape[0], cout, ...spatial];
  return convolutionOp(g, x, w, bias, batched ? outShape : outShape.slice(1), true, 2 * numel(inShape) * (cout / groups) * numel(k), { stride: s, padding: p, dilation: d, groups, output_padding: op_ });
}

function convTransposeRule(n: number) {
  return (g: Graph, a: KernelArgs): KResult => {
    const op = `conv_transpose${n}d`;
    return convTranspose(g, n, tensorArg(op, a, 'input'), tensorArg(op, a, 'weight'), optTensorArg(op, a, 'bias'), intsArg(op, a, 'stride', 1), intsArg(op, a, 'padding', 0), intsArg(op, a, 'output_padding', 0), intArg(op, a, 'groups', 1), intsArg(op, a, 'dilation', 1));
  };
}

function convRule(n: number) {
  return (g: Graph, a: KernelArgs): KResult => {
    const op = `conv${n}d`;
    const padding = typeof a.padding === 'string' ? a.padding : intsArg(op, a, 'padding', 0);
    return convolution(g, n, tensorArg(op, a, 'input'), tensorArg(op, a, 'weight'), optTensorArg(op, a, 'bias'), intsArg(op, a, 'stride', 1), padding, intsArg(op, a, 'dilation', 1), intArg(op, a, 'groups', 1));
  };
}

/** aten rows (`conv2d`, `conv2d.padding`, `conv_transpose2d.input`): schema argument names. */
/** `conv_tbc(self [T, B, Cin], weight [K, Cin, Cout], bias [Cout], pad)`: time-first 1-d convolution; keeps all three. */
export function convTbc(g: Graph, x: Tensor, w: Tensor, bias: Tensor, pad: number): Tensor {
  const op = 'conv_tbc';
  if (x.shape.length !== 3) throw new KernelError(op, 'Input must have 3 dims: time, batch, in_channel');
  if (w.shape.length !== 3) throw new KernelError(op, 'Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.');
  if (bias.shape.length !== 1) throw new KernelError(op, 'Bias must be 1-D');
  const [t, b, cin] = x.shape;
  const [k, win, cout] = w.shape;
  if (cin !== win) throw new KernelError(op, 'Input dim 2 (input channels) is not == dim 1 in the weight tensor');
  if (bias.shape[0] !== cout) throw new KernelError(op, 'Bias size must equal dim 2 in the weight tensor (output channels).');
  const tOut = t + 2 * pad - k + 1;
  return atenOp(g, op, { self: x, weight: w, bias, pad }, [{ shape: [tOut, b, cout], dtype: x.dtype }], { flops: 2 * tOut * b * cout * cin * k })[0];
}

export const convolutionAten = {
  conv_tbc: (g: Graph, a: KernelArgs): KResult => convTbc(g, tensorArg('conv_tbc', a, 'self'), tensorArg('conv_tbc', a, 'weight'), tensorArg('conv_tbc', a, 'bias'), intArg('conv_tbc', a, 'pad', 0)),
  conv1d: convRule(1),
  conv2d: convRule(2),
  conv3d: convRule(3),
  conv_transpose1d: convTransposeRule(1),
  conv_transpose2d: convTransposeRule(2),
  conv_transpose3d: convTransposeRule(3),
};

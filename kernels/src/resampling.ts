import { KernelArgs, boolArg, strArg, tensorArg } from './args';
import { showShape } from './common';
import { Graph, KernelError, Tensor, numel } from './types';

// Resampling and padding: `F.interpolate` and `F.pad`.

const SPATIAL_RANK: Record<string, number[]> = { nearest: [1, 2, 3], linear: [1], bilinear: [2], bicubic: [2], trilinear: [3] };

/**
 * `F.interpolate` / `nn.Upsample`: output size from `size`, or floor(in · scale_factor). The
 * `upsample_*` backward needs only sizes and scales (derivatives.yaml `upsample_nearest2d`,
 * `upsample_bilinear2d`: `grad_output`, `output_size`, `input_size`), so nothing is saved; measured
 * for nearest and bilinear on PyTorch 1.13 CPU.
 */
export function interpolate(g: Graph, x: Tensor, size: number | number[] | null, scale: number | number[] | null, mode: string, antialias: boolean): Tensor {
  const op = 'interpolate';
  const ranks = SPATIAL_RANK[mode];
  if (!ranks) throw new KernelError(op, `mode '${mode}' is not modelled (nearest, linear, bilinear, bicubic, trilinear)`);
  if (antialias) throw new KernelError(op, 'antialias=True is not modelled');
  const n = x.shape.length - 2;
  if (!ranks.includes(n)) throw new KernelError(op, `mode '${mode}' expects ${ranks.map((r) => r + 2).join(' or ')}-D input, got ${showShape(x.shape)}`);
  if ((size === null) === (scale === null)) throw new KernelError(op, 'exactly one of size and scale_factor must be given');
  const inSp = x.shape.slice(2);
  let outSp: number[];
  if (size !== null) {
    outSp = typeof size === 'number' ? new Array<number>(n).fill(size) : [...size];
    if (outSp.length !== n) throw new KernelError(op, `size must have ${n} values, got ${outSp.length}`);
  } else {
    const sc = typeof scale === 'number' ? new Array<number>(n).fill(scale) : [...(scale as number[])];
    if (sc.length !== n) throw new KernelError(op, `scale_factor must have ${n} values, got ${sc.length}`);
    outSp = inSp.map((s, i) => Math.floor(s * sc[i]));
  }
  if (outSp.some((v) => !Number.isInteger(v) || v <= 0)) throw new KernelError(op, `output size ${showShape(outSp)} must be positive`);
  const shape = [...x.shape.slice(0, 2), ...outSp];
  const kind = mode === 'nearest' ? `upsample_nearest${n}d` : `upsample_${mode}${n}d`;
  return g.op({ kind, inputs: [x], outputs: [{ shape, dtype: x.dtype }], flops: (mode === 'nearest' ? 1 : 4 * n) * numel(shape) })[0];
}

/**
 * `F.pad`: `constant` saves nothing (its backward slices the gradient); `reflect` and
 * `replicate` run `reflection_padNd`/`replication_padNd`, whose backward keeps the input
 * (derivatives.yaml `reflection_pad2d: reflection_pad2d_backward(grad, self, padding)`); measured
 * on PyTorch 1.13 CPU. `pad` lists (left, right) pairs from the last dimension backwards.
 */
export function pad(g: Graph, x: Tensor, pads: readonly number[], mode: string): Tensor {
  const op = 'pad';
  if (pads.length % 2 !== 0 || pads.length / 2 > x.shape.length) throw new KernelError(op, `padding length ${pads.length} must be even and at most twice the rank (${x.shape.length})`);
  if (!['constant', 'reflect', 'replicate'].includes(mode)) throw new KernelError(op, `mode '${mode}' is not modelled (constant, reflect, replicate)`);
  const shape = [...x.shape];
  for (let i = 0; i < pads.length / 2; i++) {
    const d = x.shape.length - 1 - i;
    if (mode === 'reflect' && (pads[2 * i] >= x.shape[d] || pads[2 * i + 1] >= x.shape[d])) {
      throw new KernelError(op, `reflect padding (${pads[2 * i]}, ${pads[2 * i + 1]}) must be smaller than the dimension size ${x.shape[d]}`);
    }
    shape[d] += pads[2 * i] + pads[2 * i + 1];
  }
  if (shape.some((s) => s < 0)) throw new KernelError(op, `negative output size ${showShape(shape)}`);
  if (mode !== 'constant' && (pads.length / 2 > 3 || x.shape.length < pads.length / 2 + 1)) {
    throw new KernelError(op, `${mode} padding of ${pads.length / 2} dims needs a ${pads.length / 2 + 1}-D or ${pads.length / 2 + 2}-D input, got ${showShape(x.shape)}`);
  }
  const kind = mode === 'constant' ? 'constant_pad_nd' : `${mode === 'reflect' ? 'reflection' : 'replication'}_pad${pads.length / 2}d`;
  return g.op({ kind, inputs: [x], outputs: [{ shape, dtype: x.dtype }], save: () => (mode === 'constant' ? [] : [x]) })[0];
}

function sizeOrNull(op: string, v: unknown, name: string): number | number[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  throw new KernelError(op, `argument '${name}' must be a number or a sequence of numbers`);
}

export const resamplingRules = {
  interpolate: (g: Graph, a: KernelArgs) =>
    interpolate(g, tensorArg('interpolate', a, 'input'), sizeOrNull('interpolate', a.size, 'size'), sizeOrNull('interpolate', a.scale_factor, 'scale_factor'), strArg('interpolate', a, 'mode', 'nearest'), boolArg(a, 'antialias', false)),
  pad: (g: Graph, a: KernelArgs) => {
    const p = sizeOrNull('pad', a.pad, 'pad');
    if (!Array.isArray(p) || p.some((v) => !Number.isInteger(v))) throw new KernelError('pad', "argument 'pad' must be a sequence of ints");
    return pad(g, tensorArg('pad', a, 'input'), p, strArg('pad', a, 'mode', 'constant'));
  },
};

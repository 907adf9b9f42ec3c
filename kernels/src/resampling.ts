import { KernelArgs, boolArg, strArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { showShape } from './common';
import { Graph, KernelError, KResult, Tensor, numel } from './types';

// Resampling and padding: `F.interpolate` and `F.pad`.

const SPATIAL_RANK: Record<string, number[]> = { nearest: [1, 2, 3], 'nearest-exact': [1, 2, 3], linear: [1], bilinear: [2], bicubic: [2], trilinear: [3], area: [1, 2, 3] };

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
  const flops = (mode.startsWith('nearest') ? 1 : 4 * n) * numel(shape);
  if (mode === 'area') return atenOp(g, `_adaptive_avg_pool${n === 1 ? 2 : n}d`, { self: x }, [{ shape, dtype: x.dtype }], { flops })[0];
  const kind = mode === 'nearest' ? `upsample_nearest${n}d` : mode === 'nearest-exact' ? `_upsample_nearest_exact${n}d` : `upsample_${mode}${n}d`;
  return atenOp(g, kind, { input: x, output_size: outSp }, [{ shape, dtype: x.dtype }], { flops })[0];
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
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) throw new KernelError(op, `mode '${mode}' is not one of constant, reflect, replicate, circular`);
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
  // Circular padding is `_pad_circular`, a composite of slices and `cat`: nothing saved.
  const kind = mode === 'constant' ? 'constant_pad_nd' : mode === 'circular' ? '_pad_circular' : `${mode === 'reflect' ? 'reflection' : 'replication'}_pad${pads.length / 2}d`;
  return atenOp(g, kind, { self: x, pad: [...pads], padding: [...pads] }, [{ shape, dtype: x.dtype }])[0];
}

function sizeOrNull(op: string, v: unknown, name: string): number | number[] | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return v as number[];
  throw new KernelError(op, `argument '${name}' must be a number or a sequence of numbers`);
}

const upsampleRule = (mode: string) => (g: Graph, a: KernelArgs): KResult => {
  const op = `upsample_${mode}`;
  const x = tensorArg(op, a, 'input' in a ? 'input' : 'self');
  const size = sizeOrNull(op, a.output_size, 'output_size');
  const scales = size === null ? sizeOrNull(op, a.scale_factors, 'scale_factors') : null;
  return interpolate(g, x, size, scales, mode, false);
};

function padsOf(op: string, v: unknown): number[] {
  if (!Array.isArray(v) || v.some((p) => !Number.isInteger(p))) throw new KernelError(op, "argument 'pad' must be a sequence of ints");
  return v as number[];
}

/**
 * `grid_sampler(input, grid, mode, padding_mode, align_corners)` (CompositeImplicitAutograd):
 * `grid_sampler_2d` for 4-D input (output `[N, C, Hg, Wg]`), `grid_sampler_3d` for 5-D
 * (`[N, C, Dg, Hg, Wg]`); either keeps input and grid. On CUDA, bilinear/zeros/align_corners 4-D
 * sampling may run `cudnn_grid_sampler` instead, which keeps the same two (derivatives.yaml).
 */
export function gridSampler(g: Graph, x: Tensor, grid: Tensor, mode: number, paddingMode: number, alignCorners: boolean): Tensor {
  const op = 'grid_sampler';
  const n = x.shape.length - 2;
  if (n !== 2 && n !== 3) throw new KernelError(op, `grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got input with sizes ${showShape(x.shape)} and grid with sizes ${showShape(grid.shape)}`);
  if (grid.shape.length !== x.shape.length) throw new KernelError(op, `grid_sampler(): expected grid to have same number of dimensions as input, but got input with sizes ${showShape(x.shape)} and grid with sizes ${showShape(grid.shape)}`);
  if (grid.shape[0] !== x.shape[0]) throw new KernelError(op, `grid_sampler(): expected grid and input to have same batch size, but got input with sizes ${showShape(x.shape)} and grid with sizes ${showShape(grid.shape)}`);
  if (grid.shape[grid.shape.length - 1] !== n) throw new KernelError(op, `grid_sampler(): expected grid to have size ${n} in last dimension, but got grid with sizes ${showShape(grid.shape)}`);
  if (mode === 2 && n !== 2) throw new KernelError(op, 'grid_sampler(): bicubic interpolation only supports 4D input');
  const shape = [x.shape[0], x.shape[1], ...grid.shape.slice(1, -1)];
  return atenOp(g, `grid_sampler_${n}d`, { input: x, grid, interpolation_mode: mode, padding_mode: paddingMode, align_corners: alignCorners }, [{ shape, dtype: x.dtype }], { flops: numel(shape) * (n === 2 ? 8 : 16) })[0];
}

/** `grid_sampler` (either rank) or `grid_sampler_2d`/`_3d` called directly. */
function gridSamplerRule(n: number | null) {
  return (g: Graph, a: KernelArgs): KResult => {
    const op = n ? `grid_sampler_${n}d` : 'grid_sampler';
    const x = tensorArg(op, a, 'input');
    if (n && x.shape.length !== n + 2) throw new KernelError(op, `${op}(): expected ${n + 2}D input and grid with same number of dimensions, but got input with sizes ${showShape(x.shape)}`);
    return gridSampler(g, x, tensorArg(op, a, 'grid'), Number(a.interpolation_mode ?? 0), Number(a.padding_mode ?? 0), boolArg(a, 'align_corners', false));
  };
}

/** `affine_grid_generator(theta, size, align_corners)`: `[N, H, W, 2]` or `[N, D, H, W, 3]`; its backward needs only sizes. */
export function affineGridGenerator(g: Graph, theta: Tensor, size: readonly number[], alignCorners: boolean): Tensor {
  const op = 'affine_grid_generator';
  if (size.length !== 4 && size.length !== 5) throw new KernelError(op, `affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size ${showShape(size)}.`);
  const spatial = size.slice(2);
  const shape = [size[0], ...spatial, spatial.length];
  return atenOp(g, op, { theta, size: [...size], align_corners: alignCorners }, [{ shape, dtype: theta.dtype }], { flops: numel(shape) * (spatial.length + 1) })[0];
}

/** aten rows: schema argument names (`upsample_*.vec` take input, output_size, scale_factors). */
export const resamplingAten = {
  affine_grid_generator: (g: Graph, a: KernelArgs): KResult => {
    const size = a.size;
    if (!Array.isArray(size) || !size.every((x) => typeof x === 'number')) throw new KernelError('affine_grid_generator', 'size must be a sequence of ints');
    return affineGridGenerator(g, tensorArg('affine_grid_generator', a, 'theta'), size as number[], boolArg(a, 'align_corners', false));
  },
  grid_sampler: gridSamplerRule(null),
  grid_sampler_2d: gridSamplerRule(2),
  grid_sampler_3d: gridSamplerRule(3),
  constant_pad_nd: (g: Graph, a: KernelArgs): KResult => pad(g, tensorArg('constant_pad_nd', a, 'self'), padsOf('constant_pad_nd', a.pad), 'constant'),
  pad: (g: Graph, a: KernelArgs): KResult => pad(g, tensorArg('pad', a, 'self'), padsOf('pad', a.pad), strArg('pad', a, 'mode', 'constant')),
  reflection_pad: (g: Graph, a: KernelArgs): KResult => pad(g, tensorArg('reflection_pad', a, 'self'), padsOf('reflection_pad', a.padding), 'reflect'),
  replication_pad: (g: Graph, a: KernelArgs): KResult => pad(g, tensorArg('replication_pad', a, 'self'), padsOf('replication_pad', a.padding), 'replicate'),
  upsample_bicubic: upsampleRule('bicubic'),
  upsample_bilinear: upsampleRule('bilinear'),
  upsample_linear: upsampleRule('linear'),
  upsample_nearest: upsampleRule('nearest'),
  upsample_trilinear: upsampleRule('trilinear'),
};

/** `F.interpolate`'s arguments, checked: mode and antialias. */
export function interpolateArgs(a: KernelArgs): { mode: string; antialias: boolean } {
  return { mode: strArg('interpolate', a, 'mode', 'nearest'), antialias: boolArg(a, 'antialias', false) };
}

export { sizeOrNull };

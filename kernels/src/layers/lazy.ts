// torch.nn's Lazy* layers: the constructor leaves the input-sized parameters (and buffers)
// uninitialized; the first forward reads the size from the input (`in_features` from the last
// dim, `in_channels` / `num_features` from dim 1, or dim 0 for an unbatched conv input),
// materializes them as the non-lazy layer's constructor would, and from then on runs as that layer
// (`cls_to_become`).
import type { KernelArgs } from '../args';
import type { LayerForward, LayerRule, LayerState } from '../layer';
import { KernelError, Tensor } from '../types';
import { basicLayers } from './basic';
import { flag, inputOf } from './config';

/** The names the lazy constructor registers, all uninitialized (None here) until the first forward. */
function placeholders(state: LayerState): LayerState {
  return {
    params: (state.params ?? []).map(([name]) => [name, null] as const),
    buffers: (state.buffers ?? []).map(([name, , dtype]) => [name, null, dtype] as const),
  };
}

/**
 * A lazy layer over `base` (the non-lazy rule): `infer` gives the constructor arguments the input
 * decides, `uninitialized` whether the first forward is still to come.
 */
function lazy(name: string, base: LayerRule, infer: (x: Tensor, cfg: KernelArgs) => KernelArgs, uninitialized: (c: LayerForward, cfg: KernelArgs) => boolean, placeholder: KernelArgs): LayerRule {
  return {
    build: (cfg) => placeholders(base.build({ ...cfg, ...placeholder })),
    forward: (g, c) => {
      if (uninitialized(c, c.cfg)) {
        const x = inputOf(name, c.args, c.kwargs);
        c.initialize(base.build({ ...c.cfg, ...infer(x, c.cfg) }));
      }
      return base.forward(g, c);
    },
  };
}

const noWeight = (c: LayerForward) => c.param('weight') === null;

/** `LazyConv{n}d` / `LazyConvTranspose{n}d`: in_channels from dim 1 of a batched input, dim 0 of an unbatched one. */
function lazyConv(n: number, transposed: boolean): LayerRule {
  const name = `Lazy${transposed ? 'ConvTranspose' : 'Conv'}${n}d`;
  const base = basicLayers[`${transposed ? 'ConvTranspose' : 'Conv'}${n}d`];
  return lazy(name, base, (x) => {
    if (x.shape.length !== n + 1 && x.shape.length !== n + 2) throw new KernelError(name, `Expected ${n + 1}D (unbatched) or ${n + 2}D (batched) input to ${name}, but got input of size: [${x.shape.join(', ')}]`);
    return { in_channels: x.shape.length === n + 2 ? x.shape[1] : x.shape[0] };
  }, noWeight, { in_channels: 0, groups: 1 });
}

/** `LazyBatchNorm{n}d` / `LazyInstanceNorm{n}d`: num_features from dim 1; with neither affine nor running stats nothing is lazy. */
function lazyNorm(kind: 'BatchNorm' | 'InstanceNorm', n: number): LayerRule {
  const name = `Lazy${kind}${n}d`;
  const affineDefault = kind === 'BatchNorm';
  return lazy(name, basicLayers[`${kind}${n}d`], (x) => {
    if (x.shape.length < 2) throw new KernelError(name, `expected at least 2-D input, got ${x.shape.length}-D`);
    return { num_features: x.shape[1] };
  }, (c, cfg) => (flag(cfg, 'affine', affineDefault) && c.param('weight') === null) || (flag(cfg, 'track_running_stats', affineDefault) && c.buffer('running_mean') === null), { num_features: 0 });
}

export const lazyLayers: Readonly<Record<string, LayerRule>> = {
  LazyBatchNorm1d: lazyNorm('BatchNorm', 1),
  LazyBatchNorm2d: lazyNorm('BatchNorm', 2),
  LazyBatchNorm3d: lazyNorm('BatchNorm', 3),
  LazyConv1d: lazyConv(1, false),
  LazyConv2d: lazyConv(2, false),
  LazyConv3d: lazyConv(3, false),
  LazyConvTranspose1d: lazyConv(1, true),
  LazyConvTranspose2d: lazyConv(2, true),
  LazyConvTranspose3d: lazyConv(3, true),
  LazyInstanceNorm1d: lazyNorm('InstanceNorm', 1),
  LazyInstanceNorm2d: lazyNorm('InstanceNorm', 2),
  LazyInstanceNorm3d: lazyNorm('InstanceNorm', 3),
  LazyLinear: lazy('LazyLinear', basicLayers.Linear, (x) => ({ in_features: x.shape[x.shape.length - 1] }), noWeight, { in_features: 0 }),
};

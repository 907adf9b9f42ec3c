import { DType, Tensor } from '../../../../kernels/src';
import { Loc, Value, int, tuple } from '../values';
import type { TorchLibrary } from './library';

/** A layer's constructor arguments after binding against the catalogued signature. */
export type LayerConfig = ReadonlyMap<string, Value>;

/** What a layer's forward sees. */
export interface LayerCall {
  readonly lib: TorchLibrary;
  readonly cfg: LayerConfig;
  readonly input: Value;
  readonly rest: readonly Value[];
  readonly training: boolean;
  param(name: string): Tensor | null;
  buffer(name: string): Tensor | null;
  readonly at: Loc;
}

/** How the engine models one torch.nn layer class: its parameters, buffers and forward. */
export interface LayerSpec {
  /** Parameter names with shapes (null: registered as None, e.g. `bias=False`). */
  params?(cfg: LayerConfig): [string, number[] | null][];
  buffers?(cfg: LayerConfig): [string, number[], DType][];
  /** Attributes torch sets on the instance whose value differs from the raw argument. */
  attrs?(cfg: LayerConfig): [string, Value][];
  forward(call: LayerCall): Value;
}

const n = (cfg: LayerConfig, name: string): number => {
  const v = cfg.get(name);
  if (v?.k === 'num') return v.v;
  if (v?.k === 'bool') return v.v ? 1 : 0;
  throw new Error(`argument '${name}' must be a number`);
};
const flag = (cfg: LayerConfig, name: string): boolean => {
  const v = cfg.get(name);
  return v?.k === 'bool' ? v.v : v?.k === 'num' ? v.v !== 0 : false;
};
const ints = (cfg: LayerConfig, name: string, count: number): number[] => {
  const v = cfg.get(name);
  if (v?.k === 'num') return new Array<number>(count).fill(v.v);
  if (v?.k === 'tuple' || v?.k === 'list') return v.items.map((x) => (x.k === 'num' ? x.v : NaN));
  throw new Error(`argument '${name}' must be an int or a tuple of ints`);
};
const intTuple = (xs: number[]): Value => tuple(xs.map(int));

function convSpec(dims: number): LayerSpec {
  return {
    params: (cfg) => {
      const cin = n(cfg, 'in_channels');
      const cout = n(cfg, 'out_channels');
      const groups = n(cfg, 'groups');
      if (cin % groups !== 0 || cout % groups !== 0) throw new Error(`in_channels (${cin}) and out_channels (${cout}) must be divisible by groups (${groups})`);
      return [
        ['weight', [cout, cin / groups, ...ints(cfg, 'kernel_size', dims)]],
        ['bias', flag(cfg, 'bias') ? [cout] : null],
      ];
    },
    attrs: (cfg) => [
      ['kernel_size', intTuple(ints(cfg, 'kernel_size', dims))],
      ['stride', intTuple(ints(cfg, 'stride', dims))],
      ['dilation', intTuple(ints(cfg, 'dilation', dims))],
      ...(cfg.get('padding')?.k === 'str' ? [] : ([['padding', intTuple(ints(cfg, 'padding', dims))]] as [string, Value][])),
    ],
    forward: (c) => {
      const mode = c.cfg.get('padding_mode');
      if (mode?.k === 'str' && mode.v !== 'zeros') return c.lib.interp.fail(`padding_mode='${mode.v}' is not modelled yet`, c.at);
      return c.lib.runKernelWith(`conv${dims}d`, new Map<string, Value>([
        ['input', c.input], ['weight', tv(c.param('weight'))], ['bias', tv(c.param('bias'))],
        ['stride', c.cfg.get('stride')!], ['padding', c.cfg.get('padding')!], ['dilation', c.cfg.get('dilation')!], ['groups', c.cfg.get('groups')!],
      ]), c.at);
    },
  };
}

function tv(t: Tensor | null): Value {
  return t ? { k: 'tensor', t } : { k: 'none' };
}

const batchNorm: LayerSpec = {
  params: (cfg) => {
    const c = n(cfg, 'num_features');
    return flag(cfg, 'affine') ? [['weight', [c]], ['bias', [c]]] : [['weight', null], ['bias', null]];
  },
  buffers: (cfg) => {
    const c = n(cfg, 'num_features');
    return flag(cfg, 'track_running_stats') ? [['running_mean', [c], 'float32'], ['running_var', [c], 'float32'], ['num_batches_tracked', [], 'int64']] : [];
  },
  forward: (c) => {
    const track = flag(c.cfg, 'track_running_stats');
    return c.lib.runKernelWith('batch_norm', new Map<string, Value>([
      ['input', c.input], ['running_mean', tv(c.buffer('running_mean'))], ['running_var', tv(c.buffer('running_var'))],
      ['weight', tv(c.param('weight'))], ['bias', tv(c.param('bias'))], ['training', { k: 'bool', v: c.training || !track }],
    ]), c.at);
  },
};

const unary = (kernelName: string, extra: (cfg: LayerConfig) => [string, Value][] = () => []): LayerSpec => ({
  forward: (c) => c.lib.runKernelWith(kernelName, new Map<string, Value>([['input', c.input], ...extra(c.cfg)]), c.at),
});

const withInplace = (cfg: LayerConfig): [string, Value][] => [['inplace', cfg.get('inplace') ?? { k: 'bool', v: false }]];

/** The torch.nn layers the engine models, by class name. */
export const LAYERS: Record<string, LayerSpec> = {
  AdaptiveAvgPool2d: unary('adaptive_avg_pool2d', (cfg) => [['output_size', cfg.get('output_size')!]]),
  AvgPool2d: unary('avg_pool2d', (cfg) => [['kernel_size', cfg.get('kernel_size')!], ['stride', cfg.get('stride')!], ['padding', cfg.get('padding')!], ['ceil_mode', cfg.get('ceil_mode')!]]),
  BatchNorm1d: batchNorm,
  BatchNorm2d: batchNorm,
  BatchNorm3d: batchNorm,
  Conv1d: convSpec(1),
  Conv2d: convSpec(2),
  Conv3d: convSpec(3),
  Dropout: {
    forward: (c) => c.lib.runKernelWith('dropout', new Map<string, Value>([['input', c.input], ['p', c.cfg.get('p')!], ['training', { k: 'bool', v: c.training }], ['inplace', c.cfg.get('inplace')!]]), c.at),
  },
  Embedding: {
    params: (cfg) => [['weight', [n(cfg, 'num_embeddings'), n(cfg, 'embedding_dim')]]],
    forward: (c) => c.lib.runKernelWith('embedding', new Map<string, Value>([['input', c.input], ['weight', tv(c.param('weight'))]]), c.at),
  },
  Flatten: unary('flatten', (cfg) => [['start_dim', cfg.get('start_dim')!], ['end_dim', cfg.get('end_dim')!]]),
  GELU: unary('gelu'),
  Identity: { forward: (c) => c.input },
  LayerNorm: {
    params: (cfg) => {
      const shape = ints(cfg, 'normalized_shape', 1);
      const affine = flag(cfg, 'elementwise_affine');
      const bias = cfg.has('bias') ? flag(cfg, 'bias') : true;
      return [['weight', affine ? shape : null], ['bias', affine && bias ? shape : null]];
    },
    attrs: (cfg) => [['normalized_shape', intTuple(ints(cfg, 'normalized_shape', 1))]],
    forward: (c) => c.lib.runKernelWith('layer_norm', new Map<string, Value>([
      ['input', c.input], ['normalized_shape', intTuple(ints(c.cfg, 'normalized_shape', 1))], ['weight', tv(c.param('weight'))], ['bias', tv(c.param('bias'))],
    ]), c.at),
  },
  Linear: {
    params: (cfg) => [['weight', [n(cfg, 'out_features'), n(cfg, 'in_features')]], ['bias', flag(cfg, 'bias') ? [n(cfg, 'out_features')] : null]],
    forward: (c) => c.lib.runKernelWith('linear', new Map<string, Value>([['input', c.input], ['weight', tv(c.param('weight'))], ['bias', tv(c.param('bias'))]]), c.at),
  },
  LogSoftmax: unary('log_softmax', (cfg) => [['dim', cfg.get('dim')!]]),
  MaxPool2d: {
    forward: (c) => {
      if (flag(c.cfg, 'return_indices')) return c.lib.interp.fail('MaxPool2d(return_indices=True) is not modelled yet', c.at);
      return c.lib.runKernelWith('max_pool2d', new Map<string, Value>([
        ['input', c.input], ['kernel_size', c.cfg.get('kernel_size')!], ['stride', c.cfg.get('stride')!], ['padding', c.cfg.get('padding')!],
        ['dilation', c.cfg.get('dilation')!], ['ceil_mode', c.cfg.get('ceil_mode')!],
      ]), c.at);
    },
  },
  ReLU: unary('relu', withInplace),
  Sigmoid: unary('sigmoid'),
  SiLU: unary('silu', withInplace),
  Softmax: unary('softmax', (cfg) => [['dim', cfg.get('dim')!]]),
  Tanh: unary('tanh'),
};

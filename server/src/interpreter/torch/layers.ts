import { DType, KernelError, RNN_GATES, RnnConfig, RnnMode, RnnWeights, Tensor, rnn } from '../../../../kernels/src';
import { Args, InstanceV, Loc, NONE, Value, int, repr, tensorV, tuple } from '../values';
import type { TorchLibrary } from './library';
import { TRANSFORMER_LAYERS } from './transformer';

/** A layer's constructor arguments after binding against the catalogued signature. */
export type LayerConfig = ReadonlyMap<string, Value>;

/** What a layer's forward sees. */
export interface LayerCall {
  readonly lib: TorchLibrary;
  readonly cfg: LayerConfig;
  readonly input: Value;
  readonly rest: readonly Value[];
  readonly training: boolean;
  /** Every argument of the call (`input` is also `args.pos[0]`). */
  readonly args: Args;
  param(name: string): Tensor | null;
  buffer(name: string): Tensor | null;
  /** A registered submodule, or None. */
  child(name: string): Value;
  /** Calls a module or function (a submodule runs under its own name in the report). */
  call(fn: Value, pos: readonly Value[], kw?: Record<string, Value>): Value;
  readonly at: Loc;
}

/** How a layer builds its submodules: torch.nn classes by name, and `copy.deepcopy` of a module. */
export interface ModuleBuilder {
  make(className: string, pos: readonly Value[], kw?: Record<string, Value>): Value;
  clone(module: Value): Value;
}

/** How the engine models one torch.nn layer class: its parameters, buffers and forward. */
export interface LayerSpec {
  /** Parameter names with shapes (null: registered as None, e.g. `bias=False`). */
  params?(cfg: LayerConfig): [string, number[] | null][];
  buffers?(cfg: LayerConfig): [string, number[], DType][];
  /** Attributes torch sets on the instance whose value differs from the raw argument. */
  attrs?(cfg: LayerConfig): [string, Value][];
  /** Submodules torch's `__init__` registers, in registration order (a None value stays a plain attribute). */
  children?(cfg: LayerConfig, build: ModuleBuilder): [string, Value][];
  /** Attributes the class's `__setstate__` sets on a `copy.deepcopy` of an instance. */
  deepcopied?(copy: InstanceV): [string, Value][];
  forward(call: LayerCall): Value;
}

/** A size argument (features, channels, groups): a non-negative int, as torch requires. */
const n = (cfg: LayerConfig, name: string): number => {
  const v = cfg.get(name);
  const x = v?.k === 'num' ? v.v : v?.k === 'bool' ? (v.v ? 1 : 0) : NaN;
  if (!Number.isSafeInteger(x) || x < 0) throw new Error(`argument '${name}' must be a non-negative int, got ${v ? repr(v) : 'nothing'}`);
  return x;
};
const flag = (cfg: LayerConfig, name: string): boolean => {
  const v = cfg.get(name);
  return v?.k === 'bool' ? v.v : v?.k === 'num' ? v.v !== 0 : false;
};
/** An int-or-tuple argument (kernel size, stride, padding…) expanded to `count` non-negative ints. */
const ints = (cfg: LayerConfig, name: string, count: number): number[] => {
  const v = cfg.get(name);
  const xs = v?.k === 'num' ? new Array<number>(count).fill(v.v) : v?.k === 'tuple' || v?.k === 'list' ? v.items.map((x) => (x.k === 'num' ? x.v : NaN)) : null;
  if (!xs || xs.some((x) => !Number.isSafeInteger(x) || x < 0)) throw new Error(`argument '${name}' must be a non-negative int or a tuple of them, got ${v ? repr(v) : 'nothing'}`);
  return xs;
};
const intTuple = (xs: number[]): Value => tuple(xs.map(int));

/** Weight and bias of a (transposed) convolution: `[out, in/groups, k…]`, transposed `[in, out/groups, k…]`. */
function convParams(cfg: LayerConfig, dims: number, transposed: boolean): [string, number[] | null][] {
  const cin = n(cfg, 'in_channels');
  const cout = n(cfg, 'out_channels');
  const groups = n(cfg, 'groups');
  if (cin % groups !== 0 || cout % groups !== 0) throw new Error(`in_channels (${cin}) and out_channels (${cout}) must be divisible by groups (${groups})`);
  const k = ints(cfg, 'kernel_size', dims);
  return [
    ['weight', transposed ? [cin, cout / groups, ...k] : [cout, cin / groups, ...k]],
    ['bias', flag(cfg, 'bias') ? [cout] : null],
  ];
}

function convSpec(dims: number): LayerSpec {
  return {
    params: (cfg) => convParams(cfg, dims, false),
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

function convTransposeSpec(dims: number): LayerSpec {
  return {
    params: (cfg) => convParams(cfg, dims, true),
    attrs: (cfg) => [
      ['kernel_size', intTuple(ints(cfg, 'kernel_size', dims))],
      ['stride', intTuple(ints(cfg, 'stride', dims))],
      ['padding', intTuple(ints(cfg, 'padding', dims))],
      ['output_padding', intTuple(ints(cfg, 'output_padding', dims))],
      ['dilation', intTuple(ints(cfg, 'dilation', dims))],
    ],
    forward: (c) => {
      const mode = c.cfg.get('padding_mode');
      if (mode?.k === 'str' && mode.v !== 'zeros') return c.lib.interp.fail(`ConvTranspose${dims}d: padding_mode='${mode.v}' is not supported by PyTorch`, c.at);
      if (c.rest.length > 0 && c.rest[0].k !== 'none') return c.lib.interp.fail(`ConvTranspose${dims}d(input, output_size) is not modelled yet`, c.at);
      return c.lib.runKernelWith(`conv_transpose${dims}d`, new Map<string, Value>([
        ['input', c.input], ['weight', tv(c.param('weight'))], ['bias', tv(c.param('bias'))], ['stride', c.cfg.get('stride')!], ['padding', c.cfg.get('padding')!],
        ['output_padding', c.cfg.get('output_padding')!], ['groups', c.cfg.get('groups')!], ['dilation', c.cfg.get('dilation')!],
      ]), c.at);
    },
  };
}

/** Per-channel affine weight and bias of BatchNorm/InstanceNorm (`affine=True`). */
function normParams(cfg: LayerConfig): [string, number[] | null][] {
  const c = n(cfg, 'num_features');
  return flag(cfg, 'affine') ? [['weight', [c]], ['bias', [c]]] : [['weight', null], ['bias', null]];
}

/** Running statistics of BatchNorm/InstanceNorm (`track_running_stats=True`): fp32 mean/var and an int64 counter. */
function normRunningStats(cfg: LayerConfig): [string, number[], DType][] {
  const c = n(cfg, 'num_features');
  return flag(cfg, 'track_running_stats') ? [['running_mean', [c], 'float32'], ['running_var', [c], 'float32'], ['num_batches_tracked', [], 'int64']] : [];
}

const instanceNorm: LayerSpec = {
  params: normParams,
  buffers: normRunningStats,
  forward: (c) => c.lib.runKernelWith('instance_norm', new Map<string, Value>([
    ['input', c.input], ['running_mean', tv(c.buffer('running_mean'))], ['running_var', tv(c.buffer('running_var'))],
    ['weight', tv(c.param('weight'))], ['bias', tv(c.param('bias'))], ['use_input_stats', { k: 'bool', v: c.training || !flag(c.cfg, 'track_running_stats') }],
  ]), c.at),
};

const upsample = (mode?: string): LayerSpec => ({
  forward: (c) => c.lib.runKernelWith('interpolate', new Map<string, Value>([
    ['input', c.input], ['size', c.cfg.get('size') ?? NONE], ['scale_factor', c.cfg.get('scale_factor') ?? NONE],
    ['mode', mode ? { k: 'str', v: mode } : c.cfg.get('mode') ?? { k: 'str', v: 'nearest' }],
  ]), c.at),
});

// ── recurrent layers ──────────────────────────────────────────────────────

/** `nn.LSTM(*args, **kwargs)`: RNNBase's positional order, then keywords. */
const RNN_ARGS = ['input_size', 'hidden_size', 'num_layers', 'bias', 'batch_first', 'dropout', 'bidirectional', 'proj_size'];
const RNN_DEFAULTS: Record<string, number | boolean> = { num_layers: 1, bias: true, batch_first: false, dropout: 0, bidirectional: false, proj_size: 0 };

function rnnConfig(cfg: LayerConfig, mode: 'LSTM' | 'GRU' | 'RNN', training: boolean): RnnConfig & { bias: boolean } {
  const args = cfg.get('args');
  const kwargs = cfg.get('kwargs');
  const pos = args?.k === 'list' || args?.k === 'tuple' ? [...args.items] : [];
  const kw = new Map<string, Value>();
  if (kwargs?.k === 'dict') for (const [k, v] of kwargs.map.values()) if (k.k === 'str') kw.set(k.v, v);
  let nonlinearity = 'tanh';
  if (mode === 'RNN') {
    // nn.RNN takes `nonlinearity` as its fourth positional argument.
    if (pos.length > 3) nonlinearity = ((v) => (v.k === 'str' ? v.v : 'tanh'))(pos.splice(3, 1)[0]);
    const nl = kw.get('nonlinearity');
    if (nl) nonlinearity = nl.k === 'str' ? nl.v : '?';
    kw.delete('nonlinearity');
  }
  const get = (name: string): number | boolean => {
    const i = RNN_ARGS.indexOf(name);
    const v = pos[i] ?? kw.get(name);
    if (v === undefined) {
      if (name in RNN_DEFAULTS) return RNN_DEFAULTS[name];
      throw new Error(`nn.${mode}() missing required argument '${name}'`);
    }
    if (v.k === 'num') return v.v;
    if (v.k === 'bool') return v.v;
    throw new Error(`nn.${mode}: argument '${name}' must be a number or bool, got ${v.k}`);
  };
  for (const k of kw.keys()) if (!RNN_ARGS.includes(k) && k !== 'device' && k !== 'dtype') throw new Error(`nn.${mode}() got an unexpected keyword argument '${k}'`);
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new Error(`unknown nonlinearity '${nonlinearity}'`);
  const rmode: RnnMode = mode === 'RNN' ? (nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH') : mode;
  const c = {
    mode: rmode, inputSize: Number(get('input_size')), hiddenSize: Number(get('hidden_size')), numLayers: Number(get('num_layers')),
    bidirectional: Boolean(get('bidirectional')), batchFirst: Boolean(get('batch_first')), dropout: Number(get('dropout')), projSize: Number(get('proj_size')),
    bias: Boolean(get('bias')), training,
  };
  if (c.projSize && mode !== 'LSTM') throw new Error(`nn.${mode}: proj_size is only supported by LSTM`);
  if (c.projSize >= c.hiddenSize && c.projSize !== 0) throw new Error(`nn.${mode}: proj_size (${c.projSize}) has to be smaller than hidden_size (${c.hiddenSize})`);
  return c;
}

/** Parameter names of each layer and direction, in `_flat_weights_names` order. */
function rnnParams(c: RnnConfig & { bias: boolean }): [string, number[] | null][] {
  const out: [string, number[] | null][] = [];
  const gh = RNN_GATES[c.mode] * c.hiddenSize;
  const hOut = c.projSize || c.hiddenSize;
  const dirs = c.bidirectional ? 2 : 1;
  for (let l = 0; l < c.numLayers; l++) {
    for (let d = 0; d < dirs; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      out.push([`weight_ih${sfx}`, [gh, l === 0 ? c.inputSize : dirs * hOut]], [`weight_hh${sfx}`, [gh, hOut]]);
      if (c.bias) out.push([`bias_ih${sfx}`, [gh]], [`bias_hh${sfx}`, [gh]]);
      if (c.projSize) out.push([`weight_hr${sfx}`, [c.projSize, c.hiddenSize]]);
    }
  }
  return out;
}

function rnnSpec(mode: 'LSTM' | 'GRU' | 'RNN'): LayerSpec {
  return {
    params: (cfg) => rnnParams(rnnConfig(cfg, mode, true)),
    forward: (c) => {
      const at = c.at;
      if (c.input.k === 'unknown') return c.input;
      if (c.input.k !== 'tensor') return c.lib.interp.fail(`nn.${mode} expects a tensor input (packed sequences are not modelled)`, at);
      const hxArg = c.rest[0];
      let h0: Tensor | null = null;
      let c0: Tensor | null = null;
      if (hxArg && hxArg.k !== 'none') {
        if (hxArg.k === 'unknown') return hxArg;
        if (mode === 'LSTM' && hxArg.k === 'tuple' && hxArg.items.length === 2 && hxArg.items[0].k === 'tensor' && hxArg.items[1].k === 'tensor') [h0, c0] = [hxArg.items[0].t, hxArg.items[1].t];
        else if (mode !== 'LSTM' && hxArg.k === 'tensor') h0 = hxArg.t;
        else return c.lib.interp.fail(`nn.${mode}: initial state must be ${mode === 'LSTM' ? 'a (h_0, c_0) tuple of tensors' : 'a tensor'}`, at);
      }
      try {
        const cfg = rnnConfig(c.cfg, mode, c.training);
        const names = rnnParams(cfg).map(([name]) => name);
        const p = (name: string): Tensor | null => (names.includes(name) ? c.param(name) : null);
        const weights: RnnWeights[] = [];
        for (let l = 0; l < cfg.numLayers; l++) {
          for (let d = 0; d < (cfg.bidirectional ? 2 : 1); d++) {
            const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
            weights.push({ wIh: p(`weight_ih${sfx}`)!, wHh: p(`weight_hh${sfx}`)!, bIh: p(`bias_ih${sfx}`), bHh: p(`bias_hh${sfx}`), wHr: p(`weight_hr${sfx}`) });
          }
        }
        const r = rnn(c.lib.tracer, cfg, c.input.t, weights, h0, c0);
        const state = r.cn ? tuple([tensorV(r.hn), tensorV(r.cn)]) : tensorV(r.hn);
        return tuple([tensorV(r.output), state]);
      } catch (e) {
        if (e instanceof KernelError || e instanceof Error) return c.lib.interp.fail(e.message, at);
        throw e;
      }
    },
  };
}

const batchNorm: LayerSpec = {
  params: normParams,
  buffers: normRunningStats,
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
  ConvTranspose1d: convTransposeSpec(1),
  ConvTranspose2d: convTransposeSpec(2),
  ConvTranspose3d: convTransposeSpec(3),
  ELU: unary('elu', (cfg) => [['alpha', cfg.get('alpha')!], ...withInplace(cfg)]),
  GELU: unary('gelu', (cfg) => [['approximate', cfg.get('approximate') ?? { k: 'str', v: 'none' }]]),
  GRU: rnnSpec('GRU'),
  GroupNorm: {
    params: (cfg) => {
      const c = n(cfg, 'num_channels');
      if (c % n(cfg, 'num_groups') !== 0) throw new Error(`num_channels (${c}) must be divisible by num_groups (${n(cfg, 'num_groups')})`);
      return flag(cfg, 'affine') ? [['weight', [c]], ['bias', [c]]] : [['weight', null], ['bias', null]];
    },
    forward: (c) => c.lib.runKernelWith('group_norm', new Map<string, Value>([['input', c.input], ['num_groups', c.cfg.get('num_groups')!], ['weight', tv(c.param('weight'))], ['bias', tv(c.param('bias'))]]), c.at),
  },
  Hardsigmoid: unary('hardsigmoid', withInplace),
  Hardswish: unary('hardswish', withInplace),
  Hardtanh: unary('hardtanh', (cfg) => [['min_val', cfg.get('min_val')!], ['max_val', cfg.get('max_val')!], ...withInplace(cfg)]),
  Identity: { forward: (c) => c.input },
  InstanceNorm1d: instanceNorm,
  InstanceNorm2d: instanceNorm,
  InstanceNorm3d: instanceNorm,
  LSTM: rnnSpec('LSTM'),
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
  LeakyReLU: unary('leaky_relu', (cfg) => [['negative_slope', cfg.get('negative_slope')!], ...withInplace(cfg)]),
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
  Mish: unary('mish', withInplace),
  ReLU: unary('relu', withInplace),
  ReLU6: unary('relu6', withInplace),
  RNN: rnnSpec('RNN'),
  Sigmoid: unary('sigmoid'),
  SiLU: unary('silu', withInplace),
  Softmax: unary('softmax', (cfg) => [['dim', cfg.get('dim')!]]),
  Tanh: unary('tanh'),
  Upsample: upsample(),
  UpsamplingBilinear2d: upsample('bilinear'),
  UpsamplingNearest2d: upsample('nearest'),
  ...TRANSFORMER_LAYERS,
};

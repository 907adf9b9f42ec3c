// torch.nn layers that hold parameters or buffers and call one functional op in forward: their
// registrations as torch's `__init__` makes them (names and order match named_parameters()), and
// the F function or aten op their forward runs.
import type { KernelArgs } from '../args';
import { callAten, callPython } from '../dispatch';
import type { LayerRule, LayerState } from '../layer';
import { pad } from '../resampling';
import { squeeze, unsqueeze } from '../shapeops';
import { DType, KernelError, KResult, Tensor } from '../types';
import { bindForward, flag, ints, inputOf, paramDtype, size } from './config';

/** A layer without parameters whose forward is `F.<fn>(input, **some constructor arguments)`. */
export function functionalLayer(fn: string, cfgArgs: readonly string[] = [], fixed: Readonly<Record<string, unknown>> = {}): LayerRule {
  return {
    build: () => ({}),
    forward: (g, c) => {
      const args: Record<string, unknown> = { input: inputOf(fn, c.args, c.kwargs), ...fixed };
      for (const k of cfgArgs) args[k] = c.cfg[k];
      return callPython(g, fn, args);
    },
  };
}

/** A layer whose forward is the aten op `op(self, **some constructor arguments)`. */
export function atenLayer(op: string, cfgArgs: readonly string[] = [], rename: Readonly<Record<string, string>> = {}): LayerRule {
  return {
    build: () => ({}),
    forward: (g, c) => {
      const args: Record<string, unknown> = { self: inputOf(op, c.args, c.kwargs) };
      for (const k of cfgArgs) args[rename[k] ?? k] = c.cfg[k];
      return callAten(g, op, args);
    },
  };
}

// ── convolutions ───────────────────────────────────────────────────────────

/** Weight and bias of a (transposed) convolution: `[out, in/groups, k…]`, transposed `[in, out/groups, k…]`. */
function convState(layer: string, cfg: KernelArgs, n: number, transposed: boolean): LayerState {
  const cin = size(layer, cfg, 'in_channels');
  const cout = size(layer, cfg, 'out_channels');
  const groups = size(layer, cfg, 'groups');
  if (groups === 0 || cin % groups !== 0 || cout % groups !== 0) throw new KernelError(layer, `in_channels (${cin}) and out_channels (${cout}) must be divisible by groups (${groups})`);
  const k = ints(layer, cfg, 'kernel_size', n);
  const mode = cfg.padding_mode ?? 'zeros';
  if (!['zeros', 'reflect', 'replicate', 'circular'].includes(String(mode))) throw new KernelError(layer, `padding_mode must be one of 'zeros', 'reflect', 'replicate' or 'circular', got '${String(mode)}'`);
  if (typeof cfg.padding === 'string' && !['same', 'valid'].includes(cfg.padding)) throw new KernelError(layer, `invalid padding string '${cfg.padding}'`);
  const tuple = (name: string) => ints(layer, cfg, name, n);
  return {
    params: [['weight', transposed ? [cin, cout / groups, ...k] : [cout, cin / groups, ...k]], ['bias', flag(cfg, 'bias', true) ? [cout] : null]],
    attrs: [
      ['kernel_size', k], ['stride', tuple('stride')], ['dilation', tuple('dilation')],
      ...(typeof cfg.padding === 'string' ? [] : [['padding', tuple('padding')] as const]),
      ...(transposed ? [['output_padding', tuple('output_padding')] as const] : []),
    ],
  };
}

/**
 * `nn.Conv{n}d`: `F.conv{n}d`; with a padding_mode other than zeros torch pads explicitly
 * (`F.pad(input, reversed padding repeated twice, mode)`) and convolves without padding.
 */
function conv(n: number): LayerRule {
  const layer = `Conv${n}d`;
  return {
    build: (cfg) => convState(layer, cfg, n, false),
    forward: (g, c) => {
      let x = inputOf(layer, c.args, c.kwargs);
      const mode = String(c.cfg.padding_mode ?? 'zeros');
      let padding = c.cfg.padding;
      if (mode !== 'zeros') {
        const p = ints(layer, c.cfg, 'padding', n);
        x = pad(g, x, [...p].reverse().flatMap((v) => [v, v]), mode === 'reflect' ? 'reflect' : mode === 'replicate' ? 'replicate' : 'circular');
        padding = 0;
      }
      const args = { input: x, weight: c.param('weight'), bias: c.param('bias'), stride: c.cfg.stride, padding, dilation: c.cfg.dilation, groups: c.cfg.groups };
      return callAten(g, typeof padding === 'string' ? `conv${n}d.padding` : `conv${n}d`, args);
    },
  };
}

function convTranspose(n: number): LayerRule {
  const layer = `ConvTranspose${n}d`;
  return {
    build: (cfg) => {
      if (String(cfg.padding_mode ?? 'zeros') !== 'zeros') throw new KernelError(layer, `Only "zeros" padding mode is supported for ConvTranspose${n}d`);
      return convState(layer, cfg, n, true);
    },
    forward: (g, c) => {
      const x = inputOf(layer, c.args, c.kwargs);
      const outputSize = c.args[1] ?? c.kwargs.output_size;
      if (outputSize !== undefined && outputSize !== null) throw new KernelError(layer, 'forward(input, output_size) is not modelled yet');
      return callAten(g, `conv_transpose${n}d.input`, {
        input: x, weight: c.param('weight'), bias: c.param('bias'), stride: c.cfg.stride, padding: c.cfg.padding,
        output_padding: c.cfg.output_padding, groups: c.cfg.groups, dilation: c.cfg.dilation,
      });
    },
  };
}

// ── linear, embedding ──────────────────────────────────────────────────────

const linear: LayerRule = {
  build: (cfg) => ({
    params: [['weight', [size('Linear', cfg, 'out_features'), size('Linear', cfg, 'in_features')]], ['bias', flag(cfg, 'bias', true) ? [size('Linear', cfg, 'out_features')] : null]],
  }),
  forward: (g, c) => callAten(g, 'linear', { input: inputOf('Linear', c.args, c.kwargs), weight: c.param('weight'), bias: c.param('bias') }),
};

const bilinearLayer: LayerRule = {
  build: (cfg) => {
    const out = size('Bilinear', cfg, 'out_features');
    return { params: [['weight', [out, size('Bilinear', cfg, 'in1_features'), size('Bilinear', cfg, 'in2_features')]], ['bias', flag(cfg, 'bias', true) ? [out] : null]] };
  },
  forward: (g, c) => {
    const a = bindForward('Bilinear', ['input1', 'input2'], 2, c.args, c.kwargs);
    return callAten(g, 'bilinear', { input1: a.input1, input2: a.input2, weight: c.param('weight'), bias: c.param('bias') });
  },
};

/** The `[num_embeddings, embedding_dim]` weight of Embedding/EmbeddingBag; a negative padding_idx is stored as `num + padding_idx`. */
function embeddingState(layer: string, cfg: KernelArgs, outOfRange: string): LayerState {
  const n = size(layer, cfg, 'num_embeddings');
  const p = cfg.padding_idx;
  if (typeof p === 'number' && (p >= n || p < -n)) throw new KernelError(layer, outOfRange);
  return { params: [['weight', [n, size(layer, cfg, 'embedding_dim')]]], attrs: typeof p === 'number' && p < 0 ? [['padding_idx', n + p]] : [] };
}

/** `nn.EmbeddingBag(num_embeddings, embedding_dim, …)`: a `[num, dim]` weight; `forward(input, offsets, per_sample_weights)` is `F.embedding_bag`. */
const embeddingBagLayer: LayerRule = {
  build: (cfg) => embeddingState('EmbeddingBag', cfg, 'padding_idx must be within num_embeddings'),
  forward: (g, c) => {
    const a = bindForward('EmbeddingBag', ['input', 'offsets', 'per_sample_weights'], 1, c.args, c.kwargs);
    const p = c.cfg.padding_idx;
    const n = c.param('weight')?.shape[0] ?? 0;
    return callPython(g, 'F.embedding_bag', {
      input: a.input, weight: c.param('weight'), offsets: a.offsets ?? null, max_norm: c.cfg.max_norm ?? null, norm_type: c.cfg.norm_type ?? 2,
      scale_grad_by_freq: c.cfg.scale_grad_by_freq ?? false, mode: c.cfg.mode ?? 'mean', sparse: c.cfg.sparse ?? false, per_sample_weights: a.per_sample_weights ?? null,
      include_last_offset: c.cfg.include_last_offset ?? false, padding_idx: typeof p === 'number' && p < 0 ? n + p : p ?? null,
    });
  },
};

const embeddingLayer: LayerRule = {
  build: (cfg) => embeddingState('Embedding', cfg, 'Padding_idx must be within num_embeddings'),
  forward: (g, c) => callPython(g, 'F.embedding', { input: inputOf('Embedding', c.args, c.kwargs), weight: c.param('weight'), padding_idx: c.cfg.padding_idx ?? null, max_norm: c.cfg.max_norm ?? null }),
};

// ── normalization ──────────────────────────────────────────────────────────

/** Affine weight/bias and running statistics of BatchNorm/InstanceNorm: fp32 mean/var and an int64 counter. */
function normState(layer: string, cfg: KernelArgs, affineDefault: boolean, trackDefault: boolean): LayerState {
  const c = size(layer, cfg, 'num_features');
  const dtype: DType = paramDtype(cfg);
  const affine = flag(cfg, 'affine', affineDefault);
  const track = flag(cfg, 'track_running_stats', trackDefault);
  return {
    // 2.x `bias=False` registers the bias as None.
    params: affine ? [['weight', [c]], ['bias', flag(cfg, 'bias', true) ? [c] : null]] : [['weight', null], ['bias', null]],
    buffers: track ? [['running_mean', [c], dtype], ['running_var', [c], dtype], ['num_batches_tracked', [], 'int64']] : [['running_mean', null, dtype], ['running_var', null, dtype], ['num_batches_tracked', null, 'int64']],
  };
}

/** `nn.BatchNorm{n}d`: batch statistics in training (or without running stats), running ones in eval. */
function batchNorm(n: number): LayerRule {
  const layer = `BatchNorm${n}d`;
  const ranks = n === 1 ? [2, 3] : [n + 2];
  return {
    build: (cfg) => normState(layer, cfg, true, true),
    forward: (g, c) => {
      const x = inputOf(layer, c.args, c.kwargs);
      if (!ranks.includes(x.shape.length)) throw new KernelError(layer, `expected ${ranks.map((r) => `${r}D`).join(' or ')} input (got ${x.shape.length}D input)`);
      const track = c.buffer('running_mean') !== null;
      return callPython(g, 'F.batch_norm', {
        input: x, running_mean: c.buffer('running_mean'), running_var: c.buffer('running_var'), weight: c.param('weight'), bias: c.param('bias'),
        training: c.training || !track, momentum: c.cfg.momentum ?? 0.1, eps: c.cfg.eps ?? 1e-5,
      });
    },
  };
}

/**
 * `nn.SyncBatchNorm`: BatchNorm's parameters and buffers, any input of rank ≥ 2. In a process
 * without torch.distributed (what the engine simulates) 2.x runs `F.batch_norm` on any device;
 * 1.13 refuses non-CUDA input and, in training, needs the default process group (its world size
 * decides between batch_norm and the all-gathering `sync_batch_norm`), which is not modelled.
 */
const syncBatchNorm: LayerRule = {
  build: (cfg) => normState('SyncBatchNorm', cfg, true, true),
  forward: (g, c) => {
    const x = inputOf('SyncBatchNorm', c.args, c.kwargs);
    if (g.ctx.torch[0] < 2 && g.ctx.device !== 'cuda') throw new KernelError('SyncBatchNorm', 'SyncBatchNorm expected input tensor to be on GPU');
    if (x.shape.length < 2) throw new KernelError('SyncBatchNorm', `expected at least 2D input (got ${x.shape.length}D input)`);
    if (x.shape[1] === 0) throw new KernelError('SyncBatchNorm', 'SyncBatchNorm number of input channels should be non-zero');
    if (g.ctx.torch[0] < 2 && c.training) throw new KernelError('SyncBatchNorm', 'training needs torch.distributed\'s default process group in PyTorch 1.13 (sync_batch_norm across processes is not modelled)');
    const track = c.buffer('running_mean') !== null;
    return callPython(g, 'F.batch_norm', {
      input: x, running_mean: c.buffer('running_mean'), running_var: c.buffer('running_var'), weight: c.param('weight'), bias: c.param('bias'),
      training: c.training || !track, momentum: c.cfg.momentum ?? 0.1, eps: c.cfg.eps ?? 1e-5,
    });
  },
};

/**
 * `nn.InstanceNorm{n}d`: F.instance_norm on a batched ({n+2}-D) input; an unbatched ({n+1}-D) one
 * is unsqueezed to a batch of one and the result squeezed (`_handle_no_batch_input`). With
 * affine weights (2.x) the channel dim must match num_features.
 */
function instanceNorm(n: number): LayerRule {
  const layer = `InstanceNorm${n}d`;
  return {
    build: (cfg) => normState(layer, cfg, false, false),
    forward: (g, c) => {
      const x = inputOf(layer, c.args, c.kwargs);
      if (x.shape.length !== n + 1 && x.shape.length !== n + 2) throw new KernelError(layer, `expected ${n + 1}D or ${n + 2}D input (got ${x.shape.length}D input)`);
      const batched = x.shape.length === n + 2;
      const features = x.shape[batched ? 1 : 0];
      // With affine weights (a lazy layer has them once initialized) 2.x checks the channels.
      const weight = c.param('weight');
      const numFeatures = weight ? weight.shape[0] : features;
      if (g.ctx.torch[0] >= 2 && weight && features !== numFeatures) {
        throw new KernelError(layer, `expected input's size at dim=${batched ? 1 : 0} to match num_features (${numFeatures}), but got: ${features}.`);
      }
      const track = c.buffer('running_mean') !== null;
      const y = callPython(g, 'F.instance_norm', {
        input: batched ? x : unsqueeze(g, x, 0), running_mean: c.buffer('running_mean'), running_var: c.buffer('running_var'), weight: c.param('weight'), bias: c.param('bias'),
        use_input_stats: c.training || !track, momentum: c.cfg.momentum ?? 0.1, eps: c.cfg.eps ?? 1e-5,
      }) as Tensor;
      return batched ? y : squeeze(g, y, 0);
    },
  };
}

function normalizedShape(layer: string, cfg: KernelArgs): number[] {
  const v = cfg.normalized_shape;
  const shape = typeof v === 'number' ? [v] : Array.isArray(v) ? v.map(Number) : null;
  if (!shape || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new KernelError(layer, 'normalized_shape must be an int or a sequence of ints');
  return shape;
}

const layerNorm: LayerRule = {
  build: (cfg) => {
    const shape = normalizedShape('LayerNorm', cfg);
    const affine = flag(cfg, 'elementwise_affine', true);
    return { params: [['weight', affine ? shape : null], ['bias', affine && flag(cfg, 'bias', true) ? shape : null]], attrs: [['normalized_shape', shape]] };
  },
  forward: (g, c) => callPython(g, 'F.layer_norm', { input: inputOf('LayerNorm', c.args, c.kwargs), normalized_shape: c.cfg.normalized_shape, weight: c.param('weight'), bias: c.param('bias'), eps: c.cfg.eps ?? 1e-5 }),
};

const rmsNorm: LayerRule = {
  build: (cfg) => {
    const shape = normalizedShape('RMSNorm', cfg);
    return { params: [['weight', flag(cfg, 'elementwise_affine', true) ? shape : null]], attrs: [['normalized_shape', shape]] };
  },
  forward: (g, c) => callPython(g, 'F.rms_norm', { input: inputOf('RMSNorm', c.args, c.kwargs), normalized_shape: c.cfg.normalized_shape, weight: c.param('weight'), eps: c.cfg.eps ?? null }),
};

const groupNorm: LayerRule = {
  build: (cfg) => {
    const ch = size('GroupNorm', cfg, 'num_channels');
    const groups = size('GroupNorm', cfg, 'num_groups');
    if (groups === 0 || ch % groups !== 0) throw new KernelError('GroupNorm', 'num_channels must be divisible by num_groups');
    return { params: flag(cfg, 'affine', true) ? [['weight', [ch]], ['bias', [ch]]] : [['weight', null], ['bias', null]] };
  },
  forward: (g, c) => callPython(g, 'F.group_norm', { input: inputOf('GroupNorm', c.args, c.kwargs), num_groups: c.cfg.num_groups, weight: c.param('weight'), bias: c.param('bias'), eps: c.cfg.eps ?? 1e-5 }),
};

const prelu: LayerRule = {
  build: (cfg) => ({ params: [['weight', [size('PReLU', cfg, 'num_parameters')]]] }),
  forward: (g, c) => callAten(g, 'prelu', { self: inputOf('PReLU', c.args, c.kwargs), weight: c.param('weight') }),
};

// ── padding layers ─────────────────────────────────────────────────────────

/**
 * `nn.ReflectionPad2d(padding)` & co.: an int pads every side; `ZeroPad`/`ConstantPad` fill with a
 * value; `CircularPad{n}d` (2.x) checks the input's rank first.
 */
function padLayer(layer: string, n: number, mode: string): LayerRule {
  return {
    build: (cfg) => ({ attrs: [['padding', ints(layer, cfg, 'padding', 2 * n)]] }),
    forward: (g, c): KResult => {
      const x = inputOf(layer, c.args, c.kwargs);
      if (mode === 'circular' && x.shape.length !== n + 1 && x.shape.length !== n + 2) throw new KernelError(layer, `expected ${n + 1}D or ${n + 2}D input (got ${x.shape.length}D input)`);
      const p = ints(layer, c.cfg, 'padding', 2 * n);
      if (mode === 'constant') return callAten(g, 'constant_pad_nd', { self: x, pad: p, value: c.cfg.value ?? 0 });
      return pad(g, x, p, mode);
    },
  };
}

/**
 * `nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value=4.0, head_bias=False)`:
 * a `head` Linear (shortlist + one logit per cluster) and a `tail` ModuleList of
 * `Sequential(Linear(in, in // div^(i+1)), Linear(…, cluster size))`, all without bias but the
 * head's optional one. forward splits the batch by the target's values (`nonzero` of each
 * cluster's mask), so its shapes are data-dependent: not modelled.
 */
const adaptiveLogSoftmaxWithLoss: LayerRule = {
  build: (cfg) => {
    const layer = 'AdaptiveLogSoftmaxWithLoss';
    const inF = size(layer, cfg, 'in_features');
    const classes = size(layer, cfg, 'n_classes');
    const cutoffs = Array.isArray(cfg.cutoffs) ? cfg.cutoffs.map(Number) : [];
    if (cutoffs.length === 0) throw new KernelError(layer, 'cutoffs should be a sequence of length larger than 0');
    const sorted = [...cutoffs].sort((x, y) => x - y);
    if (cutoffs.some((c, i) => c !== sorted[i] || !Number.isInteger(c)) || sorted[0] <= 0 || sorted[sorted.length - 1] > classes - 1 || new Set(cutoffs).size !== cutoffs.length) {
      throw new KernelError(layer, 'cutoffs should be a sequence of unique, positive integers sorted in an increasing order, where each value is between 1 and n_classes-1');
    }
    const all = [...cutoffs, classes];
    const div = typeof cfg.div_value === 'number' ? cfg.div_value : 4;
    const tail = all.slice(0, -1).map((c, i) => ({
      layer: 'Sequential',
      args: [
        { layer: 'Linear', args: [inF, Math.floor(inF / div ** (i + 1))], kwargs: { bias: false } },
        { layer: 'Linear', args: [Math.floor(inF / div ** (i + 1)), all[i + 1] - c], kwargs: { bias: false } },
      ],
    }));
    return {
      attrs: [['cutoffs', all], ['shortlist_size', all[0]], ['n_clusters', all.length - 1], ['head_size', all[0] + all.length - 1]],
      children: [
        ['head', { layer: 'Linear', args: [inF, all[0] + all.length - 1], kwargs: { bias: flag(cfg, 'head_bias', false) } }],
        ['tail', { layer: 'ModuleList', args: [tail] }],
      ],
    };
  },
  forward: () => {
    throw new KernelError('AdaptiveLogSoftmaxWithLoss', "forward splits the batch by the target's values (which rows fall in each cluster): data-dependent shapes, not modelled");
  },
};

/** Layers with parameters or buffers, and the padding layers, by class name. */
export const basicLayers: Readonly<Record<string, LayerRule>> = {
  AdaptiveLogSoftmaxWithLoss: adaptiveLogSoftmaxWithLoss,
  BatchNorm1d: batchNorm(1),
  BatchNorm2d: batchNorm(2),
  BatchNorm3d: batchNorm(3),
  Bilinear: bilinearLayer,
  CircularPad1d: padLayer('CircularPad1d', 1, 'circular'),
  CircularPad2d: padLayer('CircularPad2d', 2, 'circular'),
  CircularPad3d: padLayer('CircularPad3d', 3, 'circular'),
  ConstantPad1d: padLayer('ConstantPad1d', 1, 'constant'),
  ConstantPad2d: padLayer('ConstantPad2d', 2, 'constant'),
  ConstantPad3d: padLayer('ConstantPad3d', 3, 'constant'),
  Conv1d: conv(1),
  Conv2d: conv(2),
  Conv3d: conv(3),
  ConvTranspose1d: convTranspose(1),
  ConvTranspose2d: convTranspose(2),
  ConvTranspose3d: convTranspose(3),
  Embedding: embeddingLayer,
  EmbeddingBag: embeddingBagLayer,
  GroupNorm: groupNorm,
  InstanceNorm1d: instanceNorm(1),
  InstanceNorm2d: instanceNorm(2),
  InstanceNorm3d: instanceNorm(3),
  LayerNorm: layerNorm,
  Linear: linear,
  PReLU: prelu,
  RMSNorm: rmsNorm,
  SyncBatchNorm: syncBatchNorm,
  ReflectionPad1d: padLayer('ReflectionPad1d', 1, 'reflect'),
  ReflectionPad2d: padLayer('ReflectionPad2d', 2, 'reflect'),
  ReflectionPad3d: padLayer('ReflectionPad3d', 3, 'reflect'),
  ReplicationPad1d: padLayer('ReplicationPad1d', 1, 'replicate'),
  ReplicationPad2d: padLayer('ReplicationPad2d', 2, 'replicate'),
  ReplicationPad3d: padLayer('ReplicationPad3d', 3, 'replicate'),
  ZeroPad1d: padLayer('ZeroPad1d', 1, 'constant'),
  ZeroPad2d: padLayer('ZeroPad2d', 2, 'constant'),
  ZeroPad3d: padLayer('ZeroPad3d', 3, 'constant'),
};

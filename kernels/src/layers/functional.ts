// torch.nn layers without parameters: activations, dropout, pooling, reshaping, resampling and
// losses. Each forward is the functional op torch's forward calls, with the constructor's
// arguments (as the instance holds them now) and the module's training flag.
import { callAten, callPython } from '../dispatch';
import type { LayerRule } from '../layer';
import { isTensor } from '../common';
import { DictValue, KernelError, KResult } from '../types';
import { atenLayer, functionalLayer } from './basic';
import { bindForward, inputOf } from './config';

/** `nn.Dropout*`: the functional dropout with the module's training flag. */
function dropoutLayer(fn: string): LayerRule {
  return {
    build: () => ({}),
    forward: (g, c) => callPython(g, fn, { input: inputOf(fn, c.args, c.kwargs), p: c.cfg.p ?? 0.5, training: c.training, inplace: c.cfg.inplace ?? false }),
  };
}

/** `nn.Upsample` and its deprecated fixed-mode variants. */
function upsampleLayer(mode?: string, alignCorners?: boolean): LayerRule {
  return {
    build: () => ({}),
    forward: (g, c) => callPython(g, 'F.interpolate', {
      input: inputOf('Upsample', c.args, c.kwargs), size: c.cfg.size ?? null, scale_factor: c.cfg.scale_factor ?? null,
      mode: mode ?? c.cfg.mode ?? 'nearest', align_corners: alignCorners ?? c.cfg.align_corners ?? null,
    }),
  };
}

/**
 * A loss module: `forward(input, target)` is the functional loss with the constructor's options;
 * a class `weight` (and BCEWithLogits' `pos_weight`) are buffers registered by the constructor.
 */
function lossLayer(fn: string, options: readonly string[], weights: readonly string[] = [], inputs: readonly string[] = ['input', 'target']): LayerRule {
  return {
    build: (cfg) => ({ buffers: weights.map((w) => { const t = cfg[w]; return [w, isTensor(t) ? t.shape : null, isTensor(t) ? t.dtype : 'float32'] as const; }) }),
    forward: (g, c) => {
      const a = bindForward(fn, inputs, inputs.length, c.args, c.kwargs);
      const args: Record<string, unknown> = {};
      inputs.forEach((name, i) => (args[FORWARD_TO_F[fn]?.[i] ?? name] = a[name]));
      for (const k of options) args[k] = c.cfg[k];
      for (const w of weights) args[w] = c.buffer(w);
      return callPython(g, fn, args);
    },
  };
}

/** Where a loss module's forward names its inputs otherwise than the F function (`PoissonNLLLoss.forward(log_input, target)`). */
const FORWARD_TO_F: Readonly<Record<string, readonly string[]>> = { 'F.poisson_nll_loss': ['input', 'target'] };

/**
 * `nn.TripletMarginWithDistanceLoss(*, distance_function=None, margin, swap, reduction)`: the
 * distance is a child module (a new `PairwiseDistance()` when none is given) or a plain callable.
 */
const tripletMarginWithDistanceLoss: LayerRule = {
  build: (cfg) => {
    const margin = typeof cfg.margin === 'number' ? cfg.margin : 1;
    if (margin <= 0) throw new KernelError('TripletMarginWithDistanceLoss', `TripletMarginWithDistanceLoss: expected margin to be greater than 0, got ${margin} instead`);
    const fn = cfg.distance_function;
    return { children: [['distance_function', fn === undefined || fn === null ? { layer: 'PairwiseDistance', args: [] } : { given: fn }]] };
  },
  forward: (g, c) => {
    const a = bindForward('TripletMarginWithDistanceLoss', ['anchor', 'positive', 'negative'], 3, c.args, c.kwargs);
    // A module is a registered child; any other callable stays the constructor's argument.
    const distance = (_fn: unknown, xs: readonly unknown[]): KResult => {
      try {
        return c.callChild('distance_function', xs);
      } catch (e) {
        if (e instanceof KernelError && c.cfg.distance_function !== undefined && c.cfg.distance_function !== null) return c.callValue(c.cfg.distance_function, xs);
        throw e;
      }
    };
    return callPython(g, 'F.triplet_margin_with_distance_loss', {
      anchor: a.anchor, positive: a.positive, negative: a.negative, distance_function: 'module', margin: c.cfg.margin ?? 1, swap: c.cfg.swap ?? false, reduction: c.cfg.reduction ?? 'mean',
    }, distance);
  },
};

/** `nn.PairwiseDistance(p, eps, keepdim)`: `F.pairwise_distance(x1, x2, …)`. */
const pairwiseDistance: LayerRule = {
  build: () => ({}),
  forward: (g, c) => {
    const a = bindForward('PairwiseDistance', ['x1', 'x2'], 2, c.args, c.kwargs);
    return callAten(g, 'pairwise_distance', { x1: a.x1, x2: a.x2, p: c.cfg.p ?? 2, eps: c.cfg.eps ?? 1e-6, keepdim: c.cfg.keepdim ?? false });
  },
};

/** `nn.Identity(*args, **kwargs)`: returns its input unchanged. */
const identity: LayerRule = { build: () => ({}), forward: (_g, c) => c.args[0] as KResult };

const cosineSimilarity: LayerRule = {
  build: () => ({}),
  forward: (g, c) => {
    const a = bindForward('CosineSimilarity', ['x1', 'x2'], 2, c.args, c.kwargs);
    return callAten(g, 'cosine_similarity', { x1: a.x1, x2: a.x2, dim: c.cfg.dim ?? 1, eps: c.cfg.eps ?? 1e-8 });
  },
};

const unflatten: LayerRule = {
  build: () => ({}),
  forward: (g, c) => callAten(g, 'unflatten.int', { self: inputOf('Unflatten', c.args, c.kwargs), dim: c.cfg.dim, sizes: c.cfg.unflattened_size }),
};

const softmaxLike = (fn: string): LayerRule => ({
  build: () => ({}),
  forward: (g, c) => callPython(g, fn, { input: inputOf(fn, c.args, c.kwargs), dim: c.cfg.dim ?? null, _stacklevel: 5, dtype: null }),
});


/** `nn.MaxUnpool{n}d(kernel_size, stride=None, padding=0)`: `forward(input, indices, output_size=None)`. */
function maxUnpoolLayer(n: number): LayerRule {
  const name = `MaxUnpool${n}d`;
  return {
    build: () => ({}),
    forward: (g, c) => {
      const a = bindForward(name, ['input', 'indices', 'output_size'], 2, c.args, c.kwargs);
      return callPython(g, `F.max_unpool${n}d`, { input: a.input, indices: a.indices, kernel_size: c.cfg.kernel_size, stride: c.cfg.stride ?? c.cfg.kernel_size, padding: c.cfg.padding ?? 0, output_size: a.output_size ?? null });
    },
  };
}

/**
 * `nn.FractionalMaxPool{n}d(kernel_size, output_size=None, output_ratio=None, return_indices,
 * _random_samples)`: the samples are a buffer (None unless given); the ratio must lie in (0, 1).
 */
function fractionalMaxPoolLayer(n: number): LayerRule {
  const name = `FractionalMaxPool${n}d`;
  return {
    build: (cfg) => {
      const size = cfg.output_size;
      const ratio = cfg.output_ratio;
      const none = (v: unknown) => v === undefined || v === null;
      if (none(size) && none(ratio)) throw new KernelError(name, `${name} requires specifying either an output size, or a pooling ratio`);
      if (!none(size) && !none(ratio)) throw new KernelError(name, 'only one of output_size and output_ratio may be specified');
      if (!none(ratio)) {
        const rs = Array.isArray(ratio) ? ratio.map(Number) : new Array<number>(n).fill(Number(ratio));
        if (rs.some((r) => !(r > 0 && r < 1))) throw new KernelError(name, `output_ratio must be between 0 and 1 (got ${JSON.stringify(ratio)})`);
      }
      const samples = cfg._random_samples;
      return { buffers: [['_random_samples', isTensor(samples) ? samples.shape : null, isTensor(samples) ? samples.dtype : 'float32']] };
    },
    forward: (g, c) => {
      const ratio = c.cfg.output_ratio;
      return callPython(g, `F.fractional_max_pool${n}d`, {
        input: inputOf(name, c.args, c.kwargs), kernel_size: c.cfg.kernel_size, output_size: c.cfg.output_size ?? null,
        // The module keeps `_pair(output_ratio)`.
        output_ratio: ratio === undefined || ratio === null ? null : Array.isArray(ratio) ? ratio : new Array<unknown>(n).fill(ratio),
        return_indices: c.cfg.return_indices ?? false, _random_samples: c.buffer('_random_samples'),
      });
    },
  };
}

/** `nn.LPPool{n}d(norm_type, kernel_size, stride=None, ceil_mode=False)`; 2.14 refuses norm_type 0 when built. */
function lpPoolLayer(n: number): LayerRule {
  const inner = functionalLayer(`F.lp_pool${n}d`, ['norm_type', 'kernel_size', 'stride', 'ceil_mode']);
  return {
    build: (cfg) => {
      if (cfg.norm_type === 0) throw new KernelError(`LPPool${n}d`, 'norm_type must be a non-zero value, but got 0');
      return {};
    },
    forward: inner.forward,
  };
}

/** `nn.AlphaDropout` / `nn.FeatureAlphaDropout`: `F.alpha_dropout(input, p, training)` (the module's `inplace` is not passed on). */
function alphaDropoutLayer(fn: string): LayerRule {
  return {
    build: () => ({}),
    forward: (g, c) => callPython(g, fn, { input: inputOf(fn, c.args, c.kwargs), p: c.cfg.p ?? 0.5, training: c.training, inplace: false }),
  };
}

/**
 * `nn.CrossMapLRN2d(size, alpha, beta, k)`: a Python autograd Function on 4-D input whose forward
 * (no autograd inside) writes the output and a `scale` tensor of the input's shape; it saves input
 * and output (`save_for_backward`) and keeps `scale` as a ctx attribute until backward (measured:
 * `grad_fn.scale`, 2.14 CPU).
 */
const crossMapLrn2d: LayerRule = {
  build: () => ({}),
  forward: (g, c) => {
    const x = inputOf('CrossMapLRN2d', c.args, c.kwargs);
    if (x.shape.length !== 4) throw new KernelError('CrossMapLRN2d', `CrossMapLRN2d: Expected input to be 4D, got ${x.shape.length}D instead.`);
    const n = x.shape.reduce((s, d) => s * d, 1);
    return g.op({
      kind: 'CrossMapLRN2d', inputs: [x], outputs: [{ shape: x.shape, dtype: x.dtype }],
      save: (outs) => [x, outs[0], { shape: x.shape, dtype: x.dtype, label: 'ctx.scale' }],
      flops: n * (4 + Number(c.cfg.size ?? 1)),
    })[0];
  },
};

/**
 * `nn.LinearCrossEntropyLoss(in_features, num_classes, *, out_features=(), bias=False, …)` (2.13+):
 * a `linear` child with `num_classes · prod(out_features)` outputs and a class `weight` buffer;
 * forward reshapes the child's weight (and bias) to `[C, *out, in]` (views) for
 * `F.linear_cross_entropy`.
 */
const linearCrossEntropyLoss: LayerRule = {
  build: (cfg) => {
    const out = Array.isArray(cfg.out_features) ? cfg.out_features.map(Number) : [];
    const classes = Number(cfg.num_classes);
    const w = cfg.weight;
    if (isTensor(w) && w.shape.join() !== String(classes)) throw new KernelError('LinearCrossEntropyLoss', `expected weight shape to be (${classes},), got ${JSON.stringify(w.shape)}`);
    const ls = Number(cfg.label_smoothing ?? 0);
    if (ls < 0 || ls > 1) throw new KernelError('LinearCrossEntropyLoss', `expected label_smoothing to be in range [0, 1], got ${ls}`);
    return {
      buffers: [['weight', isTensor(w) ? w.shape : null, isTensor(w) ? w.dtype : 'float32']],
      children: [['linear', { layer: 'Linear', args: [cfg.in_features, out.reduce((p, d) => p * d, classes)], kwargs: { bias: cfg.bias ?? false } }]],
    };
  },
  forward: (g, c) => {
    const a = bindForward('LinearCrossEntropyLoss', ['input', 'target'], 2, c.args, c.kwargs);
    const out = Array.isArray(c.cfg.out_features) ? c.cfg.out_features.map(Number) : [];
    const classes = Number(c.cfg.num_classes);
    const w = c.childParam('linear', 'weight');
    if (!w) throw new KernelError('LinearCrossEntropyLoss', 'linear.weight is missing');
    const b = c.childParam('linear', 'bias');
    return callPython(g, 'F.linear_cross_entropy', {
      input: a.input, linear_weight: callAten(g, 'reshape', { self: w, shape: [classes, ...out, w.shape[1]] }), target: a.target,
      linear_bias: b ? callAten(g, 'reshape', { self: b, shape: [classes, ...out] }) : null, weight: c.buffer('weight'), reduction: c.cfg.reduction ?? 'mean',
      ignore_index: c.cfg.ignore_index ?? null, label_smoothing: c.cfg.label_smoothing ?? 0, options: c.cfg.options ?? null,
    });
  },
};

/**
 * `nn.DataParallel(module, device_ids=None, output_device=None, dim=0)`: the module is its child;
 * on the CPU (no device ids) and on a single device forward is `module(*inputs, **kwargs)`, which
 * is what runs here (replicas on several GPUs are not modelled).
 */
const dataParallel: LayerRule = {
  build: (cfg) => ({ children: [['module', { given: cfg.module }]] }),
  forward: (_g, c) => c.callChild('module', c.args, c.kwargs),
};

/** `nn.Container(**kwargs)` (deprecated): each keyword argument is added as a child module; it has no forward. */
const container: LayerRule = {
  build: (cfg) => {
    const kw = cfg.kwargs;
    const entries = typeof kw === 'object' && kw !== null && 'dict' in kw ? Object.entries((kw as DictValue).dict) : [];
    return { children: entries.map(([name, v]) => [name, { given: v }] as const) };
  },
  forward: () => {
    throw new KernelError('Container', 'Module [Container] is missing the required "forward" function');
  },
};

/** Parameter-free layers, by class name. */
export const functionalLayers: Readonly<Record<string, LayerRule>> = {
  AdaptiveAvgPool1d: atenLayer('adaptive_avg_pool1d', ['output_size']),
  AdaptiveAvgPool2d: functionalLayer('F.adaptive_avg_pool2d', ['output_size']),
  AdaptiveAvgPool3d: functionalLayer('F.adaptive_avg_pool3d', ['output_size']),
  AdaptiveMaxPool1d: functionalLayer('F.adaptive_max_pool1d', ['output_size', 'return_indices']),
  AdaptiveMaxPool2d: functionalLayer('F.adaptive_max_pool2d', ['output_size', 'return_indices']),
  AdaptiveMaxPool3d: functionalLayer('F.adaptive_max_pool3d', ['output_size', 'return_indices']),
  AlphaDropout: alphaDropoutLayer('F.alpha_dropout'),
  AvgPool1d: atenLayer('avg_pool1d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad']),
  AvgPool2d: atenLayer('avg_pool2d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']),
  AvgPool3d: atenLayer('avg_pool3d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']),
  BCELoss: lossLayer('F.binary_cross_entropy', ['reduction'], ['weight']),
  BCEWithLogitsLoss: lossLayer('F.binary_cross_entropy_with_logits', ['reduction'], ['weight', 'pos_weight']),
  CELU: functionalLayer('F.celu', ['alpha', 'inplace']),
  ChannelShuffle: atenLayer('channel_shuffle', ['groups']),
  CTCLoss: lossLayer('F.ctc_loss', ['blank', 'reduction', 'zero_infinity'], [], ['log_probs', 'targets', 'input_lengths', 'target_lengths']),
  Container: container,
  CosineEmbeddingLoss: lossLayer('F.cosine_embedding_loss', ['margin', 'size_average', 'reduce', 'reduction'], [], ['input1', 'input2', 'target']),
  CosineSimilarity: cosineSimilarity,
  CrossMapLRN2d: crossMapLrn2d,
  CrossEntropyLoss: lossLayer('F.cross_entropy', ['ignore_index', 'reduction', 'label_smoothing'], ['weight']),
  DataParallel: dataParallel,
  Dropout: dropoutLayer('F.dropout'),
  Dropout1d: dropoutLayer('F.dropout1d'),
  Dropout2d: dropoutLayer('F.dropout2d'),
  Dropout3d: dropoutLayer('F.dropout3d'),
  ELU: functionalLayer('F.elu', ['alpha', 'inplace']),
  FeatureAlphaDropout: alphaDropoutLayer('F.feature_alpha_dropout'),
  Flatten: atenLayer('flatten.using_ints', ['start_dim', 'end_dim']),
  GELU: atenLayer('gelu', ['approximate']),
  GLU: functionalLayer('F.glu', ['dim']),
  Fold: functionalLayer('F.fold', ['output_size', 'kernel_size', 'dilation', 'padding', 'stride']),
  FractionalMaxPool2d: fractionalMaxPoolLayer(2),
  FractionalMaxPool3d: fractionalMaxPoolLayer(3),
  GaussianNLLLoss: lossLayer('F.gaussian_nll_loss', ['full', 'eps', 'reduction'], [], ['input', 'target', 'var']),
  Hardshrink: atenLayer('hardshrink', ['lambd']),
  Hardsigmoid: functionalLayer('F.hardsigmoid', ['inplace']),
  Hardswish: functionalLayer('F.hardswish', ['inplace']),
  Hardtanh: functionalLayer('F.hardtanh', ['min_val', 'max_val', 'inplace']),
  HingeEmbeddingLoss: lossLayer('F.hinge_embedding_loss', ['margin', 'size_average', 'reduce', 'reduction']),
  HuberLoss: lossLayer('F.huber_loss', ['reduction', 'delta']),
  Identity: identity,
  KLDivLoss: lossLayer('F.kl_div', ['reduction', 'log_target']),
  L1Loss: lossLayer('F.l1_loss', ['reduction']),
  LPPool1d: lpPoolLayer(1),
  LPPool2d: lpPoolLayer(2),
  LPPool3d: lpPoolLayer(3),
  LeakyReLU: functionalLayer('F.leaky_relu', ['negative_slope', 'inplace']),
  LinearCrossEntropyLoss: linearCrossEntropyLoss,
  LocalResponseNorm: functionalLayer('F.local_response_norm', ['size', 'alpha', 'beta', 'k']),
  LogSigmoid: atenLayer('log_sigmoid'),
  LogSoftmax: softmaxLike('F.log_softmax'),
  MSELoss: lossLayer('F.mse_loss', ['reduction']),
  MarginRankingLoss: lossLayer('F.margin_ranking_loss', ['margin', 'size_average', 'reduce', 'reduction'], [], ['input1', 'input2', 'target']),
  MaxPool1d: functionalLayer('F.max_pool1d', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']),
  MaxPool2d: functionalLayer('F.max_pool2d', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']),
  MaxPool3d: functionalLayer('F.max_pool3d', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']),
  MaxUnpool1d: maxUnpoolLayer(1),
  MaxUnpool2d: maxUnpoolLayer(2),
  MaxUnpool3d: maxUnpoolLayer(3),
  Mish: functionalLayer('F.mish', ['inplace']),
  MultiLabelMarginLoss: lossLayer('F.multilabel_margin_loss', ['size_average', 'reduce', 'reduction']),
  MultiLabelSoftMarginLoss: lossLayer('F.multilabel_soft_margin_loss', ['size_average', 'reduce', 'reduction'], ['weight']),
  MultiMarginLoss: lossLayer('F.multi_margin_loss', ['p', 'margin', 'size_average', 'reduce', 'reduction'], ['weight']),
  NLLLoss: lossLayer('F.nll_loss', ['ignore_index', 'reduction'], ['weight']),
  NLLLoss2d: lossLayer('F.nll_loss', ['ignore_index', 'reduction'], ['weight']),
  PairwiseDistance: pairwiseDistance,
  PixelShuffle: atenLayer('pixel_shuffle', ['upscale_factor']),
  PixelUnshuffle: atenLayer('pixel_unshuffle', ['downscale_factor']),
  PoissonNLLLoss: lossLayer('F.poisson_nll_loss', ['log_input', 'full', 'size_average', 'eps', 'reduce', 'reduction'], [], ['log_input', 'target']),
  RReLU: { build: () => ({}), forward: (g, c) => callPython(g, 'F.rrelu', { input: inputOf('RReLU', c.args, c.kwargs), lower: c.cfg.lower ?? 0.125, upper: c.cfg.upper ?? 1 / 3, training: c.training, inplace: c.cfg.inplace ?? false }) },
  ReLU: functionalLayer('F.relu', ['inplace']),
  ReLU6: functionalLayer('F.relu6', ['inplace']),
  SELU: functionalLayer('F.selu', ['inplace']),
  SiLU: functionalLayer('F.silu', ['inplace']),
  Sigmoid: atenLayer('sigmoid'),
  SmoothL1Loss: lossLayer('F.smooth_l1_loss', ['reduction', 'beta']),
  SoftMarginLoss: lossLayer('F.soft_margin_loss', ['size_average', 'reduce', 'reduction']),
  Softmax: softmaxLike('F.softmax'),
  Softmax2d: { build: () => ({}), forward: (g, c) => callPython(g, 'F.softmax', { input: inputOf('Softmax2d', c.args, c.kwargs), dim: -3, _stacklevel: 5, dtype: null }) },
  Softmin: softmaxLike('F.softmin'),
  Softplus: atenLayer('softplus', ['beta', 'threshold']),
  Softshrink: atenLayer('softshrink', ['lambd']),
  Softsign: functionalLayer('F.softsign'),
  Tanh: atenLayer('tanh'),
  Tanhshrink: functionalLayer('F.tanhshrink'),
  Threshold: functionalLayer('F.threshold', ['threshold', 'value', 'inplace']),
  TripletMarginLoss: lossLayer('F.triplet_margin_loss', ['margin', 'p', 'eps', 'swap', 'size_average', 'reduce', 'reduction'], [], ['anchor', 'positive', 'negative']),
  TripletMarginWithDistanceLoss: tripletMarginWithDistanceLoss,
  Unflatten: unflatten,
  Unfold: functionalLayer('F.unfold', ['kernel_size', 'dilation', 'padding', 'stride']),
  Upsample: upsampleLayer(),
  UpsamplingBilinear2d: upsampleLayer('bilinear', true),
  UpsamplingNearest2d: upsampleLayer('nearest'),
};

// torch.nn layers without parameters: activations, dropout, pooling, reshaping, resampling and
// losses. Each forward is the functional op torch's forward calls, with the constructor's
// arguments (as the instance holds them now) and the module's training flag.
import { callAten, callPython } from '../dispatch';
import type { LayerRule } from '../layer';
import { isTensor } from '../common';
import { KernelError, KResult } from '../types';
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
function lossLayer(fn: string, options: readonly string[], weights: readonly string[] = []): LayerRule {
  return {
    build: (cfg) => ({ buffers: weights.map((w) => { const t = cfg[w]; return [w, isTensor(t) ? t.shape : null, isTensor(t) ? t.dtype : 'float32'] as const; }) }),
    forward: (g, c) => {
      const a = bindForward(fn, ['input', 'target'], 2, c.args, c.kwargs);
      const args: Record<string, unknown> = { input: a.input, target: a.target };
      for (const k of options) args[k] = c.cfg[k];
      for (const w of weights) args[w] = c.buffer(w);
      return callPython(g, fn, args);
    },
  };
}

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

const notModelled = (name: string): LayerRule => ({
  build: () => ({}),
  forward: () => {
    throw new KernelError(name, `nn.${name} is not modelled yet`);
  },
});

/** Parameter-free layers, by class name. */
export const functionalLayers: Readonly<Record<string, LayerRule>> = {
  AdaptiveAvgPool1d: atenLayer('adaptive_avg_pool1d', ['output_size']),
  AdaptiveAvgPool2d: functionalLayer('F.adaptive_avg_pool2d', ['output_size']),
  AdaptiveAvgPool3d: functionalLayer('F.adaptive_avg_pool3d', ['output_size']),
  AdaptiveMaxPool1d: functionalLayer('F.adaptive_max_pool1d', ['output_size', 'return_indices']),
  AdaptiveMaxPool2d: functionalLayer('F.adaptive_max_pool2d', ['output_size', 'return_indices']),
  AdaptiveMaxPool3d: functionalLayer('F.adaptive_max_pool3d', ['output_size', 'return_indices']),
  AlphaDropout: notModelled('AlphaDropout'),
  AvgPool1d: atenLayer('avg_pool1d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad']),
  AvgPool2d: atenLayer('avg_pool2d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']),
  AvgPool3d: atenLayer('avg_pool3d', ['kernel_size', 'stride', 'padding', 'ceil_mode', 'count_include_pad', 'divisor_override']),
  BCELoss: lossLayer('F.binary_cross_entropy', ['reduction'], ['weight']),
  BCEWithLogitsLoss: lossLayer('F.binary_cross_entropy_with_logits', ['reduction'], ['weight', 'pos_weight']),
  CELU: functionalLayer('F.celu', ['alpha', 'inplace']),
  ChannelShuffle: atenLayer('channel_shuffle', ['groups']),
  CosineSimilarity: cosineSimilarity,
  CrossEntropyLoss: lossLayer('F.cross_entropy', ['ignore_index', 'reduction', 'label_smoothing'], ['weight']),
  Dropout: dropoutLayer('F.dropout'),
  Dropout1d: dropoutLayer('F.dropout1d'),
  Dropout2d: dropoutLayer('F.dropout2d'),
  Dropout3d: dropoutLayer('F.dropout3d'),
  ELU: functionalLayer('F.elu', ['alpha', 'inplace']),
  Flatten: atenLayer('flatten.using_ints', ['start_dim', 'end_dim']),
  GELU: atenLayer('gelu', ['approximate']),
  GLU: functionalLayer('F.glu', ['dim']),
  Hardshrink: atenLayer('hardshrink', ['lambd']),
  Hardsigmoid: functionalLayer('F.hardsigmoid', ['inplace']),
  Hardswish: functionalLayer('F.hardswish', ['inplace']),
  Hardtanh: functionalLayer('F.hardtanh', ['min_val', 'max_val', 'inplace']),
  HuberLoss: lossLayer('F.huber_loss', ['reduction', 'delta']),
  Identity: identity,
  KLDivLoss: lossLayer('F.kl_div', ['reduction', 'log_target']),
  L1Loss: lossLayer('F.l1_loss', ['reduction']),
  LeakyReLU: functionalLayer('F.leaky_relu', ['negative_slope', 'inplace']),
  LogSigmoid: atenLayer('log_sigmoid'),
  LogSoftmax: softmaxLike('F.log_softmax'),
  MSELoss: lossLayer('F.mse_loss', ['reduction']),
  MaxPool1d: functionalLayer('F.max_pool1d', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']),
  MaxPool2d: functionalLayer('F.max_pool2d', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']),
  MaxPool3d: functionalLayer('F.max_pool3d', ['kernel_size', 'stride', 'padding', 'dilation', 'ceil_mode', 'return_indices']),
  Mish: functionalLayer('F.mish', ['inplace']),
  NLLLoss: lossLayer('F.nll_loss', ['ignore_index', 'reduction'], ['weight']),
  PixelShuffle: atenLayer('pixel_shuffle', ['upscale_factor']),
  PixelUnshuffle: atenLayer('pixel_unshuffle', ['downscale_factor']),
  ReLU: functionalLayer('F.relu', ['inplace']),
  ReLU6: functionalLayer('F.relu6', ['inplace']),
  SELU: functionalLayer('F.selu', ['inplace']),
  SiLU: functionalLayer('F.silu', ['inplace']),
  Sigmoid: atenLayer('sigmoid'),
  SmoothL1Loss: lossLayer('F.smooth_l1_loss', ['reduction', 'beta']),
  Softmax: softmaxLike('F.softmax'),
  Softmax2d: { build: () => ({}), forward: (g, c) => callPython(g, 'F.softmax', { input: inputOf('Softmax2d', c.args, c.kwargs), dim: -3, _stacklevel: 5, dtype: null }) },
  Softmin: softmaxLike('F.softmin'),
  Softplus: atenLayer('softplus', ['beta', 'threshold']),
  Softshrink: atenLayer('softshrink', ['lambd']),
  Softsign: functionalLayer('F.softsign'),
  Tanh: atenLayer('tanh'),
  Tanhshrink: functionalLayer('F.tanhshrink'),
  Threshold: functionalLayer('F.threshold', ['threshold', 'value', 'inplace']),
  Unflatten: unflatten,
  Upsample: upsampleLayer(),
  UpsamplingBilinear2d: upsampleLayer('bilinear', true),
  UpsamplingNearest2d: upsampleLayer('nearest'),
};

// torch.nn's attention and transformer layers, as PyTorch builds and runs them in training:
// MultiheadAttention on the math path of F.multi_head_attention_forward, the encoder/decoder
// layers as calls of their registered submodules, and the stacks as deep copies of one layer.
// The inference fast paths (`_native_multi_head_attention`, `_transformer_encoder_layer_fwd`) run
// only without grad, where nothing is saved (kernels/VERSIONS.md).
import type { KernelArgs } from '../args';
import { multiHeadAttentionForward } from '../attention';
import { isTensor } from '../common';
import { atenTensor, callAten } from '../dispatch';
import type { ChildSpec, LayerForward, LayerRule } from '../layer';
import { transpose } from '../shapeops';
import { Graph, KernelError, KResult, Tensor } from '../types';
import { bindForward, flag, size } from './config';

// ── nn.MultiheadAttention ──────────────────────────────────────────────────

function mhaDims(cfg: KernelArgs): { embed: number; heads: number; kdim: number; vdim: number; packed: boolean } {
  const embed = size('MultiheadAttention', cfg, 'embed_dim');
  const heads = size('MultiheadAttention', cfg, 'num_heads');
  if (heads <= 0 || embed % heads !== 0) throw new KernelError('MultiheadAttention', `embed_dim (${embed}) must be divisible by num_heads (${heads})`);
  const kdim = cfg.kdim === null || cfg.kdim === undefined ? embed : size('MultiheadAttention', cfg, 'kdim');
  const vdim = cfg.vdim === null || cfg.vdim === undefined ? embed : size('MultiheadAttention', cfg, 'vdim');
  return { embed, heads, kdim, vdim, packed: kdim === embed && vdim === embed };
}

const optTensor = (v: unknown): Tensor | null => (isTensor(v) ? v : null);

const multiheadAttention: LayerRule = {
  build: (cfg) => {
    const { embed, heads, kdim, vdim, packed } = mhaDims(cfg);
    const biasKv = flag(cfg, 'add_bias_kv');
    return {
      params: [
        ['in_proj_weight', packed ? [3 * embed, embed] : null],
        ['q_proj_weight', packed ? null : [embed, embed]],
        ['k_proj_weight', packed ? null : [embed, kdim]],
        ['v_proj_weight', packed ? null : [embed, vdim]],
        ['in_proj_bias', flag(cfg, 'bias', true) ? [3 * embed] : null],
        ['bias_k', biasKv ? [1, 1, embed] : null],
        ['bias_v', biasKv ? [1, 1, embed] : null],
      ],
      attrs: [['kdim', kdim], ['vdim', vdim], ['_qkv_same_embed_dim', packed], ['head_dim', embed / heads]],
      children: [['out_proj', { layer: 'NonDynamicallyQuantizableLinear', args: [embed, embed], kwargs: { bias: flag(cfg, 'bias', true) } }]],
    };
  },
  forward: (g, c) => {
    const a = bindForward('MultiheadAttention', ['query', 'key', 'value', 'key_padding_mask', 'need_weights', 'attn_mask', 'average_attn_weights', 'is_causal'], 3, c.args, c.kwargs);
    const [q0, k0, v0] = [a.query, a.key, a.value];
    if (!isTensor(q0) || !isTensor(k0) || !isTensor(v0)) throw new KernelError('MultiheadAttention', 'expects query, key and value tensors');
    const batchFirst = flag(c.cfg, 'batch_first') && q0.shape.length === 3;
    // torch transposes batch-first inputs so that `query is key is value` survives (it picks the packed projection).
    const tr = (t: Tensor): Tensor => (batchFirst ? transpose(g, t, 0, 1) : t);
    const query = tr(q0);
    const key = k0 === q0 ? query : tr(k0);
    const value = v0 === k0 ? key : tr(v0);
    const packed = c.param('in_proj_weight') !== null;
    const outW = c.childParam('out_proj', 'weight');
    if (!outW) throw new KernelError('MultiheadAttention', 'out_proj.weight is missing');
    const r = multiHeadAttentionForward(g, {
      query, key, value, numHeads: size('MultiheadAttention', c.cfg, 'num_heads'),
      inProjWeight: packed ? c.param('in_proj_weight') : null,
      qkvWeights: packed ? null : [c.param('q_proj_weight')!, c.param('k_proj_weight')!, c.param('v_proj_weight')!],
      inProjBias: c.param('in_proj_bias'), biasK: c.param('bias_k'), biasV: c.param('bias_v'),
      addZeroAttn: flag(c.cfg, 'add_zero_attn'), dropoutP: Number(c.cfg.dropout ?? 0),
      outProjWeight: outW, outProjBias: c.childParam('out_proj', 'bias'), training: c.training,
      keyPaddingMask: optTensor(a.key_padding_mask), needWeights: a.need_weights === undefined || Boolean(a.need_weights),
      attnMask: optTensor(a.attn_mask), averageAttnWeights: a.average_attn_weights === undefined || Boolean(a.average_attn_weights),
      isCausal: Boolean(a.is_causal),
    });
    return [batchFirst ? tr(r.output) : r.output, r.weights];
  },
};

// ── encoder / decoder layers ───────────────────────────────────────────────

function layerChildren(cfg: KernelArgs, attentions: readonly string[], norms: number): (readonly [string, ChildSpec])[] {
  const act = cfg.activation;
  if (typeof act === 'string' && act !== 'relu' && act !== 'gelu') throw new KernelError('TransformerLayer', `activation should be relu/gelu, not ${act}`);
  const [d, ff, p, eps] = [cfg.d_model, cfg.dim_feedforward, cfg.dropout ?? 0.1, cfg.layer_norm_eps ?? 1e-5];
  // 2.x's `bias` (default True) reaches the attention, both linears and the layer norms.
  const bias = cfg.bias === undefined || cfg.bias === null ? {} : { bias: cfg.bias };
  const out: (readonly [string, ChildSpec])[] = attentions.map((name) => [name, { layer: 'MultiheadAttention', args: [d, cfg.nhead], kwargs: { dropout: p, batch_first: cfg.batch_first ?? false, ...bias } }] as const);
  out.push(['linear1', { layer: 'Linear', args: [d, ff], kwargs: bias }], ['dropout', { layer: 'Dropout', args: [p] }], ['linear2', { layer: 'Linear', args: [ff, d], kwargs: bias }]);
  for (let i = 1; i <= norms; i++) out.push([`norm${i}`, { layer: 'LayerNorm', args: [d], kwargs: { eps, ...bias } }]);
  for (let i = 1; i <= norms; i++) out.push([`dropout${i}`, { layer: 'Dropout', args: [p] }]);
  if (act !== undefined && act !== null && typeof act !== 'string') out.push(['activation', { given: act }]);
  return out;
}

/** The body of a transformer layer: submodule calls and residual adds. */
class LayerRun {
  constructor(private readonly g: Graph, private readonly c: LayerForward) {}

  module(name: string, args: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>): Tensor {
    const r = this.c.callChild(name, args, kwargs);
    const t = Array.isArray(r) ? r[0] : r;
    if (!isTensor(t)) throw new KernelError('TransformerLayer', `${name} did not return a tensor`);
    return t;
  }

  add(x: Tensor, y: Tensor): Tensor {
    return atenTensor(this.g, 'add.Tensor', { self: x, other: y, alpha: 1 });
  }

  attention(name: string, q: Tensor, kv: Tensor, mask: unknown, kpm: unknown, dropout: string): Tensor {
    return this.module(dropout, [this.module(name, [q, kv, kv], { attn_mask: mask ?? null, key_padding_mask: kpm ?? null, need_weights: false })]);
  }

  feedForward(x: Tensor, dropout: string): Tensor {
    const h = this.module('linear1', [x]);
    const act = this.c.cfg.activation;
    const a = act === undefined || act === null || typeof act === 'string' ? callAten(this.g, typeof act === 'string' ? act : 'relu', { self: h }) : this.c.callValue(act, [h]);
    return this.module(dropout, [this.module('linear2', [this.module('dropout', [a])])]);
  }
}

const encoderLayer: LayerRule = {
  build: (cfg) => ({ children: layerChildren(cfg, ['self_attn'], 2) }),
  forward: (g, c) => {
    const a = bindForward('TransformerEncoderLayer', ['src', 'src_mask', 'src_key_padding_mask', 'is_causal'], 1, c.args, c.kwargs);
    const run = new LayerRun(g, c);
    let x = a.src as Tensor;
    if (flag(c.cfg, 'norm_first')) {
      const h = run.module('norm1', [x]);
      x = run.add(x, run.attention('self_attn', h, h, a.src_mask, a.src_key_padding_mask, 'dropout1'));
      x = run.add(x, run.feedForward(run.module('norm2', [x]), 'dropout2'));
    } else {
      x = run.module('norm1', [run.add(x, run.attention('self_attn', x, x, a.src_mask, a.src_key_padding_mask, 'dropout1'))]);
      x = run.module('norm2', [run.add(x, run.feedForward(x, 'dropout2'))]);
    }
    return x;
  },
};

const decoderLayer: LayerRule = {
  build: (cfg) => ({ children: layerChildren(cfg, ['self_attn', 'multihead_attn'], 3) }),
  // torch's `__setstate__` looks for 'activation' in the instance __dict__; a module activation
  // lives in `_modules`, so every deep copy (TransformerDecoder's clones) runs F.relu instead
  // (measured on 1.13: test/fixtures/transformer_seq2seq.py, its GELU is never called).
  deepcopied: (cfg, isModule) => (isModule(cfg.activation) ? [['activation', 'relu']] : []),
  forward: (g, c) => {
    const a = bindForward('TransformerDecoderLayer', ['tgt', 'memory', 'tgt_mask', 'memory_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask', 'tgt_is_causal', 'memory_is_causal'], 2, c.args, c.kwargs);
    const run = new LayerRun(g, c);
    const memory = a.memory as Tensor;
    let x = a.tgt as Tensor;
    if (flag(c.cfg, 'norm_first')) {
      const h = run.module('norm1', [x]);
      x = run.add(x, run.attention('self_attn', h, h, a.tgt_mask, a.tgt_key_padding_mask, 'dropout1'));
      x = run.add(x, run.attention('multihead_attn', run.module('norm2', [x]), memory, a.memory_mask, a.memory_key_padding_mask, 'dropout2'));
      x = run.add(x, run.feedForward(run.module('norm3', [x]), 'dropout3'));
    } else {
      x = run.module('norm1', [run.add(x, run.attention('self_attn', x, x, a.tgt_mask, a.tgt_key_padding_mask, 'dropout1'))]);
      x = run.module('norm2', [run.add(x, run.attention('multihead_attn', x, memory, a.memory_mask, a.memory_key_padding_mask, 'dropout2'))]);
      x = run.module('norm3', [run.add(x, run.feedForward(x, 'dropout3'))]);
    }
    return x;
  },
};

// ── stacks ─────────────────────────────────────────────────────────────────

/** `_get_clones(layer, N)`: a ModuleList `layers` of deep copies, then the optional final `norm`. */
function stackChildren(layer: string, cfg: KernelArgs, layerArg: string): (readonly [string, ChildSpec])[] {
  const n = size(layer, cfg, 'num_layers');
  return [['layers', { clones: cfg[layerArg], count: n }], ['norm', { given: cfg.norm ?? null }]];
}

function runStack(c: LayerForward, first: unknown, extra: readonly unknown[], kw: Readonly<Record<string, unknown>>): KResult {
  let x = first;
  for (let i = 0; i < size('TransformerStack', c.cfg, 'num_layers'); i++) x = c.callChild(`layers.${i}`, [x, ...extra], kw);
  return c.cfg.norm !== undefined && c.cfg.norm !== null ? c.callChild('norm', [x]) : (x as KResult);
}

const encoder: LayerRule = {
  build: (cfg) => ({ children: stackChildren('TransformerEncoder', cfg, 'encoder_layer') }),
  forward: (_g, c) => {
    const a = bindForward('TransformerEncoder', ['src', 'mask', 'src_key_padding_mask', 'is_causal'], 1, c.args, c.kwargs);
    return runStack(c, a.src, [], { src_mask: a.mask ?? null, src_key_padding_mask: a.src_key_padding_mask ?? null });
  },
};

const decoder: LayerRule = {
  build: (cfg) => ({ children: stackChildren('TransformerDecoder', cfg, 'decoder_layer') }),
  forward: (_g, c) => {
    const names = ['tgt_mask', 'memory_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask'];
    const a = bindForward('TransformerDecoder', ['tgt', 'memory', ...names, 'tgt_is_causal', 'memory_is_causal'], 2, c.args, c.kwargs);
    return runStack(c, a.tgt, [a.memory], Object.fromEntries(names.map((n) => [n, a[n] ?? null])));
  },
};

const transformer: LayerRule = {
  build: (cfg) => {
    const hasBias = cfg.bias !== undefined && cfg.bias !== null;
    const layerArgs = ['d_model', 'nhead', 'dim_feedforward', 'dropout', 'activation', 'layer_norm_eps', 'batch_first', 'norm_first', ...(hasBias ? ['bias'] : [])].map((n) => cfg[n] ?? null);
    const norm = { layer: 'LayerNorm', args: [cfg.d_model], kwargs: { eps: cfg.layer_norm_eps ?? 1e-5, ...(hasBias ? { bias: cfg.bias } : {}) } };
    const custom = (n: string): ChildSpec | null => (cfg[n] !== undefined && cfg[n] !== null ? { given: cfg[n] } : null);
    return {
      attrs: [['d_model', cfg.d_model], ['nhead', cfg.nhead]],
      children: [
        ['encoder', custom('custom_encoder') ?? { layer: 'TransformerEncoder', args: [{ layer: 'TransformerEncoderLayer', args: layerArgs }, cfg.num_encoder_layers, norm] }],
        ['decoder', custom('custom_decoder') ?? { layer: 'TransformerDecoder', args: [{ layer: 'TransformerDecoderLayer', args: layerArgs }, cfg.num_decoder_layers, norm] }],
      ],
    };
  },
  forward: (_g, c) => {
    const names = ['src', 'tgt', 'src_mask', 'tgt_mask', 'memory_mask', 'src_key_padding_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask', 'src_is_causal', 'tgt_is_causal', 'memory_is_causal'];
    const a = bindForward('Transformer', names, 2, c.args, c.kwargs);
    const get = (n: string) => a[n] ?? null;
    const memory = c.callChild('encoder', [get('src')], { mask: get('src_mask'), src_key_padding_mask: get('src_key_padding_mask') });
    return c.callChild('decoder', [get('tgt'), memory], {
      tgt_mask: get('tgt_mask'), memory_mask: get('memory_mask'), tgt_key_padding_mask: get('tgt_key_padding_mask'), memory_key_padding_mask: get('memory_key_padding_mask'),
    });
  },
};

/** The attention and transformer layers, by torch.nn class name. */
export const transformerLayers: Readonly<Record<string, LayerRule>> = {
  MultiheadAttention: multiheadAttention,
  Transformer: transformer,
  TransformerDecoder: decoder,
  TransformerDecoderLayer: decoderLayer,
  TransformerEncoder: encoder,
  TransformerEncoderLayer: encoderLayer,
};

// torch.nn's attention and transformer layers, as PyTorch 1.13 builds and runs them in training:
// MultiheadAttention on the math path of F.multi_head_attention_forward, the encoder/decoder
// layers as calls of their registered submodules, and the stacks as deep copies of one layer.
// The inference fast paths (`_native_multi_head_attention`, `_transformer_encoder_layer_fwd`) run
// only without grad, where nothing is saved (kernels/VERSIONS.md).
import { KernelError, Tensor, multiHeadAttentionForward, transpose } from '../../../../kernels/src';
import { NONE, PyException, Value, bool, int, list, num, str, tensorV, tuple } from '../values';
import type { LayerCall, LayerConfig, LayerSpec, ModuleBuilder } from './layers';

const intOf = (cfg: LayerConfig, name: string): number => {
  const v = cfg.get(name);
  if (v?.k === 'num' && v.int) return v.v;
  throw new Error(`argument '${name}' must be an int`);
};
const isTrue = (v: Value | undefined): boolean => (v?.k === 'bool' ? v.v : v?.k === 'num' ? v.v !== 0 : false);

/** The forward's arguments by name (positional first, then keywords), with defaults. */
function bindForward(c: LayerCall, op: string, names: readonly string[], required: number): Map<string, Value> {
  const out = new Map<string, Value>();
  c.args.pos.forEach((v, i) => {
    if (i >= names.length) throw new PyException('TypeError', `${op}.forward() takes ${names.length} arguments but ${c.args.pos.length} were given`, c.at);
    out.set(names[i], v);
  });
  for (const [k, v] of c.args.kw) {
    if (!names.includes(k)) throw new PyException('TypeError', `${op}.forward() got an unexpected keyword argument '${k}'`, c.at);
    if (out.has(k)) throw new PyException('TypeError', `${op}.forward() got multiple values for argument '${k}'`, c.at);
    out.set(k, v);
  }
  for (const name of names.slice(0, required)) if (!out.has(name)) throw new PyException('TypeError', `${op}.forward() missing required argument '${name}'`, c.at);
  return out;
}

const numOf = (v: Value | undefined): number => (v?.k === 'num' ? v.v : 0);
const optTensor = (v: Value | undefined): Tensor | null => (v?.k === 'tensor' ? v.t : null);
const firstUnknown = (vs: Iterable<Value>): Value | undefined => [...vs].find((v) => v.k === 'unknown');

function paramOf(module: Value, name: string): Tensor | null {
  const p = module.k === 'instance' ? module.module?.params.get(name) : undefined;
  return p?.k === 'tensor' ? p.t : null;
}

// ── nn.MultiheadAttention ──────────────────────────────────────────────────

function mhaDims(cfg: LayerConfig): { embed: number; kdim: number; vdim: number; packed: boolean } {
  const embed = intOf(cfg, 'embed_dim');
  const heads = intOf(cfg, 'num_heads');
  if (heads <= 0 || embed % heads !== 0) throw new Error(`embed_dim (${embed}) must be divisible by num_heads (${heads})`);
  const kdim = cfg.get('kdim')?.k === 'none' ? embed : intOf(cfg, 'kdim');
  const vdim = cfg.get('vdim')?.k === 'none' ? embed : intOf(cfg, 'vdim');
  return { embed, kdim, vdim, packed: kdim === embed && vdim === embed };
}

const multiheadAttention: LayerSpec = {
  params: (cfg) => {
    const { embed, kdim, vdim, packed } = mhaDims(cfg);
    const biasKv = isTrue(cfg.get('add_bias_kv'));
    return [
      ['in_proj_weight', packed ? [3 * embed, embed] : null],
      ['q_proj_weight', packed ? null : [embed, embed]],
      ['k_proj_weight', packed ? null : [embed, kdim]],
      ['v_proj_weight', packed ? null : [embed, vdim]],
      ['in_proj_bias', isTrue(cfg.get('bias')) ? [3 * embed] : null],
      ['bias_k', biasKv ? [1, 1, embed] : null],
      ['bias_v', biasKv ? [1, 1, embed] : null],
    ];
  },
  attrs: (cfg) => {
    const { embed, kdim, vdim, packed } = mhaDims(cfg);
    return [['kdim', int(kdim)], ['vdim', int(vdim)], ['_qkv_same_embed_dim', bool(packed)], ['head_dim', int(embed / intOf(cfg, 'num_heads'))]];
  },
  children: (cfg, build) => {
    const e = int(mhaDims(cfg).embed);
    return [['out_proj', build.make('NonDynamicallyQuantizableLinear', [e, e], { bias: bool(isTrue(cfg.get('bias'))) })]];
  },
  forward: (c) => {
    const a = bindForward(c, 'MultiheadAttention', ['query', 'key', 'value', 'key_padding_mask', 'need_weights', 'attn_mask', 'average_attn_weights'], 3);
    const unknownArg = firstUnknown(a.values());
    if (unknownArg) return unknownArg;
    const [q0, k0, v0] = ['query', 'key', 'value'].map((n) => a.get(n)!);
    if (q0.k !== 'tensor' || k0.k !== 'tensor' || v0.k !== 'tensor') return c.lib.interp.fail('nn.MultiheadAttention expects query, key and value tensors', c.at);
    const batchFirst = isTrue(c.cfg.get('batch_first')) && q0.t.shape.length === 3;
    const g = c.lib.tracer;
    // torch transposes batch-first inputs so that `query is key is value` survives (it picks the packed projection).
    const tr = (t: Tensor): Tensor => (batchFirst ? transpose(g, t, 0, 1) : t);
    const query = tr(q0.t);
    const key = k0.t === q0.t ? query : tr(k0.t);
    const value = v0.t === k0.t ? key : tr(v0.t);
    const packed = c.param('in_proj_weight') !== null;
    const outProj = c.child('out_proj');
    const outW = paramOf(outProj, 'weight');
    if (!outW) return c.lib.interp.fail('nn.MultiheadAttention: out_proj.weight is missing', c.at);
    const needWeights = a.get('need_weights');
    try {
      const r = multiHeadAttentionForward(g, {
        query, key, value, numHeads: intOf(c.cfg, 'num_heads'),
        inProjWeight: packed ? c.param('in_proj_weight') : null,
        qkvWeights: packed ? null : [c.param('q_proj_weight')!, c.param('k_proj_weight')!, c.param('v_proj_weight')!],
        inProjBias: c.param('in_proj_bias'), biasK: c.param('bias_k'), biasV: c.param('bias_v'),
        addZeroAttn: isTrue(c.cfg.get('add_zero_attn')), dropoutP: numOf(c.cfg.get('dropout')),
        outProjWeight: outW, outProjBias: paramOf(outProj, 'bias'), training: c.training,
        keyPaddingMask: optTensor(a.get('key_padding_mask')), needWeights: needWeights === undefined || isTrue(needWeights),
        attnMask: optTensor(a.get('attn_mask')), averageAttnWeights: a.get('average_attn_weights') === undefined || isTrue(a.get('average_attn_weights')),
      });
      const out = batchFirst ? tr(r.output) : r.output;
      return tuple([tensorV(out), r.weights ? tensorV(r.weights) : NONE]);
    } catch (e) {
      if (e instanceof KernelError) return c.lib.interp.fail(e.message, c.at);
      throw e;
    }
  },
};

// ── encoder / decoder layers ───────────────────────────────────────────────

/** `activation=`: a string must name relu or gelu (checked at construction, like torch). */
function checkActivation(cfg: LayerConfig): void {
  const act = cfg.get('activation');
  if (act?.k === 'str' && act.v !== 'relu' && act.v !== 'gelu') throw new Error(`activation should be relu/gelu, not ${act.v}`);
}

function layerChildren(cfg: LayerConfig, build: ModuleBuilder, attentions: string[], norms: number): [string, Value][] {
  checkActivation(cfg);
  const [d, ff, p, eps] = [cfg.get('d_model')!, cfg.get('dim_feedforward')!, cfg.get('dropout')!, cfg.get('layer_norm_eps')!];
  const out: [string, Value][] = attentions.map((name) => [name, build.make('MultiheadAttention', [d, cfg.get('nhead')!], { dropout: p, batch_first: cfg.get('batch_first')! })]);
  out.push(['linear1', build.make('Linear', [d, ff])], ['dropout', build.make('Dropout', [p])], ['linear2', build.make('Linear', [ff, d])]);
  for (let i = 1; i <= norms; i++) out.push([`norm${i}`, build.make('LayerNorm', [d], { eps })]);
  for (let i = 1; i <= norms; i++) out.push([`dropout${i}`, build.make('Dropout', [p])]);
  const act = cfg.get('activation');
  if (act?.k === 'instance' && act.module) out.push(['activation', act]);
  return out;
}

/** Runs a transformer layer's body; any unknown along the way ends it. */
class LayerRun {
  constructor(private readonly c: LayerCall) {}

  module(name: string, pos: Value[], kw?: Record<string, Value>): Value {
    const m = this.c.child(name);
    if (m.k === 'none') throw new PyException('AttributeError', `'${name}' is None`, this.c.at);
    return this.c.call(m, pos, kw);
  }

  add(x: Value, y: Value): Value {
    return this.c.lib.tensorBinary('+', x, y, this.c.at) ?? this.c.lib.interp.fail('cannot add the residual', this.c.at);
  }

  attention(name: string, q: Value, kv: Value, mask: Value, kpm: Value, dropout: string): Value {
    const r = this.module(name, [q, kv, kv], { attn_mask: mask, key_padding_mask: kpm, need_weights: bool(false) });
    return this.module(dropout, [r.k === 'tuple' ? r.items[0] : r]);
  }

  feedForward(x: Value, dropout: string): Value {
    const h = this.module('linear1', [x]);
    const act = this.c.cfg.get('activation');
    const a = act === undefined || act.k === 'none' || act.k === 'str'
      ? this.c.lib.runKernelWith(act?.k === 'str' ? act.v : 'relu', new Map<string, Value>([['input', h]]), this.c.at)
      : this.c.call(act, [h]);
    return this.module(dropout, [this.module('linear2', [this.module('dropout', [a])])]);
  }
}

const encoderLayer: LayerSpec = {
  children: (cfg, build) => layerChildren(cfg, build, ['self_attn'], 2),
  forward: (c) => {
    const a = bindForward(c, 'TransformerEncoderLayer', ['src', 'src_mask', 'src_key_padding_mask'], 1);
    const [mask, kpm] = [a.get('src_mask') ?? NONE, a.get('src_key_padding_mask') ?? NONE];
    const run = new LayerRun(c);
    let x = a.get('src')!;
    if (isTrue(c.cfg.get('norm_first'))) {
      const h = run.module('norm1', [x]);
      x = run.add(x, run.attention('self_attn', h, h, mask, kpm, 'dropout1'));
      x = run.add(x, run.feedForward(run.module('norm2', [x]), 'dropout2'));
    } else {
      x = run.module('norm1', [run.add(x, run.attention('self_attn', x, x, mask, kpm, 'dropout1'))]);
      x = run.module('norm2', [run.add(x, run.feedForward(x, 'dropout2'))]);
    }
    return x;
  },
};

const decoderLayer: LayerSpec = {
  children: (cfg, build) => layerChildren(cfg, build, ['self_attn', 'multihead_attn'], 3),
  // torch 1.13's `__setstate__` looks for 'activation' in the instance __dict__; a module activation
  // lives in `_modules`, so every deep copy (TransformerDecoder's clones) runs F.relu instead
  // (measured: test/fixtures/transformer_seq2seq.py, its GELU is never called).
  deepcopied: (copy) => (copy.module?.children.get('activation')?.k === 'instance' ? [['activation', str('relu')]] : []),
  forward: (c) => {
    const a = bindForward(c, 'TransformerDecoderLayer', ['tgt', 'memory', 'tgt_mask', 'memory_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask'], 2);
    const get = (n: string) => a.get(n) ?? NONE;
    const run = new LayerRun(c);
    const memory = get('memory');
    let x = get('tgt');
    if (isTrue(c.cfg.get('norm_first'))) {
      const h = run.module('norm1', [x]);
      x = run.add(x, run.attention('self_attn', h, h, get('tgt_mask'), get('tgt_key_padding_mask'), 'dropout1'));
      x = run.add(x, run.attention('multihead_attn', run.module('norm2', [x]), memory, get('memory_mask'), get('memory_key_padding_mask'), 'dropout2'));
      x = run.add(x, run.feedForward(run.module('norm3', [x]), 'dropout3'));
    } else {
      x = run.module('norm1', [run.add(x, run.attention('self_attn', x, x, get('tgt_mask'), get('tgt_key_padding_mask'), 'dropout1'))]);
      x = run.module('norm2', [run.add(x, run.attention('multihead_attn', x, memory, get('memory_mask'), get('memory_key_padding_mask'), 'dropout2'))]);
      x = run.module('norm3', [run.add(x, run.feedForward(x, 'dropout3'))]);
    }
    return x;
  },
};

// ── stacks ─────────────────────────────────────────────────────────────────

/** `_get_clones(layer, N)`: a ModuleList `layers` of deep copies, then the optional final `norm`. */
function stackChildren(cfg: LayerConfig, build: ModuleBuilder, layerArg: string): [string, Value][] {
  const layer = cfg.get(layerArg);
  if (layer?.k !== 'instance' || !layer.module) throw new Error(`${layerArg} must be a module`);
  const copies = Array.from({ length: intOf(cfg, 'num_layers') }, () => build.clone(layer));
  return [['layers', build.make('ModuleList', [list(copies)])], ['norm', cfg.get('norm') ?? NONE]];
}

function runStack(c: LayerCall, first: Value, extra: readonly Value[], kw: Record<string, Value>): Value {
  const layers = c.child('layers');
  let x = first;
  for (const layer of layers.k === 'instance' ? layers.module!.children.values() : []) x = c.call(layer, [x, ...extra], kw);
  const norm = c.child('norm');
  return norm.k === 'instance' ? c.call(norm, [x]) : x;
}

const encoder: LayerSpec = {
  children: (cfg, build) => stackChildren(cfg, build, 'encoder_layer'),
  forward: (c) => {
    const a = bindForward(c, 'TransformerEncoder', ['src', 'mask', 'src_key_padding_mask'], 1);
    return runStack(c, a.get('src')!, [], { src_mask: a.get('mask') ?? NONE, src_key_padding_mask: a.get('src_key_padding_mask') ?? NONE });
  },
};

const decoder: LayerSpec = {
  children: (cfg, build) => stackChildren(cfg, build, 'decoder_layer'),
  forward: (c) => {
    const a = bindForward(c, 'TransformerDecoder', ['tgt', 'memory', 'tgt_mask', 'memory_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask'], 2);
    const kw: Record<string, Value> = {};
    for (const n of ['tgt_mask', 'memory_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask']) kw[n] = a.get(n) ?? NONE;
    return runStack(c, a.get('tgt')!, [a.get('memory')!], kw);
  },
};

const transformer: LayerSpec = {
  attrs: (cfg) => [['d_model', cfg.get('d_model')!], ['nhead', cfg.get('nhead')!]],
  children: (cfg, build) => {
    const layerArgs = ['d_model', 'nhead', 'dim_feedforward', 'dropout', 'activation', 'layer_norm_eps', 'batch_first', 'norm_first'].map((n) => cfg.get(n) ?? NONE);
    const norm = () => build.make('LayerNorm', [cfg.get('d_model')!], { eps: cfg.get('layer_norm_eps') ?? num(1e-5) });
    const custom = (n: string) => cfg.get(n) ?? NONE;
    return [
      ['encoder', custom('custom_encoder').k !== 'none' ? custom('custom_encoder') : build.make('TransformerEncoder', [build.make('TransformerEncoderLayer', layerArgs), cfg.get('num_encoder_layers')!, norm()])],
      ['decoder', custom('custom_decoder').k !== 'none' ? custom('custom_decoder') : build.make('TransformerDecoder', [build.make('TransformerDecoderLayer', layerArgs), cfg.get('num_decoder_layers')!, norm()])],
    ];
  },
  forward: (c) => {
    const a = bindForward(c, 'Transformer', ['src', 'tgt', 'src_mask', 'tgt_mask', 'memory_mask', 'src_key_padding_mask', 'tgt_key_padding_mask', 'memory_key_padding_mask'], 2);
    const get = (n: string) => a.get(n) ?? NONE;
    const memory = c.call(c.child('encoder'), [get('src')], { mask: get('src_mask'), src_key_padding_mask: get('src_key_padding_mask') });
    return c.call(c.child('decoder'), [get('tgt'), memory], {
      tgt_mask: get('tgt_mask'), memory_mask: get('memory_mask'), tgt_key_padding_mask: get('tgt_key_padding_mask'), memory_key_padding_mask: get('memory_key_padding_mask'),
    });
  },
};

/** The attention and transformer layers, by torch.nn class name. */
export const TRANSFORMER_LAYERS: Record<string, LayerSpec> = {
  MultiheadAttention: multiheadAttention,
  Transformer: transformer,
  TransformerDecoder: decoder,
  TransformerDecoderLayer: decoderLayer,
  TransformerEncoder: encoder,
  TransformerEncoderLayer: encoderLayer,
};

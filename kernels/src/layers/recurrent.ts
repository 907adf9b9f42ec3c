// nn.LSTM / nn.GRU / nn.RNN: the constructor's `*args, **kwargs` in RNNBase's order, the flat
// weights in `_flat_weights_names` order, and the recurrence of kernels/src/recurrent.ts.
import type { KernelArgs } from '../args';
import { isTensor } from '../common';
import type { LayerRule } from '../layer';
import { RNN_GATES, RnnConfig, RnnMode, RnnWeights, rnn } from '../recurrent';
import { DictValue, KernelError, Tensor } from '../types';

/** `nn.LSTM(*args, **kwargs)`: RNNBase's positional order, then keywords. */
const RNN_ARGS = ['input_size', 'hidden_size', 'num_layers', 'bias', 'batch_first', 'dropout', 'bidirectional', 'proj_size'];
const RNN_DEFAULTS: Record<string, number | boolean> = { num_layers: 1, bias: true, batch_first: false, dropout: 0, bidirectional: false, proj_size: 0 };

type Kind = 'LSTM' | 'GRU' | 'RNN';

function rnnConfig(cfg: KernelArgs, kind: Kind, training: boolean): RnnConfig & { bias: boolean } {
  const pos = Array.isArray(cfg.args) ? [...cfg.args] : [];
  const dict = typeof cfg.kwargs === 'object' && cfg.kwargs !== null && 'dict' in cfg.kwargs ? (cfg.kwargs as DictValue).dict : {};
  const kw = new Map(Object.entries(dict));
  let nonlinearity = 'tanh';
  if (kind === 'RNN') {
    // nn.RNN takes `nonlinearity` as its fourth positional argument.
    if (pos.length > 3) nonlinearity = String(pos.splice(3, 1)[0]);
    if (kw.has('nonlinearity')) nonlinearity = String(kw.get('nonlinearity'));
    kw.delete('nonlinearity');
  }
  for (const k of kw.keys()) if (!RNN_ARGS.includes(k) && k !== 'device' && k !== 'dtype') throw new KernelError(kind, `__init__() got an unexpected keyword argument '${k}'`);
  const get = (name: string): number | boolean => {
    const v = pos[RNN_ARGS.indexOf(name)] ?? kw.get(name);
    if (v === undefined) {
      if (name in RNN_DEFAULTS) return RNN_DEFAULTS[name];
      throw new KernelError(kind, `__init__() missing required argument '${name}'`);
    }
    if (typeof v === 'number' || typeof v === 'boolean') return v;
    throw new KernelError(kind, `argument '${name}' must be a number or bool`);
  };
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new KernelError(kind, `Unknown nonlinearity '${nonlinearity}'`);
  const mode: RnnMode = kind === 'RNN' ? (nonlinearity === 'relu' ? 'RNN_RELU' : 'RNN_TANH') : kind;
  const c = {
    mode, inputSize: Number(get('input_size')), hiddenSize: Number(get('hidden_size')), numLayers: Number(get('num_layers')),
    bidirectional: Boolean(get('bidirectional')), batchFirst: Boolean(get('batch_first')), dropout: Number(get('dropout')), projSize: Number(get('proj_size')),
    bias: Boolean(get('bias')), training,
  };
  if (c.projSize && kind !== 'LSTM') throw new KernelError(kind, 'proj_size argument is only supported for LSTM, not RNN or GRU');
  if (c.projSize >= c.hiddenSize && c.projSize !== 0) throw new KernelError(kind, `proj_size (${c.projSize}) has to be smaller than hidden_size (${c.hiddenSize})`);
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

function recurrent(kind: Kind): LayerRule {
  return {
    build: (cfg) => ({ params: rnnParams(rnnConfig(cfg, kind, true)) }),
    forward: (g, c) => {
      const x = c.args[0] ?? c.kwargs.input;
      if (!isTensor(x)) throw new KernelError(kind, 'expects a tensor input (packed sequences are not modelled)');
      const hx = c.args[1] ?? c.kwargs.hx ?? null;
      let h0: Tensor | null = null;
      let c0: Tensor | null = null;
      if (hx !== null) {
        if (kind === 'LSTM' && Array.isArray(hx) && hx.length === 2 && isTensor(hx[0]) && isTensor(hx[1])) [h0, c0] = [hx[0], hx[1]];
        else if (kind !== 'LSTM' && isTensor(hx)) h0 = hx;
        else throw new KernelError(kind, `initial state must be ${kind === 'LSTM' ? 'a (h_0, c_0) tuple of tensors' : 'a tensor'}`);
      }
      const cfg = rnnConfig(c.cfg, kind, c.training);
      const names = new Set(rnnParams(cfg).map(([name]) => name));
      const p = (name: string): Tensor | null => (names.has(name) ? c.param(name) : null);
      const weights: RnnWeights[] = [];
      for (let l = 0; l < cfg.numLayers; l++) {
        for (let d = 0; d < (cfg.bidirectional ? 2 : 1); d++) {
          const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
          weights.push({ wIh: p(`weight_ih${sfx}`)!, wHh: p(`weight_hh${sfx}`)!, bIh: p(`bias_ih${sfx}`), bHh: p(`bias_hh${sfx}`), wHr: p(`weight_hr${sfx}`) });
        }
      }
      const r = rnn(g, cfg, x, weights, h0, c0);
      return [r.output, r.cn ? [r.hn, r.cn] : r.hn];
    },
  };
}

export const recurrentLayers: Readonly<Record<string, LayerRule>> = {
  GRU: recurrent('GRU'),
  LSTM: recurrent('LSTM'),
  RNN: recurrent('RNN'),
};

// nn.LSTM / nn.GRU / nn.RNN: the constructor's `*args, **kwargs` in RNNBase's order, the flat
// weights in `_flat_weights_names` order, and the recurrence of kernels/src/recurrent.ts.
import type { KernelArgs } from '../args';
import { isTensor } from '../common';
import { atenTensor } from '../dispatch';
import type { LayerRule, LayerState } from '../layer';
import { CellWeights, RNN_GATES, RnnConfig, RnnMode, RnnWeights, gruCell, lstmCell, rnn, rnnCell } from '../recurrent';
import { squeeze, unsqueeze } from '../shapeops';
import { DictValue, KernelError, Tensor } from '../types';
import { bindForward, flag, size } from './config';

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

/** `RNNCellBase.__init__`: `weight_ih [k·H, I]`, `weight_hh [k·H, H]`, `bias_ih`, `bias_hh` (None without bias). */
function cellParams(layer: string, cfg: KernelArgs, chunks: number): LayerState {
  const input = size(layer, cfg, 'input_size');
  const hidden = size(layer, cfg, 'hidden_size');
  const bias = flag(cfg, 'bias', true);
  return {
    params: [['weight_ih', [chunks * hidden, input]], ['weight_hh', [chunks * hidden, hidden]], ['bias_ih', bias ? [chunks * hidden] : null], ['bias_hh', bias ? [chunks * hidden] : null]],
  };
}

/**
 * `nn.RNNCell` / `LSTMCell` / `GRUCell`: a 1-D input is unsqueezed to a batch of one (and the
 * results squeezed back), a missing state is `zeros(B, H)` (LSTM: the same zeros for h and c),
 * then `_VF.*_cell` (kernels/src/recurrent.ts).
 */
function cell(kind: 'RNNCell' | 'LSTMCell' | 'GRUCell'): LayerRule {
  const chunks = kind === 'LSTMCell' ? 4 : kind === 'GRUCell' ? 3 : 1;
  return {
    // An unknown RNNCell nonlinearity is accepted here and refused by forward, as torch does.
    build: (cfg) => cellParams(kind, cfg, chunks),
    forward: (g, c) => {
      const a = bindForward(kind, ['input', 'hx'], 1, c.args, c.kwargs);
      const x0 = a.input;
      if (!isTensor(x0)) throw new KernelError(kind, 'expects a tensor input');
      if (x0.shape.length !== 1 && x0.shape.length !== 2) throw new KernelError(kind, `${kind}: Expected input to be 1D or 2D, got ${x0.shape.length}D instead`);
      const batched = x0.shape.length === 2;
      const x = batched ? x0 : unsqueeze(g, x0, 0);
      const w: CellWeights = { wIh: c.param('weight_ih')!, wHh: c.param('weight_hh')!, bIh: c.param('bias_ih'), bHh: c.param('bias_hh') };
      const hidden = w.wHh.shape[1];
      const zeros = () => atenTensor(g, 'zeros', { size: [x.shape[0], hidden], dtype: { dtype: x.dtype } });
      const lift = (t: unknown, name: string): Tensor => {
        if (!isTensor(t)) throw new KernelError(kind, `${name} must be a tensor`);
        if (t.shape.length !== 1 && t.shape.length !== 2) throw new KernelError(kind, `${kind}: Expected ${name} to be 1D or 2D, got ${t.shape.length}D instead`);
        return batched ? t : unsqueeze(g, t, 0);
      };
      const hx = a.hx;
      const unbatch = (t: Tensor) => (batched ? t : squeeze(g, t, 0));
      if (kind === 'LSTMCell') {
        let h: Tensor;
        let cs: Tensor;
        if (hx === undefined || hx === null) h = cs = zeros();
        else if (Array.isArray(hx) && hx.length === 2) [h, cs] = [lift(hx[0], 'hx[0]'), lift(hx[1], 'hx[1]')];
        else throw new KernelError(kind, 'hx must be a (h_0, c_0) tuple');
        const [hy, cy] = lstmCell(g, x, h, cs, w);
        return [unbatch(hy), unbatch(cy)];
      }
      const h = hx === undefined || hx === null ? zeros() : lift(hx, 'hidden');
      if (kind === 'GRUCell') return unbatch(gruCell(g, x, h, w));
      const nl = String(c.cfg.nonlinearity ?? 'tanh');
      if (nl !== 'tanh' && nl !== 'relu') throw new KernelError(kind, `Unknown nonlinearity: ${nl}`);
      return unbatch(rnnCell(g, x, h, w, nl === 'relu'));
    },
  };
}

/** A base class without `forward` (`nn.RNNBase`, `nn.RNNCellBase`): built as torch builds it; calling it raises. */
function noForward(name: string, build: LayerRule['build']): LayerRule {
  return {
    build,
    forward: () => {
      throw new KernelError(name, `Module [${name}] is missing the required "forward" function`);
    },
  };
}

const RNN_MODES: Readonly<Record<string, RnnMode>> = { LSTM: 'LSTM', GRU: 'GRU', RNN_TANH: 'RNN_TANH', RNN_RELU: 'RNN_RELU' };

export const recurrentLayers: Readonly<Record<string, LayerRule>> = {
  GRU: recurrent('GRU'),
  GRUCell: cell('GRUCell'),
  LSTM: recurrent('LSTM'),
  LSTMCell: cell('LSTMCell'),
  RNN: recurrent('RNN'),
  RNNBase: noForward('RNNBase', (cfg) => {
    const mode = RNN_MODES[String(cfg.mode)];
    if (!mode) throw new KernelError('RNNBase', `Unrecognized RNN mode: ${String(cfg.mode)}`);
    const num = (name: string, dflt: number) => (typeof cfg[name] === 'number' ? (cfg[name] as number) : dflt);
    const c = {
      mode, inputSize: size('RNNBase', cfg, 'input_size'), hiddenSize: size('RNNBase', cfg, 'hidden_size'), numLayers: num('num_layers', 1), bidirectional: flag(cfg, 'bidirectional'),
      batchFirst: flag(cfg, 'batch_first'), dropout: num('dropout', 0), projSize: num('proj_size', 0), bias: flag(cfg, 'bias', true), training: true,
    };
    if (c.projSize && mode !== 'LSTM') throw new KernelError('RNNBase', 'proj_size argument is only supported for LSTM, not RNN or GRU');
    return { params: rnnParams(c) };
  }),
  RNNCell: cell('RNNCell'),
  RNNCellBase: noForward('RNNCellBase', (cfg) => cellParams('RNNCellBase', cfg, size('RNNCellBase', cfg, 'num_chunks'))),
};

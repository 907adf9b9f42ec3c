import { dropout } from './activation';
import { KernelArgs, optTensorArg, tensorArg } from './args';
import { atenOp } from './autograd';
import { atenEntry } from './catalog';
import { isTensor, showShape } from './common';
import { atenTensor } from './dispatch';
import { select } from './indexing';
import { linear } from './linear';
import { cat, contiguous, reshape, splitSizes, stack, transpose } from './shapeops';
import { DTYPE_BYTES, ExtraSaved, Graph, KernelError, KResult, Tensor, numel } from './types';

/** Which recurrence `nn.RNN`/`nn.LSTM`/`nn.GRU` runs. */
export type RnnMode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';

/** Gate blocks stacked in each weight matrix: `weight_ih_l0` is `[gates · hidden, input]`. */
export const RNN_GATES: Record<RnnMode, number> = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1 };

export interface RnnConfig {
  readonly mode: RnnMode;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  /** LSTM projection size (0: none). */
  readonly projSize: number;
  readonly training: boolean;
}

/** Weights of one layer and direction, in PyTorch's `_flat_weights` order. */
export interface RnnWeights {
  readonly wIh: Tensor;
  readonly wHh: Tensor;
  readonly bIh: Tensor | null;
  readonly bHh: Tensor | null;
  readonly wHr: Tensor | null;
}

export interface RnnResult {
  readonly output: Tensor;
  readonly hn: Tensor;
  readonly cn: Tensor | null;
}

/**
 * Bytes the CPU cell keeps per direction, measured with saved_tensors_hooks on PyTorch 1.13 CPU
 * (aten/src/ATen/native/RNN.cpp runs the cell step by step with ordinary autograd ops):
 * - LSTM, each step: the gates `[B, 4H]` (sigmoid_/tanh_ results), tanh(c_t) `[B, H]`, the
 *   pre-projection output `[B, H]` when proj_size > 0; every step but the last: h_t (kept by the
 *   next step's `linear(h, w_hh)`) and c_t (kept by `forget * c`).
 * - GRU, each step: the hidden-side gates `[B, 3H]` and three `[B, H]` tensors (new gate, h − n,
 *   and the copy that the in-place `mul_` keeps); every step but the last: h_t.
 * - RNN (tanh or relu), each step: h_t (the activation's result).
 */
function perDirectionSaved(c: RnnConfig, t: number, b: number): ExtraSaved[] {
  const h = c.hiddenSize;
  const hOut = c.projSize || h;
  const dtype = 'float32' as const;
  switch (c.mode) {
    case 'LSTM':
      return [
        { shape: [t, b, 4 * h], dtype, label: 'gates' },
        { shape: [t, b, c.projSize ? 2 * h : h], dtype, label: c.projSize ? 'tanh(c_t), pre-projection h_t' : 'tanh(c_t)' },
        { shape: [t - 1, b, hOut + h], dtype, label: 'h_t, c_t' },
      ];
    case 'GRU':
      return [{ shape: [t, b, 6 * h], dtype, label: 'gates, new gate, h − n' }, { shape: [t - 1, b, h], dtype, label: 'h_t' }];
    default:
      return [{ shape: [t, b, h], dtype, label: 'h_t' }];
  }
}

/**
 * `nn.RNN`/`nn.LSTM`/`nn.GRU` forward on a batched input `[T, B, E]` (or `[B, T, E]` with
 * batch_first). CPU (measured, PyTorch 1.13): each layer keeps its input flattened to `[T·B, in]`
 * (a copy when batch_first makes it strided, and for layers above the first the new `[T, B, D·H]`
 * output of the layer below), the initial states `h_0`/`c_0` (zeros when not given), the per-step
 * tensors of `perDirectionSaved`, and between layers in training the dropout noise. CUDA runs
 * `_cudnn_rnn`, which keeps the input, h_0, c_0, the output and cuDNN's reserve space
 * (derivatives.yaml `_cudnn_rnn`: `result0`, `result3`); the reserve is estimated as
 * layers × directions × T × B × gates × H elements (not measured).
 */
export function rnn(g: Graph, c: RnnConfig, x: Tensor, weights: readonly RnnWeights[], h0: Tensor | null, c0: Tensor | null): RnnResult {
  const op = c.mode === 'LSTM' ? 'lstm' : c.mode === 'GRU' ? 'gru' : 'rnn';
  if (x.shape.length !== 3) throw new KernelError(op, `expected a batched 3-D input, got ${showShape(x.shape)} (unbatched input is not modelled)`);
  if (c.projSize && c.mode !== 'LSTM') throw new KernelError(op, 'proj_size is only supported by LSTM');
  const dirs = c.bidirectional ? 2 : 1;
  if (weights.length !== c.numLayers * dirs) throw new KernelError(op, `expected ${c.numLayers * dirs} weight sets, got ${weights.length}`);
  const xt = c.batchFirst ? transpose(g, x, 0, 1) : x;
  const [t, b, e] = xt.shape;
  if (e !== c.inputSize) throw new KernelError(op, `input.size(-1) must be equal to input_size. Expected ${c.inputSize}, got ${e}`);
  if (t === 0) throw new KernelError(op, 'expected a non-empty sequence');
  const h = c.hiddenSize;
  const hOut = c.projSize || h;
  const stateShape = [c.numLayers * dirs, b, hOut];
  const zeros = (shape: number[]): Tensor => g.op({ kind: 'zeros', inputs: [], outputs: [{ shape, dtype: x.dtype, differentiable: false }] })[0];
  const hx = h0 ?? zeros(stateShape);
  const cx = c.mode === 'LSTM' ? c0 ?? zeros([c.numLayers * dirs, b, h]) : null;
  for (const [name, s, want] of [['h_0', hx, stateShape], ['c_0', cx, [c.numLayers * dirs, b, h]]] as const) {
    if (s && (s.shape.length !== 3 || s.shape.some((d, i) => d !== want[i]))) throw new KernelError(op, `expected ${name} of shape ${showShape(want)}, got ${showShape(s.shape)}`);
  }
  const gates = RNN_GATES[c.mode];
  const flopsPerDir = (inp: number) => 2 * t * b * gates * h * (inp + hOut) + 10 * t * b * gates * h;

  if (g.ctx.device === 'cuda') {
    const dtype = x.dtype;
    const outShape = [t, b, dirs * hOut];
    const reserve: ExtraSaved = { shape: [c.numLayers * dirs, t, b, gates * h], dtype, label: 'cuDNN reserve (estimate)' };
    const params = weights.flatMap((w) => [w.wIh, w.wHh, w.bIh, w.bHh, w.wHr].filter((p): p is Tensor => p !== null));
    const [out, hn, cn] = g.op({
      kind: '_cudnn_rnn',
      inputs: [x, hx, ...(cx ? [cx] : []), ...params],
      outputs: [{ shape: outShape, dtype }, { shape: stateShape, dtype }, { shape: cx ? cx.shape : [0], dtype }],
      save: (outs) => [x, hx, ...(cx ? [cx] : []), outs[0], reserve],
      flops: c.numLayers * dirs * flopsPerDir(c.inputSize),
    });
    return { output: c.batchFirst ? transpose(g, out, 0, 1) : out, hn, cn: cx ? cn : null };
  }

  if (c.mode === 'LSTM' && !c.projSize && (x.dtype === 'float32' || x.dtype === 'bfloat16') && atenEntry(g.ctx.torch, 'mkldnn_rnn_layer')) {
    return mkldnnLstm(g, c, xt, weights, hx, cx!);
  }

  let layerInput = xt;
  let first = true;
  for (let l = 0; l < c.numLayers; l++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      // Each direction flattens the input itself: a strided (batch_first) input is copied twice.
      const flat = reshape(g, layerInput, [t * b, layerInput.shape[2]]);
      const w = weights[l * dirs + d];
      const inputs = [flat, w.wIh, w.wHh, ...[w.bIh, w.bHh, w.wHr].filter((p): p is Tensor => p !== null)];
      const initial = first ? [hx, ...(cx ? [cx] : [])] : [];
      first = false;
      // While the direction runs, the input projection of every step (`linear_ih(input)`,
      // `[T, B, gates·H]`, computed up front) and the last step's h/c (not saved) are alive too
      // (measured on 1.13 CPU: test/fixtures/rnn_tagger.py).
      const bytes = DTYPE_BYTES[x.dtype];
      const workspaceBytes = t * b * gates * h * bytes + b * (hOut + (c.mode === 'LSTM' ? h : 0)) * bytes;
      outs.push(g.op({
        kind: `${op}_layer`,
        inputs: [...inputs, hx, ...(cx ? [cx] : [])],
        outputs: [{ shape: [t, b, hOut], dtype: x.dtype }],
        save: () => [flat, ...initial, ...perDirectionSaved(c, t, b).filter((s) => numel(s.shape) > 0)],
        flops: flopsPerDir(flat.shape[1]),
        workspaceBytes,
        // Backward runs the steps in reverse, freeing each step's saved tensors as it goes: while
        // they are all alive it holds the hidden-side weight gradient of one step next to the
        // accumulated one; the input gradient comes at the end (measured on 1.13 CPU, rnn_lm.py).
        backward: { workspaceBytes: gates * h * hOut * bytes, inputGradsLate: true },
      })[0]);
    }
    // One new `[T, B, D·H]` tensor per layer: `stack` of the steps, `cat` of the two directions.
    let layerOut = dirs === 2 ? cat(g, outs, 2) : outs[0];
    if (c.training && c.dropout > 0 && l < c.numLayers - 1) {
      layerOut = g.op({ kind: 'mul', inputs: [layerOut], outputs: [{ shape: layerOut.shape, dtype: layerOut.dtype }], save: () => [{ shape: layerOut.shape, dtype: layerOut.dtype, label: 'dropout noise' }] })[0];
    }
    layerInput = layerOut;
  }
  // h_n / c_n: `stack` of each layer's last state, new tensors that nothing saves.
  const hn = g.op({ kind: 'stack', inputs: [layerInput], outputs: [{ shape: stateShape, dtype: x.dtype }] })[0];
  const cn = cx ? g.op({ kind: 'stack', inputs: [layerInput], outputs: [{ shape: cx.shape, dtype: x.dtype }] })[0] : null;
  return { output: c.batchFirst ? transpose(g, layerInput, 0, 1) : layerInput, hn, cn };
}

const roundUp = (n: number, m: number) => Math.ceil(n / m) * m;

/** oneDNN's `get_good_ld`: a leading dimension padded to 64 bytes, and off multiples of 256 elements. */
function goodLd(dim: number, elementBytes: number): number {
  const ld = roundUp(dim, 64 / elementBytes);
  return ld % 256 === 0 ? ld + 64 / elementBytes : ld;
}

/**
 * Bytes of the workspace oneDNN keeps for the backward of one LSTM layer and direction
 * (`rnn_utils::set_offsets`: each part starts on a 4 KiB page; the gates, the per-step h, the
 * layer states, the cell states and the three diff-state buffers). Checked on PyTorch 2.13 and
 * 2.14 CPU (oneDNN 3.x) for 256 shapes (T, B, input, hidden); float32 only.
 */
export function mkldnnLstmWorkspaceBytes(t: number, b: number, input: number, hidden: number, elementBytes = 4): number {
  const states = goodLd(Math.max(input, hidden), elementBytes);
  const parts = [
    t * b * goodLd(4 * hidden, 4) * 4, // gates
    t * b * goodLd(hidden, elementBytes) * elementBytes, // h of each step
    2 * (t + 1) * b * states * elementBytes, // layer/iteration states
    2 * (t + 1) * b * hidden * 4, // cell states
    2 * (t + 1) * b * states * 4, // diff of the layer states
    2 * (t + 1) * b * states * 4, // diff of the iteration states
    2 * (t + 1) * b * hidden * 4, // diff of the cell states
    0, // the (empty) grid compensation still starts on a page
  ];
  let offset = 0;
  for (const p of parts) offset = roundUp(offset, 4096) + p;
  return offset;
}

/**
 * LSTM on the CPU in PyTorch 2.x (float32, no projection): one `mkldnn_rnn_layer` per layer and
 * direction on a contiguous sequence-first input; each keeps (derivatives.yaml) its input, the
 * layer's h_0/c_0 (views of the whole initial state), the weights, its output `[T, B, H]`, h_n,
 * c_n and a uint8 oneDNN workspace; directions are `cat`, dropout runs between layers, and h_n/c_n
 * are `stack`ed. Measured on 2.13/2.14 CPU (test/fixtures/rnn_lm.py, rnn_tagger.py).
 */
function mkldnnLstm(g: Graph, c: RnnConfig, xt: Tensor, weights: readonly RnnWeights[], hx: Tensor, cx: Tensor): RnnResult {
  const [t, b] = xt.shape;
  const h = c.hiddenSize;
  const dirs = c.bidirectional ? 2 : 1;
  const dtype = xt.dtype;
  let layerInput = contiguous(g, xt);
  const hy: Tensor[] = [];
  const cy: Tensor[] = [];
  for (let l = 0; l < c.numLayers; l++) {
    const outs: Tensor[] = [];
    for (let d = 0; d < dirs; d++) {
      const w = weights[l * dirs + d];
      const i = l * dirs + d;
      const zeros = () => g.create('zeros', [4 * h], dtype);
      const inputSize = layerInput.shape[2];
      const ws = c.training ? mkldnnLstmWorkspaceBytes(t, b, inputSize, h, DTYPE_BYTES[dtype]) : 0;
      const [out, hn, cn] = atenOp(g, 'mkldnn_rnn_layer', {
        input: layerInput, weight0: w.wIh, weight1: w.wHh, weight2: w.bIh ?? zeros(), weight3: w.bHh ?? zeros(),
        hx_: select(g, hx, 0, i), cx_: select(g, cx, 0, i), reverse: d === 1, batch_sizes: [], mode: 2, hidden_size: h,
        num_layers: c.numLayers, has_biases: w.bIh !== null, bidirectional: c.bidirectional, batch_first: false, train: c.training,
      }, [
        { shape: [t, b, h], dtype }, { shape: [b, h], dtype }, { shape: [b, h], dtype },
        { shape: [ws], dtype: 'uint8', differentiable: false },
      ], { flops: 2 * t * b * 4 * h * (inputSize + h) + 40 * t * b * h });
      outs.push(out);
      hy.push(hn);
      cy.push(cn);
    }
    let layerOut = dirs === 2 ? cat(g, outs, 2) : outs[0];
    if (c.training && c.dropout > 0 && l < c.numLayers - 1) layerOut = dropout(g, layerOut, c.dropout, true, false);
    layerInput = layerOut;
  }
  return { output: c.batchFirst ? transpose(g, layerInput, 0, 1) : layerInput, hn: stack(g, hy, 0), cn: stack(g, cy, 0) };
}

// ── single-step cells (`lstm_cell`, `gru_cell`, `rnn_tanh_cell`, `rnn_relu_cell`, which nn.LSTMCell,
// GRUCell and RNNCell call): CompositeImplicitAutograd, aten/src/ATen/native/RNN.cpp's cell structs.

/** The cell's weights as `_VF.*_cell` takes them. */
export interface CellWeights {
  readonly wIh: Tensor;
  readonly wHh: Tensor;
  readonly bIh: Tensor | null;
  readonly bHh: Tensor | null;
}

function cellChecks(op: string, x: Tensor, h: Tensor, w: CellWeights, gates: number): void {
  if (x.shape.length !== 2 || h.shape.length !== 2) throw new KernelError(op, `expected 2-D input and hidden state, got ${showShape(x.shape)} and ${showShape(h.shape)}`);
  const hidden = h.shape[1];
  if (w.wIh.shape[0] !== gates * hidden || w.wHh.shape[0] !== gates * hidden) throw new KernelError(op, `weights ${showShape(w.wIh.shape)} and ${showShape(w.wHh.shape)} do not have ${gates}×${hidden} rows`);
  if (x.shape[1] !== w.wIh.shape[1]) throw new KernelError(op, `input has inconsistent input_size: got ${x.shape[1]} expected ${w.wIh.shape[1]}`);
  if (h.shape[0] !== x.shape[0]) throw new KernelError(op, `Input batch size ${x.shape[0]} doesn't match hidden0 batch size ${h.shape[0]}`);
}

/** `at::matmul(x, w.t())`, the CUDA cells' gate projections (no bias). */
const matmulT = (g: Graph, x: Tensor, w: Tensor) => atenTensor(g, 'matmul', { self: x, other: transpose(g, w, 0, 1) });

/**
 * `rnn_tanh_cell` / `rnn_relu_cell` (every device): `act(linear(h, w_hh, b_hh).add_(linear(x, w_ih, b_ih)))`;
 * the activation keeps its result, the linears their inputs.
 */
export function rnnCell(g: Graph, x: Tensor, h: Tensor, w: CellWeights, relu: boolean): Tensor {
  const op = relu ? 'rnn_relu_cell' : 'rnn_tanh_cell';
  cellChecks(op, x, h, w, 1);
  const pre = atenTensor(g, 'add_.Tensor', { self: linear(g, h, w.wHh, w.bHh), other: linear(g, x, w.wIh, w.bIh), alpha: 1 });
  return atenTensor(g, relu ? 'relu' : 'tanh', { self: pre });
}

/**
 * `lstm_cell(input, (hx, cx), …)`. CPU: `gates = linear(hx, w_hh, b_hh).add_(linear(x, w_ih, b_ih))`,
 * `unsafe_chunk(4, 1)`, in-place sigmoid_/tanh_ on the chunks (their backward keeps the gates'
 * storage), `cy = (f * cx).add_(i * g)`, `hy = o * cy.tanh()` (keeps tanh(cy) and cx). CUDA:
 * `matmul`s without bias and `_thnn_fused_lstm_cell`, which returns hy, cy and a `[B, 4H]`
 * workspace and keeps both gate inputs, cx, the biases, cy and the workspace (ATen's RNN.cpp and
 * derivatives.yaml; not measured here).
 */
export function lstmCell(g: Graph, x: Tensor, hx: Tensor, cx: Tensor, w: CellWeights): [Tensor, Tensor] {
  const op = 'lstm_cell';
  cellChecks(op, x, hx, w, 4);
  if (cx.shape.join() !== hx.shape.join()) throw new KernelError(op, `cx ${showShape(cx.shape)} does not match hx ${showShape(hx.shape)}`);
  if (g.ctx.device === 'cuda') {
    const igates = matmulT(g, x, w.wIh);
    const hgates = matmulT(g, hx, w.wHh);
    const [hy, cy] = atenOp(g, '_thnn_fused_lstm_cell', { input_gates: igates, hidden_gates: hgates, cx, input_bias: w.bIh, hidden_bias: w.bHh }, [
      { shape: hx.shape, dtype: x.dtype }, { shape: hx.shape, dtype: x.dtype }, { shape: igates.shape, dtype: x.dtype, differentiable: false },
    ], { flops: 10 * numel(igates.shape) });
    return [hy, cy];
  }
  const gates = atenTensor(g, 'add_.Tensor', { self: linear(g, hx, w.wHh, w.bHh), other: linear(g, x, w.wIh, w.bIh), alpha: 1 });
  const [i0, f0, c0, o0] = splitSizes(g, gates, new Array<number>(4).fill(gates.shape[1] / 4), 1, 'unsafe_split');
  const ingate = atenTensor(g, 'sigmoid_', { self: i0 });
  const forget = atenTensor(g, 'sigmoid_', { self: f0 });
  const cell = atenTensor(g, 'tanh_', { self: c0 });
  const outgate = atenTensor(g, 'sigmoid_', { self: o0 });
  const fc = atenTensor(g, 'mul.Tensor', { self: forget, other: cx });
  const cy = atenTensor(g, 'add_.Tensor', { self: fc, other: atenTensor(g, 'mul.Tensor', { self: ingate, other: cell }), alpha: 1 });
  const hy = atenTensor(g, 'mul.Tensor', { self: outgate, other: atenTensor(g, 'tanh', { self: cy }) });
  return [hy, cy];
}

/**
 * `gru_cell(input, hx, …)`. CPU: both projections `unsafe_chunk(3, 1)`; reset and update gates
 * `hgates[k].add_(igates[k]).sigmoid_()`, `n = igates[2].add(hgates[2].mul_(r)).tanh_()`,
 * `hy = (hx - n).mul_(z).add_(n)` (each `mul_` keeps a copy of the tensor it overwrites). CUDA:
 * `matmul`s and `_thnn_fused_gru_cell` with a `[B, 5H]` workspace, which it keeps with the
 * gate inputs, hx and the biases (ATen's RNN.cpp; not measured here).
 */
export function gruCell(g: Graph, x: Tensor, hx: Tensor, w: CellWeights): Tensor {
  const op = 'gru_cell';
  cellChecks(op, x, hx, w, 3);
  const hidden = hx.shape[1];
  if (g.ctx.device === 'cuda') {
    const igates = matmulT(g, x, w.wIh);
    const hgates = matmulT(g, hx, w.wHh);
    return atenOp(g, '_thnn_fused_gru_cell', { input_gates: igates, hidden_gates: hgates, hx, input_bias: w.bIh, hidden_bias: w.bHh }, [
      { shape: hx.shape, dtype: x.dtype }, { shape: [hx.shape[0], 5 * hidden], dtype: x.dtype, differentiable: false },
    ], { flops: 10 * numel(hgates.shape) })[0];
  }
  const thirds = [hidden, hidden, hidden];
  const ig = splitSizes(g, linear(g, x, w.wIh, w.bIh), thirds, 1, 'unsafe_split');
  const hg = splitSizes(g, linear(g, hx, w.wHh, w.bHh), thirds, 1, 'unsafe_split');
  const reset = atenTensor(g, 'sigmoid_', { self: atenTensor(g, 'add_.Tensor', { self: hg[0], other: ig[0], alpha: 1 }) });
  const update = atenTensor(g, 'sigmoid_', { self: atenTensor(g, 'add_.Tensor', { self: hg[1], other: ig[1], alpha: 1 }) });
  const newGate = atenTensor(g, 'tanh_', { self: atenTensor(g, 'add.Tensor', { self: ig[2], other: atenTensor(g, 'mul_.Tensor', { self: hg[2], other: reset }), alpha: 1 }) });
  const diff = atenTensor(g, 'mul_.Tensor', { self: atenTensor(g, 'sub.Tensor', { self: hx, other: newGate, alpha: 1 }), other: update });
  return atenTensor(g, 'add_.Tensor', { self: diff, other: newGate, alpha: 1 });
}

const cellWeights = (op: string, a: KernelArgs): CellWeights => ({
  wIh: tensorArg(op, a, 'w_ih'), wHh: tensorArg(op, a, 'w_hh'), bIh: optTensorArg(op, a, 'b_ih'), bHh: optTensorArg(op, a, 'b_hh'),
});

/** aten rows: schema argument names. */
export const cellAten = {
  gru_cell: (g: Graph, a: KernelArgs): KResult => gruCell(g, tensorArg('gru_cell', a, 'input'), tensorArg('gru_cell', a, 'hx'), cellWeights('gru_cell', a)),
  lstm_cell: (g: Graph, a: KernelArgs): KResult => {
    const hx = a.hx;
    if (!Array.isArray(hx) || hx.length !== 2 || !isTensor(hx[0]) || !isTensor(hx[1])) throw new KernelError('lstm_cell', 'lstm_cell: Expected hx to have 2 tensors (h_0, c_0)');
    return lstmCell(g, tensorArg('lstm_cell', a, 'input'), hx[0], hx[1], cellWeights('lstm_cell', a));
  },
  rnn_relu_cell: (g: Graph, a: KernelArgs): KResult => rnnCell(g, tensorArg('rnn_relu_cell', a, 'input'), tensorArg('rnn_relu_cell', a, 'hx'), cellWeights('rnn_relu_cell', a), true),
  rnn_tanh_cell: (g: Graph, a: KernelArgs): KResult => rnnCell(g, tensorArg('rnn_tanh_cell', a, 'input'), tensorArg('rnn_tanh_cell', a, 'hx'), cellWeights('rnn_tanh_cell', a), false),
};

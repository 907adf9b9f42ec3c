import { showShape } from './common';
import { cat, reshape, transpose } from './shapeops';
import { ExtraSaved, Graph, KernelError, Tensor, numel } from './types';

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
      outs.push(g.op({
        kind: `${op}_layer`,
        inputs: [...inputs, hx, ...(cx ? [cx] : [])],
        outputs: [{ shape: [t, b, hOut], dtype: x.dtype }],
        save: () => [flat, ...initial, ...perDirectionSaved(c, t, b).filter((s) => numel(s.shape) > 0)],
        flops: flopsPerDir(flat.shape[1]),
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

// Kernel rules (kernels/src) run on the real Tracer: output shapes by shape arithmetic, what each
// operator saves for backward (storages and bytes = numel × dtype size), and the KernelError
// messages of broken constraints. Facts about saved tensors cite /work/shared/memory-model.md or
// the measured truth files (PyTorch 1.13 CPU).
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DType, KernelContext, KernelError, Storage, Tensor, atenEntry, atenRow, schemaOf, tableRow } from '../../kernels/src';
import { Tracer } from '../../server/src/interpreter/tracer';

const CPU_113: KernelContext = { device: 'cpu', torch: [1, 13], autocast: null, gradEnabled: true };

function tracer(ctx: Partial<KernelContext> = {}): Tracer {
  const tr = new Tracer({ ...CPU_113, ...ctx }, () => null);
  // Ops are part of the step (recorded) only while a forward runs.
  tr.recording = true;
  return tr;
}

/** An intermediate activation that needs grad (the output of some earlier layer). */
function act(tr: Tracer, shape: number[], dtype: DType = 'float32'): Tensor {
  return tr.newTensor(shape, dtype, dtype.startsWith('float') || dtype === 'bfloat16', 'activation');
}

function param(tr: Tracer, shape: number[]): Tensor {
  return tr.newTensor(shape, 'float32', true, 'param');
}

/**
 * Runs `name` as model code reaches it: `F.<name>` when torch defines it in Python, else the aten op
 * (its tensor argument is `self` where the schema says so) — Python argument names either way.
 */
function run(tr: Tracer, name: string, args: Record<string, unknown>): Tensor {
  const f = tableRow(`F.${name}`);
  if (f?.kind === 'op') return f.run(tr, args, { name: `F.${name}`, aten: null }) as Tensor;
  // The overload a Python call of `name` with tensors would bind (`mul` → `mul.Tensor`, `mean` with a dim → `mean.dim`).
  const overload = ['Tensor', 'dim', 'input', 'int', 'using_ints'].map((o) => `${name}.${o}`).find((o) => atenEntry(tr.ctx.torch, o)) ?? name;
  const row = atenRow(overload);
  assert.ok(row, `'${name}' is in the op table`);
  const schema = atenEntry(tr.ctx.torch, overload);
  const names = schema ? schemaOf(schema.schema).args.map((x) => x.name) : [];
  const renamed = { ...args };
  if ('input' in renamed && !names.includes('input')) {
    renamed.self = renamed.input;
    delete renamed.input;
  }
  return row.run(tr, renamed, { name: `aten.${overload}`, aten: overload }) as Tensor;
}

/** Unique activation storages saved by all ops recorded so far (what the report counts). */
function savedActivations(tr: Tracer): Storage[] {
  const out: Storage[] = [];
  for (const op of tr.ops) for (const s of op.saved) if (s.kind === 'activation' && !out.includes(s)) out.push(s);
  return out;
}

const savedBytes = (tr: Tracer) => savedActivations(tr).reduce((s, x) => s + x.bytes, 0);

describe('kernels: output shapes', () => {
  // Sliding windows: out = floor((in + 2p - d(k-1) - 1) / s) + 1.
  const convCases: { name: string; op: string; x: number[]; w: number[]; args: Record<string, unknown>; out: number[] }[] = [
    { name: 'conv2d 3x3, no padding', op: 'conv2d', x: [2, 3, 32, 32], w: [16, 3, 3, 3], args: {}, out: [2, 16, 30, 30] },
    { name: 'conv2d stride 2 padding 1: floor(31/2)+1', op: 'conv2d', x: [2, 3, 32, 32], w: [16, 3, 3, 3], args: { stride: 2, padding: 1 }, out: [2, 16, 16, 16] },
    { name: 'conv2d dilation 2: 32-4-1+1', op: 'conv2d', x: [2, 3, 32, 32], w: [16, 3, 3, 3], args: { dilation: 2 }, out: [2, 16, 28, 28] },
    { name: 'conv2d per-dim stride/padding', op: 'conv2d', x: [1, 3, 20, 30], w: [4, 3, 3, 5], args: { stride: [1, 2], padding: [1, 2] }, out: [1, 4, 20, 15] },
    { name: 'conv2d groups=4 (weight in-channels 8/4)', op: 'conv2d', x: [2, 8, 16, 16], w: [8, 2, 3, 3], args: { groups: 4, padding: 1 }, out: [2, 8, 16, 16] },
    { name: 'conv2d depthwise', op: 'conv2d', x: [2, 8, 16, 16], w: [8, 1, 3, 3], args: { groups: 8, stride: 2 }, out: [2, 8, 7, 7] },
    { name: "conv2d padding='same' 5x5", op: 'conv2d', x: [1, 3, 17, 17], w: [6, 3, 5, 5], args: { padding: 'same' }, out: [1, 6, 17, 17] },
    { name: 'conv2d unbatched', op: 'conv2d', x: [3, 32, 32], w: [16, 3, 3, 3], args: {}, out: [16, 30, 30] },
    { name: 'conv1d stride 3: floor(95/3)+1', op: 'conv1d', x: [4, 3, 100], w: [6, 3, 5], args: { stride: 3 }, out: [4, 6, 32] },
    { name: 'conv3d', op: 'conv3d', x: [1, 2, 8, 8, 8], w: [4, 2, 3, 3, 3], args: {}, out: [1, 4, 6, 6, 6] },
  ];
  for (const c of convCases) {
    it(c.name, () => {
      const tr = tracer();
      const out = run(tr, c.op, { input: act(tr, c.x), weight: param(tr, c.w), bias: null, ...c.args });
      assert.deepEqual(out.shape, c.out);
    });
  }

  // ceil_mode: ceil instead of floor, but a last window starting in the right padding is dropped.
  const poolCases: { name: string; op: string; x: number[]; args: Record<string, unknown>; out: number[] }[] = [
    { name: 'max_pool2d 2x2 on 5: floor', op: 'max_pool2d', x: [1, 1, 5, 5], args: { kernel_size: 2 }, out: [1, 1, 2, 2] },
    { name: 'max_pool2d 2x2 on 5: ceil_mode', op: 'max_pool2d', x: [1, 1, 5, 5], args: { kernel_size: 2, ceil_mode: true }, out: [1, 1, 3, 3] },
    { name: 'max_pool2d k3 s2 p1 on 6: ceil gives 4', op: 'max_pool2d', x: [1, 1, 6, 6], args: { kernel_size: 3, stride: 2, padding: 1, ceil_mode: true }, out: [1, 1, 4, 4] },
    { name: 'max_pool2d k3 s2 p1 on 6: floor gives 3', op: 'max_pool2d', x: [1, 1, 6, 6], args: { kernel_size: 3, stride: 2, padding: 1 }, out: [1, 1, 3, 3] },
    { name: 'max_pool2d k2 s2 p1 on 5: ceil window in the padding is dropped', op: 'max_pool2d', x: [1, 1, 5, 5], args: { kernel_size: 2, stride: 2, padding: 1, ceil_mode: true }, out: [1, 1, 3, 3] },
    { name: 'max_pool2d 3-D input', op: 'max_pool2d', x: [4, 10, 10], args: { kernel_size: 2 }, out: [4, 5, 5] },
    { name: 'avg_pool2d 3x3 s2 ceil on 8', op: 'avg_pool2d', x: [2, 3, 8, 8], args: { kernel_size: 3, stride: 2, ceil_mode: true }, out: [2, 3, 4, 4] },
    { name: 'adaptive_avg_pool2d 1x1', op: 'adaptive_avg_pool2d', x: [2, 64, 7, 7], args: { output_size: 1 }, out: [2, 64, 1, 1] },
    { name: 'adaptive_avg_pool2d (3, None)', op: 'adaptive_avg_pool2d', x: [2, 8, 9, 5], args: { output_size: [3, null] }, out: [2, 8, 3, 5] },
  ];
  for (const c of poolCases) {
    it(c.name, () => {
      const tr = tracer();
      assert.deepEqual(run(tr, c.op, { input: act(tr, c.x), ...c.args }).shape, c.out);
    });
  }

  const matmulCases: { name: string; a: number[]; b: number[]; out: number[] }[] = [
    { name: '2-D @ 2-D', a: [3, 5], b: [5, 6], out: [3, 6] },
    { name: '1-D @ 1-D: a scalar', a: [5], b: [5], out: [] },
    { name: '2-D @ 1-D', a: [3, 5], b: [5], out: [3] },
    { name: '1-D @ 2-D', a: [5], b: [5, 6], out: [6] },
    { name: '3-D @ 2-D (folded to mm)', a: [7, 4, 5], b: [5, 6], out: [7, 4, 6] },
    { name: '3-D @ 1-D', a: [2, 3, 5], b: [5], out: [2, 3] },
    { name: 'batched 4-D @ 4-D', a: [2, 3, 4, 5], b: [2, 3, 5, 6], out: [2, 3, 4, 6] },
    { name: 'broadcast batch [3] with [2,1]', a: [3, 4, 5], b: [2, 1, 5, 6], out: [2, 3, 4, 6] },
    { name: '1-D @ 3-D', a: [5], b: [2, 5, 6], out: [2, 6] },
  ];
  for (const c of matmulCases) {
    it(`matmul ${c.name}`, () => {
      const tr = tracer();
      assert.deepEqual(run(tr, 'matmul', { input: act(tr, c.a), other: act(tr, c.b) }).shape, c.out);
    });
  }

  it('linear on 2-D, 3-D contiguous and 3-D non-contiguous input', () => {
    const cases: { x: (tr: Tracer) => Tensor; out: number[] }[] = [
      { x: (tr) => act(tr, [8, 16]), out: [8, 32] },
      { x: (tr) => act(tr, [4, 5, 16]), out: [4, 5, 32] },
      { x: (tr) => run(tr, 'transpose', { input: act(tr, [5, 4, 16]), dim0: 0, dim1: 1 }), out: [4, 5, 32] },
      { x: (tr) => act(tr, [2, 3, 4, 16]), out: [2, 3, 4, 32] },
    ];
    for (const c of cases) {
      const tr = tracer();
      const out = run(tr, 'linear', { input: c.x(tr), weight: param(tr, [32, 16]), bias: param(tr, [32]) });
      assert.deepEqual(out.shape, c.out);
    }
  });

  it('cat along a dim sums that dim and saves nothing', () => {
    const tr = tracer();
    const out = run(tr, 'cat', { tensors: [act(tr, [2, 3, 4]), act(tr, [2, 5, 4]), act(tr, [2, 1, 4])], dim: 1 });
    assert.deepEqual(out.shape, [2, 9, 4]);
    assert.equal(savedBytes(tr), 0);
    const neg = run(tr, 'cat', { tensors: [act(tr, [2, 3]), act(tr, [2, 3])], dim: -2 });
    assert.deepEqual(neg.shape, [4, 3]);
  });

  const flattenCases: { x: number[]; start?: number; end?: number; out: number[] }[] = [
    { x: [2, 3, 4, 5], start: 1, out: [2, 60] },
    { x: [2, 3, 4, 5], out: [120] },
    { x: [2, 3, 4, 5], start: 1, end: 2, out: [2, 12, 5] },
    { x: [7], out: [7] },
  ];
  for (const c of flattenCases) {
    it(`flatten ${JSON.stringify(c.x)} from ${c.start ?? 0} to ${c.end ?? -1} is a view of a contiguous tensor`, () => {
      const tr = tracer();
      const x = act(tr, c.x);
      const out = run(tr, 'flatten', { input: x, start_dim: c.start ?? 0, end_dim: c.end ?? -1 });
      assert.deepEqual(out.shape, c.out);
      assert.equal(out.storage, x.storage);
      assert.equal(tr.ops.length, 0, 'a view records no op');
    });
  }

  it('transpose and permute are views with permuted strides', () => {
    const tr = tracer();
    const x = act(tr, [2, 3, 4]); // strides [12, 4, 1]
    const t = run(tr, 'transpose', { input: x, dim0: 0, dim1: -1 });
    assert.deepEqual([t.shape, t.strides], [[4, 3, 2], [1, 4, 12]]);
    const p = run(tr, 'permute', { input: x, dims: [2, 0, 1] });
    assert.deepEqual([p.shape, p.strides], [[4, 2, 3], [1, 12, 4]]);
    assert.equal(t.storage, x.storage);
    assert.equal(p.storage, x.storage);
    assert.equal(tr.ops.length, 0);
  });
});

describe('kernels: view vs reshape decided by strides', () => {
  it('view of a transposed tensor fails with a message naming view', () => {
    const tr = tracer();
    const t = run(tr, 'transpose', { input: act(tr, [4, 6]), dim0: 0, dim1: 1 });
    assert.throws(() => run(tr, 'view', { input: t, size: [24] }), (e: unknown) => e instanceof KernelError && e.op === 'view' && /^view: view size \[24\] is not compatible/.test(e.message));
  });

  it('view of a transposed tensor that keeps chunks contiguous works (split of the last dim)', () => {
    const tr = tracer();
    const t = run(tr, 'transpose', { input: act(tr, [4, 6]), dim0: 0, dim1: 1 }); // [6, 4] strides [1, 6]
    const v = run(tr, 'view', { input: t, size: [3, 2, 4] });
    assert.deepEqual([v.shape, v.strides], [[3, 2, 4], [2, 1, 6]]);
  });

  const reshapeCases: { name: string; x: (tr: Tracer) => Tensor; shape: number[]; copies: boolean }[] = [
    { name: 'contiguous → view', x: (tr) => act(tr, [4, 6]), shape: [2, 12], copies: false },
    { name: 'contiguous with -1 → view', x: (tr) => act(tr, [4, 6]), shape: [-1, 3], copies: false },
    { name: 'transposed, merging across the transpose → copy', x: (tr) => run(tr, 'transpose', { input: act(tr, [4, 6]), dim0: 0, dim1: 1 }), shape: [24], copies: true },
    { name: 'permuted [B,H,T,D]→[B,T,H,D] merged to [B,T,H*D] → copy', x: (tr) => run(tr, 'transpose', { input: act(tr, [2, 3, 5, 4]), dim0: 1, dim1: 2 }), shape: [2, 5, 12], copies: true },
    { name: 'transposed, splitting the contiguous last dim → view', x: (tr) => run(tr, 'transpose', { input: act(tr, [2, 3, 5, 4]), dim0: 1, dim1: 2 }), shape: [2, 5, 3, 2, 2], copies: false },
    { name: 'transposed [2,5,3,4] merged to [10,3,4] → copy (stride 60 ≠ 5×4)', x: (tr) => run(tr, 'transpose', { input: act(tr, [2, 3, 5, 4]), dim0: 1, dim1: 2 }), shape: [10, 3, 4], copies: true },
  ];
  for (const c of reshapeCases) {
    it(`reshape: ${c.name}`, () => {
      const tr = tracer();
      const x = c.x(tr);
      const out = run(tr, 'reshape', { input: x, shape: c.shape });
      assert.equal(out.storage === x.storage, !c.copies, 'shares storage iff it is a view');
      assert.equal(tr.ops.length, c.copies ? 1 : 0);
      if (c.copies) {
        // ATen's reshape of a tensor it cannot view: `clone` (contiguous), then `_unsafe_view`.
        assert.equal(tr.ops[0].kind, 'clone');
        assert.equal(out.storage.bytes, x.shape.reduce((a, b) => a * b, 1) * 4);
      }
    });
  }

  it('flatten of a non-contiguous tensor copies, contiguous() copies only when needed', () => {
    const tr = tracer();
    const x = act(tr, [3, 4, 5]);
    assert.equal(run(tr, 'contiguous', { input: x }), x);
    const t = run(tr, 'transpose', { input: x, dim0: 0, dim1: 2 });
    const f = run(tr, 'flatten', { input: t });
    assert.notEqual(f.storage, x.storage);
    assert.equal(f.storage.bytes, 3 * 4 * 5 * 4, 'a [3, 4, 5] float32 copy');
    const c = run(tr, 'contiguous', { input: t });
    assert.deepEqual([c.shape, c.strides], [[5, 4, 3], [12, 3, 1]]);
    assert.equal(c.storage.bytes, 3 * 4 * 5 * 4);
  });
});

describe('kernels: saved tensors', () => {
  // Each row: the saved activation bytes (unique storages, params excluded) and which tensors.
  type Row = { name: string; ctx?: Partial<KernelContext>; build: (tr: Tracer) => { out: Tensor; x: Tensor }; bytes: number; check?: (tr: Tracer, r: { out: Tensor; x: Tensor }) => void };
  const rows: Row[] = [
    {
      // memory-model.md: ReLU saves its output.
      name: 'relu saves its output',
      build: (tr) => { const x = act(tr, [4, 8]); return { x, out: run(tr, 'relu', { input: x }) }; },
      bytes: 4 * 8 * 4,
      check: (tr, r) => assert.deepEqual(savedActivations(tr), [r.out.storage]),
    },
    {
      // memory-model.md: GELU (non-inplace) saves the input; mlp.truth.json: act2 saves 32×128×4.
      name: 'gelu saves its input',
      build: (tr) => { const x = act(tr, [32, 128]); return { x, out: run(tr, 'gelu', { input: x }) }; },
      bytes: 16384,
      check: (tr, r) => assert.deepEqual(savedActivations(tr), [r.x.storage]),
    },
    {
      name: 'silu saves its input',
      build: (tr) => { const x = act(tr, [3, 7]); return { x, out: run(tr, 'silu', { input: x }) }; },
      bytes: 84,
      check: (tr, r) => assert.deepEqual(savedActivations(tr), [r.x.storage]),
    },
    {
      // memory-model.md: relu_ saves its output, which is the input's storage.
      name: 'relu_ in place saves the input storage',
      build: (tr) => { const x = act(tr, [4, 8]); return { x, out: run(tr, 'relu_', { input: x }) }; },
      bytes: 128,
      check: (tr, r) => {
        assert.equal(r.out.storage, r.x.storage);
        assert.deepEqual(savedActivations(tr), [r.x.storage]);
        assert.equal(tr.ops[0].inplace, true);
      },
    },
    {
      // memory-model.md: dropout on CPU keeps a float noise tensor (4 bytes/element for fp32).
      name: 'dropout on cpu keeps fp32 noise of the input size',
      build: (tr) => { const x = act(tr, [4, 8]); return { x, out: run(tr, 'dropout', { input: x, p: 0.5, training: true }) }; },
      bytes: 4 * 8 * 4,
    },
    {
      // memory-model.md: on CUDA the fused kernel keeps a bool mask (1 byte/element).
      name: 'dropout on cuda keeps a bool mask',
      ctx: { device: 'cuda' },
      build: (tr) => { const x = act(tr, [4, 8]); return { x, out: run(tr, 'dropout', { input: x, p: 0.5, training: true }) }; },
      bytes: 32,
    },
    {
      name: 'dropout in eval is the identity',
      build: (tr) => { const x = act(tr, [4, 8]); return { x, out: run(tr, 'dropout', { input: x, p: 0.5, training: false }) }; },
      bytes: 0,
      check: (_tr, r) => assert.equal(r.out, r.x),
    },
    {
      // memory-model.md: MaxPool saves the input and int64 indices of the output's size.
      name: 'max_pool2d saves the input and int64 indices',
      build: (tr) => { const x = act(tr, [2, 4, 8, 8]); return { x, out: run(tr, 'max_pool2d', { input: x, kernel_size: 2 }) }; },
      bytes: 2 * 4 * 8 * 8 * 4 + 2 * 4 * 4 * 4 * 8,
      check: (tr) => assert.deepEqual(savedActivations(tr).map((s) => s.dtype), ['float32', 'int64']),
    },
    {
      // memory-model.md: BatchNorm (training) saves the input plus save_mean/save_invstd (fp32, per channel).
      name: 'batch_norm in training saves input + 2×C×4',
      build: (tr) => {
        const x = act(tr, [4, 3, 5, 5]);
        const buf = () => tr.newTensor([3], 'float32', false, 'buffer');
        return { x, out: run(tr, 'batch_norm', { input: x, running_mean: buf(), running_var: buf(), weight: param(tr, [3]), bias: param(tr, [3]), training: true }) };
      },
      bytes: 4 * 3 * 5 * 5 * 4 + 2 * 3 * 4,
      check: (tr) => assert.deepEqual(savedActivations(tr).slice(1).map((s) => [s.dtype, s.bytes]), [['float32', 12], ['float32', 12]]),
    },
    {
      // memory-model.md: LayerNorm saves the input plus per-row mean/rstd.
      name: 'layer_norm saves input + mean/rstd of shape [*lead, 1]',
      build: (tr) => { const x = act(tr, [2, 5, 8]); return { x, out: run(tr, 'layer_norm', { input: x, normalized_shape: [8], weight: param(tr, [8]), bias: param(tr, [8]) }) }; },
      bytes: 2 * 5 * 8 * 4 + 2 * (2 * 5 * 4),
    },
    {
      name: 'layer_norm over the last two dims: stats of shape [2, 1, 1]',
      build: (tr) => { const x = act(tr, [2, 5, 8]); return { x, out: run(tr, 'layer_norm', { input: x, normalized_shape: [5, 8], weight: null, bias: null }) }; },
      bytes: 2 * 5 * 8 * 4 + 2 * (2 * 4),
    },
    {
      // elementwise.ts cites the measurement: `att * scale` keeps an 8-byte wrapped scalar (1.13 CPU).
      name: 'mul by a python scalar saves 8 bytes',
      build: (tr) => { const x = act(tr, [16, 16]); return { x, out: run(tr, 'mul', { input: x, other: 0.125 }) }; },
      bytes: 8,
    },
    {
      name: 'mul of two activations saves both',
      build: (tr) => { const x = act(tr, [4, 4]); return { x, out: run(tr, 'mul', { input: x, other: act(tr, [4]) }) }; },
      bytes: 64 + 16,
    },
    {
      name: 'add of two activations saves nothing',
      build: (tr) => { const x = act(tr, [4, 4]); return { x, out: run(tr, 'add', { input: x, other: act(tr, [4, 4]) }) }; },
      bytes: 0,
    },
    {
      // pooling.ts: mean's backward referenced self before 2.0 (measured: 1.13 CPU keeps the input).
      name: 'mean on torch 1.13 saves the input',
      build: (tr) => { const x = act(tr, [6, 10]); return { x, out: run(tr, 'mean', { input: x, dim: 1 }) }; },
      bytes: 240,
    },
    {
      name: 'mean on torch 2.5 saves nothing',
      ctx: { torch: [2, 5] },
      build: (tr) => { const x = act(tr, [6, 10]); return { x, out: run(tr, 'mean', { input: x, dim: 1 }) }; },
      bytes: 0,
    },
    {
      // memory-model.md: Linear saves the input (the weight is a parameter).
      name: 'linear on 2-D saves the input only',
      build: (tr) => { const x = act(tr, [8, 16]); return { x, out: run(tr, 'linear', { input: x, weight: param(tr, [32, 16]), bias: param(tr, [32]) }) }; },
      bytes: 8 * 16 * 4,
      check: (tr, r) => assert.deepEqual(savedActivations(tr), [r.x.storage]),
    },
    {
      name: 'linear on contiguous 3-D saves the input storage (flattened view)',
      build: (tr) => { const x = act(tr, [4, 5, 16]); return { x, out: run(tr, 'linear', { input: x, weight: param(tr, [32, 16]), bias: param(tr, [32]) }) }; },
      bytes: 4 * 5 * 16 * 4,
      check: (tr, r) => assert.deepEqual(savedActivations(tr), [r.x.storage]),
    },
    {
      // linear.ts: non-contiguous N-D input → matmul, whose reshape copies; mm saves the copy.
      name: 'linear on non-contiguous 3-D saves a contiguous copy',
      build: (tr) => {
        const base = act(tr, [5, 4, 16]);
        const x = run(tr, 'transpose', { input: base, dim0: 0, dim1: 1 });
        return { x, out: run(tr, 'linear', { input: x, weight: param(tr, [32, 16]), bias: param(tr, [32]) }) };
      },
      bytes: 4 * 5 * 16 * 4,
      check: (tr, r) => {
        const saved = savedActivations(tr);
        assert.equal(saved.length, 1);
        assert.notEqual(saved[0], r.x.storage, 'the copy, not the transposed input, is saved');
      },
    },
    {
      // memory-model.md: matmul saves both operands when they need grad.
      name: 'matmul of two activations saves both',
      build: (tr) => { const x = act(tr, [3, 5]); return { x, out: run(tr, 'matmul', { input: x, other: act(tr, [5, 6]) }) }; },
      bytes: 60 + 120,
    },
    {
      // memory-model.md: Conv saves its input (the weight is a parameter).
      name: 'conv2d saves its input',
      build: (tr) => { const x = act(tr, [2, 3, 32, 32]); return { x, out: run(tr, 'conv2d', { input: x, weight: param(tr, [16, 3, 3, 3]), bias: param(tr, [16]) }) }; },
      bytes: 2 * 3 * 32 * 32 * 4,
    },
    {
      // memory-model.md: Embedding saves the int64 indices.
      name: 'embedding saves the int64 indices',
      build: (tr) => { const x = tr.newTensor([4, 10], 'int64', false, 'activation'); return { x, out: run(tr, 'embedding', { input: x, weight: param(tr, [100, 8]) }) }; },
      bytes: 4 * 10 * 8,
    },
    {
      // memory-model.md: cross_entropy = log_softmax (saves N×C output) + nll_loss (target, total_weight);
      // loss.ts: total_weight is 0-dim of the input dtype (measured 4 bytes, 1.13 CPU).
      name: 'cross_entropy saves log-probs, target and a 4-byte total_weight',
      build: (tr) => { const x = act(tr, [8, 10]); return { x, out: run(tr, 'cross_entropy', { input: x, target: tr.newTensor([8], 'int64', false, 'activation') }) }; },
      bytes: 8 * 10 * 4 + 8 * 8 + 4,
    },
    {
      name: 'nothing is saved with grad disabled',
      ctx: { gradEnabled: false },
      build: (tr) => { const x = act(tr, [4, 8]); return { x, out: run(tr, 'relu', { input: x }) }; },
      bytes: 0,
    },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const tr = tracer(r.ctx);
      const res = r.build(tr);
      assert.equal(savedBytes(tr), r.bytes);
      r.check?.(tr, res);
    });
  }

  it('relu_ after conv: the pair saves one tensor (storages count once)', () => {
    // memory-model.md: relu_ saves its output, the same storage the next conv saves as input.
    const tr = tracer();
    const x = act(tr, [1, 3, 8, 8]);
    const c1 = run(tr, 'conv2d', { input: x, weight: param(tr, [4, 3, 3, 3]), bias: null, padding: 1 });
    const r = run(tr, 'relu_', { input: c1 });
    run(tr, 'conv2d', { input: r, weight: param(tr, [4, 4, 3, 3]), bias: null, padding: 1 });
    assert.equal(savedBytes(tr), 1 * 3 * 8 * 8 * 4 + 1 * 4 * 8 * 8 * 4);
  });
});

describe('kernels: constraint errors name the operator and the sizes', () => {
  const cases: { name: string; build: (tr: Tracer) => unknown; message: RegExp }[] = [
    {
      name: 'conv2d channel mismatch',
      build: (tr) => run(tr, 'conv2d', { input: act(tr, [1, 4, 8, 8]), weight: param(tr, [8, 3, 3, 3]), bias: null }),
      message: /^conv2d: expected input with 3 channels .* got 4/,
    },
    {
      name: 'conv2d grouped channel mismatch',
      build: (tr) => run(tr, 'conv2d', { input: act(tr, [1, 6, 8, 8]), weight: param(tr, [8, 2, 3, 3]), bias: null, groups: 2 }),
      message: /^conv2d: expected input with 4 channels \(weight \[8, 2, 3, 3\], groups=2\), got 6/,
    },
    {
      name: 'conv2d input smaller than the kernel',
      build: (tr) => run(tr, 'conv2d', { input: act(tr, [1, 3, 2, 2]), weight: param(tr, [8, 3, 3, 3]), bias: null }),
      message: /^conv2d: input \[1, 3, 2, 2\] is smaller than the kernel/,
    },
    {
      name: 'conv2d wrong rank',
      build: (tr) => run(tr, 'conv2d', { input: act(tr, [3, 8]), weight: param(tr, [8, 3, 3, 3]), bias: null }),
      message: /^conv2d: expected 3-D \(unbatched\) or 4-D \(batched\) input, got shape \[3, 8\]/,
    },
    {
      name: 'linear in_features mismatch',
      build: (tr) => run(tr, 'linear', { input: act(tr, [4, 12]), weight: param(tr, [5, 10]), bias: null }),
      message: /^linear: input's last dimension 12 does not match in_features 10/,
    },
    {
      name: 'matmul inner dims',
      build: (tr) => run(tr, 'matmul', { input: act(tr, [2, 3]), other: act(tr, [4, 5]) }),
      message: /^matmul: cannot multiply \[2, 3\] by \[4, 5\]/,
    },
    {
      name: 'matmul 3-D @ 2-D inner dims',
      build: (tr) => run(tr, 'matmul', { input: act(tr, [7, 4, 5]), other: act(tr, [6, 2]) }),
      message: /^matmul: cannot multiply \[7, 4, 5\] by \[6, 2\]/,
    },
    {
      name: 'matmul 1-D @ 2-D inner dims',
      build: (tr) => run(tr, 'matmul', { input: act(tr, [3]), other: act(tr, [4, 2]) }),
      message: /^matmul: cannot multiply \[3\] by \[4, 2\]/,
    },
    {
      name: 'matmul batch dims do not broadcast',
      build: (tr) => run(tr, 'matmul', { input: act(tr, [3, 2, 4]), other: act(tr, [2, 4, 5]) }),
      message: /^matmul: batch dimensions of \[3, 2, 4\] and \[2, 4, 5\] do not broadcast/,
    },
    {
      name: 'cat sizes differ outside the dim',
      build: (tr) => run(tr, 'cat', { tensors: [act(tr, [2, 3]), act(tr, [3, 3])], dim: 1 }),
      message: /^cat: sizes of tensors must match except in dimension 1: \[2, 3\] vs \[3, 3\]/,
    },
    {
      name: 'reshape to an impossible size',
      build: (tr) => run(tr, 'reshape', { input: act(tr, [4, 6]), shape: [5, -1] }),
      message: /^reshape: shape \[5, -1\] is invalid for input of size 24/,
    },
    {
      name: 'view to a wrong element count',
      build: (tr) => run(tr, 'view', { input: act(tr, [4, 6]), size: [5, 5] }),
      message: /^view: shape \[5, 5\] is invalid for input of size 24/,
    },
    {
      name: 'batch_norm parameter channels',
      build: (tr) => run(tr, 'batch_norm', { input: act(tr, [4, 3, 5, 5]), running_mean: null, running_var: null, weight: param(tr, [4]), bias: null, training: true }),
      message: /^batch_norm: expected 3 channels/,
    },
    {
      name: 'batch_norm with one value per channel in training',
      build: (tr) => run(tr, 'batch_norm', { input: act(tr, [1, 3]), running_mean: null, running_var: null, weight: null, bias: null, training: true }),
      message: /^batch_norm: expected more than 1 value per channel/,
    },
    {
      name: 'layer_norm shape not at the end',
      build: (tr) => run(tr, 'layer_norm', { input: act(tr, [2, 5, 8]), normalized_shape: [5], weight: null, bias: null }),
      message: /^layer_norm: normalized_shape \[5\] does not match the end of input shape \[2, 5, 8\]/,
    },
    {
      name: 'embedding with float indices',
      build: (tr) => run(tr, 'embedding', { input: act(tr, [4]), weight: param(tr, [10, 3]) }),
      message: /^embedding: expected integer indices/,
    },
    {
      name: 'transpose dim out of range',
      build: (tr) => run(tr, 'transpose', { input: act(tr, [2, 3]), dim0: 0, dim1: 2 }),
      message: /^transpose: dimension 2 out of range for a tensor of rank 2/,
    },
    {
      name: 'permute with a repeated dim',
      build: (tr) => run(tr, 'permute', { input: act(tr, [2, 3]), dims: [1, 1] }),
      message: /^permute: repeated dim/,
    },
    {
      name: 'add shapes that do not broadcast',
      build: (tr) => run(tr, 'add', { input: act(tr, [2, 3]), other: act(tr, [4]) }),
      message: /^add: shapes \[2, 3\] and \[4\] cannot be broadcast/,
    },
    {
      name: 'max_pool2d padding over half the kernel',
      build: (tr) => run(tr, 'max_pool2d', { input: act(tr, [1, 1, 8, 8]), kernel_size: 2, padding: 2 }),
      message: /^max_pool2d: pad should be at most half of effective kernel size, but got pad=2, kernel_size=2/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const tr = tracer();
      assert.throws(() => c.build(tr), (e: unknown) => {
        assert.ok(e instanceof KernelError, `a KernelError, got ${String(e)}`);
        assert.match(e.message, c.message);
        return true;
      });
    });
  }
});

describe('kernels: version- and device-dependent rules (kernels/VERSIONS.md)', () => {
  it('relu6 in place keeps a copy of its input; leaky_relu in place keeps its result (measured, 1.13 CPU)', () => {
    const tr = tracer();
    const x = act(tr, [2, 8]);
    run(tr, 'relu6', { input: x, inplace: true });
    assert.equal(savedBytes(tr), 2 * 8 * 4);
    assert.ok(!savedActivations(tr).includes(x.storage), 'a separate copy');
    const tr2 = tracer();
    const y = act(tr2, [2, 8]);
    run(tr2, 'leaky_relu', { input: y, inplace: true });
    assert.deepEqual(savedActivations(tr2), [y.storage]);
  });
  it('scaled_dot_product_attention does not exist in 1.13', () => {
    const tr = tracer();
    const q = act(tr, [2, 4, 16, 8]);
    assert.throws(() => run(tr, 'scaled_dot_product_attention', { query: q, key: q, value: q }), (e: unknown) => e instanceof KernelError && /PyTorch 1\.13/.test(e.message));
  });
  it('scaled_dot_product_attention on CUDA 2.x keeps q, k, v, out and a float32 logsumexp', () => {
    const tr = tracer({ device: 'cuda', torch: [2, 5] });
    const [q, k, v] = [act(tr, [2, 4, 16, 8]), act(tr, [2, 4, 16, 8]), act(tr, [2, 4, 16, 8])];
    run(tr, 'scaled_dot_product_attention', { query: q, key: k, value: v });
    assert.equal(savedBytes(tr), 4 * (2 * 4 * 16 * 8 * 4) + 2 * 4 * 16 * 4);
  });
  it('scaled_dot_product_attention on CPU 2.x (math path) keeps the L×S probabilities', () => {
    const tr = tracer({ torch: [2, 1] });
    const q = act(tr, [1, 2, 16, 8]);
    run(tr, 'scaled_dot_product_attention', { query: q, key: act(tr, [1, 2, 16, 8]), value: act(tr, [1, 2, 16, 8]) });
    assert.ok(savedBytes(tr) >= 1 * 2 * 16 * 16 * 4);
  });
  it('einsum refuses a label summed within one operand', () => {
    const tr = tracer();
    assert.throws(() => run(tr, 'einsum', { equation: 'ij,jk->i', tensors: [act(tr, [2, 3]), act(tr, [3, 4])] }), /einsum: subscript 'k' is summed/);
  });
  it('interpolate: bilinear output size, nothing saved; bicubic on 3-D input is refused', () => {
    const tr = tracer();
    const out = run(tr, 'interpolate', { input: act(tr, [1, 3, 5, 7]), size: null, scale_factor: 2, mode: 'bilinear' });
    assert.deepEqual(out.shape, [1, 3, 10, 14]);
    assert.equal(savedBytes(tr), 0);
    assert.throws(() => run(tr, 'interpolate', { input: act(tr, [1, 3, 5]), size: 4, mode: 'bicubic' }), /interpolate: mode 'bicubic' expects 4-D input/);
  });
  it('conv_transpose2d: (in-1)s - 2p + d(k-1) + output_padding + 1', () => {
    const tr = tracer();
    const out = run(tr, 'conv_transpose2d', { input: act(tr, [2, 4, 6, 6]), weight: param(tr, [4, 3, 3, 3]), stride: 2, padding: 1, output_padding: 1 });
    assert.deepEqual(out.shape, [2, 3, 12, 12]);
  });
  it('group_norm refuses groups that do not divide the channels', () => {
    const tr = tracer();
    assert.throws(() => run(tr, 'group_norm', { input: act(tr, [2, 6, 4, 4]), num_groups: 4 }), /group_norm: num_groups \(4\) must divide/);
  });
});

/** Runs aten `overload` through its row with schema-named arguments. */
function aten(tr: Tracer, overload: string, args: Record<string, unknown>): unknown {
  const row = atenRow(overload);
  assert.ok(row, `'${overload}' is in the op table`);
  return row.run(tr, args, { name: `aten.${overload}`, aten: overload });
}

/** Runs a Python-level row (`torch.norm`, `torch.lu`) with Python-named arguments. */
function python(tr: Tracer, name: string, args: Record<string, unknown>): unknown {
  const row = tableRow(name);
  assert.ok(row?.kind === 'op', `'${name}' is in the op table`);
  return row.run(tr, args, { name, aten: null });
}

const CPU_213: Partial<KernelContext> = { torch: [2, 13] };
const CPU_214: Partial<KernelContext> = { torch: [2, 14] };

// Facts measured on PyTorch 1.13, 2.13 and 2.14 CPU with saved_tensors_hooks and a dispatch
// trace (output shapes and strides, the storages autograd saved), as in test/fixtures/ops/probes-*.json.
describe('kernels: torch.linalg', () => {
  it('svd with full matrices: column-major U [2,3,3] and Vh [2,5,5], all three saved', () => {
    const tr = tracer();
    const [U, S, Vh] = aten(tr, 'linalg_svd', { A: act(tr, [2, 3, 5]) }) as Tensor[];
    assert.deepEqual([U.shape, U.strides, S.shape, Vh.shape, Vh.strides], [[2, 3, 3], [9, 1, 3], [2, 3], [2, 5, 5], [25, 1, 5]]);
    assert.equal(savedBytes(tr), (18 + 6 + 50) * 4);
  });
  it('svdvals keeps the U and Vh it drops when the input needs grad, and computes none without', () => {
    const tr = tracer();
    const S = aten(tr, 'linalg_svdvals', { A: act(tr, [5, 3]) }) as Tensor;
    assert.deepEqual(S.shape, [3]);
    assert.equal(savedBytes(tr), 60 + 12 + 36);
    const tr2 = tracer();
    aten(tr2, 'linalg_svdvals', { A: tr2.newTensor([5, 3], 'float32', false, 'activation') });
    assert.deepEqual(tr2.ops[0].outputs.map((t) => t.shape), [[0], [3], [0]]);
  });
  it('det keeps A, the LU factors (column-major) and int32 pivots, and the result', () => {
    const tr = tracer();
    const d = aten(tr, 'linalg_det', { A: act(tr, [2, 4, 4]) }) as Tensor;
    assert.deepEqual(d.shape, [2]);
    assert.deepEqual(tr.ops[0].outputs[1].strides, [16, 1, 4]);
    assert.equal(savedBytes(tr), 128 + 128 + 32 + 8);
  });
  it('logdet is slogdet then where(sign == -1, nan, logabsdet): keeps A, LU, pivots, the sign and the bool mask', () => {
    const tr = tracer();
    aten(tr, 'logdet', { self: act(tr, [4, 4]) });
    assert.equal(savedBytes(tr), 64 + 64 + 16 + 4 + 1);
    assert.deepEqual(tr.ops.map((o) => o.kind), ['_linalg_slogdet', 'eq.Scalar', 'scalar_tensor', 'where.self']);
  });
  it('solve with a batched matrix and a vector: [2,4] laid out column-major; keeps A, LU, pivots, the result', () => {
    const tr = tracer();
    const X = aten(tr, 'linalg_solve', { A: act(tr, [2, 4, 4]), B: act(tr, [4]) }) as Tensor;
    assert.deepEqual([X.shape, X.strides], [[2, 4], [1, 2]]);
    assert.equal(savedBytes(tr), 128 + 128 + 32 + 32);
    assert.throws(() => aten(tracer(), 'linalg_solve', { A: act(tracer(), [3, 4, 4]), B: act(tracer(), [3, 4]), left: false }), /Vector broadcasting/);
  });
  it('lu_unpack keeps LU_data in 1.13 and nothing in 2.x; P has no gradient', () => {
    for (const [ctx, bytes] of [[{}, 64], [CPU_214, 0]] as const) {
      const tr = tracer(ctx);
      const LU = act(tr, [4, 4]);
      const [P, L, U] = aten(tr, 'lu_unpack', { LU_data: LU, LU_pivots: tr.newTensor([4], 'int32', false, 'activation') }) as Tensor[];
      assert.deepEqual([P.requiresGrad, L.requiresGrad, U.shape], [false, true, [4, 4]]);
      assert.equal(savedBytes(tr), bytes);
    }
  });
  it('qr modes: reduced, complete, r (Q empty)', () => {
    const tr = tracer();
    const shapes = (mode: string) => (aten(tr, 'linalg_qr', { A: act(tr, [2, 5, 3]), mode }) as Tensor[]).map((t) => t.shape);
    assert.deepEqual(shapes('reduced'), [[2, 5, 3], [2, 3, 3]]);
    assert.deepEqual(shapes('complete'), [[2, 5, 5], [2, 5, 3]]);
    assert.deepEqual(shapes('r'), [[0], [2, 3, 3]]);
  });
  it('matrix_rank: the int64 rank, yet the SVD and the float64 tolerance steps keep their tensors', () => {
    const tr = tracer();
    const r = aten(tr, 'linalg_matrix_rank.atol_rtol_tensor', { input: act(tr, [5, 5]) }) as Tensor;
    assert.deepEqual([r.shape, r.dtype], [[], 'int64']);
    // probes: new [5], [5,5], [5,5] and three float64 [1].
    assert.equal(savedBytes(tr), 20 + 100 + 100 + 3 * 8);
  });
  it('norms: nuclear keeps the SVD; torch.norm in 1.13 runs aten::norm, in 2.x linalg_vector_norm', () => {
    const tr = tracer();
    const n = aten(tr, 'linalg_matrix_norm.str_ord', { self: act(tr, [2, 3, 4]), ord: 'nuc', keepdim: true }) as Tensor;
    assert.deepEqual(n.shape, [2, 1, 1]);
    assert.equal(savedBytes(tr), (18 + 6 + 24) * 4);
    for (const [ctx, kind] of [[{}, 'norm.ScalarOpt_dim'], [CPU_214, 'linalg_vector_norm']] as const) {
      const t = tracer(ctx);
      python(t, 'torch.norm', { input: act(t, [3, 4]), p: 3 });
      assert.deepEqual(t.ops.map((o) => o.kind), [kind]);
    }
  });
  it('eig of a real matrix is complex; eigvals keeps the eigenvectors when the input needs grad', () => {
    const tr = tracer();
    const w = aten(tr, 'linalg_eigvals', { self: act(tr, [2, 4, 4]) }) as Tensor;
    assert.deepEqual([w.shape, w.dtype], [[2, 4], 'complex64']);
    assert.equal(savedBytes(tr), 2 * 4 * 8 + 2 * 16 * 8);
  });
  it('lstsq: the solution is the first n rows of a column-major [max(m, n), k] buffer', () => {
    const tr = tracer();
    const [X, res, rank, sv] = aten(tr, 'linalg_lstsq', { self: act(tr, [5, 3]), b: act(tr, [5, 2]) }) as Tensor[];
    assert.deepEqual([X.shape, X.strides, X.storage.bytes, res.shape, rank.shape, sv.shape], [[3, 2], [1, 5], 40, [0], [], [0]]);
    assert.throws(() => aten(tracer(), 'linalg_lstsq', { self: act(tracer(), [5, 3]), b: act(tracer(), [5, 2]), driver: 'gelsd' }), /depends on the values/);
  });
});

describe('kernels: products', () => {
  it('addmv keeps the matrix and the vector; addr_ writes into self', () => {
    const tr = tracer();
    const y = aten(tr, 'addmv', { self: act(tr, [1]), mat: act(tr, [3, 4]), vec: act(tr, [4]) }) as Tensor;
    assert.deepEqual(y.shape, [3]);
    assert.equal(savedBytes(tr), 48 + 16);
    const self = act(tr, [3, 4]);
    assert.equal((aten(tr, 'addr_', { self, vec1: act(tr, [3]), vec2: act(tr, [4]) }) as Tensor).storage, self.storage);
  });
  it('addbmm_ on a broadcastable self makes a new tensor (probes: not a view of self)', () => {
    const tr = tracer();
    const self = act(tr, [1]);
    const y = aten(tr, 'addbmm_', { self, batch1: act(tr, [5, 5, 5]), batch2: act(tr, [5, 5, 10]) }) as Tensor;
    assert.deepEqual(y.shape, [5, 10]);
    assert.notEqual(y.storage, self.storage);
  });
  it('kron views both inputs with interleaved ones and multiplies them: both kept', () => {
    const tr = tracer();
    const y = aten(tr, 'kron', { self: act(tr, [2, 3]), other: act(tr, [4, 5]) }) as Tensor;
    assert.deepEqual(y.shape, [8, 15]);
    assert.equal(savedBytes(tr), 24 + 80);
  });
  it('inner of two vectors: mm of [1,k]·[k,1] in 1.13, dot in 2.x', () => {
    for (const [ctx, kind] of [[{}, 'mm'], [CPU_213, 'dot']] as const) {
      const tr = tracer(ctx);
      const y = aten(tr, 'inner', { self: act(tr, [4]), other: act(tr, [4]) }) as Tensor;
      assert.deepEqual(y.shape, []);
      assert.deepEqual(tr.ops.map((o) => o.kind), [kind]);
    }
  });
});

describe('kernels: torch.fft and complex tensors', () => {
  it('rfft keeps its input; 1.13 writes contiguous outputs, 2.x puts the transformed dim innermost', () => {
    for (const [ctx, strides] of [[{}, [18, 6, 1]], [CPU_214, [18, 1, 3]]] as const) {
      const tr = tracer(ctx);
      const y = aten(tr, 'fft_rfft', { self: act(tr, [3, 5, 6]), dim: 1 }) as Tensor;
      assert.deepEqual([y.shape, y.dtype, y.strides], [[3, 3, 6], 'complex64', strides]);
      assert.equal(savedBytes(tr), 90 * 4);
    }
  });
  it('irfft promotes a real input to complex and returns 2(n-1) real points', () => {
    const tr = tracer();
    const y = aten(tr, 'fft_irfft', { self: act(tr, [5, 6]) }) as Tensor;
    assert.deepEqual([y.shape, y.dtype], [[5, 10], 'float32']);
    assert.deepEqual(tr.ops.map((o) => o.kind), ['_to_copy', '_fft_c2r']);
  });
  it('ifft of a real input is a lazily conjugated view; abs keeps that view and resolves it only as scratch (measured, 2.14)', () => {
    const tr = tracer(CPU_214);
    const z = aten(tr, 'fft_ifft', { self: act(tr, [5, 6]) }) as Tensor;
    assert.equal(z.conj, true);
    const a = aten(tr, 'abs', { self: z }) as Tensor;
    assert.equal(a.dtype, 'float32');
    const abs = tr.ops[tr.ops.length - 1];
    assert.deepEqual([abs.saved, abs.workspaceBytes], [[z.storage], 240]);
    assert.equal(savedBytes(tr), 120 + 240);
    // mm reads it as it is: no scratch copy.
    aten(tr, 'mm', { self: z, mat2: tr.newTensor([6, 3], 'complex64', true, 'activation') });
    assert.equal(tr.ops[tr.ops.length - 1].workspaceBytes, 0);
  });
  it('view_as_real is a float view of the same storage; polar keeps its complex output', () => {
    const tr = tracer();
    const z = aten(tr, 'polar', { abs: act(tr, [5, 6]), angle: act(tr, [6]) }) as Tensor;
    assert.deepEqual([z.shape, z.dtype], [[5, 6], 'complex64']);
    assert.equal(savedBytes(tr), 240);
    const r = aten(tr, 'view_as_real', { self: z }) as Tensor;
    assert.deepEqual([r.shape, r.strides, r.dtype, r.storage === z.storage], [[5, 6, 2], [12, 2, 1], 'float32', true]);
  });
  it('complex promotion: complex64 with float64 is complex128; relu refuses complex operands', () => {
    const tr = tracer();
    const z = tr.newTensor([3], 'complex64', true, 'activation');
    const y = aten(tr, 'mul.Tensor', { self: z, other: tr.newTensor([3], 'float64', true, 'activation') }) as Tensor;
    assert.equal(y.dtype, 'complex128');
    assert.throws(() => aten(tr, 'relu', { self: z }), /complex64 operands are not modelled/);
  });
});

describe('kernels: statistics', () => {
  it('cov keeps the centered input and two int64 scalars (1.13)', () => {
    const tr = tracer();
    const c = aten(tr, 'cov', { self: act(tr, [3, 5]) }) as Tensor;
    assert.deepEqual(c.shape, [3, 3]);
    assert.equal(savedBytes(tr), 60 + 8 + 8);
  });
  it('nanmean keeps the input and the int64 count', () => {
    const tr = tracer();
    aten(tr, 'nanmean', { self: act(tr, [3, 5]), dim: [1], keepdim: true });
    assert.equal(savedBytes(tr), 60 + 24);
  });
  it('quantile: 2.13 sorts (keeps indices, sorted values, ranks, weights); 2.14 selects from the input (measured)', () => {
    const args = (tr: Tracer) => ({ self: act(tr, [3, 5]), q: 0.3, dim: 1, keepdim: true });
    const t13 = tracer(CPU_213);
    const y = aten(t13, 'quantile.scalar', args(t13)) as Tensor;
    assert.deepEqual(y.shape, [3, 1]);
    assert.equal(savedBytes(t13), 120 + 60 + 24 + 24 + 12);
    const t14 = tracer(CPU_214);
    aten(t14, 'quantile.scalar', args(t14));
    assert.equal(savedBytes(t14), 60 + 48 + 12);
  });
  it('histc has no gradient; cummax keeps self and its int64 indices', () => {
    const tr = tracer();
    assert.equal((aten(tr, 'histc', { self: act(tr, [3, 5]), bins: 7 }) as Tensor).requiresGrad, false);
    const [, idx] = aten(tr, 'cummax', { self: act(tr, [3, 5]), dim: 1 }) as Tensor[];
    assert.equal(idx.dtype, 'int64');
    assert.equal(savedBytes(tr), 60 + 120);
  });
});

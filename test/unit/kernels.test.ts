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

// ── nn layer families added with the layers branch: numbers are measured with
// saved_tensors_hooks on CPU (the probes in test/fixtures/ops/probes-<release>.json, whose
// hand-written cases come from test/groundtruth/probe_ops.py, or the measurement quoted).

/** An integer tensor that is not an activation (indices, targets, lengths), with known values when given. */
function ints(tr: Tracer, shape: number[], values?: number[]): Tensor {
  const t = tr.newTensor(shape, 'int64', false, 'input');
  return values ? { ...t, values } : t;
}

/** Runs a table row by its full name (`F.x`, `aten.x`, `nn.X` excluded) and returns every output. */
function runAll(tr: Tracer, name: string, args: Record<string, unknown>): Tensor[] {
  const row = tableRow(name);
  assert.ok(row?.kind === 'op', `'${name}' is in the op table`);
  const out = row.run(tr, args, { name, aten: name.startsWith('aten.') ? name.slice(5) : null });
  return (Array.isArray(out) ? out : [out]) as Tensor[];
}

describe('kernels: losses composed of other ops', () => {
  it('cosine_embedding_loss keeps both inputs, the three magnitudes, the sums, the clamp copy and the two masks (248 B)', () => {
    // 1.13 and 2.14 CPU, inputs [4, 5], target [4]: 2 × 80 + 5 × 16 + 2 × 4 bytes.
    const tr = tracer();
    const out = runAll(tr, 'F.cosine_embedding_loss', { input1: act(tr, [4, 5]), input2: act(tr, [4, 5]), target: ints(tr, [4]) })[0];
    assert.deepEqual(out.shape, []);
    assert.equal(savedBytes(tr), 248);
  });
  it('gaussian_nll_loss with a [4, 1] variance keeps its clamped copy, input − target and its square (2.14: 176 B; 1.13 adds the 8-byte 0.5)', () => {
    for (const [torch, bytes] of [[[2, 14], 176], [[1, 13], 184]] as const) {
      const tr = tracer({ torch });
      run(tr, 'gaussian_nll_loss', { input: act(tr, [4, 5]), target: act(tr, [4, 5]), var: act(tr, [4, 1]), full: true });
      assert.equal(savedBytes(tr), bytes, `PyTorch ${torch.join('.')}`);
    }
  });
  it('ctc_loss keeps log_alpha [B, T, 2·max(target_lengths)+1] and the per-sequence loss; mean divides by a float copy of the lengths', () => {
    // log_probs [6, 2, 4], targets [2, 3], lengths (6, 5) / (3, 2): 192 + 8 + 336 + 8 bytes.
    const tr = tracer({ torch: [2, 14] });
    const out = runAll(tr, 'F.ctc_loss', { log_probs: act(tr, [6, 2, 4]), targets: ints(tr, [2, 3]), input_lengths: [6, 5], target_lengths: [3, 2] })[0];
    assert.deepEqual(out.shape, []);
    assert.equal(savedBytes(tr), 192 + 8 + 336 + 8);
    assert.ok(tr.ops.some((o) => o.kind === '_ctc_loss' && o.outputs[1].shape.join() === '2,6,7'));
    assert.throws(() => runAll(tracer(), 'F.ctc_loss', { log_probs: act(tr, [6, 2, 4]), targets: ints(tr, [2, 3]), input_lengths: ints(tr, [2]), target_lengths: ints(tr, [2]) }), /values of target_lengths/);
  });
  it('triplet_margin_with_distance_loss changed its arithmetic in 2.x (clamp vs clamp_min)', () => {
    const kinds = (torch: readonly [number, number]) => {
      const tr = tracer({ torch });
      run(tr, 'triplet_margin_with_distance_loss', { anchor: act(tr, [4, 5]), positive: act(tr, [4, 5]), negative: act(tr, [4, 5]) });
      return tr.ops.map((o) => o.kind);
    };
    assert.ok(kinds([1, 13]).includes('clamp') && !kinds([1, 13]).includes('clamp_min'));
    assert.ok(kinds([2, 14]).includes('clamp_min'));
  });
  it('soft_margin_loss refuses a target that requires grad (no derivative formula for it)', () => {
    const tr = tracer();
    assert.throws(() => run(tr, 'soft_margin_loss', { input: act(tr, [4, 5]), target: act(tr, [4, 5]) }), /not differentiable with respect to argument 'target'/);
  });
});

describe('kernels: pools with indices, unpooling, LP and fractional pools', () => {
  it('max_pool1d_with_indices runs the 2-d op on an unsqueezed view and keeps the input and the int64 indices', () => {
    // probes: F.max_pool1d_with_indices [2, 3, 8], k 2 → saved {arg 0, out 1}.
    const tr = tracer();
    const x = act(tr, [2, 3, 8]);
    const [out, idx] = runAll(tr, 'F.max_pool1d_with_indices', { input: x, kernel_size: 2 });
    assert.deepEqual([out.shape, idx.shape, idx.dtype], [[2, 3, 4], [2, 3, 4], 'int64']);
    assert.deepEqual(tr.ops.map((o) => o.kind), ['max_pool2d_with_indices']);
    assert.deepEqual(new Set(tr.ops[0].saved), new Set([x.storage, idx.storage]));
  });
  it('max_unpool2d keeps only the indices; max_unpool1d unsqueezes to the 2-d op', () => {
    const tr = tracer();
    const out = run(tr, 'max_unpool2d', { input: act(tr, [2, 3, 4, 4]), indices: ints(tr, [2, 3, 4, 4]), kernel_size: 2 });
    assert.deepEqual(out.shape, [2, 3, 8, 8]);
    assert.equal(savedBytes(tr), 0);
    assert.equal(tr.ops[0].saved.length, 1);
    const tr1 = tracer();
    assert.deepEqual(run(tr1, 'max_unpool1d', { input: act(tr1, [2, 3, 4]), indices: ints(tr1, [2, 3, 4]), kernel_size: 2, output_size: [9] }).shape, [2, 3, 9]);
    assert.throws(() => run(tracer(), 'max_unpool1d', { input: act(tr1, [2, 3, 4]), indices: ints(tr1, [2, 3, 4]), kernel_size: 2, output_size: [11] }), /invalid output_size/);
  });
  it('lp_pool2d keeps x, x^p, the pooled mean, sign, abs, relu (2.14: 1944·2 + 216·4 B); ±inf pools with max_pool from 2.x', () => {
    const tr = tracer({ torch: [2, 14] });
    assert.deepEqual(run(tr, 'lp_pool2d', { input: act(tr, [2, 3, 9, 9]), norm_type: 2, kernel_size: 3 }).shape, [2, 3, 3, 3]);
    assert.equal(savedBytes(tr), 2 * 1944 + 4 * 216);
    const tri = tracer({ torch: [2, 14] });
    run(tri, 'lp_pool2d', { input: act(tri, [2, 3, 9, 9]), norm_type: Infinity, kernel_size: 3 });
    assert.deepEqual(tri.ops.map((o) => o.kind), ['abs', 'max_pool2d_with_indices']);
  });
  it('fractional_max_pool2d draws rand(N, C, 2) and keeps the input and the indices', () => {
    // probes: [2, 3, 9, 9] → output 4: saved input 1944 B and int64 indices 768 B.
    const tr = tracer();
    assert.deepEqual(run(tr, 'fractional_max_pool2d', { input: act(tr, [2, 3, 9, 9]), kernel_size: 3, output_size: 4 }).shape, [2, 3, 4, 4]);
    assert.equal(savedBytes(tr), 1944 + 768);
    assert.deepEqual(tr.ops[0].outputs[0].shape, [2, 3, 2]);
  });
});

describe('kernels: fold / unfold', () => {
  it('unfold is im2col: [N, C·kh·kw, L]; 1.13 keeps the input, 2.x nothing', () => {
    for (const [torch, bytes] of [[[1, 13], 480], [[2, 14], 0]] as const) {
      const tr = tracer({ torch });
      assert.deepEqual(run(tr, 'unfold', { input: act(tr, [2, 3, 4, 5]), kernel_size: 2 }).shape, [2, 12, 12]);
      assert.equal(savedBytes(tr), bytes);
    }
  });
  it('fold is col2im and keeps nothing; a block count that does not match the output size is refused', () => {
    const tr = tracer();
    assert.deepEqual(run(tr, 'fold', { input: act(tr, [2, 12, 12]), output_size: [4, 5], kernel_size: 2 }).shape, [2, 3, 4, 5]);
    assert.equal(savedBytes(tr), 0);
    assert.throws(() => run(tr, 'fold', { input: act(tr, [2, 12, 11]), output_size: [4, 5], kernel_size: 2 }), /calculated number of sliding blocks/);
  });
});

describe('kernels: RNN cells', () => {
  const w = (tr: Tracer, gates: number) => ({ w_ih: param(tr, [gates * 4, 5]), w_hh: param(tr, [gates * 4, 4]), b_ih: param(tr, [gates * 4]), b_hh: param(tr, [gates * 4]) });
  it('lstm_cell on the CPU keeps input, h, the gates storage, c and tanh(c_t) (396 B)', () => {
    // 1.13 and 2.14 CPU, input [3, 5], hidden 4: 60 + 48 + 192 + 48 + 48 bytes.
    const tr = tracer();
    const [hy, cy] = runAll(tr, 'aten.lstm_cell', { input: act(tr, [3, 5]), hx: [act(tr, [3, 4]), act(tr, [3, 4])], ...w(tr, 4) });
    assert.deepEqual([hy.shape, cy.shape], [[3, 4], [3, 4]]);
    assert.equal(savedBytes(tr), 396);
  });
  it('gru_cell on the CPU keeps input, h, the hidden gates, two mul_ copies and the new gate (396 B)', () => {
    const tr = tracer();
    assert.deepEqual(runAll(tr, 'aten.gru_cell', { input: act(tr, [3, 5]), hx: act(tr, [3, 4]), ...w(tr, 3) })[0].shape, [3, 4]);
    assert.equal(savedBytes(tr), 60 + 48 + 144 + 3 * 48);
  });
  it('gru_cell on CUDA runs the fused kernel with a [B, 5H] workspace', () => {
    const tr = tracer({ device: 'cuda', torch: [2, 14] });
    runAll(tr, 'aten.gru_cell', { input: act(tr, [3, 5]), hx: act(tr, [3, 4]), ...w(tr, 3) });
    const fused = tr.ops.find((o) => o.kind === '_thnn_fused_gru_cell');
    assert.deepEqual(fused?.outputs[1].shape, [3, 20]);
  });
});

describe('kernels: lazy layers materialize their parameters at the first forward', () => {
  /** Runs a layer rule with a minimal host: parameters and buffers live in maps the rule fills. */
  function runLayer(tr: Tracer, name: string, cfg: Record<string, unknown>, args: unknown[]) {
    const row = tableRow(`nn.${name}`);
    assert.ok(row?.kind === 'layer');
    const params = new Map<string, Tensor | null>();
    const buffers = new Map<string, Tensor | null>();
    const register = (state: import('../../kernels/src').LayerState) => {
      for (const [p, shape] of state.params ?? []) params.set(p, shape ? param(tr, [...shape]) : null);
      for (const [b, shape, dtype] of state.buffers ?? []) buffers.set(b, shape ? tr.newTensor(shape, dtype, false, 'buffer') : null);
    };
    register(row.layer.build(cfg));
    const before = [...params.values()].filter(Boolean).length;
    const out = row.layer.forward(tr, {
      cfg, training: true, args, kwargs: {}, param: (p) => params.get(p) ?? null, buffer: (b) => buffers.get(b) ?? null,
      callChild: () => { throw new Error('no children'); }, childParam: () => null, callValue: () => { throw new Error('no callables'); }, initialize: register,
    }) as Tensor;
    return { out, params, buffers, before };
  }
  it('LazyLinear(7) on [4, 5]: weight [7, 5] and bias [7] appear at forward', () => {
    const tr = tracer();
    const r = runLayer(tr, 'LazyLinear', { out_features: 7, bias: true }, [act(tr, [4, 5])]);
    assert.equal(r.before, 0);
    assert.deepEqual([r.params.get('weight')?.shape, r.params.get('bias')?.shape, r.out.shape], [[7, 5], [7], [4, 7]]);
  });
  it('LazyConv1d takes in_channels from dim 0 of an unbatched input; LazyBatchNorm2d from dim 1', () => {
    const tr = tracer();
    const c = runLayer(tr, 'LazyConv1d', { out_channels: 4, kernel_size: 3, stride: 1, padding: 0, dilation: 1, groups: 1, bias: true, padding_mode: 'zeros' }, [act(tr, [3, 8])]);
    assert.deepEqual([c.params.get('weight')?.shape, c.out.shape], [[4, 3, 3], [4, 6]]);
    const b = runLayer(tr, 'LazyBatchNorm2d', { eps: 1e-5, momentum: 0.1, affine: true, track_running_stats: true }, [act(tr, [2, 3, 4, 4])]);
    assert.deepEqual([b.params.get('weight')?.shape, b.buffers.get('running_var')?.shape], [[3], [3]]);
  });
});

describe('kernels: embedding_bag', () => {
  // Measured on 1.13, 2.13 and 2.14 CPU (float32 weight [10, 5], 8 indices, offsets [0, 4]):
  // offset2bag int64 [8] in a 9-element storage (72 B) or empty on the fast sum path, bag_size
  // [2] (16 B), max_indices [2] (16 B) or [2, 5] for max (80 B).
  for (const [mode, bytes] of [['sum', 0 + 16 + 16], ['mean', 72 + 16 + 16], ['max', 72 + 16 + 80]] as const) {
    it(`mode=${mode}: the index outputs keep ${bytes} B`, () => {
      const tr = tracer();
      const out = run(tr, 'embedding_bag', { input: ints(tr, [8]), weight: param(tr, [10, 5]), offsets: ints(tr, [2]), mode });
      assert.deepEqual(out.shape, [2, 5]);
      assert.equal(savedBytes(tr), bytes);
    });
  }
  it('a padding_idx or a float64 weight leaves the fast sum path; include_last_offset sizes bag_size like the offsets', () => {
    const tr = tracer();
    run(tr, 'embedding_bag', { input: ints(tr, [8]), weight: param(tr, [10, 5]), offsets: ints(tr, [2]), mode: 'sum', padding_idx: 2 });
    assert.equal(savedBytes(tr), 72 + 16 + 16);
    const tr2 = tracer();
    assert.deepEqual(run(tr2, 'embedding_bag', { input: ints(tr2, [8]), weight: param(tr2, [10, 5]), offsets: ints(tr2, [3]), mode: 'sum', include_last_offset: true }).shape, [2, 5]);
    assert.equal(savedBytes(tr2), 24 + 16);
  });
  it('int32 indices give int32 index outputs (mean: 36 + 8 + 8 B, measured on 2.14 CPU); CUDA allocates them as EmbeddingBag.cu does', () => {
    const tr = tracer({ torch: [2, 14] });
    const i32 = (shape: number[]) => tr.newTensor(shape, 'int32', false, 'input');
    run(tr, 'embedding_bag', { input: i32([8]), weight: param(tr, [10, 5]), offsets: i32([2]), mode: 'mean' });
    assert.equal(savedBytes(tr), 36 + 8 + 8);
    const cu = tracer({ device: 'cuda', torch: [2, 14] });
    run(cu, 'embedding_bag', { input: ints(cu, [8]), weight: param(cu, [10, 5]), offsets: ints(cu, [2]), mode: 'sum' });
    assert.equal(savedBytes(cu), 64 + 16);
  });
});

describe('kernels: grid_sample / affine_grid', () => {
  it('grid_sample (4-D) is grid_sampler_2d → [N, C, Hg, Wg], keeping input and grid; 5-D is grid_sampler_3d', () => {
    const tr = tracer();
    const out = run(tr, 'grid_sample', { input: act(tr, [2, 3, 5, 6]), grid: act(tr, [2, 4, 7, 2]), align_corners: false });
    assert.deepEqual(out.shape, [2, 3, 4, 7]);
    assert.equal(savedBytes(tr), 720 + 448);
    const tr3 = tracer();
    assert.deepEqual(run(tr3, 'grid_sample', { input: act(tr3, [2, 3, 5, 6, 4]), grid: act(tr3, [2, 4, 7, 3, 3]), mode: 'nearest' }).shape, [2, 3, 4, 7, 3]);
    assert.equal(tr3.ops[0].kind, 'grid_sampler_3d');
    assert.throws(() => run(tracer(), 'grid_sample', { input: act(tr3, [2, 3, 5, 6, 4]), grid: act(tr3, [2, 4, 7, 3, 3]), mode: 'bicubic' }), /bicubic interpolation only supports 4D/);
  });
  it('affine_grid is affine_grid_generator → [N, H, W, 2] / [N, D, H, W, 3], keeping nothing', () => {
    const tr = tracer();
    assert.deepEqual(run(tr, 'affine_grid', { theta: act(tr, [2, 2, 3]), size: [2, 3, 5, 6], align_corners: false }).shape, [2, 5, 6, 2]);
    assert.deepEqual(run(tr, 'affine_grid', { theta: act(tr, [2, 3, 4]), size: [2, 3, 5, 6, 4], align_corners: false }).shape, [2, 5, 6, 4, 3]);
    assert.equal(savedBytes(tr), 0);
    assert.throws(() => run(tr, 'affine_grid', { theta: act(tr, [2, 2, 3]), size: [2, 3, 5, 6, 4] }), /Nx3x4/);
  });
});

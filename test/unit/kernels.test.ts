// Kernel rules (kernels/src) run on the real Tracer: output shapes by shape arithmetic, what each
// operator saves for backward (storages and bytes = numel × dtype size), and the KernelError
// messages of broken constraints. Facts about saved tensors cite /work/shared/memory-model.md or
// the measured truth files (PyTorch 1.13 CPU).
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DType, KernelContext, KernelError, Storage, Tensor, atenEntry, atenRow, getitem, schemaOf, tableRow, withPyFloats } from '../../kernels/src';
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

describe('kernels: CPU autocast to bfloat16 (common.ts autocastPolicy; measured on 1.13, 2.13, 2.14 CPU)', () => {
  const amp = (torch: [number, number], device: 'cpu' | 'cuda' = 'cpu') => tracer({ torch, device, autocast: 'bfloat16' });
  it('softmax stays bfloat16 on the CPU (its result, 2 bytes an element, is kept); CUDA runs it in float32', () => {
    for (const v of [[1, 13], [2, 14]] as [number, number][]) {
      const tr = amp(v);
      const out = run(tr, 'softmax', { input: act(tr, [2, 4, 8, 8], 'bfloat16'), dim: -1 });
      assert.equal(out.dtype, 'bfloat16');
      assert.equal(savedBytes(tr), 2 * 4 * 8 * 8 * 2);
    }
    const tr = amp([2, 14], 'cuda');
    assert.equal(run(tr, 'softmax', { input: act(tr, [2, 4, 8, 8], 'bfloat16'), dim: -1 }).dtype, 'float32');
  });
  it('SDPA with dropout (math path) computes in float32: q, kᵀ, the probabilities, the noise, v and the dropped probabilities, all float32', () => {
    const tr = amp([2, 14]);
    const [q, k, v] = [0, 1, 2].map(() => act(tr, [2, 4, 8, 16], 'bfloat16'));
    const out = run(tr, 'scaled_dot_product_attention', { query: q, key: k, value: v, dropout_p: 0.1, is_causal: true });
    assert.equal(out.dtype, 'bfloat16');
    // Measured on 2.13/2.14: [8,16,8], [8,8,16], [2,4,8,8] ×2, [8,8,16], [8,8,8], all float32.
    assert.equal(savedBytes(tr), 3 * (8 * 8 * 16 * 4) + 3 * (8 * 8 * 8 * 4));
  });
  it('SDPA without dropout (CPU flash kernel) keeps the bfloat16 q, k, v, output and a float32 logsumexp; float32 inputs are cast first', () => {
    const tr = amp([2, 14]);
    const [q, k, v] = [0, 1, 2].map(() => act(tr, [2, 4, 8, 16]));
    const out = run(tr, 'scaled_dot_product_attention', { query: q, key: k, value: v, is_causal: true });
    assert.equal(out.dtype, 'bfloat16');
    assert.equal(savedBytes(tr), 4 * (2 * 4 * 8 * 16 * 2) + 2 * 4 * 8 * 4);
  });
  it('layer_norm stays bfloat16: statistics bfloat16, or float32 with a float32 weight (2.x); 1.13 refuses the mix', () => {
    const tr = amp([2, 14]);
    assert.equal(run(tr, 'layer_norm', { input: act(tr, [4, 8], 'bfloat16'), normalized_shape: [8] }).dtype, 'bfloat16');
    assert.equal(savedBytes(tr), 4 * 8 * 2 + 2 * (4 * 2));
    const tr2 = amp([2, 14]);
    run(tr2, 'layer_norm', { input: act(tr2, [4, 8], 'bfloat16'), normalized_shape: [8], weight: param(tr2, [8]), bias: param(tr2, [8]) });
    assert.equal(savedBytes(tr2), 4 * 8 * 2 + 2 * (4 * 4));
    const tr3 = amp([1, 13]);
    assert.throws(() => run(tr3, 'layer_norm', { input: act(tr3, [4, 8], 'bfloat16'), normalized_shape: [8], weight: param(tr3, [8]), bias: param(tr3, [8]) }), /layer_norm: expected scalar type BFloat16 but found Float/);
  });
  it('transposed convolutions run in float32 in 1.13 and in bfloat16 from 2.0; dot and mv are not cast', () => {
    const x = (tr: Tracer) => run(tr, 'conv_transpose1d', { input: act(tr, [1, 2, 5]), weight: param(tr, [2, 3, 3]) });
    assert.equal(x(amp([1, 13])).dtype, 'float32');
    assert.equal(x(amp([2, 14])).dtype, 'bfloat16');
    const tr = amp([2, 14]);
    assert.equal(run(tr, 'dot', { input: act(tr, [8]), tensor: act(tr, [8]) }).dtype, 'float32');
    assert.equal(run(tr, 'mv', { input: act(tr, [4, 8]), vec: act(tr, [8]) }).dtype, 'float32');
  });
  it("autocast's weight cache: a whole weight is cast once per region, a slice of a packed weight at every use", () => {
    const tr = amp([2, 14]);
    const [w, packed, x] = [param(tr, [4, 4]), param(tr, [12, 4]), act(tr, [2, 4], 'bfloat16')];
    const slice = (i: number) => tr.view(packed, [4, 4], [4, 1], 16 * i);
    for (const weight of [w, w, slice(0), slice(1), slice(0)]) run(tr, 'linear', { input: x, weight, bias: null });
    // Measured on 1.13 and 2.14 CPU: the saved bfloat16 weights are 4 storages for these 5 calls.
    assert.equal(tr.ops.filter((o) => o.kind === '_to_copy').length, 4);
  });
  it('einsum is not cast itself: its bmm casts the permuted, reshaped 3-D operands', () => {
    const tr = amp([2, 14]);
    const out = run(tr, 'einsum', { equation: 'bhij,bhjk->bhik', tensors: [act(tr, [2, 3, 4, 8]), act(tr, [2, 3, 8, 5])] });
    assert.equal(out.dtype, 'bfloat16');
    assert.deepEqual(tr.ops.filter((o) => o.kind === '_to_copy').map((o) => o.inputs[0].shape), [[6, 4, 8], [6, 8, 5]]);
  });
});

describe('kernels: decompositions the per-op probes measured (test/fixtures/ops/probes-<release>.json)', () => {
  const R113: Partial<KernelContext> = { torch: [1, 13] };
  const R214: Partial<KernelContext> = { torch: [2, 14] };

  /** Runs aten `overload` (schema argument names) through its table row. */
  function aten(tr: Tracer, overload: string, args: Record<string, unknown>): unknown {
    const row = atenRow(overload);
    assert.ok(row, `aten.${overload} is in the op table`);
    return row.run(tr, args, { name: `aten.${overload}`, aten: overload });
  }

  /** Runs a Python-level row (`F.x`, `Tensor.x`) with Python argument names. */
  function py(tr: Tracer, name: string, args: Record<string, unknown>): unknown {
    const row = tableRow(name);
    assert.ok(row?.kind === 'op', `${name} is in the op table`);
    return row.run(tr, args, { name, aten: null });
  }

  /** The saved activation storages other than `args`, as sorted "bytes dtype" strings. */
  function newSaved(tr: Tracer, args: readonly Tensor[]): string[] {
    return savedActivations(tr).filter((s) => !args.some((a) => a.storage === s)).map((s) => `${s.bytes} ${s.dtype}`).sort();
  }

  /** A constant (no grad) with known elements. */
  function constant(tr: Tracer, shape: number[], dtype: DType, values: number[]): Tensor {
    return { ...tr.newTensor(shape, dtype, false, 'activation'), values };
  }

  it('var/std with dim and unbiased run .correction: var keeps self, std self and its result (torch.var#1, torch.std#1)', () => {
    for (const ctx of [R113, R214]) {
      const tr = tracer(ctx);
      const x = act(tr, [5, 5, 5]);
      const v = aten(tr, 'var.dim', { self: x, dim: [1], unbiased: true, keepdim: false }) as Tensor;
      assert.deepEqual(v.shape, [5, 5]);
      assert.deepEqual(savedActivations(tr), [x.storage]);
      const tr2 = tracer(ctx);
      const y = act(tr2, [5, 5]);
      const s = aten(tr2, 'std', { self: y, unbiased: false }) as Tensor;
      assert.deepEqual(savedActivations(tr2).sort((a, b) => a.bytes - b.bytes), [s.storage, y.storage]);
    }
  });

  it('isfinite keeps its input (abs) and returns bool (torch.isfinite#0)', () => {
    const tr = tracer(R214);
    const x = act(tr, [20]);
    const out = aten(tr, 'isfinite', { self: x }) as Tensor;
    assert.equal(out.dtype, 'bool');
    assert.deepEqual(savedActivations(tr), [x.storage]);
  });

  it('l1_loss keeps the difference; kl_div keeps exp(target) and target - input, or input and target (F.l1_loss#1, F.kl_div#0/#1)', () => {
    for (const ctx of [R113, R214]) {
      const tr = tracer(ctx);
      const [x, t] = [act(tr, [5]), act(tr, [5])];
      assert.deepEqual((py(tr, 'F.l1_loss', { input: x, target: t, reduction: 'mean' }) as Tensor).shape, []);
      assert.deepEqual(newSaved(tr, [x, t]), ['20 float32']);
      assert.equal(savedActivations(tr).length, 1);
      const tr2 = tracer(ctx);
      const [a, b] = [act(tr2, [2]), act(tr2, [2])];
      py(tr2, 'F.kl_div', { input: a, target: b, reduction: 'none', log_target: true });
      assert.deepEqual(newSaved(tr2, [a, b]), ['8 float32', '8 float32']);
      assert.equal(savedActivations(tr2).length, 2);
      const tr3 = tracer(ctx);
      const [c, d] = [act(tr3, [2]), act(tr3, [2])];
      py(tr3, 'F.kl_div', { input: c, target: d, reduction: 'mean', log_target: false });
      assert.deepEqual(savedActivations(tr3).sort((p, q) => p.id - q.id), [c.storage, d.storage].sort((p, q) => p.id - q.id));
    }
  });

  it('max_pool1d with indices runs the 2-d op on a view: keeps the input and the int64 indices (F.max_pool1d#0)', () => {
    const tr = tracer(R214);
    const x = act(tr, [1, 2, 3]);
    const [out, idx] = py(tr, 'F.max_pool1d', { input: x, kernel_size: 3, stride: 2, padding: 0, dilation: 1, ceil_mode: true, return_indices: true }) as Tensor[];
    assert.deepEqual([out.shape, idx.shape, idx.dtype], [[1, 2, 1], [1, 2, 1], 'int64']);
    assert.deepEqual(newSaved(tr, [x]), ['16 int64']);
    assert.ok(savedActivations(tr).includes(x.storage));
  });

  it('repeat_interleave with an int: 1.13 keeps an int64 index, 2.x nothing (torch.repeat_interleave#1)', () => {
    const tr = tracer(R113);
    const x = act(tr, [2, 3, 4]);
    assert.deepEqual((aten(tr, 'repeat_interleave.self_int', { self: x, repeats: 2, dim: null }) as Tensor).shape, [48]);
    assert.deepEqual(newSaved(tr, [x]), ['384 int64']);
    const tr2 = tracer(R214);
    const y = act(tr2, [2, 3, 4]);
    assert.deepEqual((aten(tr2, 'repeat_interleave.self_int', { self: y, repeats: 2, dim: 1 }) as Tensor).shape, [2, 6, 4]);
    assert.equal(savedBytes(tr2), 0);
  });

  it('frexp: an int32 exponent, which the backward keeps (torch.frexp#0)', () => {
    const tr = tracer(R214);
    const [m, e] = aten(tr, 'frexp.Tensor', { self: act(tr, [20]) }) as Tensor[];
    assert.deepEqual([m.dtype, e.dtype], ['float32', 'int32']);
    assert.deepEqual(savedActivations(tr), [e.storage]);
  });

  it('diff with n=0 is a copy; single-operand einsum sums its labels; nothing saved (torch.diff#1, torch.einsum#2)', () => {
    const tr = tracer(R214);
    const x = act(tr, [5]);
    const d = aten(tr, 'diff', { self: x, n: 0, dim: 0, prepend: null, append: null }) as Tensor;
    assert.notEqual(d.storage, x.storage);
    assert.deepEqual((py(tr, 'torch.einsum', { args: ['ij->i', [act(tr, [2, 3])]] }) as Tensor).shape, [2]);
    assert.deepEqual((py(tr, 'torch.einsum', { args: ['i->', act(tr, [3])] }) as Tensor).shape, []);
    assert.equal(savedBytes(tr), 0);
  });

  it('prelu keeps input and weight on 1.13 too (its own op there; F.prelu#3)', () => {
    const tr = tracer(R113);
    const [x, w] = [act(tr, [4]), param(tr, [1])];
    aten(tr, 'prelu', { self: x, weight: w });
    assert.deepEqual(savedActivations(tr), [x.storage]);
    assert.equal(tr.ops[tr.ops.length - 1].saved.length, 2);
  });

  it('ldexp on 1.13 is mul(self, pow(2., other)); in place with grad it is refused (torch.ldexp#2, Tensor.ldexp_#0)', () => {
    const tr = tracer(R113);
    const [x, o] = [act(tr, [5, 1]), act(tr, [5])];
    assert.deepEqual((aten(tr, 'ldexp.Tensor', { self: x, other: o }) as Tensor).shape, [5, 5]);
    assert.deepEqual(newSaved(tr, [x, o]), ['20 float32']);
    assert.ok(savedActivations(tr).includes(x.storage) && savedActivations(tr).includes(o.storage));
    assert.throws(() => aten(tracer(R113), 'ldexp_', { self: act(tr, [5]), other: act(tr, [5]) }), /out=\.\.\. arguments don't support automatic differentiation/);
  });

  it('cosine_similarity: 2.x keeps norms and their clamped clones, 1.13 the sqrt_ norms; both the normalized inputs (F.cosine_similarity#0)', () => {
    const tr = tracer(R214);
    const [a, b] = [act(tr, [5, 5]), act(tr, [5, 5])];
    assert.deepEqual((aten(tr, 'cosine_similarity', { x1: a, x2: b, dim: 1, eps: 1e-8 }) as Tensor).shape, [5]);
    assert.deepEqual(newSaved(tr, [a, b]), ['100 float32', '100 float32', '20 float32', '20 float32', '20 float32', '20 float32']);
    const tr2 = tracer(R113);
    const [c, d] = [act(tr2, [5, 5]), act(tr2, [5, 5])];
    aten(tr2, 'cosine_similarity', { x1: c, x2: d, dim: 1, eps: 1e-8 });
    assert.deepEqual(newSaved(tr2, [c, d]), ['100 float32', '100 float32', '20 float32', '20 float32']);
  });

  it('float_power_ needs a float64 self (Tensor.float_power_#0)', () => {
    const tr = tracer(R214);
    assert.throws(() => aten(tr, 'float_power_.Tensor', { self: act(tr, [5]), exponent: act(tr, [5]) }), /float_power_ has dtype Float but the operation's result requires dtype Double/);
  });

  it('scaled_dot_product_attention on 2.14 CPU: 3-D inputs take the flash kernel; a mask that needs grad the math path (F.scaled_dot_product_attention#0, #7)', () => {
    const tr = tracer(R214);
    const [q, k, v] = [act(tr, [4, 3, 8]), act(tr, [4, 6, 8]), act(tr, [4, 6, 8])];
    const out = aten(tr, 'scaled_dot_product_attention', { query: q, key: k, value: v, attn_mask: null, dropout_p: 0, is_causal: true }) as Tensor;
    assert.deepEqual(out.shape, [4, 3, 8]);
    assert.deepEqual(newSaved(tr, [q, k, v, out]), ['48 float32']);
    const tr2 = tracer(R214);
    const [q2, k2, v2, m] = [act(tr2, [2, 4, 8, 16]), act(tr2, [2, 4, 8, 16]), act(tr2, [2, 4, 8, 16]), act(tr2, [8, 8])];
    aten(tr2, 'scaled_dot_product_attention', { query: q2, key: k2, value: v2, attn_mask: m, dropout_p: 0, is_causal: false });
    assert.deepEqual(newSaved(tr2, [q2, k2, v2, m]), ['2048 float32', '4096 float32', '4096 float32']);
  });

  it('narrow with a 0-dim tensor start, gather of a 0-dim input, a constant mask index (torch.narrow#1, torch.gather#2, Tensor.__getitem__#9)', () => {
    const tr = tracer(R214);
    const x = act(tr, [5, 5, 5]);
    const n = aten(tr, 'narrow.Tensor', { self: x, dim: 1, start: constant(tr, [], 'int64', [2]), length: 2 }) as Tensor;
    assert.deepEqual([n.shape, n.storage === x.storage], [[5, 2, 5], true]);
    assert.deepEqual((aten(tr, 'gather', { self: act(tr, [], 'float32'), dim: 0, index: constant(tr, [1], 'int64', [0]) }) as Tensor).shape, [1]);
    const y = act(tr, [3, 4]);
    const mask = constant(tr, [3, 4], 'bool', [1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
    const picked = getitem(tr, y, [mask]);
    assert.deepEqual(picked.shape, [6]);
    assert.ok(tr.ops[tr.ops.length - 1].saved.includes(mask.storage));
  });

  it('a Python float stays a float: int tensor * 2.0 is float32, and 1.13 wraps 2.0 as float64 (Tensor.mul_#5)', () => {
    const tr = tracer(R113);
    const i = tr.newTensor([3], 'int64', false, 'activation');
    assert.equal((aten(tr, 'mul.Tensor', withPyFloats({ self: i, other: 2 }, new Set(['other']))) as Tensor).dtype, 'float32');
    assert.equal((aten(tr, 'mul.Tensor', { self: i, other: 2 }) as Tensor).dtype, 'int64');
    const x = act(tr, [3, 4]);
    aten(tr, 'mul_.Tensor', withPyFloats({ self: x, other: 2 }, new Set(['other'])));
    assert.deepEqual(newSaved(tr, [x]), ['8 float64']);
  });

  it('batch_norm of an empty input is a clone (F.batch_norm#3)', () => {
    const tr = tracer(R214);
    const x = act(tr, [0]);
    const out = py(tr, 'F.batch_norm', { input: x, running_mean: act(tr, [0]), running_var: act(tr, [0]), weight: null, bias: null, training: true }) as Tensor;
    assert.deepEqual(out.shape, [0]);
    assert.notEqual(out.storage, x.storage);
  });
});

// ── Indexing, scatter, views, splits/stacks, facts, numeric compositions ─────────────────────
// Saved storages and op sequences as measured on PyTorch 1.13, 2.13 and 2.14 CPU
// (test/fixtures/ops/probes-*.json; the op order from a TorchDispatchMode log of the same calls).

const atenT = (tr: Tracer, overload: string, args: Record<string, unknown>) => aten(tr, overload, args) as Tensor;

/** An index or mask tensor (no grad) with known elements, counted as an activation of the step. */
function consts(tr: Tracer, shape: number[], dtype: DType, values: number[]): Tensor {
  return { ...tr.newTensor(shape, dtype, false, 'activation'), values };
}
const ops = (tr: Tracer) => tr.ops.map((o) => o.kind);

describe('kernels: scatter and index writes keep the index (probes scatter, index_add, index_put, put, take)', () => {
  it('scatter.src keeps only the index; scatter_ writes into self', () => {
    const tr = tracer();
    const x = act(tr, [10, 5]);
    const index = consts(tr, [5, 5], 'int64', new Array(25).fill(0));
    const out = atenT(tr, 'scatter.src', { self: x, dim: 0, index, src: act(tr, [5, 5]) });
    assert.deepEqual(out.shape, [10, 5]);
    assert.notEqual(out.storage, x.storage);
    assert.deepEqual(savedActivations(tr), [index.storage]);
    const y = act(tr, [10, 5]);
    const inplace = atenT(tr, 'scatter_.value', { self: y, dim: 0, index, value: 2.0 });
    assert.equal(inplace.storage, y.storage);
  });
  it('scatter refuses an int32 index on 1.13 and takes it on 2.x', () => {
    const args = (tr: Tracer) => ({ self: act(tr, [3, 4]), dim: 1, index: consts(tr, [3, 2], 'int32', [0, 1, 2, 0, 1, 1]), src: act(tr, [3, 4]) });
    const old = tracer();
    assert.throws(() => aten(old, 'scatter.src', args(old)), /Expected dtype int64 for index/);
    const tr = tracer({ torch: [2, 14] });
    assert.deepEqual(atenT(tr, 'scatter.src', args(tr)).shape, [3, 4]);
  });
  it('scatter_reduce_ keeps index, src, self and a copy of self from before the write (probe Tensor.scatter_reduce_: 200 new bytes)', () => {
    const tr = tracer({ torch: [2, 14] });
    const x = act(tr, [10, 5]);
    const src = act(tr, [5, 5]);
    const index = consts(tr, [5, 5], 'int64', new Array(25).fill(1));
    atenT(tr, 'scatter_reduce_.two', { self: x, dim: 0, index, src, reduce: 'amax', include_self: true });
    const saved = savedActivations(tr);
    assert.ok(saved.includes(x.storage) && saved.includes(src.storage) && saved.includes(index.storage));
    assert.equal(savedBytes(tr), 200 + 100 + 200 + 200);
  });
  it('index_add keeps the index and the source; index_put with a bool mask keeps the mask itself', () => {
    const tr = tracer();
    const index = consts(tr, [3], 'int64', [2, 0, 1]);
    const source = act(tr, [3, 4]);
    atenT(tr, 'index_add', { self: act(tr, [3, 4]), dim: 0, index, source, alpha: 1 });
    assert.deepEqual(new Set(savedActivations(tr)), new Set([index.storage, source.storage]));
    const tr2 = tracer({ torch: [2, 14] });
    const mask = consts(tr2, [5], 'bool', [1, 0, 1, 0, 1]);
    const out = atenT(tr2, 'index_put', { self: act(tr2, [5, 5]), indices: [mask], values: act(tr2, [5]), accumulate: false });
    assert.deepEqual(out.shape, [5, 5]);
    assert.deepEqual(savedActivations(tr2), [mask.storage]);
  });
  it('take keeps self and the index; take_along_dim on 2.x wraps the indices (remainder: a new int64 tensor, probe 80 bytes)', () => {
    const tr = tracer({ torch: [2, 14] });
    const x = act(tr, [5, 5]);
    const out = atenT(tr, 'take_along_dim', { self: x, indices: consts(tr, [1, 2], 'int64', [0, 3]), dim: 1 });
    assert.deepEqual(out.shape, [5, 2]);
    assert.deepEqual(ops(tr), ['remainder.Scalar', 'gather']);
    assert.equal(savedBytes(tr), 5 * 2 * 8 + 5 * 5 * 4);
    const old = tracer();
    const idx = consts(old, [1, 2], 'int64', [0, 3]);
    atenT(old, 'take_along_dim', { self: act(old, [5, 5]), indices: idx, dim: 1 });
    assert.deepEqual(ops(old), ['gather']);
    assert.ok(savedActivations(old).includes(idx.storage));
  });
  it('masked_select and nonzero have data-dependent lengths: known for known elements, refused otherwise', () => {
    const tr = tracer();
    const mask = consts(tr, [2, 3], 'bool', [1, 0, 1, 0, 1, 1]);
    const x = act(tr, [4, 2, 3]);
    assert.deepEqual(atenT(tr, 'masked_select', { self: x, mask }).shape, [16]);
    assert.deepEqual(new Set(savedActivations(tr)), new Set([x.storage, mask.storage]));
    const nz = atenT(tr, 'nonzero', { self: consts(tr, [2, 3], 'int64', [0, 1, 2, 3, 0, 0]) });
    assert.deepEqual([nz.shape, nz.dtype, nz.values], [[3, 2], 'int64', [0, 1, 0, 2, 1, 0]]);
    assert.throws(() => aten(tr, 'masked_select', { self: x, mask: tr.newTensor([2, 3], 'bool', false, 'activation') }), (e: unknown) => e instanceof KernelError && /not modelled/.test(e.message));
  });
});

describe('kernels: views, in-place views and view copies', () => {
  it('diagonal is a view: both dims dropped, strides summed, offset along dim2 for a positive offset', () => {
    const tr = tracer();
    const x = act(tr, [2, 5, 5]);
    const d = atenT(tr, 'diagonal', { self: x, offset: 2, dim1: 1, dim2: 2 });
    assert.deepEqual([d.shape, d.strides, d.offset], [[2, 3], [25, 6], 2]);
    assert.equal(d.storage, x.storage);
    assert.equal(tr.ops.length, 0);
  });
  it('as_strided checks the storage bounds (probe: offset 10 in a 40-byte storage needs 56)', () => {
    const tr = tracer();
    const x = act(tr, [10]);
    assert.throws(() => aten(tr, 'as_strided', { self: x, size: [2, 2], stride: [1, 2], storage_offset: 10 }), /requiring a storage size of 56 are out of bounds for storage of size 40/);
    assert.deepEqual(atenT(tr, 'as_strided', { self: x, size: [2, 2], stride: [1, 2] }).shape, [2, 2]);
  });
  it('unfold appends the window: [5, 5] unfold(0, 3, 1) → [3, 5, 3], a view', () => {
    const tr = tracer();
    const x = act(tr, [5, 5]);
    const u = atenT(tr, 'unfold', { self: x, dimension: 0, size: 3, step: 1 });
    assert.deepEqual([u.shape, u.strides], [[3, 5, 3], [5, 1, 5]]);
    assert.equal(u.storage, x.storage);
  });
  it('t_, squeeze_ and swapaxes_ give self the view geometry: same storage, nothing recorded', () => {
    const tr = tracer();
    const x = act(tr, [3, 1, 4]);
    const s = atenT(tr, 'squeeze_.dim', { self: x, dim: 1 });
    const t = atenT(tr, 't_', { self: s });
    const w = atenT(tr, 'swapaxes_', { self: t, axis0: 0, axis1: 1 });
    assert.deepEqual([s.shape, t.shape, w.shape], [[3, 4], [4, 3], [3, 4]]);
    assert.ok([s, t, w].every((v) => v.storage === x.storage));
    assert.equal(tr.ops.length, 0);
  });
  it('X_copy: one new contiguous tensor of the view shape, nothing saved (probes transpose_copy, split_copy, unbind_copy)', () => {
    const tr = tracer({ torch: [2, 14] });
    const x = act(tr, [1, 2, 3]);
    const t = atenT(tr, 'transpose_copy.int', { self: x, dim0: -1, dim1: -2 });
    assert.deepEqual([t.shape, t.strides], [[1, 3, 2], [6, 2, 1]]);
    assert.notEqual(t.storage, x.storage);
    const parts = aten(tr, 'split_copy.Tensor', { self: act(tr, [4, 6]), split_size: 2, dim: 1 }) as Tensor[];
    assert.deepEqual(parts.map((p) => p.shape), [[4, 2], [4, 2], [4, 2]]);
    assert.equal(new Set(parts.map((p) => p.storage)).size, 3);
    assert.deepEqual(ops(tr), ['transpose_copy.int', 'split_copy.Tensor']);
    assert.equal(savedBytes(tr), 0);
  });
  it('unsafe_split pieces share self storage like split', () => {
    const tr = tracer();
    const x = act(tr, [5, 4]);
    const parts = aten(tr, 'unsafe_split_with_sizes', { self: x, split_sizes: [2, 3], dim: 0 }) as Tensor[];
    assert.deepEqual(parts.map((p) => [p.shape, p.offset]), [[[2, 4], 0], [[3, 4], 8]]);
    assert.ok(parts.every((p) => p.storage === x.storage));
  });
});

describe('kernels: diagonals, rot90, splits and stacks', () => {
  it('diag is its own op on 1.13 and diag_embed / diagonal_copy on 2.x', () => {
    const old = tracer();
    assert.deepEqual(atenT(old, 'diag', { self: act(old, [10]), diagonal: 1 }).shape, [11, 11]);
    assert.deepEqual(ops(old), ['diag']);
    const tr = tracer({ torch: [2, 14] });
    assert.deepEqual(atenT(tr, 'diag', { self: act(tr, [10]), diagonal: 0 }).shape, [10, 10]);
    assert.deepEqual(atenT(tr, 'diag', { self: act(tr, [3, 5]), diagonal: 1 }).shape, [3]);
    assert.deepEqual(ops(tr), ['diag_embed', 'diagonal_copy']);
  });
  it('diag_embed lays the last dim on a new square pair (probe: [5, 5] offset 2 → [5, 7, 7])', () => {
    const tr = tracer();
    assert.deepEqual(atenT(tr, 'diag_embed', { self: act(tr, [5, 5]), offset: 2 }).shape, [5, 7, 7]);
    assert.deepEqual(atenT(tr, 'diag_embed', { self: act(tr, [3, 4]), offset: 1, dim1: 0, dim2: 2 }).shape, [5, 3, 5]);
  });
  it('fill_diagonal_ fills an as_strided view of self (and the wrapped rest of a tall matrix)', () => {
    const tr = tracer();
    const x = act(tr, [7, 2]);
    const out = atenT(tr, 'fill_diagonal_', { self: x, fill_value: 0.5, wrap: true });
    assert.equal(out.storage, x.storage);
    assert.deepEqual(ops(tr), ['fill_.Scalar', 'fill_.Scalar']);
    assert.ok(tr.ops.every((o) => o.inplace && o.onView));
  });
  it('rot90 swaps the sizes of its dims for odd k; a new tensor, nothing saved', () => {
    const tr = tracer();
    const out = atenT(tr, 'rot90', { self: act(tr, [2, 3, 4]), k: -5, dims: [1, -1] });
    assert.deepEqual(out.shape, [2, 4, 3]);
    assert.equal(savedBytes(tr), 0);
  });
  it('tensor_split gives the first n % sections pieces one more; hsplit needs a divisible size', () => {
    const tr = tracer();
    const x = act(tr, [7, 3]);
    const parts = aten(tr, 'tensor_split.sections', { self: x, sections: 3, dim: 0 }) as Tensor[];
    assert.deepEqual(parts.map((p) => p.shape[0]), [3, 2, 2]);
    assert.ok(parts.every((p) => p.storage === x.storage));
    assert.throws(() => aten(tr, 'hsplit.int', { self: act(tr, [5, 5, 5]), sections: 2 }), /not divisible by the split_size 2/);
  });
  it('hstack / vstack / dstack / column_stack: atleast_Nd views, then one cat', () => {
    const tr = tracer();
    const v = act(tr, [3]);
    assert.deepEqual(atenT(tr, 'hstack', { tensors: [v, act(tr, [2])] }).shape, [5]);
    assert.deepEqual(atenT(tr, 'vstack', { tensors: [v, act(tr, [2, 3])] }).shape, [3, 3]);
    assert.deepEqual(atenT(tr, 'dstack', { tensors: [act(tr, [2, 3]), act(tr, [2, 3, 2])] }).shape, [2, 3, 3]);
    assert.deepEqual(atenT(tr, 'column_stack', { tensors: [v, act(tr, [3, 2])] }).shape, [3, 3]);
    assert.deepEqual(ops(tr), ['cat', 'cat', 'cat', 'cat']);
    assert.equal(savedBytes(tr), 0);
  });
});

describe('kernels: facts, conversions and dtype rules', () => {
  it('bool()/int()/__index__ need the element: known constants answer, others are refused', () => {
    const tr = tracer();
    assert.equal(aten(tr, 'is_nonzero', { self: consts(tr, [1], 'int64', [3]) }), true);
    assert.throws(() => aten(tr, 'is_nonzero', { self: act(tr, [1]) }), /not known/);
    assert.throws(() => aten(tr, 'is_nonzero', { self: consts(tr, [2], 'int64', [1, 2]) }), /more than one value is ambiguous/);
    const index = tableRow('Tensor.__index__');
    assert.ok(index?.kind === 'op');
    assert.throws(() => index.run(tr, { self: { ...act(tr, []), values: [1.5] } }, { name: 'Tensor.__index__', aten: null }), /only integer tensors/);
  });
  it('conj, resolve_conj and resolve_neg of a real tensor are the tensor itself', () => {
    const tr = tracer();
    const x = act(tr, [3]);
    assert.equal(aten(tr, 'conj', { self: x }), x);
    assert.equal(aten(tr, 'resolve_neg', { self: x }), x);
  });
  it('promote_types, can_cast and result_type follow torch', () => {
    const tr = tracer();
    assert.deepEqual(aten(tr, 'promote_types', { type1: { dtype: 'uint8' }, type2: { dtype: 'int8' } }), { dtype: 'int16' });
    assert.equal(aten(tr, 'can_cast', { from_: { dtype: 'float32' }, to: { dtype: 'int32' } }), false);
    assert.equal(aten(tr, 'can_cast', { from_: { dtype: 'int64' }, to: { dtype: 'float16' } }), true);
    assert.deepEqual(aten(tr, 'result_type.Scalar', { tensor: consts(tr, [3], 'int64', [1, 2, 3]), other: 1.5 }), { dtype: 'float32' });
  });
  it('x & y runs bitwise_and; &= runs bitwise_and_ in place', () => {
    const tr = tracer();
    const b = consts(tr, [2, 3], 'bool', [1, 0, 1, 0, 1, 1]);
    assert.equal(atenT(tr, '__and__.Tensor', { self: b, other: b }).dtype, 'bool');
    assert.equal(atenT(tr, '__iand__.Tensor', { self: b, other: b }).storage, b.storage);
    assert.deepEqual(ops(tr), ['bitwise_and.Tensor', 'bitwise_and_.Tensor']);
  });
});

describe('kernels: numeric compositions and random draws', () => {
  it('vander: empty, fill_, copy_, cumprod (keeps the result storage and its output), copy_, flip (measured 100 + 80 bytes)', () => {
    const tr = tracer();
    const out = atenT(tr, 'vander', { x: act(tr, [5]) });
    assert.deepEqual(out.shape, [5, 5]);
    assert.deepEqual(ops(tr), ['empty', 'fill_.Scalar', 'copy_', 'cumprod', 'copy_', 'flip']);
    assert.equal(savedBytes(tr), 100 + 80);
  });
  it('trapezoid with sample points keeps both factors of its mul (probe #427: 16 + 16 bytes)', () => {
    const tr = tracer();
    const out = atenT(tr, 'trapezoid.x', { y: act(tr, [2, 3]), x: act(tr, [2, 3]), dim: -1 });
    assert.deepEqual(out.shape, [2]);
    assert.deepEqual(ops(tr), ['sub.Tensor', 'add.Tensor', 'mul.Tensor', 'sum.dim_IntList', 'div.Scalar']);
    assert.equal(savedBytes(tr), 32);
  });
  it('gradient: one tensor per dim, central differences with one-sided edges, nothing saved', () => {
    const tr = tracer();
    const out = aten(tr, 'gradient.scalarint', { self: act(tr, [5, 5]), spacing: null, dim: null, edge_order: 2 }) as Tensor[];
    assert.deepEqual(out.map((t) => t.shape), [[5, 5], [5, 5]]);
    assert.equal(tr.ops.filter((o) => o.kind === 'cat').length, 2);
    assert.equal(savedBytes(tr), 0);
  });
  it('combinations: masked_select of meshgrid views up to 2.13 (keeps input and mask), nonzero_static + index from 2.14 (keeps the indices)', () => {
    const old = tracer({ torch: [2, 13] });
    const x = act(old, [4]);
    assert.deepEqual(atenT(old, 'combinations', { self: x, r: 2, with_replacement: false }).shape, [6, 2]);
    assert.deepEqual(savedActivations(old).map((s) => s.bytes), [16, 16]);
    const tr = tracer({ torch: [2, 14] });
    assert.deepEqual(atenT(tr, 'combinations', { self: act(tr, [4]), r: 2, with_replacement: true }).shape, [10, 2]);
    assert.deepEqual(savedActivations(tr).map((s) => [s.dtype, s.bytes]), [['int64', 10 * 2 * 8]]);
  });
  it('bernoulli(p) is empty_like + bernoulli_ on 1.13 (no grad) and its own op on 2.x; nothing saved', () => {
    const old = tracer();
    const a = atenT(old, 'bernoulli.p', { self: act(old, [3, 4]), p: 0.3 });
    assert.deepEqual([ops(old), a.requiresGrad], [['empty_like', 'bernoulli_.float'], false]);
    const tr = tracer({ torch: [2, 14] });
    const b = atenT(tr, 'bernoulli.p', { self: act(tr, [3, 4]), p: 0.3 });
    assert.deepEqual([ops(tr), b.requiresGrad], [['bernoulli.p'], true]);
    assert.equal(savedBytes(tr) + savedBytes(old), 0);
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

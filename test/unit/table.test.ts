// The op table (kernels/src/table.ts): one literal list in codepoint order without duplicates,
// every row naming something a catalogued release has, and the generic pieces it relies on —
// aten schema parsing and torch.result_type — checked against PyTorch's own behaviour.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OP_TABLE, catalogFor, parseSchema } from '../../kernels/src';
import { resultType, promoteTypes } from '../../kernels/src/promotion';
import { Tracer } from '../../server/src/interpreter/tracer';

const RELEASES = [[1, 13], [2, 13], [2, 14]] as const;

describe('op table', () => {
  it('is in codepoint order with no name twice (checked when it loads)', () => {
    const names = [...OP_TABLE.keys()];
    assert.ok(names.length > 500, `${names.length} rows`);
    for (let i = 1; i < names.length; i++) assert.ok(names[i - 1] < names[i], `${names[i - 1]} before ${names[i]}`);
  });

  it('names only what some catalogued release has (Python names, aten ops)', () => {
    const catalogs = RELEASES.map((r) => catalogFor(r));
    const missing = [...OP_TABLE.keys()].filter((name) => {
      if (name.startsWith('aten.')) {
        const op = name.slice(5);
        return !catalogs.some((c) => Object.keys(c.aten).some((k) => k === op || k.startsWith(`${op}.`)));
      }
      return !catalogs.some((c) => name in c.python) && name !== 'nn.NonDynamicallyQuantizableLinear';
    });
    assert.deepEqual(missing, []);
  });
});

describe('aten schemas', () => {
  const cases: [string, { name: string; overload: string; args: string[]; types: string[]; returns: (string | null)[] }][] = [
    ['add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor', { name: 'add', overload: 'Tensor', args: ['self', 'other', 'alpha'], types: ['Tensor', 'Tensor', 'Scalar'], returns: [null] }],
    ['max.dim(Tensor self, int dim, bool keepdim=False) -> (Tensor values, Tensor indices)', { name: 'max', overload: 'dim', args: ['self', 'dim', 'keepdim'], types: ['Tensor', 'int', 'bool'], returns: ['values', 'indices'] }],
    ['chunk(Tensor(a -> *) self, int chunks, int dim=0) -> Tensor(a)[]', { name: 'chunk', overload: '', args: ['self', 'chunks', 'dim'], types: ['Tensor', 'int', 'int'], returns: [null] }],
    ['add_.Tensor(Tensor(a!) self, Tensor other, *, Scalar alpha=1) -> Tensor(a!)', { name: 'add_', overload: 'Tensor', args: ['self', 'other', 'alpha'], types: ['Tensor', 'Tensor', 'Scalar'], returns: [null] }],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      const s = parseSchema(text);
      assert.equal(s.name, want.name);
      assert.equal(s.overload, want.overload);
      assert.deepEqual(s.args.map((a) => a.name), want.args);
      assert.deepEqual(s.args.map((a) => a.type), want.types);
      assert.deepEqual(s.returns.map((r) => r.name), want.returns);
    });
  }
});

describe('torch.result_type', () => {
  const tr = new Tracer({ device: 'cpu', torch: [2, 13], autocast: null, gradEnabled: true }, () => null);
  const t = (shape: number[], dtype: Parameters<typeof tr.newTensor>[1]) => tr.newTensor(shape, dtype, false, 'activation');
  // Each expectation is what torch.result_type returns (PyTorch 2.13).
  const cases: [string, Parameters<typeof resultType>[0], string][] = [
    ['int64 tensor + Python float → default float', [t([3], 'int64'), 2.5], 'float32'],
    ['float16 tensor + Python float stays float16', [t([3], 'float16'), 2.5], 'float16'],
    ['float32 tensor + 0-dim float64 tensor stays float32', [t([3], 'float32'), t([], 'float64')], 'float32'],
    ['int32 tensor + 0-dim float64 tensor → float64', [t([3], 'int32'), t([], 'float64')], 'float64'],
    ['uint8 + int8 → int16', [t([3], 'uint8'), t([3], 'int8')], 'int16'],
    ['bool tensor + Python int → int64', [t([3], 'bool'), 1], 'int64'],
    ['float16 + bfloat16 → float32', [t([3], 'float16'), t([3], 'bfloat16')], 'float32'],
  ];
  for (const [name, operands, want] of cases) it(name, () => assert.equal(resultType(operands), want));
  it('promote_types is symmetric', () => assert.equal(promoteTypes('int32', 'float16'), promoteTypes('float16', 'int32')));
});

// What the timeline view is given beyond the contract's report: the op's file and module on each
// point (click to the line, a layer's span), the tensors alive at the peak, the what-if settings.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS, Report } from '../../server/src/report/types';
import { planOffer, timelineData, whatIfSettings } from '../../server/src/report/view';
import { FIXTURES, TRUTH_SETTINGS, fixturePath, readTruth } from '../fixtures';

const total = (b: Report['timeline'][number]['bytes']) => b.params + b.grads + b.optimizer + b.activations + b.temporaries;

function analyze(name: string, overrides: Partial<typeof DEFAULT_SETTINGS> = {}) {
  const file = fixturePath(name);
  return analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, ...TRUTH_SETTINGS, optimizer: 'adamw', ...overrides });
}

describe('timeline view data', () => {
  before(() => loadPythonParser());

  test('a script whose model lives in another file: its points name that file and its lines', () => {
    const a = analyze('scripts/nanogpt/train.py');
    assert.equal(a.error, null);
    const model = path.join(FIXTURES, 'scripts', 'nanogpt', 'model.py');
    const modelLines = fs.readFileSync(model, 'utf8').split('\n');
    const elsewhere = a.report.timeline.filter((p) => p.file !== undefined);
    assert.ok(elsewhere.length > 0.5 * a.report.timeline.length, `${elsewhere.length} of ${a.report.timeline.length} points in model.py`);
    for (const p of elsewhere) {
      assert.equal(path.resolve(p.file!), model);
      assert.ok(p.line !== null && p.line >= 1 && p.line <= modelLines.length, `point ${p.i} line ${p.line}`);
    }
    // The attention's matmul runs on a line of model.py that spells it.
    const attention = elsewhere.find((p) => p.module?.endsWith('.attn') && p.phase === 'forward' && /matmul|bmm|mm$|scaled_dot_product/.test(p.op));
    assert.ok(attention, 'an attention op in model.py');
    assert.ok(/@|matmul|scaled_dot_product_attention|\.attn|softmax/.test(modelLines[attention.line! - 1]), modelLines[attention.line! - 1]);
  });

  test('the largest tensors alive at the peak: within its categories, named, with lines', () => {
    const a = analyze('resnet_small.py');
    const t = a.report.peakTensors!;
    assert.ok(t.length === 12);
    const peak = a.report.totals.peakComposition;
    const byCategory = new Map<string, number>();
    for (const x of t) byCategory.set(x.category, (byCategory.get(x.category) ?? 0) + x.bytes);
    for (const [c, bytes] of byCategory) assert.ok(bytes <= peak[c as keyof typeof peak], `${c}: ${bytes} listed, ${peak[c as keyof typeof peak]} at the peak`);
    // AdamW: each weight's two fp32 moments are one entry; the largest weights are layer3's convs.
    const state = t.find((x) => x.category === 'optimizer')!;
    assert.match(state.what, /^adamw state of layer3\.\d\.conv\d\.weight$/);
    assert.equal(state.shape![0], 2);
    assert.equal(state.bytes, 4 * state.shape!.reduce((p, d) => p * d, 1));
    // Eight batches of 16×32×32 fp32 activations at 512 KiB each: the stem's and layer1's.
    assert.equal(t[0].bytes, 8 * 16 * 32 * 32 * 4);
    assert.ok(t.filter((x) => x.category === 'activations').every((x) => x.module !== null && /^(conv1|relu|layer1\.)/.test(x.module)));
    for (const x of t) assert.ok(x.line === null || x.line >= 1);
    const activation = t.find((x) => x.category === 'activations' || x.category === 'temporaries');
    assert.ok(activation && activation.line !== null && / output$|^input /.test(activation.what), JSON.stringify(activation));
  });

  test('the largest tensors at the peak include the batch\'s inputs and tensors an op saved without returning them', () => {
    const mlp = analyze('mlp.py');
    const input = mlp.report.inputs[0];
    const listed = mlp.report.peakTensors!.find((t) => t.what === `input ${input.name}`);
    assert.ok(listed, JSON.stringify(mlp.report.peakTensors!.map((t) => t.what)));
    assert.equal(listed.bytes, 4 * input.shape.reduce((a, b) => a * b, 1));
    assert.equal(listed.category, 'temporaries');
    // clamp_ saves a mask of where it clamped (a bool tensor no op returned).
    const inplace = analyze('inplace_methods.py');
    assert.ok(inplace.report.peakTensors!.some((t) => / saved$/.test(t.what) && t.line !== null), JSON.stringify(inplace.report.peakTensors!.map((t) => t.what)));
  });

  test('the peak of the timeline is the report\'s, and the truth\'s', () => {
    const a = analyze('resnet_small.py');
    const peak = Math.max(...a.report.timeline.map((p) => total(p.bytes)));
    assert.equal(peak, a.report.totals.peakBytes);
    assert.ok(Math.abs(peak - readTruth('resnet_small.py').peak!.adamw.bytes) <= 16);
    const data = timelineData(a, { uri: null, version: null }, null, null);
    assert.equal(data.report, a.report);
    assert.equal(data.bound, false);
    assert.equal(data.controls, null);
  });

  test('what-if settings: only what the controls change; the checkpoint switch applies the offered plan or drops the settings\'', () => {
    const base = { ...DEFAULT_SETTINGS, batch: 8, checkpoint: ['layer2'] };
    assert.deepEqual(whatIfSettings(base, {}, []), base);
    assert.deepEqual(whatIfSettings(base, { batch: 32, precision: 'amp-bf16' }, []), { ...base, batch: 32, precision: 'amp-bf16' });
    assert.deepEqual(whatIfSettings(base, { checkpoint: false }, ['layer2']).checkpoint, []);
    // Off means off: not even the file's `# memlens: checkpoint=` directive.
    assert.equal(whatIfSettings(base, { checkpoint: false }, ['layer2']).noPlan, true);
    const directive = fs.readFileSync(fixturePath('resnet_small.py'), 'utf8').replace('batch=8', 'batch=8 checkpoint=layer1,layer2');
    const withDirective = analyzeSource(fixturePath('resnet_small.py'), directive, { ...DEFAULT_SETTINGS, ...TRUTH_SETTINGS });
    const off = analyzeSource(fixturePath('resnet_small.py'), directive, whatIfSettings({ ...DEFAULT_SETTINGS, ...TRUTH_SETTINGS }, { checkpoint: false }, planOffer(withDirective)));
    assert.deepEqual(withDirective.report.settings.checkpoint, ['layer1', 'layer2']);
    assert.deepEqual(off.report.settings.checkpoint, []);
    assert.ok(off.report.totals.peakBytes > withDirective.report.totals.peakBytes);
    assert.deepEqual(whatIfSettings(base, { checkpoint: true }, ['class:Block']).checkpoint, ['class:Block']);
    // Not batches: kept as they were.
    for (const batch of [0, -1, 1.5, Number.NaN, 2 ** 60]) assert.equal(whatIfSettings(base, { batch }, []).batch, 8);
    assert.equal(whatIfSettings(base, { microbatch: 0 }, []).microbatch, base.microbatch);
    // Values no setting takes (a client's bug, a hostile message) change nothing.
    const bogus = { precision: 'fp8', optimizer: 'lion', device: 'tpu', checkpoint: 'yes' } as unknown as Parameters<typeof whatIfSettings>[1];
    assert.deepEqual(whatIfSettings(base, bogus, ['class:Block']), base);
    const a = analyze('resnet_small.py');
    assert.deepEqual(planOffer(a), ['class:BasicBlock']);
    assert.deepEqual(planOffer(analyze('resnet_small.py', { checkpoint: ['layer1'] })), ['layer1']);
    assert.deepEqual(planOffer(analyze('mlp.py')), []);
  });
});

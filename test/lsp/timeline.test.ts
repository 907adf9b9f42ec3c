// The timeline view's data (memlens/timeline): the document's numbers as the report has them, and
// what-if analyses at other settings that equal PyTorch's measurements of the same settings, while
// the document's own numbers (and the user's settings) stay as they are.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { TimelineData, TimelineParams } from '../../protocol/messages';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS, Report } from '../../server/src/report/types';
import { assertPeak, fixturePath, readTruth, TRUTH_SETTINGS } from '../fixtures';
import { fixtureUri, LspSession } from './session';

const NAME = 'resnet_small.py';

function timeline(session: LspSession, params: TimelineParams): Promise<TimelineData | null> {
  return session.connection.sendRequest('memlens/timeline', params);
}

describe('the timeline view\'s data (memlens/timeline)', { timeout: 120_000 }, () => {
  const uri = fixtureUri(NAME);
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: { ...TRUTH_SETTINGS, optimizer: 'adamw', budget: '1MiB' } });
    await session.openFixture(NAME);
  });
  after(() => session.stop());

  test('the document\'s numbers: the report\'s timeline, peak and layers, the controls\' starting point', async () => {
    const data = await timeline(session, { uri });
    const report = await session.report<Report>(uri);
    assert.ok(data && report);
    assert.equal(data.uri, uri);
    assert.equal(data.version, 1);
    assert.equal(data.whatIf, null);
    assert.equal(data.stale, false);
    assert.equal(data.bound, false);
    assert.equal(data.model?.className, 'ResNetSmall');
    assert.equal(data.report.totals.peakBytes, report.totals.peakBytes);
    assertPeak(data.report, readTruth(NAME).peak!.adamw, 'timeline data');
    assert.equal(data.report.timeline.length, report.timeline.length);
    // The chart's peak is the report's: the largest point total.
    const totals = data.report.timeline.map((p) => p.bytes.params + p.bytes.grads + p.bytes.optimizer + p.bytes.activations + p.bytes.temporaries);
    assert.equal(Math.max(...totals), data.report.totals.peakBytes);
    // Points name their module (a layer's span on the chart) and source line (click to reveal).
    const conv1 = data.report.timeline.filter((p) => p.module === 'layer1.0.conv1');
    assert.ok(conv1.some((p) => p.phase === 'forward') && conv1.some((p) => p.phase === 'backward'), 'layer1.0.conv1 runs in forward and backward');
    assert.ok(conv1.every((p) => p.line === report.layers.find((l) => l.path === 'layer1.0.conv1')!.callLine));
    // The largest tensors alive at the peak fit in it, largest first.
    const tensors = data.report.peakTensors ?? [];
    assert.ok(tensors.length > 3);
    for (let i = 1; i < tensors.length; i++) assert.ok(tensors[i - 1].bytes >= tensors[i].bytes);
    assert.ok(tensors.reduce((s, t) => s + t.bytes, 0) <= data.report.totals.peakBytes);
    for (const t of tensors) {
      const peakPart = data.report.totals.peakComposition[t.category];
      assert.ok(t.bytes <= peakPart, `${t.what} (${t.category}) ${t.bytes} B within the peak's ${peakPart} B of ${t.category}`);
    }
    assert.deepEqual(data.controls, { batch: 8, checkpointPlan: ['class:BasicBlock'], checkpointOn: false, microbatch: 1 });
  });

  test('what-if microbatches and optimizer equal PyTorch\'s measurement of those settings', async () => {
    // test/fixtures/fixes/resnet_small_micro.py is this model with `microbatch=4`, measured.
    const truth = readTruth('fixes/resnet_small_micro.py');
    const micro = await timeline(session, { uri, whatIf: { microbatch: 4 } });
    assert.ok(micro);
    assert.deepEqual(micro.whatIf, { microbatch: 4 });
    assert.equal(micro.report.settings.microbatch, 4);
    assertPeak(micro.report, truth.peak!.adamw, 'what-if microbatch=4, adamw');
    const none = await timeline(session, { uri, whatIf: { microbatch: 4, optimizer: 'none' } });
    assertPeak(none!.report, truth.peak!.none, 'what-if microbatch=4, no optimizer');
    assert.ok(none!.report.timeline.some((p) => p.microbatch === 2), 'points of the later microbatches are marked');
    // The document's own numbers did not change.
    const base = await timeline(session, { uri });
    assertPeak(base!.report, readTruth(NAME).peak!.adamw, 'the document after what-ifs');
  });

  test('what-if checkpointing: the offered plan, simulated as the CLI simulates it, with the recompute drawn', async () => {
    const base = (await timeline(session, { uri }))!;
    const on = await timeline(session, { uri, whatIf: { checkpoint: true } });
    assert.ok(on);
    assert.deepEqual(on.report.settings.checkpoint, ['class:BasicBlock']);
    // The controls as the what-if ran: the switch on (the view shows it on after the answer).
    assert.equal(on.controls?.checkpointOn, true);
    assert.equal(base.controls?.checkpointOn, false);
    await loadPythonParser();
    const cli = analyzeSource(fixturePath(NAME), fs.readFileSync(fixturePath(NAME), 'utf8'), { ...DEFAULT_SETTINGS, ...TRUTH_SETTINGS, optimizer: 'adamw', budgetBytes: 2 ** 20, checkpoint: ['class:BasicBlock'] });
    assert.equal(on.report.totals.peakBytes, cli.report.totals.peakBytes);
    assert.ok(on.report.totals.peakBytes < base.report.totals.peakBytes, 'checkpointing lowers the peak');
    const recomputing = on.report.timeline.filter((p) => p.recompute);
    assert.ok(recomputing.length > 0 && recomputing.every((p) => p.phase === 'backward'));
    assert.ok(on.report.timeline.some((p) => p.recomputedBytes && p.recomputedBytes.activations > 0), 'recomputed tensors are drawn as their own layer');
    for (const p of on.report.timeline) {
      if (!p.recomputedBytes) continue;
      assert.ok(p.recomputedBytes.activations <= p.bytes.activations && p.recomputedBytes.temporaries <= p.bytes.temporaries, `point ${p.i}: recomputed bytes within their categories`);
    }
  });

  test('two what-ifs at once: the newer is answered with its own batch; the older with its own or nothing (superseded), never the newer\'s', async () => {
    const [older, newer] = await Promise.all([timeline(session, { uri, whatIf: { batch: 64 } }), timeline(session, { uri, whatIf: { batch: 16 } })]);
    assert.ok(newer);
    assert.equal(newer.report.settings.batch, 16);
    assert.ok(older === null || older.report.settings.batch === 64);
  });

  test('a file that is not open has no timeline', async () => {
    assert.equal(await timeline(session, { uri: fixtureUri('mlp.py') }), null);
  });
});

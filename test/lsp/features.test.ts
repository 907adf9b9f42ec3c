// Inlay hints, hovers, code lenses and diagnostics from the real server over stdio, checked against
// the PyTorch-measured ground truth of the fixtures (test/fixtures/*.truth.json).

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { formatShape } from '../../server/src/report/table';
import type { LayerReport, Report } from '../../server/src/report/types';
import { formatBytes, formatCount } from '../../server/src/report/units';
import { FIXTURES, lineLength, lineOf, readFixture, readTruth, Truth, TRUTH_SETTINGS, truthModule } from '../fixtures';
import { fixtureUri, LspSession, markdown, tableValues } from './session';

// SGD keeps no optimizer state, so a line's weights are exactly parameters + gradients.
const SETTINGS = { ...TRUTH_SETTINGS, optimizer: 'sgd', budget: '24GiB' };

function savedOf(truth: Truth, paths: string[]): number {
  return paths.reduce((sum, p) => sum + truthModule(truth, p).savedBytes, 0);
}

describe('mlp.py over LSP', { timeout: 60_000 }, () => {
  const name = 'mlp.py';
  const text = readFixture(name);
  const truth = readTruth(name);
  const uri = fixtureUri(name);
  let session: LspSession;
  let firstDiagnostics: Awaited<ReturnType<LspSession['open']>>;

  before(async () => {
    session = await LspSession.start({ settings: SETTINGS });
    firstDiagnostics = await session.openFixture(name);
  });
  after(() => session.stop());

  test('the report matches the measured totals and per-layer saved bytes', async () => {
    const report = await session.report<Report>(uri);
    assert.ok(report, 'memlens/report returned null');
    assert.equal(report.totals.params, truth.params);
    assert.equal(report.totals.paramBytes, truth.paramBytes);
    assert.equal(report.totals.savedActivationBytes, truth.savedActivationBytes);
    for (const m of truth.modules.filter((x) => x.leaf)) {
      const layer: LayerReport | undefined = report.layers.find((l) => l.path === m.path);
      assert.ok(layer, `no layer ${m.path}`);
      assert.equal(layer.savedBytes, m.savedBytes, `${m.path} savedBytes`);
    }
  });

  test('no diagnostics for a model that fits 24 GiB and that the engine fully reads', () => {
    assert.deepEqual(firstDiagnostics.diagnostics, []);
  });

  test('an inlay hint at the end of each call line in forward, with measured saved bytes', async () => {
    const hints = (await session.inlayHints(uri)) ?? [];
    for (const m of ['fc1', 'act1', 'fc2', 'act2', 'fc3']) {
      const line = lineOf(text, `x = self.${m}(x)`);
      const hint = hints.find((h) => h.position.line === line);
      assert.ok(hint, `no hint on line ${line + 1} (self.${m})`);
      assert.equal(hint.position.character, lineLength(text, line), 'hint not at the end of the line');
      assert.equal(hint.paddingLeft, true);
      const label = typeof hint.label === 'string' ? hint.label : hint.label.map((p) => p.value).join('');
      // What is zero is left out: fc1 saves nothing (its input is the model's), GELU has no weights.
      const saved = truthModule(truth, m).savedBytes;
      const want = [saved > 0 ? `saved ${formatBytes(saved)}` : null, truthModule(truth, m).kind === 'Linear' ? 'weights \\S+ (B|KiB|MiB)' : null].filter((x) => x !== null).join(' · ');
      assert.match(label, new RegExp(`^${want}$`), label);
    }
  });

  test('one hint per layer: on its call line, none on the line that builds it (that is on hover)', async () => {
    const hints = (await session.inlayHints(uri)) ?? [];
    for (const m of ['fc1', 'act1', 'fc2', 'act2', 'fc3']) {
      const line = lineOf(text, `self.${m} = nn.`);
      assert.equal(hints.find((h) => h.position.line === line), undefined, `a hint on the construction of ${m}`);
    }
    assert.equal(hints.length, 5);
  });

  test('hovers on the construction lines: parameter counts add up to the measured total', async () => {
    let params = 0;
    for (const m of ['fc1', 'act1', 'fc2', 'act2', 'fc3']) {
      const md = markdown(await session.hover(uri, lineOf(text, `self.${m} = nn.`)));
      assert.ok(md.includes(`\`${m}\``), `hover on ${m} does not name it:\n${md}`);
      assert.deepEqual(tableValues(md, 'kind'), [truthModule(truth, m).kind]);
      assert.deepEqual(tableValues(md, 'output'), [formatShape(truthModule(truth, m).outputShape ?? null)]);
      params += Number(tableValues(md, 'parameters')[0].replace(/,/g, ''));
    }
    assert.equal(params, truth.params);
  });

  test('hover on a call line: saved bytes and share of the peak', async () => {
    const md = markdown(await session.hover(uri, lineOf(text, 'x = self.act1(x)')));
    assert.deepEqual(tableValues(md, 'saved for backward'), [formatBytes(truthModule(truth, 'act1').savedBytes)]);
    assert.equal(tableValues(md, 'share of peak').length, 1);
    assert.match(tableValues(md, 'share of peak')[0], /^\d+\.\d% of \S+ (B|KiB|MiB|GiB)$/);
  });

  test('no hover where nothing is built or called', async () => {
    assert.equal(await session.hover(uri, lineOf(text, 'import torch.nn as nn')), null);
  });

  test('a code lens on the model class with the peak, batch, precision and optimizer', async () => {
    const report = await session.report<Report>(uri);
    assert.ok(report);
    const lenses = (await session.codeLenses(uri)) ?? [];
    // The peak (the report on click), "Show timeline" (the timeline view of this document), "Profile".
    assert.equal(lenses.length, 3);
    assert.deepEqual(lenses.map((l) => l.range.start.line), [0, 0, 0].map(() => lineOf(text, 'class MLP(nn.Module):')));
    assert.deepEqual(lenses[1].command, { title: 'Show timeline', command: 'memlens.showTimeline', arguments: [uri] });
    assert.deepEqual(lenses[2].command, { title: 'Profile', command: 'memlens.profile', arguments: [uri] });
    assert.equal(lenses[0].command?.command, 'memlens.showReport');
    const title = lenses[0].command?.title ?? '';
    assert.ok(title.startsWith(`Peak ${formatBytes(report.totals.peakBytes)} (${report.totals.peakPhase}) · batch ${truth.batch} · fp32 · sgd`), title);
    assert.ok(!title.includes('guessed'), `the directive gives entry and input, nothing is guessed: ${title}`);
    // A training step holds at least the parameters and every saved activation at its peak.
    assert.ok(report.totals.peakBytes >= truth.paramBytes + truth.savedActivationBytes, `peak ${report.totals.peakBytes}`);
    assert.equal(lenses[0].command?.command, 'memlens.showReport');
  });
});

describe('a model file without a directive', { timeout: 60_000 }, () => {
  let session: LspSession;
  before(async () => {
    session = await LspSession.start({ settings: SETTINGS });
  });
  after(() => session.stop());

  test('the code lens says what it guessed: the entry and the input', async () => {
    const text = readFixture('mlp.py').replace(/^# memlens:.*$/m, '');
    const uri = pathToFileURL(path.join(FIXTURES, 'unsaved', 'no_directive.py')).toString();
    await session.open(uri, text);
    const lenses = ((await session.codeLenses(uri)) ?? []).filter((l) => !['memlens.showTimeline', 'memlens.profile'].includes(l.command?.command ?? ''));
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0].range.start.line, lineOf(text, 'class MLP(nn.Module):'));
    const title = lenses[0].command?.title ?? '';
    assert.match(title, / \(guessed entry MLP\(\)\)/);
    // The only thing the file says about its input is in_features=784.
    assert.match(title, / \(guessed input x: float32\[\d+, 784\]\)$/);
  });
});

describe('resnet_small.py over LSP: a block class built 4 times', { timeout: 60_000 }, () => {
  const name = 'resnet_small.py';
  const text = readFixture(name);
  const truth = readTruth(name);
  const uri = fixtureUri(name);
  const basicBlocks = truth.modules.filter((m) => m.kind === 'BasicBlock').map((m) => m.path);
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: SETTINGS });
    await session.openFixture(name);
  });
  after(() => session.stop());

  test('the fixture has 4 BasicBlocks', () => {
    assert.equal(basicBlocks.length, 4);
  });

  test('the construction line inside BasicBlock: no hint, and its hover is one table marked ×4', async () => {
    const hints = (await session.inlayHints(uri)) ?? [];
    const line = lineOf(text, 'self.conv1 = nn.Conv2d(planes, planes');
    assert.equal(hints.find((h) => h.position.line === line), undefined);
    const md = markdown(await session.hover(uri, line));
    assert.deepEqual(tableValues(md, 'kind'), ['Conv2d'], 'one table for the 4 instances');
    assert.match(md, /×4 \(each\)/);
    assert.equal(lineLength(text, line) > 0, true);
  });

  test('call lines inside BasicBlock sum the measured saved bytes of all 4 instances', async () => {
    const hints = (await session.inlayHints(uri)) ?? [];
    const expectations: [string, string[]][] = [
      ['out = self.relu(self.bn1(self.conv1(x)))', ['conv1', 'bn1', 'relu']],
      ['out = self.bn2(self.conv2(out))', ['conv2', 'bn2']],
    ];
    const blockFirst = lineOf(text, 'class BasicBlock');
    const blockEnd = lineOf(text, 'class DownBlock');
    for (const [code, children] of expectations) {
      const line = text.split('\n').findIndex((l, i) => i > blockFirst && i < blockEnd && l.includes(code));
      const saved = savedOf(truth, basicBlocks.flatMap((b) => children.map((c) => `${b}.${c}`)));
      const hint = hints.find((h) => h.position.line === line);
      assert.ok(hint, `no hint on "${code}"`);
      // The line runs once per BasicBlock, however many layers it calls: per-run figures, ×4 written out.
      assert.ok(String(hint.label).startsWith(`saved 4 × ${formatBytes(saved / 4)} · weights 4 × `), `${hint.label} (expected saved 4 × ${formatBytes(saved / 4)})`);
    }
  });

  test('hover on the classifier: kind, output shape and saved bytes as measured', async () => {
    const md = markdown(await session.hover(uri, lineOf(text, 'out = self.fc(out)')));
    const fc = truthModule(truth, 'fc');
    assert.deepEqual(tableValues(md, 'kind'), ['Linear']);
    assert.deepEqual(tableValues(md, 'output'), [formatShape(fc.outputShape ?? null)]);
    assert.deepEqual(tableValues(md, 'saved for backward'), [formatBytes(fc.savedBytes)]);
  });

  test('the report counts parameters, buffers and saved activations as measured', async () => {
    const report = await session.report<Report>(uri);
    assert.ok(report);
    assert.equal(report.totals.params, truth.params);
    assert.equal(report.totals.bufferBytes, truth.bufferBytes);
    assert.equal(report.totals.savedActivationBytes, truth.savedActivationBytes);
    assert.equal(formatCount(report.totals.params), formatCount(truth.params));
  });

  test('the code lens sits on ResNetSmall, not on the block classes', async () => {
    const lenses = ((await session.codeLenses(uri)) ?? []).filter((l) => !['memlens.showTimeline', 'memlens.profile'].includes(l.command?.command ?? ''));
    assert.deepEqual(lenses.map((l) => l.range.start.line), [lineOf(text, 'class ResNetSmall(nn.Module):')]);
    assert.match(lenses[0].command?.title ?? '', / · batch 8 · fp32 · sgd/);
  });
});

describe('transformer_block.py over LSP', { timeout: 60_000 }, () => {
  const name = 'transformer_block.py';
  const text = readFixture(name);
  const truth = readTruth(name);
  const uri = fixtureUri(name);
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: SETTINGS });
    await session.openFixture(name);
  });
  after(() => session.stop());

  test('the MLP line sums fc, GELU, proj and the CPU dropout noise of both blocks', async () => {
    const hints = (await session.inlayHints(uri)) ?? [];
    const line = lineOf(text, 'return self.drop(self.proj(self.act(self.fc(x))))');
    const paths = ['block1', 'block2'].flatMap((b) => ['fc', 'act', 'proj', 'drop'].map((c) => `${b}.mlp.${c}`));
    const hint = hints.find((h) => h.position.line === line);
    assert.ok(hint, 'no hint on the MLP forward line');
    assert.ok(String(hint.label).startsWith(`saved 2 × ${formatBytes(savedOf(truth, paths) / 2)} · weights 2 × `), String(hint.label));
  });

  test('hover on the final LayerNorm', async () => {
    const md = markdown(await session.hover(uri, lineOf(text, 'x = self.ln_f(x)')));
    const ln = truthModule(truth, 'ln_f');
    assert.deepEqual(tableValues(md, 'kind'), ['LayerNorm']);
    assert.deepEqual(tableValues(md, 'output'), [formatShape(ln.outputShape ?? null)]);
    assert.deepEqual(tableValues(md, 'saved for backward'), [formatBytes(ln.savedBytes)]);
  });

  test('construction lines of the attention projections: their hover is one table ×2 (two blocks)', async () => {
    const md = markdown(await session.hover(uri, lineOf(text, 'self.query = nn.Linear(n_embd, n_embd)')));
    assert.deepEqual(tableValues(md, 'kind'), ['Linear']);
    assert.match(md, /`block1\.attn\.query` … `block2\.attn\.query` ×2 \(each\)/);
  });

  test('memlens.inlayHints.onConstruction puts hints on the construction lines too, per instance ×2', async () => {
    await session.configure({ ...SETTINGS, inlayHints: { onConstruction: true } }, uri);
    const hints = (await session.inlayHints(uri)) ?? [];
    const hint = hints.find((h) => h.position.line === lineOf(text, 'self.query = nn.Linear(n_embd, n_embd)'));
    assert.ok(hint);
    assert.match(String(hint.label), /^saved 2 × \S+ (B|KiB|MiB) · weights 2 × \S+ (B|KiB|MiB)$/, 'what the 2 built modules save and weigh, per instance');
    await session.configure({ ...SETTINGS, inlayHints: { saved: false } }, uri);
    const noSaved = (await session.inlayHints(uri)) ?? [];
    assert.ok(noSaved.length > 0 && noSaved.every((h) => !String(h.label).includes('saved')), 'memlens.inlayHints.saved: false');
    await session.configure(SETTINGS, uri);
  });

  test('the code lens: batch 4 from the directive', async () => {
    const lenses = ((await session.codeLenses(uri)) ?? []).filter((l) => !['memlens.showTimeline', 'memlens.profile'].includes(l.command?.command ?? ''));
    assert.equal(lenses.length, 1);
    assert.equal(lenses[0].range.start.line, lineOf(text, 'class TinyTransformer(nn.Module):'));
    assert.match(lenses[0].command?.title ?? '', /^Peak \S+ (B|KiB|MiB|GiB) \((forward|backward|optimizer)\) · batch 4 · fp32 · sgd/);
  });
});

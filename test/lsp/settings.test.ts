// Settings over LSP: initializationOptions, workspace/didChangeConfiguration and
// workspace/configuration; every change refreshes hints, lenses and diagnostics.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver';
import type { Report } from '../../server/src/report/types';
import { formatBytes, parseBytes } from '../../server/src/report/units';
import { lineOf, readFixture, readTruth, TRUTH_SETTINGS, truthModule } from '../fixtures';
import { fixtureUri, LspSession } from './session';

const BASE = { ...TRUTH_SETTINGS, optimizer: 'sgd', budget: '24GiB' };
const REFRESH = { workspace: { inlayHint: { refreshSupport: true }, codeLens: { refreshSupport: true } } };
const overBudget = (d: Diagnostic): boolean => d.code === 'peak-over-budget';

describe('settings changes', { timeout: 60_000 }, () => {
  const name = 'mlp.py';
  const text = readFixture(name);
  const truth = readTruth(name);
  const uri = fixtureUri(name);
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: BASE, capabilities: REFRESH });
    const first = await session.openFixture(name);
    assert.equal(first.diagnostics.filter(overBudget).length, 0);
  });
  after(() => session.stop());

  test('a tiny budget: a diagnostic on the model class with the peak and the budget', async () => {
    const requestsBefore = session.serverRequests.length;
    const published = await session.configure({ ...BASE, budget: '1KiB' }, uri);
    const report = await session.report<Report>(uri);
    assert.ok(report);
    assert.equal(report.budgetBytes, 1024);
    const diagnostic = published.diagnostics.find(overBudget);
    assert.ok(diagnostic, `no over-budget diagnostic in ${JSON.stringify(published.diagnostics)}`);
    assert.equal(diagnostic.range.start.line, lineOf(text, 'class MLP(nn.Module):'));
    const message = typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
    assert.ok(message.includes(formatBytes(report.totals.peakBytes)), message);
    assert.ok(message.includes('1.00 KiB'), message);
    assert.ok(report.totals.peakBytes >= truth.paramBytes + truth.savedActivationBytes);
    const refreshed = session.serverRequests.slice(requestsBefore);
    assert.ok(refreshed.includes('workspace/inlayHint/refresh'), `requests: ${refreshed.join(', ')}`);
    assert.ok(refreshed.includes('workspace/codeLens/refresh'), `requests: ${refreshed.join(', ')}`);
  });

  test('back to 24 GiB: the diagnostic goes away', async () => {
    const published = await session.configure(BASE, uri);
    assert.equal(published.diagnostics.filter(overBudget).length, 0);
  });

  test('batchSize 64 overrides the directive: inputs and saved bytes double', async () => {
    await session.configure({ ...BASE, batchSize: 2 * truth.batch }, uri);
    const report = await session.report<Report>(uri);
    assert.ok(report);
    assert.equal(report.settings.batch, 2 * truth.batch);
    assert.deepEqual(report.inputs[0].shape, [2 * truth.batch, ...truth.inputs[0].shape.slice(1)]);
    // Every tensor MLP saves has the batch as its leading dimension, so saved bytes scale with it.
    assert.equal(report.totals.savedActivationBytes, 2 * truth.savedActivationBytes);
    const hints = (await session.inlayHints(uri)) ?? [];
    const hint = hints.find((h) => h.position.line === lineOf(text, 'x = self.act1(x)'));
    assert.equal(String(hint?.label), `saved ${formatBytes(2 * truthModule(truth, 'act1').savedBytes)}`);
    const lens = ((await session.codeLenses(uri)) ?? [])[0];
    assert.match(lens?.command?.title ?? '', new RegExp(` · batch ${2 * truth.batch} · `));
  });

  test('precision and optimizer appear in the code lens', async () => {
    await session.configure({ ...BASE, optimizer: 'adam', precision: 'amp-bf16' }, uri);
    const lens = ((await session.codeLenses(uri)) ?? [])[0];
    assert.match(lens?.command?.title ?? '', / · amp-bf16 · adam/);
  });

  test('memlens.inlayHints.enabled false: no hints; true: hints again', async () => {
    await session.configure({ ...BASE, inlayHints: { enabled: false } }, uri);
    assert.deepEqual(await session.inlayHints(uri), []);
    await session.configure(BASE, uri);
    assert.ok(((await session.inlayHints(uri)) ?? []).length >= 5);
  });

  test('malformed values fall back to defaults, are logged and shown as warnings, not fatal', async () => {
    const published = await session.configure({ ...BASE, budget: 'lots', precision: 'fp8', batchSize: -3 }, uri);
    assert.equal(published.diagnostics.filter(overBudget).length, 0);
    const report = await session.report<Report>(uri);
    assert.equal(report?.budgetBytes, parseBytes('24GiB'));
    assert.equal(report?.settings.precision, 'fp32');
    assert.equal(report?.settings.batch, truth.batch);
    const log = session.stderr.join('\n');
    assert.match(log, /memlens\.budget: "lots" is not a size; use 24GiB, 80GB, 512MiB, a number of bytes/);
    assert.match(log, /memlens\.precision: "fp8" is not one of fp32/);
  });
});

describe('settings pulled with workspace/configuration', { timeout: 60_000 }, () => {
  const uri = fixtureUri('mlp.py');
  let session: LspSession;
  let current: Record<string, unknown> = { ...BASE, budget: '1KiB' };

  before(async () => {
    session = await LspSession.start({
      settings: BASE,
      capabilities: { workspace: { configuration: true } },
      configuration: () => current,
    });
  });
  after(() => session.stop());

  test('the pulled budget applies', async () => {
    const over = session.nextDiagnostics(uri, (p) => p.diagnostics.some(overBudget));
    await session.openFixture('mlp.py');
    await over;
    assert.ok(session.serverRequests.includes('workspace/configuration'));
  });

  test('a didChangeConfiguration without settings makes the server pull again', async () => {
    current = BASE;
    const fits = session.nextDiagnostics(uri, (p) => !p.diagnostics.some(overBudget));
    await session.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await fits;
  });
});

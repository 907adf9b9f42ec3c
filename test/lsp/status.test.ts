// What the editor shows around the analysis rather than in the code: the status bar's figures
// (memlens/summary), work-done progress for a document's first analysis, warnings for invalid
// settings, and settings pulled per folder (workspace/configuration with a scopeUri).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { DocumentSummary } from '../../server/src/protocol';
import type { Report } from '../../server/src/report/types';
import { formatBytes, formatCount, parseBytes } from '../../server/src/report/units';
import { fixturePath, readFixture, readTruth, TRUTH_SETTINGS } from '../fixtures';
import { fixtureUri, LspSession } from './session';

const BASE = { ...TRUTH_SETTINGS, optimizer: 'adamw', budget: '24GiB' };
const MESSAGE_WARNING = 2; // LSP MessageType.Warning

/** The last summary the server sent for `uri` at `version`. */
function summaryOf(session: LspSession, uri: string, version: number): DocumentSummary | null | undefined {
  return session.summaries.filter((s) => s.uri === uri && s.version === version).at(-1)?.summary as DocumentSummary | null | undefined;
}

describe('status bar figures (memlens/summary)', { timeout: 60_000 }, () => {
  const name = 'mlp.py';
  const uri = fixtureUri(name);
  const truth = readTruth(name);
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: BASE });
  });
  after(() => session.stop());

  test('the peak, precision and batch of the open model file, its phase, optimizer, budget and max batch in the tooltip', async () => {
    await session.openFixture(name);
    await session.nextEvent((e) => e === `memlens/summary ${uri}`);
    const summary = summaryOf(session, uri, 1);
    const report = await session.report<Report>(uri);
    assert.ok(summary && report);
    // The figure PyTorch measured for this step (AdamW, CPU), within the suite's 1 %.
    const measured = truth.peak!.adamw.bytes;
    assert.ok(Math.abs(summary.peakBytes - measured) <= 0.01 * measured, `peak ${summary.peakBytes}, measured ${measured}`);
    assert.equal(summary.peakBytes, report.totals.peakBytes);
    assert.equal(report.unknowns.length, 0);
    assert.equal(summary.text, `${formatBytes(report.totals.peakBytes)} · fp32 · B=${truth.batch}`);
    assert.equal(summary.batch, truth.batch);
    assert.equal(summary.budgetBytes, parseBytes('24GiB'));
    assert.ok(report.maxBatch !== null && report.maxBatch > truth.batch);
    assert.equal(summary.maxBatch, report.maxBatch);
    const tooltip = summary.tooltip.split('\n');
    assert.equal(tooltip[0], `Memlens: training-step peak ${formatBytes(report.totals.peakBytes)} during ${report.totals.peakPhase}`);
    assert.equal(tooltip[1], `precision fp32 · optimizer adamw · batch ${truth.batch}`);
    // mlp.py at batch 32 fits millions of times over: a bound that large reads "> 1M".
    assert.ok(report.maxBatch! > 1_000_000);
    assert.equal(tooltip[2], 'budget 24.0 GiB: fits · largest batch that fits > 1M');
    // This client did not advertise window.workDoneProgress: no progress was asked for.
    assert.ok(!session.serverRequests.includes('window/workDoneProgress/create'));
  });

  test('a settings change sends new figures: batch 64, amp-bf16', async () => {
    const since = session.events.length;
    await session.configure({ ...BASE, batchSize: 64, precision: 'amp-bf16' }, uri);
    await session.nextEvent((e) => e === `memlens/summary ${uri}`, since);
    const report = await session.report<Report>(uri);
    const summary = session.summaries.filter((s) => s.uri === uri).at(-1)?.summary as DocumentSummary;
    assert.equal(summary.text, `${formatBytes(report!.totals.peakBytes)} · amp-bf16 · B=64`);
    const first = session.summaries.find((s) => s.uri === uri)?.summary as DocumentSummary;
    assert.ok(summary.peakBytes > first.peakBytes, `batch 64 (amp-bf16): ${summary.peakBytes}; batch ${truth.batch} (fp32): ${first.peakBytes}`);
    await session.configure(BASE, uri);
  });

  test('unknowns that reach the numbers make the peak a lower bound: ≥', async () => {
    const text = [
      'import torch.nn as nn',
      'import mystery_ops',
      '',
      'class Net(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.fc = nn.Linear(64, 64)',
      '',
      '    def forward(self, x):',
      '        return mystery_ops.fused(self.fc(x))',
      '',
      '# memlens: entry=Net() input=x:float32[B,64] batch=4',
      '',
    ].join('\n');
    const other = 'untitled:Untitled-unknowns';
    await session.open(other, text);
    await session.nextEvent((e) => e === `memlens/summary ${other}`);
    const summary = summaryOf(session, other, 1);
    const report = await session.report<Report>(other);
    assert.ok(summary && report);
    assert.ok(report.unknowns.length > 0, JSON.stringify(report.unknowns));
    assert.equal(summary.unknowns, report.unknowns.length);
    assert.equal(summary.text, `≥ ${formatBytes(report.totals.peakBytes)} · fp32 · B=4`);
    // A lower-bound peak makes the largest batch an upper bound, unless it is past a million anyway.
    assert.match(summary.tooltip, report.maxBatch! > 1_000_000 ? /largest batch that fits > 1M/ : new RegExp(`largest batch that fits ≤ ${formatCount(report.maxBatch!)}`));
  });

  test('a file without a model: null (the client hides the item)', async () => {
    const other = 'untitled:Untitled-plain';
    await session.open(other, 'x = 1\n');
    await session.nextEvent((e) => e === `memlens/summary ${other}`);
    assert.equal(summaryOf(session, other, 1), null);
  });
});

describe('work-done progress for a first analysis', { timeout: 60_000 }, () => {
  const uri = fixtureUri('mlp.py');
  let session: LspSession;

  before(async () => {
    // The server announces only analyses still running after 300 ms; mlp.py is quicker: announce at once.
    session = await LspSession.start({ settings: BASE, capabilities: { window: { workDoneProgress: true } }, env: { MEMLENS_PROGRESS_DELAY_MS: '0' } });
  });
  after(() => session.stop());

  test('create, begin "Memlens: analyzing mlp.py", the diagnostics, end', async () => {
    await session.openFixture('mlp.py');
    await session.nextEvent((e) => /^\$\/progress \S+ end$/.test(e));
    const events = session.events.filter((e) => !e.startsWith('memlens/summary') && !e.startsWith('window/showMessage'));
    const created = events.find((e) => e.startsWith('window/workDoneProgress/create '));
    assert.ok(created, events.join('\n'));
    const token = created.split(' ')[1];
    assert.deepEqual(events, [
      `window/workDoneProgress/create ${token}`,
      `$/progress ${token} begin Memlens: analyzing mlp.py`,
      `textDocument/publishDiagnostics ${uri}`,
      `$/progress ${token} end`,
    ]);
  });

  test('later analyses of the same document (an edit) run without progress', async () => {
    const before = session.events.length;
    const text = readFixture('mlp.py');
    const line = text.split('\n').findIndex((l) => l.includes('hidden=256'));
    const at = text.split('\n')[line].indexOf('256');
    await session.change(uri, [{ range: { start: { line, character: at }, end: { line, character: at + 3 } }, text: '128' }]);
    const later = session.events.slice(before);
    assert.ok(later.includes(`textDocument/publishDiagnostics ${uri}`), later.join('\n'));
    assert.deepEqual(later.filter((e) => e.includes('rogress')), []);
  });
});

describe('invalid settings: a warning naming the setting, the value and the accepted forms', { timeout: 60_000 }, () => {
  const uri = fixtureUri('mlp.py');
  const budgetWarning = 'memlens.budget: "24 gigs" is not a size; use 24GiB, 80GB, 512MiB, a number of bytes, a GPU name such as A100-80GB, or empty for no budget; using 24GiB until it is fixed';
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: { ...BASE, budget: '24 gigs' } });
    await session.openFixture('mlp.py');
  });
  after(() => session.stop());

  test('the budget from the client at start: one warning, and 24 GiB is used meanwhile', async () => {
    await session.nextEvent((e) => e.startsWith('window/showMessage '));
    assert.deepEqual(session.messages, [{ type: MESSAGE_WARNING, message: budgetWarning }]);
    assert.equal((await session.report<Report>(uri))?.budgetBytes, parseBytes('24GiB'));
  });

  test('the same problem again is not repeated; a new one is shown once', async () => {
    await session.configure({ ...BASE, budget: '24 gigs', precision: 'fp8', batchSize: 0 }, uri);
    await session.configure({ ...BASE, budget: '24 gigs', precision: 'fp8', batchSize: 0 }, uri);
    assert.deepEqual(session.messages.map((m) => m.message), [
      budgetWarning,
      "memlens.batchSize: 0 is not a positive whole number; use e.g. 32, or null for the file's own batch; using the file's batch until it is fixed",
      'memlens.precision: "fp8" is not one of fp32, amp-fp16, amp-bf16, bf16; using fp32 until it is fixed',
    ]);
    assert.ok(session.messages.every((m) => m.type === MESSAGE_WARNING));
    const report = await session.report<Report>(uri);
    assert.equal(report?.settings.precision, 'fp32');
    assert.equal(report?.settings.batch, 32);
  });

  test('fixed, then broken again: shown again', async () => {
    await session.configure({ ...BASE, budget: '80GB' }, uri);
    assert.equal((await session.report<Report>(uri))?.budgetBytes, 80e9);
    const shown = session.messages.length;
    await session.configure({ ...BASE, budget: '24 gigs' }, uri);
    assert.deepEqual(session.messages.slice(shown).map((m) => m.message), [budgetWarning]);
  });
});

describe('settings per folder (workspace/configuration with a scopeUri)', { timeout: 60_000 }, () => {
  const truth = readTruth('mlp.py');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-folders-'));
  const folders = { a: path.join(root, 'a'), b: path.join(root, 'b') };
  const uris = { a: '', b: '' };
  const batch: Record<'a' | 'b', number> = { a: 2, b: 5 };
  let session: LspSession;

  before(async () => {
    for (const key of ['a', 'b'] as const) {
      fs.mkdirSync(folders[key]);
      fs.copyFileSync(fixturePath('mlp.py'), path.join(folders[key], 'mlp.py'));
      uris[key] = pathToFileURL(path.join(folders[key], 'mlp.py')).href;
    }
    const folderOf = (scopeUri: string | undefined): 'a' | 'b' | null =>
      scopeUri?.startsWith(pathToFileURL(folders.a).href + '/') ? 'a' : scopeUri?.startsWith(pathToFileURL(folders.b).href + '/') ? 'b' : null;
    session = await LspSession.start({
      settings: BASE,
      capabilities: { workspace: { configuration: true } },
      configuration: (item) => {
        const folder = folderOf(item.scopeUri);
        return folder ? { ...BASE, batchSize: batch[folder] } : BASE;
      },
    });
  });
  after(async () => {
    await session.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function reportOf(key: 'a' | 'b'): Promise<Report> {
    const report = await session.report<Report>(uris[key]);
    assert.ok(report);
    return report;
  }

  test('two folders, two batch sizes: each file is analyzed with its folder\'s', async () => {
    const text = readFixture('mlp.py');
    await session.open(uris.a, text);
    await session.open(uris.b, text);
    for (const key of ['a', 'b'] as const) {
      assert.ok(session.configurationItems.some((i) => i.scopeUri === uris[key] && i.section === 'memlens'), JSON.stringify(session.configurationItems));
      const report = await reportOf(key);
      assert.equal(report.settings.batch, batch[key]);
      assert.deepEqual(report.inputs[0].shape, [batch[key], 784]);
      // MLP saves only tensors whose leading dimension is the batch.
      assert.equal(report.totals.savedActivationBytes, (truth.savedActivationBytes / truth.batch) * batch[key]);
    }
  });

  test('a change pulls every open file\'s folder again: b becomes 7, a stays 2', async () => {
    batch.b = 7;
    const published = session.nextDiagnostics(uris.b);
    await session.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
    await published;
    assert.equal((await reportOf('b')).settings.batch, 7);
    assert.equal((await reportOf('a')).settings.batch, 2);
  });
});

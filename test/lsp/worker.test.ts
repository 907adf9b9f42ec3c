// Analysis off the request path, over LSP: while a slow analysis runs in the analysis worker,
// hints and hovers answer at once from the previous result (moved with the edit); a newer version
// supersedes a running analysis; a worker killed by a hostile file is replaced and the server keeps
// answering. Ordering is read from the server's own message stream, never from timers.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { InlayHint } from 'vscode-languageserver';
import type { Report } from '../../server/src/report/types';
import { FIXTURES, lineOf, readFixture, readTruth, TRUTH_SETTINGS } from '../fixtures';
import { LspSession, markdown } from './session';

const SETTINGS = { ...TRUTH_SETTINGS, optimizer: 'sgd' };
const MODEL = readFixture('mlp.py');
const TRUTH = readTruth('mlp.py');

/** A million loop iterations at module level: seconds of interpreting, then the same model. */
const SLOW_TAIL = '\n\ntotal = 0\nfor i in range(1000):\n    for j in range(1000):\n        total += i * j\n';

/** Lists of a million items (8 MB each), within the step budget and kept: 400 MB, over the worker's heap here. */
const HOSTILE = `# memlens: entry=Net() input=x:float32[B,8]\nimport torch.nn as nn\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.kept = [[0] * 999999 for i in range(50)]\n        self.fc = nn.Linear(8, 8)\n\n    def forward(self, x):\n        return self.fc(x)\n`;

const uriOf = (name: string): string => pathToFileURL(path.join(FIXTURES, 'unsaved', name)).toString();
const endOf = (text: string): { line: number; character: number } => {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
};
const labels = (hints: InlayHint[] | null): string[] => (hints ?? []).map((h) => `${h.position.line}:${String(h.label)}`);

describe('analysis in the worker', { timeout: 120_000 }, () => {
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: SETTINGS, capabilities: { workspace: { inlayHint: { refreshSupport: true }, codeLens: { refreshSupport: true } } } });
  });
  after(() => session.stop());

  test('while a slow analysis runs, hints and hovers answer from the previous result, moved with the edit', async () => {
    const uri = uriOf('slow_edit.py');
    await session.open(uri, MODEL);
    const before = await session.inlayHints(uri);
    assert.ok((before ?? []).length >= 5, 'hints of the first result');
    const act1 = lineOf(MODEL, 'x = self.act1(x)');
    const hoverBefore = markdown(await session.hover(uri, act1));
    assert.match(hoverBefore, /saved for backward/);

    // One didChange: a comment line on top (every line moves down one) and a slow loop at the end.
    const refreshes = session.serverRequests.filter((m) => m === 'workspace/inlayHint/refresh').length;
    const slow = session.change(uri, [
      { range: { start: endOf(MODEL), end: endOf(MODEL) }, text: SLOW_TAIL },
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# a slow edit\n' },
    ]);
    const hints = await session.inlayHints(uri);
    const hover = markdown(await session.hover(uri, act1 + 1));
    // Answered before the new version's analysis was published: from the previous result.
    assert.ok(!session.published.some((p) => p.uri === uri && p.version === 2), 'the slow analysis finished before the hints were answered: nothing shows they did not wait');
    assert.deepEqual(labels(hints), labels(before).map((l) => l.replace(/^(\d+):/, (_, n: string) => `${Number(n) + 1}:`)));
    assert.equal(hover, hoverBefore);

    // Then the result lands: diagnostics for version 2, the editor asked to read hints again.
    await slow;
    // The report's answer comes after any request the server sent before it.
    const report = await session.report<Report>(uri);
    assert.equal(report?.totals.params, TRUTH.params);
    assert.ok(session.serverRequests.filter((m) => m === 'workspace/inlayHint/refresh').length > refreshes, 'no inlay hint refresh after the new result');
    assert.deepEqual(labels(await session.inlayHints(uri)), labels(hints), 'the same model: the same hints, now from its own result');
  });

  test('a newer version supersedes a running analysis: only the last text is analyzed and published', async () => {
    // How long the slow text takes on its own, on this machine, now.
    const alone = uriOf('slow_alone.py');
    let t0 = performance.now();
    await session.open(alone, MODEL + SLOW_TAIL);
    const slowMs = performance.now() - t0;

    const uri = uriOf('superseded.py');
    await session.open(uri, MODEL);
    const slow = session.change(uri, [{ range: { start: endOf(MODEL), end: endOf(MODEL) }, text: SLOW_TAIL }]);
    slow.catch(() => undefined);
    // Answered at once; by then the server has handed version 2 to the worker.
    await session.inlayHints(uri);
    const narrower = MODEL.replace('hidden=256', 'hidden=64');
    t0 = performance.now();
    const last = await session.change(uri, [{ range: { start: { line: 0, character: 0 }, end: endOf(MODEL + SLOW_TAIL) }, text: narrower }]);
    const lastMs = performance.now() - t0;
    assert.deepEqual(last.diagnostics, []);
    assert.ok(lastMs < slowMs / 2, `version 3 took ${lastMs.toFixed(0)} ms, the slow text alone ${slowMs.toFixed(0)} ms: version 2 was not stopped`);
    assert.ok(!session.published.some((p) => p.uri === uri && p.version === 2), 'the superseded version was published');
    const report = await session.report<Report>(uri);
    assert.equal(report?.totals.params, readTruth('edits/mlp_hidden64.py').params);
    const hints = await session.inlayHints(uri);
    const fc1 = lineOf(narrower, 'x = self.fc1(x)');
    assert.ok(hints?.some((h) => h.position.line === fc1), 'a hint on the fc1 line of the last text');
  });
});

describe('a hostile file that exhausts the worker', { timeout: 120_000 }, () => {
  let session: LspSession;

  before(async () => {
    // A smaller heap for the worker: the same hostile file, out of memory sooner.
    session = await LspSession.start({ settings: SETTINGS, env: { MEMLENS_WORKER_MEMORY_MB: '192' } });
  });
  after(() => session.stop());

  test('ends the worker, not the server: a diagnostic says why, and a fresh worker analyzes the next file', async () => {
    const hostile = uriOf('exhausts_memory.py');
    const published = await session.open(hostile, HOSTILE);
    assert.equal(published.diagnostics.length, 1, JSON.stringify(published.diagnostics));
    assert.match(String(published.diagnostics[0].message), /analysis stopped: out of memory \(over 192 MiB\)/);
    assert.deepEqual(await session.inlayHints(hostile), []);
    assert.ok(session.alive, 'the server died');

    const uri = uriOf('after_hostile.py');
    await session.open(uri, MODEL);
    const report = await session.report<Report>(uri);
    assert.equal(report?.totals.params, TRUTH.params);
    assert.ok(((await session.inlayHints(uri)) ?? []).length >= 5);
    assert.ok(session.stderr.some((l) => /analysis stopped: out of memory/.test(l)), 'the server logged the worker it lost');
  });
});

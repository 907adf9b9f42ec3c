// A model that imports a block class from a sibling file: the server reads the sibling from its
// open (unsaved) editor first, else from disk, and an edit to the sibling changes the model's answers
// and re-publishes the model's diagnostics.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { overBudgetMessage } from '../../server/src/lsp/diagnostics';
import type { Report } from '../../server/src/report/types';
import { CLI, TRUTH_SETTINGS } from '../fixtures';
import { LspSession, markdown, tableValues } from './session';

const BLOCKS = `import torch.nn as nn


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.fc = nn.Linear(width, width)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x))
`;

const MODEL = `import torch.nn as nn
from blocks import Block


class Net(nn.Module):
    def __init__(self, width=64):
        super().__init__()
        self.block1 = Block(width)
        self.block2 = Block(width)

    def forward(self, x):
        return self.block2(self.block1(x))


# memlens: entry=Net() input=x:float32[B,64] batch=8
`;

const UNSAVED_BLOCKS = BLOCKS.replace('nn.Linear(width, width)', 'nn.Linear(width, width, bias=False)');

/** The CLI's report of the two files written to a fresh folder: the reference for the server. */
function cliReport(blocks: string): Report {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-imports-cli-'));
  fs.writeFileSync(path.join(dir, 'blocks.py'), blocks);
  fs.writeFileSync(path.join(dir, 'model.py'), MODEL);
  const r = spawnSync(process.execPath, [CLI, 'report', path.join(dir, 'model.py'), '--device', 'cpu', '--torch', '1.13', '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

describe('imports from the same folder', { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-imports-'));
  const modelUri = pathToFileURL(path.join(dir, 'model.py')).toString();
  const blocksUri = pathToFileURL(path.join(dir, 'blocks.py')).toString();
  let session: LspSession;

  before(async () => {
    fs.writeFileSync(path.join(dir, 'blocks.py'), BLOCKS);
    fs.writeFileSync(path.join(dir, 'model.py'), MODEL);
    session = await LspSession.start({ settings: { ...TRUTH_SETTINGS } });
  });
  after(() => session.stop());

  test('the sibling is read from disk while it is not open', async () => {
    await session.open(modelUri, MODEL);
    const report = await session.report<Report>(modelUri);
    const reference = cliReport(BLOCKS);
    assert.equal(report?.totals.params, reference.totals.params);
    assert.ok(reference.totals.params > 0);
    assert.deepEqual(report?.unknowns, []);
  });

  test('an open, unsaved sibling wins over the disk, and its edits reach the model', async () => {
    const onDisk = cliReport(BLOCKS);
    const unsaved = cliReport(UNSAVED_BLOCKS);
    assert.notEqual(unsaved.totals.params, onDisk.totals.params, 'the edit must change the parameter count');

    await session.open(blocksUri, BLOCKS);
    const line = BLOCKS.split('\n').findIndex((l) => l.includes('nn.Linear(width, width)'));
    const character = BLOCKS.split('\n')[line].indexOf('width)') + 'width'.length;
    await session.change(blocksUri, [{ range: { start: { line, character }, end: { line, character } }, text: ', bias=False' }]);

    const report = await session.report<Report>(modelUri);
    assert.equal(report?.totals.params, unsaved.totals.params);
    // The hover in the model shows the block's parameters from the unsaved text.
    const md = markdown(await session.hover(modelUri, MODEL.split('\n').findIndex((l) => l.includes('self.block1 = Block(width)'))));
    // The block is one table with its subtree's totals.
    const inBlock = unsaved.layers.filter((l) => l.path.startsWith('block1.') && l.leaf !== false);
    assert.ok(inBlock.some((l) => l.path === 'block1.fc'));
    assert.deepEqual(tableValues(md, 'parameters'), [inBlock.reduce((t, l) => t + l.params, 0).toLocaleString('en-US')], md);
  });
});

describe('an edit to an imported file re-publishes the importer', { timeout: 60_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-importers-'));
  const modelUri = pathToFileURL(path.join(dir, 'model.py')).toString();
  const blocksUri = pathToFileURL(path.join(dir, 'blocks.py')).toString();
  const WIDER = BLOCKS.replace('nn.Linear(width, width)', 'nn.Sequential(nn.Linear(width, 4 * width), nn.Linear(4 * width, width))');
  const BUDGET = 1024;
  let session: LspSession;

  before(async () => {
    fs.writeFileSync(path.join(dir, 'blocks.py'), BLOCKS);
    fs.writeFileSync(path.join(dir, 'model.py'), MODEL);
    session = await LspSession.start({ settings: { ...TRUTH_SETTINGS, budget: `${BUDGET}B` } });
  });
  after(() => session.stop());

  test("the model's over-budget diagnostic follows an edit of blocks.py without touching model.py", async () => {
    const before = cliReport(BLOCKS);
    const wider = cliReport(WIDER);
    const expected = (r: Report) => overBudgetMessage(r.totals.peakBytes, r.totals.peakPhase, BUDGET);
    assert.notEqual(expected(wider), expected(before), 'the edit must change the published numbers');

    const first = await session.open(modelUri, MODEL);
    assert.deepEqual(first.diagnostics.map((d) => d.message), [expected(before)]);
    await session.open(blocksUri, BLOCKS);

    const republished = session.nextDiagnostics(modelUri, (p) => p.diagnostics.some((d) => d.message === expected(wider)));
    const line = BLOCKS.split('\n').findIndex((l) => l.includes('nn.Linear(width, width)'));
    const start = BLOCKS.split('\n')[line].indexOf('nn.Linear(width, width)');
    await session.change(blocksUri, [{ range: { start: { line, character: start }, end: { line, character: start + 'nn.Linear(width, width)'.length } }, text: 'nn.Sequential(nn.Linear(width, 4 * width), nn.Linear(4 * width, width))' }]);
    const p = await republished;
    assert.deepEqual(p.diagnostics.map((d) => d.message), [expected(wider)]);

    // Closing the editor reverts the model to the file on disk, and that is published too.
    const reverted = session.nextDiagnostics(modelUri, (d) => d.diagnostics.some((x) => x.message === expected(before)));
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri: blocksUri } });
    assert.deepEqual((await reverted).diagnostics.map((d) => d.message), [expected(before)]);
  });

  test('blocks.py changed on disk (not open): a watched-file event re-publishes the model', async () => {
    const before = cliReport(BLOCKS);
    const wider = cliReport(WIDER);
    const expected = (r: Report) => overBudgetMessage(r.totals.peakBytes, r.totals.peakPhase, BUDGET);
    const first = await session.open(modelUri, MODEL);
    assert.deepEqual(first.diagnostics.map((d) => d.message), [expected(before)]);
    const republished = session.nextDiagnostics(modelUri, (p) => p.diagnostics.some((d) => d.message === expected(wider)));
    fs.writeFileSync(path.join(dir, 'blocks.py'), WIDER);
    await session.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: blocksUri, type: 2 }] });
    assert.deepEqual((await republished).diagnostics.map((d) => d.message), [expected(wider)]);
    fs.writeFileSync(path.join(dir, 'blocks.py'), BLOCKS);
    const reverted = session.nextDiagnostics(modelUri, (p) => p.diagnostics.some((d) => d.message === expected(before)));
    await session.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: blocksUri, type: 2 }] });
    assert.deepEqual((await reverted).diagnostics.map((d) => d.message), [expected(before)]);
  });
});

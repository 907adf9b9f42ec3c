// Quick fixes over the real server: the actions on a call, a Sequential, the model's forward, each
// titled with its measured-exact saving; applying one gives the fixture PyTorch measured with the
// fix, and the lens then shows the peak the action announced. Edits are versioned (a client applies
// them only to the text they were made for) and never offered from an out-of-date analysis.
// "Fit the budget" applies the plan as one edit.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, CodeLens, TextDocumentEdit, TextEdit } from 'vscode-languageserver-protocol';
import { applyEdits } from '../../server/src/engine/planner';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS, Report, SourceEdit } from '../../server/src/report/types';
import { formatBytes } from '../../server/src/report/units';
import { fixturePath, lineOf, readFixture, readTruth } from '../fixtures';
import { LspSession, fixtureUri } from './session';

const SETTINGS = { device: 'cpu', torch: '2.14', optimizer: 'none', budget: '' };
const ANALYSIS = { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none' } as const;

before(async () => {
  await loadPythonParser();
});

function actionsAt(session: LspSession, uri: string, line: number): Promise<CodeAction[]> {
  return session.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line, character: 0 }, end: { line, character: 0 } },
    context: { diagnostics: [] },
  }) as Promise<CodeAction[]>;
}

/** The text edits of a versioned WorkspaceEdit for `uri`, as SourceEdits, and the version they are for. */
function editsOf(action: CodeAction, uri: string): { version: number | null; edits: SourceEdit[] } {
  const change = (action.edit?.documentChanges ?? []) as TextDocumentEdit[];
  assert.equal(change.length, 1, 'one document changed');
  assert.equal(change[0].textDocument.uri, uri);
  const edits = (change[0].edits as TextEdit[]).map((e) => ({ startLine: e.range.start.line, startCharacter: e.range.start.character, endLine: e.range.end.line, endCharacter: e.range.end.character, newText: e.newText }));
  return { version: change[0].textDocument.version, edits };
}

describe('quick fixes in the editor', () => {
  let session: LspSession;
  before(async () => {
    session = await LspSession.start({ settings: SETTINGS });
  });
  after(async () => {
    await session.stop();
  });

  test('"Checkpoint this call" on self.layer2(out): the edit PyTorch measured, the saving it measured, the lens after it', async () => {
    const uri = fixtureUri('resnet_small.py');
    const text = readFixture('resnet_small.py');
    await session.open(uri, text);
    const line = lineOf(text, 'out = self.layer2(out)');
    const actions = await actionsAt(session, uri, line);
    const ckpt = actions.find((a) => a.title.startsWith('Checkpoint this call'));
    assert.ok(ckpt, actions.map((a) => a.title).join('; '));
    const measured = readTruth('resnet_small.py', '2.14').peak!.none.bytes - readTruth('fixes/resnet_small_ckpt.py', '2.14').peak!.none.bytes;
    // The saving is PyTorch's (measured); the recomputed share is the engine's FLOP count, as the analysis reports it.
    const offline = analyzeSource(fixturePath('resnet_small.py'), text, ANALYSIS, undefined, { suggest: true }).fixes!.find((f) => f.kind === 'checkpoint' && f.line === line)!;
    assert.equal(ckpt.title, `Checkpoint this call — saves ${formatBytes(measured)} of peak, recomputes ${Math.round(offline.recompute * 100)}% of forward`);
    assert.ok(actions.some((a) => /^Checkpoint self\.layer2 in 2 segments \(checkpoint_sequential\) — saves /.test(a.title)), 'the Sequential in segments too');
    const { version, edits } = editsOf(ckpt, uri);
    assert.equal(version, 1, 'made for the version it was offered on');
    const fixed = applyEdits(text, edits);
    assert.equal(fixed, readFixture('fixes/resnet_small_ckpt.py'));

    // The user accepts it: the numbers follow the code it wrote.
    const lensBefore = ((await session.codeLenses(uri)) as CodeLens[])[0].command!.title;
    await session.change(uri, [{ text: fixed }]);
    const report = await session.report<Report>(uri);
    const truth = readTruth('fixes/resnet_small_ckpt.py', '2.14').peak!.none.bytes;
    assert.ok(Math.abs(report!.totals.peakBytes - truth) <= 0.01 * truth);
    const lens = ((await session.codeLenses(uri)) as CodeLens[])[0].command!.title;
    assert.notEqual(lens, lensBefore);
    assert.match(lens, new RegExp(`^Peak ${formatBytes(report!.totals.peakBytes).replace('.', '\\.')} \\(backward\\)`));
    assert.deepEqual(report!.settings.checkpoint, [`checkpoint at line ${line + 2}`], 'the call, a line lower under the import it added');
    const again = await actionsAt(session, uri, line + 1);
    assert.ok(!again.some((a) => a.title.startsWith('Checkpoint this call')), 'a call already checkpointed is not offered again');
  });

  test('no fix is offered from an analysis of another version of the text', async () => {
    const uri = fixtureUri('gpt_nano.py');
    const text = readFixture('gpt_nano.py');
    await session.open(uri, text);
    const line = lineOf(text, 'x = block(x)');
    const offered = await actionsAt(session, uri, line);
    assert.ok(offered.some((a) => a.title.startsWith('Checkpoint this call (2 calls)')), offered.map((a) => a.title).join('; '));
    // An edit lands; until its analysis does, the old fixes' edits no longer fit the text.
    void session.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# a comment\n' }] });
    const stale = await actionsAt(session, uri, line + 1);
    assert.deepEqual(stale.filter((a) => a.title.startsWith('Checkpoint')), []);
  });

  test('"Run forward under autocast" wraps the model\'s forward; the result is the fixture PyTorch measured', async () => {
    const uri = fixtureUri('resnet_small.py');
    const text = readFixture('resnet_small.py');
    await session.open(uri, text);
    const forward = text.split('\n').findIndex((l, i, all) => l.includes('def forward') && all[i + 1].includes('out = self.relu(self.bn1(self.conv1(x)))'));
    const actions = await actionsAt(session, uri, forward);
    const autocast = actions.find((a) => a.title.startsWith('Run forward under autocast (bfloat16)'));
    assert.ok(autocast, actions.map((a) => a.title).join('; '));
    const measured = readTruth('resnet_small.py', '2.14').peak!.none.bytes - readTruth('fixes/resnet_small_autocast.py', '2.14').peak!.none.bytes;
    assert.equal(autocast.title, `Run forward under autocast (bfloat16) — saves ${formatBytes(measured)} of peak`);
    assert.equal(applyEdits(text, editsOf(autocast, uri).edits), readFixture('fixes/resnet_small_autocast.py'));
    // Where autocast would raise the peak (the MLP's weights cast copies outweigh its activations), it is not offered.
    const mlp = readFixture('mlp.py');
    await session.open(fixtureUri('mlp.py'), mlp);
    const none = await actionsAt(session, fixtureUri('mlp.py'), lineOf(mlp, 'def forward'));
    assert.ok(!none.some((a) => a.title.startsWith('Run forward under autocast')), none.map((a) => a.title).join('; '));
  });

  test('"Fit the budget": the lens and the command apply the plan as one edit; the text then fits', async () => {
    const uri = fixtureUri('resnet_small.py');
    const text = readFixture('resnet_small.py');
    await session.configure({ ...SETTINGS, budget: '8000000' }, uri);
    await session.open(uri, text);
    // The plan follows the numbers (the worker's second phase; a client that can is told to
    // refresh its lenses then); a code action request waits for it.
    const classLine = lineOf(text, 'class ResNetSmall');
    const actions = await actionsAt(session, uri, classLine);
    const planAction = actions.find((a) => a.title.startsWith('Fit the budget (7.63 MiB): '));
    assert.ok(planAction, actions.map((a) => a.title).join('; '));
    assert.equal(planAction.isPreferred, true);
    const lenses = (await session.codeLenses(uri)) as CodeLens[];
    const fit = lenses.find((l) => l.command?.command === 'memlens.fitBudget');
    assert.ok(fit, lenses.map((l) => l.command?.title).join('; '));
    assert.match(fit.command!.title, /^Fit the budget: peak [\d.]+ MiB$/);
    // The largest batches as the engine computes them (the CLI says the same: report --budget).
    const offline = analyzeSource(fixturePath('resnet_small.py'), text, { ...ANALYSIS, budgetBytes: 8_000_000 }, undefined, { suggest: true });
    assert.ok(offline.plan!.maxBatch! > offline.report.maxBatch!, 'checkpointing allows a larger batch');
    assert.ok(lenses[0].command!.title.includes(`max batch ${offline.report.maxBatch} (${offline.plan!.maxBatch} with checkpointing) fits 7.63 MiB`), lenses[0].command!.title);
    const before = session.appliedEdits.length;
    await session.connection.sendRequest('workspace/executeCommand', { command: fit.command!.command, arguments: fit.command!.arguments });
    for (let i = 0; i < 100 && session.appliedEdits.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(session.appliedEdits.length, before + 1, 'one edit');
    const edit = session.appliedEdits[before] as { documentChanges: TextDocumentEdit[] };
    const change = edit.documentChanges[0];
    const fixed = applyEdits(text, (change.edits as TextEdit[]).map((e) => ({ startLine: e.range.start.line, startCharacter: e.range.start.character, endLine: e.range.end.line, endCharacter: e.range.end.character, newText: e.newText })));
    await session.change(uri, [{ text: fixed }]);
    const report = await session.report<Report>(uri);
    assert.ok(report!.totals.peakBytes <= 8_000_000, `${report!.totals.peakBytes} after the plan`);
    await session.configure(SETTINGS, uri);
  });
});

// Editing over LSP: incremental didChange is applied to the parsed document and the answers
// follow the new text; half-typed and broken files get answers, never a crash.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Diagnostic, InlayHint } from 'vscode-languageserver';
import type { Report } from '../../server/src/report/types';
import { formatBytes } from '../../server/src/report/units';
import { FIXTURES, lineLength, lineOf, readFixture, readTruth, TRUTH_SETTINGS, truthModule } from '../fixtures';
import { fixtureUri, LspSession, markdown, tableValues } from './session';

const SETTINGS = { ...TRUTH_SETTINGS, optimizer: 'sgd' };

describe('incremental edits', { timeout: 60_000 }, () => {
  const original = readFixture('mlp.py');
  const edited = readFixture('edits/mlp_hidden64.py');
  const before64 = readTruth('mlp.py');
  const after64 = readTruth('edits/mlp_hidden64.py');
  const uri = fixtureUri('mlp.py');
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: SETTINGS });
    await session.openFixture('mlp.py');
  });
  after(() => session.stop());

  test('two changes in one didChange, the second relative to the first: hidden=256 → 64', async () => {
    const report0 = await session.report<Report>(uri);
    assert.equal(report0?.totals.params, before64.params);

    const comment = '# edited: a narrower hidden layer\n';
    // Line of `hidden=256` after the inserted comment line (LSP applies changes in order).
    const line = lineOf(original, 'hidden=256') + 1;
    const character = original.split('\n')[line - 1].indexOf('hidden=256') + 'hidden='.length;
    const changes = [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: comment },
      { range: { start: { line, character }, end: { line, character: character + 3 } }, text: '64' },
    ];
    // The measured truth belongs to exactly this text.
    assert.equal(comment + original.replace('hidden=256', 'hidden=64'), edited);

    const diagnostics = await session.change(uri, changes);
    assert.deepEqual(diagnostics.diagnostics, []);
    const report = await session.report<Report>(uri);
    assert.ok(report);
    assert.equal(report.totals.params, after64.params);
    assert.equal(report.totals.paramBytes, after64.paramBytes);
    assert.equal(report.totals.savedActivationBytes, after64.savedActivationBytes);

    // Hints moved down with the inserted line and show the new measured bytes.
    const hints = (await session.inlayHints(uri)) ?? [];
    const act1 = lineOf(edited, 'x = self.act1(x)');
    const hint = hints.find((h) => h.position.line === act1);
    assert.ok(hint, `no hint on line ${act1 + 1}`);
    assert.equal(hint.position.character, lineLength(edited, act1));
    // GELU has no weights: the hint is its saved bytes alone.
    assert.equal(String(hint.label), `saved ${formatBytes(truthModule(after64, 'act1').savedBytes)}`);

    const md = markdown(await session.hover(uri, lineOf(edited, 'x = self.act2(x)')));
    assert.deepEqual(tableValues(md, 'saved for backward'), [formatBytes(truthModule(after64, 'act2').savedBytes)]);

    // The code lens moved with its class.
    const lenses = ((await session.codeLenses(uri)) ?? []).filter((l) => !['memlens.showTimeline', 'memlens.profile'].includes(l.command?.command ?? ''));
    assert.deepEqual(lenses.map((l) => l.range.start.line), [lineOf(edited, 'class MLP(nn.Module):')]);
  });

  test('undoing the edit character by character gives the original numbers back', async () => {
    // Delete the comment line, then type "256" over "64" one keystroke per didChange.
    await session.change(uri, [{ range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' }]);
    const line = lineOf(original, 'hidden=64'.replace('64', '256'));
    const start = original.split('\n')[line].indexOf('hidden=') + 'hidden='.length;
    await session.change(uri, [{ range: { start: { line, character: start }, end: { line, character: start + 2 } }, text: '' }]);
    for (const [i, ch] of ['2', '5', '6'].entries()) {
      await session.change(uri, [{ range: { start: { line, character: start + i }, end: { line, character: start + i } }, text: ch }]);
    }
    const report = await session.report<Report>(uri);
    assert.equal(report?.totals.params, before64.params);
    assert.equal(report?.totals.savedActivationBytes, before64.savedActivationBytes);
  });
});

describe('half-typed and broken files', { timeout: 60_000 }, () => {
  const original = readFixture('mlp.py');
  const truth = readTruth('mlp.py');
  let session: LspSession;

  before(async () => {
    session = await LspSession.start({ settings: SETTINGS });
  });
  after(() => session.stop());

  // Not on disk: the server must use the text it was sent.
  const uriOf = (name: string): string => pathToFileURL(path.join(FIXTURES, 'unsaved', name)).toString();

  interface Answers {
    diagnostics: Diagnostic[];
    hints: InlayHint[];
  }

  async function allAnswers(uri: string, text: string): Promise<Answers> {
    const published = await session.open(uri, text);
    assert.ok(Array.isArray(published.diagnostics));
    const hints = await session.inlayHints(uri);
    assert.ok(Array.isArray(hints), 'inlay hints: no array');
    const lenses = await session.codeLenses(uri);
    assert.ok(Array.isArray(lenses), 'code lenses: no array');
    for (let line = 0; line < text.split('\n').length; line++) await session.hover(uri, line, 0);
    assert.ok(session.alive, 'the server died');
    return { diagnostics: published.diagnostics, hints };
  }

  /** The engine reads around what it cannot: a diagnostic on the broken line, hints on the good ones. */
  function assertReadAround(answers: Answers, text: string, brokenLine: number, goodLines: string[]): void {
    const lines = answers.diagnostics.map((d) => d.range.start.line);
    assert.ok(lines.includes(brokenLine), `no diagnostic on line ${brokenLine + 1}: ${JSON.stringify(answers.diagnostics)}`);
    for (const good of goodLines) {
      const line = lineOf(text, good);
      assert.ok(answers.hints.some((h) => h.position.line === line), `no hint on "${good}"`);
    }
  }

  test('a forward in the middle of being typed', async () => {
    const cut = original.indexOf('x = self.fc3(x)') + 'x = self.fc3('.length;
    const text = original.slice(0, cut);
    const answers = await allAnswers(uriOf('half_typed.py'), text);
    assertReadAround(answers, text, lineOf(text, 'x = self.fc3('), ['x = self.fc1(x)', 'x = self.act2(x)']);
  });

  test('a half-typed layer in __init__', async () => {
    const text = original.replace('self.fc2 = nn.Linear(hidden, hidden // 2)', 'self.fc2 = nn.Lin');
    const answers = await allAnswers(uriOf('half_init.py'), text);
    assertReadAround(answers, text, lineOf(text, 'self.fc2 = nn.Lin'), ['x = self.fc1(x)', 'x = self.act1(x)']);
  });

  test('syntax errors: unbalanced brackets, a stray token, bad indentation', async () => {
    const text = original
      .replace('x = self.act1(x)', 'x = self.act1(x)) $')
      .replace('self.fc3 = nn.Linear(hidden // 2, num_classes)', 'self.fc3 = nn.Linear(hidden // 2, num_classes')
      .replace('        x = self.fc2(x)', '  x = self.fc2(x)');
    const answers = await allAnswers(uriOf('broken.py'), text);
    assert.ok(answers.diagnostics.length > 0, 'a broken file without a diagnostic');
  });

  test('an empty file and a file with no module', async () => {
    await allAnswers(uriOf('empty.py'), '');
    await allAnswers(uriOf('plain.py'), 'def f(x):\n    return x + 1\n');
  });

  test('a document that goes through broken states while typed, then becomes valid again', async () => {
    const uri = uriOf('typing.py');
    await session.open(uri, original);
    const line = lineOf(original, 'x = self.act2(x)');
    const text = original.split('\n')[line];
    // Delete the line's code a character at a time from its end, asking for hints after each keystroke.
    for (let end = text.length; end > text.length - 8; end--) {
      await session.change(uri, [{ range: { start: { line, character: end - 1 }, end: { line, character: end } }, text: '' }]);
      assert.ok(Array.isArray(await session.inlayHints(uri)));
    }
    // Put it back in one change.
    const restored = text.slice(text.length - 8);
    await session.change(uri, [{ range: { start: { line, character: text.length - 8 }, end: { line, character: text.length - 8 } }, text: restored }]);
    const report = await session.report<Report>(uri);
    assert.equal(report?.totals.params, truth.params);
    assert.equal(report?.totals.savedActivationBytes, truth.savedActivationBytes);
  });

  test('while an edit leaves the model unbuildable, the last good numbers stay on their lines', async () => {
    const uri = uriOf('keep_last_good.py');
    await session.open(uri, original);
    const fc1 = lineOf(original, 'x = self.fc1(x)');
    const before = (await session.inlayHints(uri))?.find((h) => h.position.line === fc1);
    assert.ok(before, 'a hint on the fc1 line');
    // `hidden=256` half retyped as `hidden=`: the constructor can no longer be called.
    const line = lineOf(original, 'hidden=256');
    const col = original.split('\n')[line].indexOf('hidden=256') + 'hidden='.length;
    const published = await session.change(uri, [{ range: { start: { line, character: col }, end: { line, character: col + 3 } }, text: '' }]);
    assert.ok(published.diagnostics.some((d) => String(d.message).includes('showing the last good result')), JSON.stringify(published.diagnostics));
    const during = (await session.inlayHints(uri))?.find((h) => h.position.line === fc1);
    assert.equal(during?.label, before.label, 'the fc1 hint keeps its numbers mid-edit');
    const lens = (await session.codeLenses(uri))?.[0];
    assert.match(lens?.command?.title ?? '', /^Peak .* \(last good result\)$/);
    await session.change(uri, [{ range: { start: { line, character: col }, end: { line, character: col } }, text: '256' }]);
    const lensAfter = (await session.codeLenses(uri))?.[0];
    assert.doesNotMatch(lensAfter?.command?.title ?? '', /last good result/);
  });

  test('a file too large to parse in the editor gets one diagnostic, fast, and the server keeps answering', async () => {
    const uri = uriOf('huge.py');
    const lines = Array.from({ length: 60_000 }, (_, i) => `CONST_${i} = ${i} * 2 + 1`);
    const text = `import torch.nn as nn\n${lines.join('\n')}\n`;
    const t0 = performance.now();
    const published = await session.open(uri, text);
    const ms = performance.now() - t0;
    assert.ok(ms < 5000, `opening took ${ms.toFixed(0)} ms`);
    assert.equal(published.diagnostics.length, 1);
    assert.match(String(published.diagnostics[0].message), /too large to analyze \(60,002 lines; Memlens reads files up to 1,000,000 characters\)/);
    assert.deepEqual(await session.inlayHints(uri), []);
    // Cutting it below the limit makes it a normal file again.
    const published2 = await session.change(uri, [{ range: { start: { line: 2, character: 0 }, end: { line: 60_001, character: 0 } }, text: '' }]);
    assert.ok(!published2.diagnostics.some((d) => /too large/.test(String(d.message))), JSON.stringify(published2.diagnostics));
  });

  test('after all that, the server still answers a fixture with measured numbers', async () => {
    const uri = fixtureUri('mlp.py');
    await session.openFixture('mlp.py');
    const md = markdown(await session.hover(uri, lineOf(original, 'x = self.act1(x)')));
    assert.deepEqual(tableValues(md, 'saved for backward'), [formatBytes(truthModule(truth, 'act1').savedBytes)]);
  });

  test('closing a document clears its diagnostics', async () => {
    const uri = uriOf('closing.py');
    await session.open(uri, original.replace('hidden=256', 'hidden=25 6'));
    const cleared = session.nextDiagnostics(uri);
    await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    assert.deepEqual((await cleared).diagnostics, []);
  });
});

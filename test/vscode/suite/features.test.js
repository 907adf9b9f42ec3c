// The language features through VS Code's own provider commands, against a fixture: what the
// editor receives (inlay hints, hovers, code lenses), not how the server computes it.
'use strict';

const assert = require('assert');
const path = require('path');
const vscode = require('vscode');

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const BYTES = String.raw`\d+(\.\d+)? (B|KiB|MiB|GiB)`;

/** Polls `query` until `accept` holds: the server answers once its first analysis is done. */
async function eventually(query, accept, what, timeout = 30_000) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await query();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what}: no acceptable answer within ${timeout} ms; last: ${JSON.stringify(last)}`);
}

function labelText(hint) {
  return typeof hint.label === 'string' ? hint.label : hint.label.map((p) => p.value).join('');
}

function markdown(hover) {
  return hover.contents.map((c) => (typeof c === 'string' ? c : c.value)).join('\n');
}

describe('resnet_small.py in the editor', function () {
  let doc;
  let blockConvLine;

  before(async function () {
    doc = await vscode.workspace.openTextDocument(path.join(FIXTURES, 'resnet_small.py'));
    await vscode.window.showTextDocument(doc);
    blockConvLine = doc.getText().split('\n').findIndex((l) => l.includes('self.conv1 = nn.Conv2d(planes, planes'));
    assert.ok(blockConvLine >= 0);
    const extension = vscode.extensions.getExtension('memlens.memlens');
    assert.ok(extension, 'the extension memlens.memlens is installed');
    await extension.activate();
  });

  it('gives an inlay hint with bytes and ×4 on BasicBlock conv1', async function () {
    const range = new vscode.Range(0, 0, doc.lineCount, 0);
    const hints = await eventually(
      () => vscode.commands.executeCommand('vscode.executeInlayHintProvider', doc.uri, range),
      (h) => Array.isArray(h) && h.some((x) => x.position.line === blockConvLine),
      'inlay hints',
    );
    const hint = hints.find((x) => x.position.line === blockConvLine);
    assert.match(labelText(hint), new RegExp(`^saved ${BYTES} · weights ${BYTES} ×4$`));
    assert.strictEqual(hint.position.character, doc.lineAt(blockConvLine).text.length, 'at the end of the line');
  });

  it('hovers a layer line with its table', async function () {
    const at = new vscode.Position(blockConvLine, doc.lineAt(blockConvLine).text.indexOf('conv1'));
    const hovers = await eventually(
      () => vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, at),
      (h) => Array.isArray(h) && h.some((x) => markdown(x).includes('**Memlens**')),
      'hover',
    );
    const text = markdown(hovers.find((x) => markdown(x).includes('**Memlens**')));
    for (const row of ['| kind | Conv2d |', '| parameters |', '| gradients |', '| optimizer state |', '| saved for backward |', '| share of peak |']) {
      assert.ok(text.includes(row), `hover lacks ${row}:\n${text}`);
    }
  });

  it('puts a code lens with the peak on the model class', async function () {
    const classLine = doc.getText().split('\n').findIndex((l) => l.startsWith('class ResNetSmall'));
    const lenses = await eventually(
      () => vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri, 10),
      (l) => Array.isArray(l) && l.some((x) => x.command && x.command.title.startsWith('Peak')),
      'code lens',
    );
    const lens = lenses.find((x) => x.command && x.command.title.startsWith('Peak'));
    assert.strictEqual(lens.range.start.line, classLine);
    assert.match(lens.command.title, new RegExp(`^Peak ${BYTES} \\((forward|backward|optimizer)\\w*\\) · batch 8 · fp32 · adam`));
    assert.strictEqual(lens.command.command, 'memlens.showReport');
  });
});

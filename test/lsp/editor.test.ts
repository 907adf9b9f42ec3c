// The editor experience (issue 9) over the real server: quiet on files with no model, one note and
// a code action that writes the directive where the model cannot be chosen, "Analyze" lenses.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, CodeLens, TextEdit } from 'vscode-languageserver-protocol';
import type { Report } from '../../server/src/report/types';
import { formatBytes } from '../../server/src/report/units';
import { TRUTH_SETTINGS } from '../fixtures';
import { LspSession, markdown } from './session';

const UTILS = `import os
import torch


def seed_everything(seed=0):
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def accuracy(logits, targets):
    return (logits.argmax(-1) == targets).float().mean()
`;

const DATA = `import torch
from torch.utils.data import Dataset


class Shapes(Dataset):
    def __init__(self, n=100):
        self.x = torch.randn(n, 3, 32, 32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return self.x[i]
`;

// A model whose constructor needs arguments, and a block it uses: nothing builds either.
const UNCHOSEN = `import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.fc = nn.Linear(dim, dim)

    def forward(self, x):
        return x + self.fc(x).relu()


class Net(nn.Module):
    def __init__(self, in_dim, depth=2):
        super().__init__()
        self.inp = nn.Linear(in_dim, 64)
        self.blocks = nn.Sequential(*[Block(64) for _ in range(depth)])
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        return self.out(self.blocks(self.inp(x)))
`;

// Parts imported by a sibling file: a file of layer parts, quiet.
const PARTS = `import torch.nn as nn


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return self.body(x)
`;

const USES_PARTS = `import torch
import torch.nn as nn
from parts import DoubleConv


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = DoubleConv(3, 8)

    def forward(self, x):
        return self.a(x)

# memlens: entry=Tiny() input=x:float32[2,3,16,16]
`;

// A model that builds from its defaults (chosen), with a block class beside it.
const CHOSEN = `import torch.nn as nn


class Head(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.fc = nn.Linear(dim, 10)

    def forward(self, x):
        return self.fc(x)


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Linear(784, 32)
        self.head = Head(32)

    def forward(self, x):
        return self.head(self.stem(x.view(-1, 784)))
`;

describe('quiet where there is no model; a directive where the model cannot be chosen', { timeout: 90_000 }, () => {
  let root: string;
  let session: LspSession;
  const uri = (name: string) => pathToFileURL(path.join(root, name)).href;
  const write = (name: string, text: string) => fs.writeFileSync(path.join(root, name), text);

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-editor-'));
    for (const [name, text] of Object.entries({ 'utils.py': UTILS, 'data.py': DATA, 'net.py': UNCHOSEN, 'parts.py': PARTS, 'tiny.py': USES_PARTS, 'classifier.py': CHOSEN })) write(name, text);
    session = await LspSession.start({ root, settings: { ...TRUTH_SETTINGS, budget: '24GiB' } });
  });
  after(async () => {
    await session.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const [name, text, what] of [['utils.py', UTILS, 'a utility module'], ['data.py', DATA, 'a data script with a Dataset'], ['parts.py', PARTS, 'a file of layer parts another file imports']] as const) {
    test(`${what} gets no diagnostic, no lens and no hint`, async () => {
      const published = await session.open(uri(name), text);
      assert.deepEqual(published.diagnostics, []);
      assert.deepEqual(((await session.codeLenses(uri(name))) ?? []).filter((l) => l.command?.title !== 'Analyze'), []);
      assert.deepEqual(await session.inlayHints(uri(name)), []);
    });
  }

  test('a model that cannot be chosen: one information note on the model class, naming why, without CLI flags', async () => {
    const published = await session.open(uri('net.py'), UNCHOSEN);
    assert.equal(published.diagnostics.length, 1, JSON.stringify(published.diagnostics));
    const d = published.diagnostics[0];
    assert.equal(d.severity, 3, 'information');
    assert.equal(d.code, 'no-model');
    assert.equal(d.range.start.line, UNCHOSEN.split('\n').findIndex((l) => l.startsWith('class Net')), 'on class Net (Block is used by Net)');
    assert.match(String(d.message), /could not choose this file's model/);
    assert.match(String(d.message), /class Net needs 'in_dim'/);
    assert.match(String(d.message), /Analyze this model…/);
    assert.doesNotMatch(String(d.message), /--\w/, 'no command-line flags in the editor');
  });

  test('the code action "Analyze this model…" writes a filled-in directive above the class; the analysis then reads it', async () => {
    const diagnostics = (await session.open(uri('net.py'), UNCHOSEN)).diagnostics;
    const actions = (await session.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: uri('net.py') },
      range: diagnostics[0].range,
      context: { diagnostics },
    })) as CodeAction[];
    assert.equal(actions[0].title, 'Analyze this model… (Net)');
    assert.equal(actions[0].isPreferred, true);
    assert.ok(actions.some((a) => a.title === 'Analyze this model… (Block)'));
    assert.equal(actions[0].edit, undefined, 'the edit is made only when the action is picked (resolve)');
    const resolved = (await session.connection.sendRequest('codeAction/resolve', actions[0])) as CodeAction;
    const edits = resolved.edit?.changes?.[uri('net.py')] as TextEdit[];
    assert.equal(edits.length, 1);
    const classLine = UNCHOSEN.split('\n').findIndex((l) => l.startsWith('class Net'));
    assert.deepEqual(edits[0].range.start, { line: classLine, character: 0 });
    assert.equal(edits[0].newText, '# memlens: entry=Net(in_dim=...) input=x:float32[B,...] batch=1\n', 'required arguments left for the user');
    // The block builds from its one argument's… no default: its action fills what it can.
    const block = actions.find((a) => a.title === 'Analyze this model… (Block)')!;
    const blockEdit = ((await session.connection.sendRequest('codeAction/resolve', block)) as CodeAction).edit!.changes![uri('net.py')] as TextEdit[];
    assert.equal(blockEdit[0].newText, '# memlens: entry=Block(dim=...) input=x:float32[B,...] batch=1\n');

    // The user fills in the argument: the file is analyzed with the directive.
    const lines = UNCHOSEN.split('\n');
    lines.splice(classLine, 0, '# memlens: entry=Net(in_dim=20) input=x:float32[B,20] batch=4');
    const filled = lines.join('\n');
    const after = await session.open(uri('net.py'), filled);
    assert.deepEqual(after.diagnostics, []);
    const report = await session.report<Report>(uri('net.py'));
    assert.equal(report?.totals.params, 20 * 64 + 64 + 2 * (64 * 64 + 64) + 64 * 10 + 10);
    assert.equal(report?.settings.batch, 4);
  });

  test('"Analyze" lenses on each module class of that file; the lens inserts the class\'s directive', async () => {
    const text = (await session.open(uri('net.py'), UNCHOSEN)) && UNCHOSEN;
    const lines = text.split('\n');
    const lenses = ((await session.codeLenses(uri('net.py'))) ?? []) as CodeLens[];
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.title]), [[lines.findIndex((l) => l.startsWith('class Block')), 'Analyze'], [lines.findIndex((l) => l.startsWith('class Net')), 'Analyze']]);
    const before = session.appliedEdits.length;
    await session.connection.sendRequest('workspace/executeCommand', { command: lenses[0].command!.command, arguments: lenses[0].command!.arguments });
    for (let i = 0; i < 50 && session.appliedEdits.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(session.appliedEdits.length, before + 1, 'the lens applies one edit');
    const edit = session.appliedEdits[before] as { changes: Record<string, TextEdit[]> };
    assert.deepEqual(edit.changes[uri('net.py')].map((e) => e.newText), ['# memlens: entry=Block(dim=...) input=x:float32[B,...] batch=1\n']);
  });

  test('a model file that is analyzed has no "Analyze" lens; the code action on another class\'s line fills in its guessed input', async () => {
    await session.open(uri('classifier.py'), CHOSEN);
    const lines = CHOSEN.split('\n');
    const headLine = lines.findIndex((l) => l.startsWith('class Head'));
    const lenses = (((await session.codeLenses(uri('classifier.py'))) ?? []) as CodeLens[]).filter((l) => !['memlens.showTimeline', 'memlens.profile'].includes(l.command?.command ?? ''));
    assert.deepEqual(lenses.map((l) => l.range.start.line), [lines.findIndex((l) => l.startsWith('class Classifier'))]);
    assert.match(String(lenses[0].command?.title), /^Peak /);
    const actions = (await session.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: uri('classifier.py') },
      range: { start: { line: headLine, character: 0 }, end: { line: headLine, character: 0 } },
      context: { diagnostics: [] },
    })) as CodeAction[];
    assert.deepEqual(actions.map((a) => a.title), ['Analyze this model… (Head)']);
    const resolved = (await session.connection.sendRequest('codeAction/resolve', actions[0])) as CodeAction;
    assert.deepEqual((resolved.edit!.changes![uri('classifier.py')] as TextEdit[]).map((e) => e.newText), ['# memlens: entry=Head() input=x:float32[B,32] batch=1\n']);
  });

  test('a file of layer parts shows the costs of its layers as the open model that imports it uses them, the model named on hover', async () => {
    await session.open(uri('tiny.py'), USES_PARTS);
    const report = await session.report<Report>(uri('tiny.py'));
    assert.ok(report);
    const published = await session.open(uri('parts.py'), PARTS);
    assert.deepEqual(published.diagnostics, [], 'still quiet');
    const line = PARTS.split('\n').findIndex((l) => l.includes('return self.body(x)'));
    const hints = (await session.inlayHints(uri('parts.py'))) ?? [];
    assert.deepEqual(hints.map((h) => h.position.line), [line], 'one hint: the forward line of DoubleConv');
    const saved = report.layers.filter((l) => l.path.startsWith('a.body.')).reduce((t, l) => t + l.savedBytes, 0);
    assert.ok(saved > 0);
    assert.ok(String(hints[0].label).startsWith(`saved ${formatBytes(saved)} · weights `), String(hints[0].label));
    const md = markdown(await session.hover(uri('parts.py'), line));
    assert.match(md, /As used by `Tiny` in tiny\.py/);
  });
});

describe('never wrong without saying so; diagnostics in the right place', { timeout: 90_000 }, () => {
  let root: string;
  let session: LspSession;
  const uri = (name: string) => pathToFileURL(path.join(root, name)).href;
  const HEAD = 'import torch\nimport torch.nn as nn\nfrom dataclasses import dataclass\n\n';

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-reliable-'));
    session = await LspSession.start({ root, settings: { ...TRUTH_SETTINGS, budget: '24GiB' } });
  });
  after(async () => {
    await session.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a shape mismatch PyTorch would raise is a warning at the layer, before the information notes; the lens says unreliable', async () => {
    const text = `${HEAD}import mystery


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(16, 32)
        self.b = nn.Linear(64, 8)

    def forward(self, x):
        y = mystery.scale(x)
        return self.b(self.a(x))

# memlens: entry=Net() input=x:float32[4,16]
`;
    const published = await session.open(uri('mismatch.py'), text);
    const lines = text.split('\n');
    assert.ok(published.diagnostics.length >= 2, JSON.stringify(published.diagnostics));
    const first = published.diagnostics[0];
    assert.equal(first.severity, 2, 'a warning');
    assert.equal(first.code, 'pytorch-error');
    assert.equal(first.range.start.line, lines.findIndex((l) => l.includes('return self.b(self.a(x))')));
    assert.match(String(first.message), /^PyTorch would raise here: .*(64|32)/);
    assert.ok(published.diagnostics.slice(1).every((d) => d.severity === 3), 'information notes after it');
    const lens = ((await session.codeLenses(uri('mismatch.py'))) ?? [])[0];
    assert.match(String(lens.command?.title), /^Peak ≥ .* \(unreliable: PyTorch would raise at line \d+/);
  });

  test('an emptied n_layer still builds: the lens and the hover say the figures may not be what you mean', async () => {
    const text = `${HEAD}class GPTish(nn.Module):
    def __init__(self, n_layer=0, d=32):
        super().__init__()
        self.emb = nn.Linear(d, d)
        self.blocks = nn.ModuleList([nn.Linear(d, d) for _ in range(n_layer)])

    def forward(self, x):
        x = self.emb(x)
        for b in self.blocks:
            x = b(x)
        return x

# memlens: entry=GPTish() input=x:float32[4,32]
`;
    await session.open(uri('emptied.py'), text);
    const lens = ((await session.codeLenses(uri('emptied.py'))) ?? [])[0];
    assert.match(String(lens.command?.title), /\(unreliable: `blocks` is an empty ModuleList \(built with 0 layers\?\)\)/);
    const md = markdown(await session.hover(uri('emptied.py'), text.split('\n').findIndex((l) => l.includes('x = self.emb(x)'))));
    assert.match(md, /⚠ These figures may not be what you mean: `blocks` is an empty ModuleList/);
  });

  test('a dimension typed as 0: unreliable, naming the zero-size parameter', async () => {
    const text = `${HEAD}class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(32, 0)

    def forward(self, x):
        return self.a(x)

# memlens: entry=Tiny() input=x:float32[4,32]
`;
    await session.open(uri('zero.py'), text);
    const lens = ((await session.codeLenses(uri('zero.py'))) ?? [])[0];
    assert.match(String(lens.command?.title), /\(unreliable: the parameter `a\.weight` has a zero-size dimension \[0, 32\]\)/);
  });

  test('the largest batch past a million is shown as "> 1M"', async () => {
    const text = `${HEAD}class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)

    def forward(self, x):
        return self.a(x)

# memlens: entry=Small() input=x:float32[B,2] batch=1
`;
    await session.open(uri('small.py'), text);
    await session.configure({ ...TRUTH_SETTINGS, budget: '80GiB' }, uri('small.py'));
    const lens = ((await session.codeLenses(uri('small.py'))) ?? [])[0];
    assert.match(String(lens.command?.title), / · max batch > 1M fits 80\.0 GiB/);
    await session.configure({ ...TRUTH_SETTINGS, budget: '24GiB' }, uri('small.py'));
  });

  test('an error in the directive points at the directive, its Python message on one line', async () => {
    const text = `${HEAD}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)

    def forward(self, x):
        return self.a(x)

# memlens: entry=Nett() input=x:float32[4,2]
`;
    const published = await session.open(uri('directive.py'), text);
    assert.equal(published.diagnostics.length, 1, JSON.stringify(published.diagnostics));
    assert.equal(published.diagnostics[0].range.start.line, text.split('\n').findIndex((l) => l.startsWith('# memlens:')));
    assert.match(String(published.diagnostics[0].message), /the entry 'Nett\(\)' could not be evaluated: .*Nett/);
    assert.doesNotMatch(String(published.diagnostics[0].message), /\n/);
  });

  test('a dataclass field with no value points at the field', async () => {
    const text = `${HEAD}@dataclass
class Config:
    width: int = 8
    n_layer: int = None
    vocab: int


class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.a = nn.Linear(cfg.width, cfg.width)

    def forward(self, x):
        return self.a(x)

# memlens: entry=Net(Config()) input=x:float32[4,8]
`.replace('    vocab: int\n', '').replace('    n_layer: int = None\n', '    n_layer: int\n').replace('    width: int = 8\n', '    width: int\n');
    const published = await session.open(uri('field.py'), text);
    assert.equal(published.diagnostics.length, 1, JSON.stringify(published.diagnostics));
    const d = published.diagnostics[0];
    assert.equal(d.range.start.line, text.split('\n').findIndex((l) => l.includes('width: int')), 'on the first field without a value');
    assert.match(String(d.message), /Config\.width has no value/);
  });
});

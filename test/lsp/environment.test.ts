// Installed libraries over LSP: a script that imports torchvision is analyzed from the torchvision
// that the workspace's virtual environment has (found by reading its files: the interpreter is
// never run in an untrusted workspace); `memlens.pythonPath` switches the environment and the
// script is analyzed again; a library file opened in the editor gets no diagnostics of its own.
// The environment here is a real venv layout (pyvenv.cfg, bin/python3, lib/python3.X/site-packages)
// whose site-packages links Debian's torchvision 0.14 (installed by .ci/run).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Report } from '../../server/src/report/types';
import { readTruth } from '../fixtures';
import { LspSession, markdown } from './session';

const DEBIAN_TORCHVISION = '/usr/lib/python3/dist-packages/torchvision';
const missing = fs.existsSync(path.join(DEBIAN_TORCHVISION, 'models', 'resnet.py')) ? false : `Debian's torchvision is not installed at ${DEBIAN_TORCHVISION} (apt-get install python3-torchvision)`;
if (missing) console.log(`# skipped: ${missing}`);

/** A venv folder as `python3 -m venv` lays it out, its site-packages holding `packages` (links). */
function makeVenv(dir: string, packages: Record<string, string>): string {
  const site = path.join(dir, 'lib', 'python3.11', 'site-packages');
  fs.mkdirSync(site, { recursive: true });
  fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'pyvenv.cfg'), 'home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n');
  // Never run (untrusted workspace): it only marks the folder as an environment.
  fs.writeFileSync(path.join(dir, 'bin', 'python3'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  for (const [name, target] of Object.entries(packages)) fs.symlinkSync(target, path.join(site, name));
  return path.join(dir, 'bin', 'python3');
}

const SCRIPT = `import torch
import torchvision

# memlens: entry=torchvision.models.resnet18() input=x:float32[B,3,224,224] batch=1
model = torchvision.models.resnet18()
`;

describe('installed libraries over LSP', { skip: missing, timeout: 120_000 }, () => {
  let root: string;
  let emptyPython: string;
  let session: LspSession;
  let uri: string;
  const truth = readTruth('torchvision/resnet18.py', '1.13');

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-env-'));
    makeVenv(path.join(root, '.venv'), { torchvision: DEBIAN_TORCHVISION });
    emptyPython = makeVenv(path.join(root, 'empty-env'), {});
    fs.writeFileSync(path.join(root, 'train.py'), SCRIPT);
    uri = pathToFileURL(path.join(root, 'train.py')).href;
    session = await LspSession.start({ root, settings: { device: 'cpu', torch: '1.13', optimizer: 'none' }, initialization: { trusted: false } });
  });
  after(async () => {
    await session.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test("a script importing torchvision is analyzed from the workspace venv's torchvision, with PyTorch's numbers", async () => {
    const published = await session.open(uri, SCRIPT);
    assert.deepEqual(published.diagnostics.map((d) => d.message), []);
    const report = await session.report<Report>(uri);
    assert.ok(report);
    assert.equal(report.totals.params, truth.params);
    assert.equal(report.totals.savedActivationBytes, truth.savedActivationBytes);
    assert.deepEqual(report.unknowns, []);
    assert.ok(report.unknownsOutsideModel > 0, 'torchvision\'s module-level checks are counted, not shown');
    assert.ok(!session.stderr.some((l) => /\bnot run|trusted/.test(l) && /empty-env/.test(l)));
  });

  test('memlens.pythonPath switches the environment: without torchvision the script says so, then analyzes again', async () => {
    const without = await session.configure({ device: 'cpu', torch: '1.13', optimizer: 'none', pythonPath: emptyPython }, uri);
    assert.equal(without.diagnostics.length, 1, JSON.stringify(without.diagnostics));
    assert.match(String(without.diagnostics[0].message), /unresolved import 'torchvision'/);
    const back = await session.configure({ device: 'cpu', torch: '1.13', optimizer: 'none', pythonPath: null }, uri);
    assert.deepEqual(back.diagnostics, []);
    assert.equal((await session.report<Report>(uri))?.totals.params, truth.params);
  });

  test('a training script with no directive: its model line carries the whole model\'s hint, and the lens sits there', async () => {
    const text = `import torch
import torchvision

model = torchvision.models.resnet18()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(10):
    images = torch.randn(1, 3, 224, 224)
    loss = model(images).logsumexp(1).mean()
    loss.backward()
    optimizer.step()
`;
    const scriptUri = pathToFileURL(path.join(root, 'finetune.py')).href;
    fs.writeFileSync(path.join(root, 'finetune.py'), text);
    const published = await session.open(scriptUri, text);
    assert.deepEqual(published.diagnostics.map((d) => d.message), []);
    const report = await session.report<Report>(scriptUri);
    assert.ok(report);
    assert.equal(report.entry, 'torchvision.models.resnet18()');
    assert.equal(report.totals.params, truth.params);
    const hints = (await session.inlayHints(scriptUri)) ?? [];
    assert.deepEqual(hints.map((h) => h.position.line), [3], 'one hint, on the model line (its layers are torchvision\'s lines)');
    assert.match(String(hints[0].label), /^saved \d/);
    assert.ok(report.totals.savedActivationBytes > 0);
    const lenses = (await session.codeLenses(scriptUri)) ?? [];
    assert.ok(lenses.length > 0 && lenses.every((l) => l.range.start.line === 3), `the lens is on the model line: ${JSON.stringify(lenses.map((l) => l.range.start.line))}`);
    assert.match(String(lenses[0].command?.title), /Peak/);
  });

  test('a copied library file whose relative imports cannot resolve shows only the unknowns that reach its model', async () => {
    const copy = path.join(root, 'resnet_copy.py');
    const text = fs.readFileSync(path.join(DEBIAN_TORCHVISION, 'models', 'resnet.py'), 'utf8');
    fs.writeFileSync(copy, text);
    const copyUri = pathToFileURL(copy).href;
    const published = await session.open(copyUri, text);
    const report = await session.report<Report>(copyUri);
    assert.ok(report, 'the copy is analyzed (a model is found among its factories)');
    assert.equal(report.totals.params, truth.params, 'resnet18(), the first factory that builds');
    assert.ok(report.unknownsOutsideModel > 0, 'unresolved imports the model never uses are counted');
    assert.ok(report.unknowns.length > 0, 'the relative imports the model does use are unknowns');
    const unknownLines = new Set(report.unknowns.map((u) => u.line - 1));
    assert.ok(published.diagnostics.every((d) => unknownLines.has(d.range.start.line)), 'a diagnostic only where an unknown reaches the model');
    assert.ok(published.diagnostics.length <= report.unknowns.length);
  });

  test('a library file opened in the editor gets no diagnostics and no analysis of its own; its lines show an importer\'s costs', async () => {
    const file = path.join(root, '.venv', 'lib', 'python3.11', 'site-packages', 'torchvision', 'models', 'resnet.py');
    const libUri = pathToFileURL(file).href;
    const published = await session.open(libUri, fs.readFileSync(file, 'utf8'));
    assert.deepEqual(published.diagnostics, []);
    assert.equal(await session.report<Report>(libUri), null);
    // Its lines show the costs of its layers as the open script that imports it uses them.
    const hints = (await session.inlayHints(libUri)) ?? [];
    const line = hints.find((h) => /^saved 8 × /.test(String(h.label)));
    assert.ok(line, `a hint from the importer's analysis: ${JSON.stringify(hints.map((h) => h.label))}`);
    const md = markdown(await session.hover(libUri, line.position.line));
    assert.match(md, /As used by `ResNet` in (train|finetune|resnet_copy)\.py/);
  });
});

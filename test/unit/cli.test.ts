// The `memlens` command line as users and scripts run it (report-contract.md): node bin/memlens.js.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { Report } from '../../server/src/report/types';
import { formatBytes, formatCount } from '../../server/src/report/units';
import { CLI, fixturePath, readFixture, readTruth, ROOT } from '../fixtures';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function memlens(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const TRUTH_FLAGS = ['--device', 'cpu', '--torch', '2.14'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-cli-'));

function jsonReport(...args: string[]): Report {
  const r = memlens('report', ...args, '--json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Report;
}

describe('memlens report --json', { timeout: 120_000 }, () => {
  const truth = readTruth('mlp.py');
  const report = (): Report => jsonReport('test/fixtures/mlp.py', ...TRUTH_FLAGS);

  test('every field of the contract, with the measured numbers', () => {
    const r = report();
    assert.equal(r.version, 1);
    assert.equal(r.file, 'test/fixtures/mlp.py');
    assert.equal(r.entry, 'MLP()');
    assert.deepEqual(r.inputs, [{ name: 'x', dtype: 'float32', shape: [32, 784], guessed: false }]);
    assert.deepEqual(
      { precision: r.settings.precision, optimizer: r.settings.optimizer, device: r.settings.device, torch: r.settings.torch, checkpoint: r.settings.checkpoint },
      { precision: 'fp32', optimizer: 'adam', device: 'cpu', torch: '2.14', checkpoint: [] },
    );
    const t = r.totals;
    const keys = ['params', 'trainableParams', 'paramBytes', 'gradBytes', 'optimizerBytes', 'bufferBytes', 'inputBytes', 'savedActivationBytes', 'peakBytes', 'peakPhase', 'peakComposition'];
    assert.deepEqual(keys.filter((k) => !(k in t)), []);
    assert.equal(t.params, truth.params);
    assert.equal(t.trainableParams, truth.trainableParams);
    assert.equal(t.paramBytes, truth.paramBytes);
    assert.equal(t.gradBytes, truth.paramBytes, 'fp32: one fp32 gradient per trainable parameter');
    // Measured with AdamW (Adam's state is the same): exp_avg, exp_avg_sq and a 4-byte step counter per parameter on the CPU.
    assert.equal(t.optimizerBytes, truth.peak?.adamw.optimizerStateBytes, 'optimizer state as PyTorch keeps it');
    assert.equal(t.optimizerBytes, 2 * truth.paramBytes + 4 * 6, 'exp_avg, exp_avg_sq and six step counters');
    assert.equal(t.bufferBytes, truth.bufferBytes);
    assert.equal(t.inputBytes, truth.inputBytes);
    assert.equal(t.savedActivationBytes, truth.savedActivationBytes);
    assert.deepEqual(Object.keys(t.peakComposition).sort(), ['activations', 'grads', 'optimizer', 'params', 'temporaries']);
    const composed = Object.values(t.peakComposition).reduce((a, b) => a + b, 0);
    assert.equal(composed, t.peakBytes, 'the composition adds up to the peak');
    assert.ok(t.peakBytes >= truth.paramBytes + truth.savedActivationBytes);
  });

  test('layers: every contract field; kind, output shape and saved bytes as measured', () => {
    const r = report();
    const fields = ['path', 'kind', 'file', 'line', 'callLine', 'params', 'outputShape', 'outputBytes', 'savedBytes', 'measured'];
    for (const l of r.layers) assert.deepEqual(fields.filter((f) => !(f in l)), [], `layer ${l.path}`);
    const leaves = truth.modules.filter((m) => m.leaf);
    assert.deepEqual(r.layers.filter((l) => l.leaf !== false).map((l) => l.path), leaves.map((m) => m.path), 'leaf rows in execution order');
    for (const m of leaves) {
      const l = r.layers.find((x) => x.path === m.path);
      assert.ok(l);
      assert.equal(l.kind, m.kind);
      assert.deepEqual(l.outputShape, m.outputShape);
      assert.equal(l.savedBytes, m.savedBytes, `${m.path} savedBytes`);
      assert.equal(l.measured, null);
      assert.equal(l.file, 'test/fixtures/mlp.py');
    }
    const text = readFixture('mlp.py').split('\n');
    const fc1 = r.layers.find((x) => x.path === 'fc1');
    assert.ok(text[(fc1?.line ?? 0) - 1]?.includes('self.fc1 = nn.Linear'), 'fc1 line is its construction');
    assert.ok(text[(fc1?.callLine ?? 0) - 1]?.includes('self.fc1(x)'), 'fc1 callLine is its call in forward');
    assert.equal(r.layers.reduce((s, l) => s + l.savedBytes, 0), truth.savedActivationBytes, 'rows add up to savedActivationBytes');
    assert.equal(r.layers.reduce((s, l) => s + l.params, 0), truth.params);
  });

  test('timeline: phases in order, every category, peak = largest point', () => {
    const r = report();
    assert.ok(r.timeline.length > 0);
    const order = { forward: 0, backward: 1, optimizer: 2 };
    let last = 0;
    r.timeline.forEach((p, i) => {
      assert.equal(p.i, i);
      assert.ok(order[p.phase] >= last, `phase ${p.phase} after a later phase at ${i}`);
      last = order[p.phase];
      assert.equal(typeof p.op, 'string');
      assert.deepEqual(Object.keys(p.bytes).sort(), ['activations', 'grads', 'optimizer', 'params', 'temporaries']);
    });
    const largest = Math.max(...r.timeline.map((p) => Object.values(p.bytes).reduce((a, b) => a + b, 0)));
    assert.equal(largest, r.totals.peakBytes);
    assert.deepEqual(r.unknowns, []);
  });

  test('flags reach the settings: --optimizer sgd, --batch, --checkpoint, --precision', () => {
    const r = jsonReport('test/fixtures/mlp.py', ...TRUTH_FLAGS, '--optimizer', 'sgd', '--batch', '64', '--checkpoint', 'fc1,fc2', '--precision', 'amp-bf16');
    assert.equal(r.settings.optimizer, 'sgd');
    assert.equal(r.totals.optimizerBytes, 0, 'plain SGD keeps no state');
    assert.equal(r.settings.batch, 64);
    assert.equal(r.inputs[0].shape[0], 64);
    assert.deepEqual(r.settings.checkpoint, ['fc1', 'fc2']);
    assert.equal(r.settings.precision, 'amp-bf16');
  });

  test('--input overrides the directive', () => {
    const r = jsonReport('test/fixtures/mlp.py', ...TRUTH_FLAGS, '--input', 'x:float32[4,784]');
    assert.deepEqual(r.inputs, [{ name: 'x', dtype: 'float32', shape: [4, 784], guessed: false }]);
    assert.equal(r.totals.inputBytes, truth.inputBytes / 8, 'batch 4 of the measured batch 32');
  });
});

describe('memlens report (table and HTML)', { timeout: 60_000 }, () => {
  const truth = readTruth('resnet_small.py');

  test('the table names the layers and the totals in human units', () => {
    const r = memlens('report', 'test/fixtures/resnet_small.py', ...TRUTH_FLAGS);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^memlens report {2}test\/fixtures\/resnet_small\.py$/m);
    assert.match(r.stdout, /^entry +ResNetSmall\(\)$/m);
    assert.match(r.stdout, /^inputs +x: float32\[8, 3, 32, 32\]$/m);
    assert.match(r.stdout, /^layer1\.0\.conv1 +Conv2d +\d+ +[\d,]+ +\[8, 16, 32, 32\] +0 B$/m);
    assert.match(r.stdout, new RegExp(`^params +${formatCount(truth.params)}$`, 'm'));
    assert.match(r.stdout, new RegExp(`^saved activations +${formatBytes(truth.savedActivationBytes)}$`, 'm'));
    assert.match(r.stdout, /^peak \S+ (B|KiB|MiB|GiB) during (forward|backward|optimizer)$/m);
    assert.match(r.stdout, /^ {2}saved activations +\S+ \S+ +\d+\.\d%$/m);
  });

  test('--html writes one self-contained page: the timeline view with its data, nothing remote, and a static fallback', () => {
    const out = path.join(tmp, 'timeline.html');
    const r = memlens('report', 'test/fixtures/resnet_small.py', ...TRUTH_FLAGS, '--html', out);
    assert.equal(r.code, 0, r.stderr);
    const html = fs.readFileSync(out, 'utf8');
    const report = jsonReport('test/fixtures/resnet_small.py', ...TRUTH_FLAGS);
    assert.match(html, /^<!DOCTYPE html>/);
    // Only the inlined parts may run or style: a nonce on each, CSP default-src 'none'.
    const csp = html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]+)">/)?.[1] ?? '';
    const nonce = csp.match(/script-src 'nonce-([^']+)'/)?.[1];
    assert.ok(nonce && csp.startsWith("default-src 'none'"), csp);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.deepEqual(scripts, [' id="memlens-data" type="application/json"', ` nonce="${nonce}"`]);
    // The view's data: the report's numbers, controls off (no host to recompute them).
    const json = html.match(/<script id="memlens-data" type="application\/json">([^<]*)<\/script>/)?.[1];
    const data = JSON.parse(json!) as { report: { totals: { peakBytes: number }; timeline: unknown[] }; controls: unknown; uri: unknown };
    assert.equal(data.report.totals.peakBytes, report.totals.peakBytes);
    assert.equal(data.report.timeline.length, report.timeline.length);
    assert.equal(data.controls, null);
    assert.equal(data.uri, null);
    // No external resources: nothing fetched.
    // No external resources in the markup and styles (the script's own templates aside): nothing fetched.
    const markup = html.replace(/(<script nonce="[^"]+">)[\s\S]*?(<\/script>)/, '$1$2');
    assert.doesNotMatch(markup, /<link|<(img|script|iframe|audio|video|source)\b[^>]*\ssrc=|url\((?!data:)|@import/);
    // Without scripts: the static timeline (phases labelled, the peak marked) and the layer table.
    const fallback = html.slice(html.indexOf('<noscript>'), html.indexOf('</noscript>'));
    assert.match(fallback, /<svg [^>]*viewBox/);
    for (const phase of ['forward', 'backward', 'optimizer']) assert.ok(fallback.includes(`>${phase}</text>`), `phase ${phase} not labelled`);
    assert.ok(fallback.includes(`>peak ${formatBytes(report.totals.peakBytes)} (${report.totals.peakPhase}`));
    assert.ok(fallback.includes('layer1.0.conv1'));
  });
});

describe('memlens report on training scripts: structured --input specs', { timeout: 120_000 }, () => {
  const wordLm = 'test/fixtures/scripts/word_lm/main.py';

  test('a tuple input (the LSTM\'s (h, c)): each tensor listed with its argument, the measured numbers', () => {
    const truth = readTruth('scripts/word_lm/main.py');
    const r = jsonReport(wordLm, ...TRUTH_FLAGS, '--optimizer', 'none', '--input', 'input:int64[35,B]', '--input', 'hidden:(float32[2,B,64], float32[2,B,64])', '--batch', '20');
    assert.deepEqual(r.inputs, [
      { name: 'input', dtype: 'int64', shape: [35, 20], guessed: false },
      { name: 'hidden[0]', dtype: 'float32', shape: [2, 20, 64], guessed: false, argument: 'hidden', index: [0] },
      { name: 'hidden[1]', dtype: 'float32', shape: [2, 20, 64], guessed: false, argument: 'hidden', index: [1] },
    ]);
    assert.equal(r.entry, "model.RNNModel('LSTM', 600, 64, 64, 2, 0.2, False)", 'the model the script builds');
    assert.equal(r.totals.params, truth.params);
    assert.equal(r.totals.savedActivationBytes, truth.savedActivationBytes);
    assert.equal(r.totals.peakBytes, truth.peak?.none.bytes);
  });

  test('keyword inputs (NAME=…) and the script\'s own inputs agree', () => {
    const args = ['test/fixtures/scripts/bert_batch/train.py', ...TRUTH_FLAGS];
    const given = jsonReport(...args, '--input', 'input_ids=int64[16,64]', '--input', 'attention_mask=int64[16,64]', '--input', 'labels=int64[16]');
    const found = jsonReport(...args);
    assert.deepEqual(given.inputs.map((i) => [i.name, i.keyword]), [['input_ids', true], ['attention_mask', true], ['labels', true]]);
    assert.deepEqual(given.inputs, found.inputs);
    assert.equal(given.totals.peakBytes, found.totals.peakBytes);
    assert.deepEqual(found.omittedArguments, []);
  });

  test('the table lists the omitted targets', () => {
    const r = memlens('report', 'test/fixtures/scripts/nanogpt/model.py', ...TRUTH_FLAGS);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^entry +GPT\(GPTConfig\(\)\) {2}\(guessed\)$/m);
    assert.match(r.stdout, /^inputs +idx: int64\[1, 1024\] \(guessed\)$/m);
    assert.match(r.stdout, /^omitted +targets not given: loss not included$/m);
  });

  const dist = '/usr/lib/python3/dist-packages/torchvision';
  test('a script using torchvision from the user\'s Python (--python): resnet18 as measured', { skip: fs.existsSync(dist) ? false : `no ${dist}` }, () => {
    const script = path.join(tmp, 'tv_script.py');
    fs.writeFileSync(script, 'import torch\nimport torchvision\n\nmodel = torchvision.models.resnet18()\nx = torch.randn(1, 3, 224, 224)\nlogits = model(x)\n');
    const truth = JSON.parse(fs.readFileSync(fixturePath('torchvision/resnet18.truth-1.13.json'), 'utf8')) as ReturnType<typeof readTruth>;
    const r = jsonReport(script, '--python', '/usr/bin/python3', '--torch', '1.13', '--device', 'cpu', '--optimizer', 'none');
    assert.equal(r.entry, 'torchvision.models.resnet18()');
    assert.deepEqual(r.inputs, [{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224], guessed: false }]);
    assert.equal(r.totals.params, truth.params);
    assert.equal(r.totals.savedActivationBytes, truth.savedActivationBytes);
    assert.ok(Math.abs(r.totals.peakBytes - truth.peak!.none.bytes) / truth.peak!.none.bytes <= 0.01);
    assert.deepEqual(r.unknowns, []);
  });
});

describe('memlens check', { timeout: 60_000 }, () => {
  test('exit 1 and one line when the peak exceeds the budget', () => {
    const r = memlens('check', 'test/fixtures/mlp.py', ...TRUTH_FLAGS, '--budget', '1KiB');
    assert.equal(r.code, 1);
    assert.match(r.stderr.trim(), /^memlens: peak \S+ \S+ \((forward|backward|optimizer)\) exceeds the budget 1\.00 KiB$/);
  });

  test('exit 0 when it fits', () => {
    const r = memlens('check', 'test/fixtures/mlp.py', ...TRUTH_FLAGS, '--budget', '80GB');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /fits the budget 74\.5 GiB$/);
  });
});

describe('bad input: one line on stderr, exit 2, no stack trace', { timeout: 60_000 }, () => {
  const broken = path.join(tmp, 'broken.py');
  fs.writeFileSync(broken, readFixture('mlp.py').replace('def forward(self, x):', 'def forward(self, x)\n        return ((('));
  const noRule = path.join(tmp, 'cumsum_model.py');
  fs.writeFileSync(noRule, 'import torch.nn as nn\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.Linear(8, 8)\n\n    def forward(self, x):\n        return self.l(x).cumsum(1)\n\n# memlens: entry=M() input=x:float32[2,8]\n');
  // A FIFO and a device as FILE: read, they would block or never end.
  const fifo = path.join(tmp, 'fifo.py');
  if (!fs.existsSync(fifo)) execFileSync('mkfifo', [fifo]);
  const zero = path.join(tmp, 'zero.py');
  if (!fs.existsSync(zero)) fs.symlinkSync('/dev/zero', zero);
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /no command given/],
    ['a FIFO as FILE', ['report', fifo], /fifo\.py is not a regular file/],
    ['a symlink to /dev/zero as FILE', ['report', zero], /zero\.py is not a regular file/],
    ['missing file', ['report', 'nope/missing.py'], /no such file: nope\/missing\.py/],
    ['unknown flag', ['report', 'test/fixtures/mlp.py', '--bogus'], /unknown option --bogus/],
    ['malformed --input', ['report', 'test/fixtures/mlp.py', '--input', 'x:float32[8,'], /malformed --input "x:float32\[8,"/],
    ['malformed tuple --input', ['report', 'test/fixtures/mlp.py', '--input', 'hidden:(float32[2,B,64],'], /malformed --input "hidden:\(float32\[2,B,64\],": '\)' is missing/],
    ['no model found', ['report', 'test/fixtures/unet/unet_parts.py'], /no model found: .*class DoubleConv is used by Down.*pass --entry$/],
    ['malformed --budget', ['check', 'test/fixtures/mlp.py', '--budget', '12XB'], /--budget: invalid byte size "12XB"/],
    ['check without --budget', ['check', 'test/fixtures/mlp.py'], /check needs --budget/],
    ['bad --precision', ['report', 'test/fixtures/mlp.py', '--precision', 'fp8'], /--precision must be one of/],
    ['bad --batch', ['report', 'test/fixtures/mlp.py', '--batch', 'many'], /--batch must be a positive integer/],
    ['unknown command', ['frobnicate', 'x.py'], /unknown command "frobnicate"/],
    ['a missing .onnx file', ['report', 'model.onnx'], /no such file: model\.onnx/],
    ['an .onnx file with PyTorch options', ['report', 'model.onnx', '--precision', 'bf16'], /--precision does not apply to \.onnx files/],
    ['--ep outside profile', ['report', 'test/fixtures/mlp.py', '--ep', 'cpu'], /--ep applies to profile only/],
    ['profile of a model with an op that has no ONNX rule yet', ['profile', noRule, '--device', 'cpu'], /cannot profile .*cumsum_model\.py: no ONNX rule for cumsum \(line 10\)/],
    ['bad --ep', ['profile', 'model.onnx', '--ep', 'tpu'], /--ep: "tpu" is not one of auto, cuda, webgpu, dml, coreml, cpu/],
    ['lsp without --stdio', ['lsp'], /lsp needs --stdio/],
    ['unknown entry', ['report', 'test/fixtures/mlp.py', '--entry', 'NoSuchModel()'], /NoSuchModel/],
    ['syntax error', ['report', broken], /broken\.py/],
  ];
  for (const [what, args, message] of cases) {
    test(what, () => {
      const r = memlens(...args);
      assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `stderr: ${r.stderr}`);
      assert.match(lines[0], /^memlens: /);
      assert.match(lines[0], message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    });
  }

  test('the fixture paths used above exist', () => {
    assert.ok(fs.existsSync(fixturePath('mlp.py')));
  });
});

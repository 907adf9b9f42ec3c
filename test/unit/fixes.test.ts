// Quick fixes, round trip: each fix's edits applied to a fixture give exactly the fixture with the
// fix written (test/fixtures/fixes/, measured by PyTorch), the analysis of that text matches the
// measurement (peak within 1%, same phase), and the saving the fix announced equals the measured
// saving (the base fixture's peak minus the fixed one's) within 2% — with no optimizer and with AdamW.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeInPhases, analyzeSource } from '../../server/src/analysis';
import { inplaceFixes } from '../../server/src/engine/fixes';
import { runModel } from '../../server/src/engine/run';
import { findDirective } from '../../server/src/engine/specs';
import { readRegularFile } from '../../server/src/interpreter/files';
import { applyEdits } from '../../server/src/engine/planner';
import { loadPythonParser, parsePython } from '../../server/src/python/parser';
import { Analysis, DEFAULT_SETTINGS, FixSuggestion, OptimizerKind } from '../../server/src/report/types';
import { FIXTURES, Release, assertPeak, lineOf, readTruth } from '../fixtures';

function analyze(name: string, text: string, torch: Release, optimizer: OptimizerKind, budgetBytes: number | null = null): Analysis {
  const a = analyzeSource(path.join(FIXTURES, name), text, { ...DEFAULT_SETTINGS, device: 'cpu', torch, optimizer, budgetBytes }, undefined, { suggest: true });
  assert.equal(a.error, null, a.error?.reason);
  return a;
}

interface Case {
  base: string;
  fixed: string;
  kind: FixSuggestion['kind'];
  /** Text on the line the action is offered on. */
  at: string;
  releases: Release[];
}

const CASES: Case[] = [
  { base: 'resnet_small.py', fixed: 'fixes/resnet_small_ckpt.py', kind: 'checkpoint', at: 'out = self.layer2(out)', releases: ['1.13', '2.13', '2.14'] },
  { base: 'resnet_small.py', fixed: 'fixes/resnet_small_seq2.py', kind: 'checkpoint-sequential', at: 'out = self.layer1(out)', releases: ['2.13', '2.14'] },
  // PyTorch 1.x's checkpoint_sequential has no use_reentrant (and is reentrant): the edit leaves it out.
  { base: 'resnet_small.py', fixed: 'fixes/resnet_small_seq2_reentrant.py', kind: 'checkpoint-sequential', at: 'out = self.layer1(out)', releases: ['1.13'] },
  { base: 'gpt_nano.py', fixed: 'fixes/gpt_nano_ckpt.py', kind: 'checkpoint', at: 'x = block(x)', releases: ['1.13', '2.13', '2.14'] },
  { base: 'resnet_small.py', fixed: 'fixes/resnet_small_autocast.py', kind: 'autocast', at: 'def forward(self, x):\n        out = self.relu', releases: ['1.13', '2.13', '2.14'] },
  { base: 'mlp.py', fixed: 'fixes/mlp_autocast.py', kind: 'autocast', at: 'def forward', releases: ['1.13', '2.13', '2.14'] },
];

before(async () => {
  await loadPythonParser();
});

/** 0-based line where `needle` (possibly spanning lines) starts. */
function lineOfText(text: string, needle: string): number {
  if (!needle.includes('\n')) return lineOf(text, needle);
  const at = text.indexOf(needle);
  assert.ok(at >= 0 && text.indexOf(needle, at + 1) < 0, `"${needle}" once in the text`);
  return text.slice(0, at).split('\n').length - 1;
}

describe('quick fixes: edits, numbers and savings as PyTorch measured them', () => {
  for (const c of CASES) {
    for (const release of c.releases) {
      it(`${c.fixed} (${release})`, () => {
        const baseText = fs.readFileSync(path.join(FIXTURES, c.base), 'utf8');
        const fixedText = fs.readFileSync(path.join(FIXTURES, c.fixed), 'utf8');
        const baseTruth = readTruth(c.base, release);
        const fixedTruth = readTruth(c.fixed, release);
        const line = lineOfText(baseText, c.at);
        for (const optimizer of ['none', 'adamw'] as const) {
          const a = analyze(c.base, baseText, release, optimizer);
          const measured = baseTruth.peak![optimizer].bytes - fixedTruth.peak![optimizer].bytes;
          const fix = a.fixes!.find((f) => f.kind === c.kind && f.line === line);
          if (measured < 0.01 * baseTruth.peak![optimizer].bytes) {
            // Not worth an edit as measured: not offered (or offered for what it really saves).
            if (fix) assert.ok(Math.abs(fix.savedBytes - measured) <= Math.max(0.02 * Math.abs(measured), 4096), `${optimizer}: announced ${fix.savedBytes} vs measured ${measured}`);
            continue;
          }
          assert.ok(fix, `${optimizer}: a ${c.kind} fix on line ${line + 1} (offered: ${a.fixes!.map((f) => `${f.line + 1} ${f.title}`).join('; ')})`);
          assert.equal(applyEdits(baseText, fix.edits), fixedText, `${optimizer}: the edited text is ${c.fixed}`);
          const err = Math.abs(fix.savedBytes - measured) / measured;
          assert.ok(err <= 0.02, `${optimizer}: the title says it saves ${fix.savedBytes} B, PyTorch measured ${measured} B (${(err * 100).toFixed(2)}%)`);
          assert.match(fix.title, /saves [\d.]+ (B|KiB|MiB|GiB) of peak/);
          const again = analyze(c.fixed, fixedText, release, optimizer);
          assertPeak(again.report, fixedTruth.peak![optimizer], `${optimizer}: the edited text`);
          assert.equal(again.report.totals.peakBytes, fix.peakBytes, `${optimizer}: the analysis of the edited text shows the peak the fix announced`);
        }
      });
    }
  }

  it('checkpoint_sequential takes the number of segments with the lowest peak (WRN-28, 4 blocks per group)', () => {
    const baseText = fs.readFileSync(path.join(FIXTURES, 'fixes/wide_resnet_28.py'), 'utf8');
    const a = analyze('fixes/wide_resnet_28.py', baseText, '2.14', 'none');
    const fix = a.fixes!.find((f) => f.kind === 'checkpoint-sequential');
    assert.ok(fix, a.fixes!.map((f) => f.title).join('; '));
    const k = Number(/in (\d+) segments/.exec(fix.title)![1]);
    const peaks = [2, 3, 4].map((n) => readTruth(`fixes/wide_resnet_28_seq${n}.py`, '2.14').peak!.none.bytes);
    const best = 2 + peaks.indexOf(Math.min(...peaks));
    assert.equal(k, best, `segments chosen (measured peaks for 2, 3, 4: ${peaks.join(', ')})`);
    assert.equal(applyEdits(baseText, fix.edits), fs.readFileSync(path.join(FIXTURES, `fixes/wide_resnet_28_seq${k}.py`), 'utf8'));
  });

  it('the checkpoint plan setting simulates what the code would do', () => {
    for (const [base, plan, fixed] of [['resnet_small.py', 'layer2', 'fixes/resnet_small_ckpt.py'], ['resnet_small.py', 'layer1/2', 'fixes/resnet_small_seq2.py'], ['gpt_nano.py', 'transformer.h.*', 'fixes/gpt_nano_ckpt.py']] as const) {
      const file = path.join(FIXTURES, base);
      const viaPlan = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none', checkpoint: [plan] });
      const viaCode = analyze(fixed, fs.readFileSync(path.join(FIXTURES, fixed), 'utf8'), '2.14', 'none');
      assert.equal(viaPlan.report.totals.peakBytes, viaCode.report.totals.peakBytes, `${base} --checkpoint ${plan}`);
      assert.equal(viaPlan.report.totals.savedActivationBytes, viaCode.report.totals.savedActivationBytes, `${base} --checkpoint ${plan}: saved`);
      assert.ok(viaPlan.report.timeline.some((p) => p.recompute), 'the timeline shows the recompute in backward');
      assert.ok(viaPlan.report.timeline.filter((p) => p.recompute).every((p) => p.phase === 'backward'));
    }
  });

  it('fixes are not offered where they would not lower the peak, and a plan item that matches nothing is reported', () => {
    const file = path.join(FIXTURES, 'resnet_small.py');
    const text = fs.readFileSync(file, 'utf8');
    const a = analyze('resnet_small.py', text, '2.14', 'none');
    const peak = a.report.totals.peakBytes;
    for (const f of a.fixes!) {
      assert.ok(f.savedBytes >= 0.01 * peak, `${f.title}: saves at least 1% of the peak`);
      assert.equal(f.savedBytes, peak - f.peakBytes);
    }
    const bad = analyzeSource(file, text, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none', checkpoint: ['layer9'] });
    assert.deepEqual(bad.report.warnings, ["checkpoint plan item 'layer9' matches no module call of the model"]);
    assert.equal(bad.report.totals.peakBytes, peak, 'nothing checkpointed');
  });
});

describe('inplace=True on an activation', () => {
  const SOURCE = `import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.fc = nn.Linear(dim, dim)
        self.bn = nn.BatchNorm1d(dim)
        self.act = nn.ReLU()
        self.pre = nn.LeakyReLU(0.1)
        self.gate = nn.ReLU()

    def forward(self, x):
        h = self.act(self.bn(self.fc(x)))
        y = self.pre(x)
        g = self.gate(self.fc(h))
        return h + y + g * x


# memlens: entry=Block() input=x:float32[B,64] batch=4
`;

  it('is offered only where the input is needed by nothing else, and writes inplace=True into the constructor call', () => {
    const file = path.join(FIXTURES, 'inplace_probe.py');
    const settings = { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none' } as const;
    const tree = parsePython(SOURCE);
    const run = runModel({ file, tree, settings, directive: findDirective(SOURCE), source: { readFile: readRegularFile } });
    const base = analyzeInPhases(file, SOURCE, settings).analysis.report.totals.peakBytes;
    // What the fixes would save is the edited text's analysis; here every edit "saves" 10%, to see which are safe.
    const edited: string[] = [];
    const fixes = inplaceFixes(run, file, tree, base, (edits) => {
      edited.push(applyEdits(SOURCE, edits));
      return Math.round(base * 0.9);
    });
    tree.delete();
    const lines = SOURCE.split('\n');
    // act: its input (BatchNorm's output) is used by nothing else. pre: its input x is used again
    // (g * x) and is the model's input. gate: its input (fc's output) is used by nothing else.
    assert.deepEqual(fixes.map((f) => lines[f.line].trim()), ['self.act = nn.ReLU()', 'self.gate = nn.ReLU()']);
    assert.ok(edited.some((t) => t.includes('self.act = nn.ReLU(inplace=True)')));
    assert.match(fixes[0].title, /^Use inplace=True — saves [\d.]+ (B|KiB|MiB) of peak$/);
    // The edited text analyzes (the in-place ReLU runs as relu_ on BatchNorm's output).
    const after = analyzeSource(file, edited[0], settings);
    assert.equal(after.error, null, after.error?.reason);
    assert.ok(after.report.timeline.some((p) => p.op === 'relu_'), 'the edited code runs relu_');
  });
});

describe('checkpoint calls in code', () => {
  it('reads what it can, names what it cannot, never crashes', () => {
    const text = `import functools
import torch
import torch.nn as nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential, create_selective_checkpoint_contexts


def policy(ctx, op, *args, **kwargs):
    return op in (torch.ops.aten.addmm.default,)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(8, 8)
        self.seq = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))

    def forward(self, x):
        x = checkpoint(self.a, x, use_reentrant=False, context_fn=functools.partial(create_selective_checkpoint_contexts, policy))
        x = checkpoint(lambda t: self.a(t) * 2, x, use_reentrant=False)
        x = checkpoint(checkpoint, self.a, x, use_reentrant=False)
        y = checkpoint()
        z = checkpoint_sequential(self.seq, 5, x, use_reentrant=False)
        return x


# memlens: entry=Net() input=x:float32[B,8] batch=4
`;
    const a = analyzeSource(path.join(FIXTURES, 'ckpt_probe.py'), text, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14' }, undefined, { suggest: true });
    assert.equal(a.error, null);
    const lines = text.split('\n');
    assert.deepEqual(a.report.unknowns.map((u) => [lines[u.line - 1].trim(), u.reason]), [
      ['y = checkpoint()', 'checkpoint() needs the function to run'],
      ['z = checkpoint_sequential(self.seq, 5, x, use_reentrant=False)', 'checkpoint_sequential: 5 segments for 3 functions (PyTorch raises ValueError: range() arg 3 must not be zero)'],
    ]);
    // The selective policy function was asked per op, the lambda and the nested checkpoint ran.
    assert.deepEqual(a.report.settings.checkpoint, ['checkpoint at line 18', 'checkpoint at line 19', 'checkpoint at line 20', 'checkpoint at line 20']);
    assert.ok(a.report.unreliable?.some((r) => r.includes('PyTorch would raise')), 'what PyTorch would raise makes the figures unreliable');
  });
});

describe('the quick fix spells checkpoint as the file does', () => {
  const BASE = `import torch
import torch.nn as nn
IMPORTS


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Linear(64, 256), nn.GELU(), nn.Linear(256, 64))
        self.b = nn.Sequential(nn.Linear(64, 256), nn.GELU(), nn.Linear(256, 64))

    def forward(self, x):
        x = self.a(x)
        return self.b(x)


# memlens: entry=Net() input=x:float32[B,64] batch=4096
`;
  for (const [imports, call, added] of [
    ['', 'checkpoint(self.a, x, use_reentrant=False)', 'from torch.utils.checkpoint import checkpoint\n'],
    ['import torch.utils.checkpoint as cp', 'cp.checkpoint(self.a, x, use_reentrant=False)', null],
    ['from torch.utils import checkpoint', 'checkpoint.checkpoint(self.a, x, use_reentrant=False)', null],
    ['from torch.utils.checkpoint import checkpoint as ckpt', 'ckpt(self.a, x, use_reentrant=False)', null],
    ['from torch.utils.checkpoint import checkpoint_sequential', 'checkpoint(self.a, x, use_reentrant=False)', ', checkpoint'],
  ] as const) {
    it(imports || 'no import yet', () => {
      const text = BASE.replace('IMPORTS', imports);
      const a = analyzeSource(path.join(FIXTURES, 'spelling_probe.py'), text, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none' }, undefined, { suggest: true });
      assert.equal(a.error, null, a.error?.reason);
      const fix = a.fixes!.find((f) => f.kind === 'checkpoint' && f.line === lineOf(text, 'x = self.a(x)'));
      assert.ok(fix, a.fixes!.map((f) => f.title).join('; '));
      assert.deepEqual(fix.edits.map((e) => e.newText), added === null ? [call] : [added, call]);
      const after = analyzeSource(path.join(FIXTURES, 'spelling_probe.py'), applyEdits(text, fix.edits), { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none' });
      assert.equal(after.error, null);
      assert.equal(after.report.totals.peakBytes, fix.peakBytes, 'the edited text analyzes to the announced peak');
    });
  }
});

// einops modelled as the torch operations its torch backend runs (server/src/interpreter/torch/
// einops.ts). einops is not installed beside the measuring PyTorch, so the proof is a twin:
// test/fixtures/einops/vit_einops.py and vit_torch.py (the same model with each einops call written
// as reshape/permute/unsqueeze/expand/mean) must analyze to the numbers PyTorch 1.13 measured for
// the twin. Shapes of single calls follow einops' documented semantics.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { Analysis, DEFAULT_SETTINGS } from '../../server/src/report/types';
import { FIXTURES, Truth } from '../fixtures';

const SETTINGS = { ...DEFAULT_SETTINGS, device: 'cpu', torch: '1.13' } as const;
let dir = '';

before(async () => {
  await loadPythonParser();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-einops-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function analyzeText(name: string, text: string): Analysis {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return analyzeSource(file, text, SETTINGS);
}

describe('einops', () => {
  it('vit_einops.py analyzes to what PyTorch measured for its plain-torch twin', () => {
    const file = path.join(FIXTURES, 'einops', 'vit_einops.py');
    const truth = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'einops', `vit_torch.truth-${SETTINGS.torch}.json`), 'utf8')) as Truth;
    const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), SETTINGS);
    assert.equal(a.error, null, a.error?.reason);
    assert.deepEqual(a.report.unknowns, []);
    const t = a.report.totals;
    assert.equal(t.params, truth.params);
    assert.equal(t.inputBytes, truth.inputBytes);
    assert.equal(t.savedActivationBytes, truth.savedActivationBytes);
    const rows = new Map(a.report.layers.map((l) => [l.path, l]));
    for (const m of truth.modules) {
      const row = rows.get(m.path);
      if (m.leaf) {
        assert.ok(row, `leaf ${m.path}`);
        assert.equal(row.kind, m.kind === 'PatchRearrange' ? 'Rearrange' : m.kind, `kind of ${m.path}`);
        if (m.outputShape && row.calls === 1) assert.deepEqual(row.outputShape, m.outputShape, `output shape of ${m.path}`);
      }
      assert.equal(row?.savedBytes ?? 0, m.savedBytes, `saved bytes of ${m.path || '<root>'}`);
    }
  });

  // Each case: the output shape of one call on x:[2, 6, 8, 10], and what the result feeds to a
  // Linear whose saved input tells a copy (a new storage) from a view of the input (nothing saved).
  const CASES: { call: string; shape: number[] }[] = [
    { call: "rearrange(x, 'b c h w -> b (c h w)')", shape: [2, 480] },
    { call: "rearrange(x, 'b c h w -> b h w c')", shape: [2, 8, 10, 6] },
    { call: "rearrange(x, 'b (g c) h w -> b g c h w', g=3)", shape: [2, 3, 2, 8, 10] },
    { call: "rearrange(x, 'b c (h p) (w q) -> b (h w) (p q c)', p=2, q=5)", shape: [2, 8, 60] },
    { call: "rearrange(x, 'b ... -> b (...)')", shape: [2, 480] },
    { call: "rearrange(x, 'b c ... -> b ... c')", shape: [2, 8, 10, 6] },
    { call: "rearrange([x, x], 'n b c h w -> b n c h w')", shape: [2, 2, 6, 8, 10] },
    { call: "repeat(x, 'b c h w -> b c h w r', r=3)", shape: [2, 6, 8, 10, 3] },
    { call: "repeat(x, 'b c h w -> b c (h 2) (w 2)')", shape: [2, 6, 16, 20] },
    { call: "reduce(x, 'b c (h 2) (w 2) -> b c h w', 'mean')", shape: [2, 6, 4, 5] },
    { call: "einops.reduce(x, 'b c h w -> b c', reduction='sum')", shape: [2, 6] },
    { call: "Rearrange('b c h w -> b (h w) c')(x)", shape: [2, 80, 6] },
    { call: "Reduce('b c h w -> b c', 'mean')(x)", shape: [2, 6] },
  ];
  for (const c of CASES) {
    it(c.call, () => {
      const a = analyzeText('shape.py', `import torch
import torch.nn as nn
import einops
from einops import rearrange, repeat, reduce
from einops.layers.torch import Rearrange, Reduce


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(${c.shape[c.shape.length - 1]}, 4)

    def forward(self, x):
        y = ${c.call}
        assert tuple(y.shape) == ${JSON.stringify(c.shape).replace('[', '(').replace(']', ')')}
        return self.fc(y)

# memlens: entry=Net() input=x:float32[B,6,8,10] batch=2
`);
      assert.equal(a.error, null, a.error?.reason);
      assert.deepEqual(a.report.unknowns, []);
      assert.deepEqual(a.report.layers.find((l) => l.path === 'fc')?.outputShape, [...c.shape.slice(0, -1), 4]);
    });
  }

  it('a bad pattern is an unknown on its line; the rest of the model still analyzes', () => {
    const a = analyzeText('bad.py', `import torch.nn as nn
from einops import rearrange


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 4)

    def forward(self, x):
        y = rearrange(x, 'b c h w -> b c h')
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,6,8,10] batch=2
`);
    assert.equal(a.error, null);
    assert.deepEqual(a.report.unknowns.map((u) => [u.line, u.reason]), [[11, "einops.rearrange('b c h w -> b c h'): axes w appear on one side only"]]);
    assert.equal(a.report.totals.params, 10 * 4 + 4);
  });

  it('an unmodelled third-party import is an unknown where the model uses it, with its file and line; the model still analyzes', () => {
    const a = analyzeText('other.py', `import torch.nn as nn
from timm.layers import DropPath


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 4)
        self.drop_path = DropPath(0.1)

    def forward(self, x):
        return self.drop_path(self.fc(x))

# memlens: entry=Net() input=x:float32[B,10] batch=2
`);
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 10 * 4 + 4);
    assert.equal(a.report.unknowns.length >= 1, true);
    assert.equal(path.basename(a.report.unknowns[0].file), 'other.py');
    // Reported where tensors go into a value from it (the forward call), not at the import nor at
    // the constructor call (which only makes another unknown).
    assert.deepEqual(a.report.unknowns.map((u) => u.line), [12]);
    for (const u of a.report.unknowns) assert.match(u.reason, /unresolved import 'timm\.layers'/);
  });
});

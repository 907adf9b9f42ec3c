// nn.MultiheadAttention and the nn.Transformer family on small inline models. Every number was
// measured with PyTorch 1.13 CPU (test/groundtruth/measure.py on the same source): parameter counts,
// saved-for-backward bytes in total and per module (`named_modules()` names).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../../server/src/report/types';

let dir = '';

before(async () => {
  await loadPythonParser();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-transformer-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  init: string;
  forward: string;
  directive: string;
  params: number;
  saved: number;
  /** Saved bytes of the modules that save anything. */
  modules?: Record<string, number>;
}

const CASES: Case[] = [
  {
    name: 'kdim/vdim differ from embed_dim: separate q/k/v weights, per-head weights returned',
    init: 'self.attn = nn.MultiheadAttention(16, 4, kdim=12, vdim=10, dropout=0.1)',
    forward: 'return self.attn(q, k, v, average_attn_weights=False)[1]',
    directive: 'input=q:float32[5,B,16] input=k:float32[7,B,12] input=v:float32[7,B,10] batch=2',
    params: 928,
    saved: 6440,
  },
  {
    name: 'add_bias_kv and add_zero_attn, no bias, batch-first cross-attention, bool attn_mask',
    init: 'self.attn = nn.MultiheadAttention(16, 2, add_bias_kv=True, add_zero_attn=True, bias=False, batch_first=True)',
    forward: 'mask = torch.zeros(x.size(1), m.size(1), dtype=torch.bool)\n        return self.attn(x, m, m, attn_mask=mask)[0]',
    directive: 'input=x:float32[B,5,16] input=m:float32[B,6,16] batch=3',
    params: 1056,
    saved: 8080,
  },
  {
    name: 'unbatched self-attention with dropout and averaged weights',
    init: 'self.attn = nn.MultiheadAttention(8, 2, dropout=0.5)',
    forward: 'out, w = self.attn(x, x, x)\n        return out',
    directive: 'input=x:float32[6,8] batch=1',
    params: 288,
    saved: 1648,
  },
  {
    name: 'post-norm encoder, F.gelu activation, key padding mask; layer 0 projects the input itself',
    init: 'self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 4, 24, dropout=0.1, activation=F.gelu), 2)',
    forward: 'return self.enc(x, src_key_padding_mask=pad)',
    directive: 'input=x:float32[7,B,16] input=pad:bool[B,7] batch=2',
    params: 3920,
    saved: 34960,
    modules: { 'enc.layers.0': 1344, 'enc.layers.0.self_attn': 8296, 'enc.layers.1.self_attn': 9192, 'enc.layers.1.norm2': 1008, 'enc.layers.1.dropout': 1344 },
  },
  {
    name: 'copy.deepcopy of a module in user code: fresh parameters per copy',
    init: 'block = nn.Sequential(nn.Linear(8, 8), nn.ReLU())\n        self.blocks = nn.ModuleList([copy.deepcopy(block) for _ in range(3)])',
    forward: 'for b in self.blocks:\n            x = b(x)\n        return x',
    directive: 'input=x:float32[B,8] batch=4',
    params: 216,
    saved: 384,
    modules: { 'blocks.0.1': 128, 'blocks.1.1': 128, 'blocks.2.1': 128 },
  },
];

describe('attention and transformer layers match PyTorch 1.13 (CPU)', () => {
  CASES.forEach((c, i) => {
    it(c.name, () => {
      const src = `import copy\nimport torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        ${c.init}\n\n    def forward(self, ${c.directive.match(/input=(\w+)/g)!.map((s) => s.slice(6)).join(', ')}):\n        ${c.forward}\n\n\n# memlens: entry=M() ${c.directive}\n`;
      const file = path.join(dir, `case${i}.py`);
      fs.writeFileSync(file, src);
      const a = analyzeSource(file, src, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '1.13' });
      assert.equal(a.error, null, a.error?.reason);
      assert.deepEqual(a.report.unknowns, []);
      assert.equal(a.report.totals.params, c.params, 'parameters');
      assert.equal(a.report.totals.savedActivationBytes, c.saved, 'saved activation bytes');
      const rows = new Map(a.report.layers.map((l) => [l.path, l.savedBytes]));
      for (const [p, bytes] of Object.entries(c.modules ?? {})) assert.equal(rows.get(p), bytes, `saved bytes of ${p}`);
    });
  });
});

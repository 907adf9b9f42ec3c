// The interpreter on small inline model files: how Python builds modules (loops, helpers, configs,
// inheritance, containers, tying, buffers, imports) and how the entry and inputs are chosen. Each
// case asserts numbers a user sees in the report: parameter counts (Σ numel of the weights, by
// shape arithmetic), buffer bytes, saved activation bytes (numel × 4 for fp32; which tensor each op
// saves is in /work/shared/memory-model.md), and `report.layers` paths equal to torch's
// `named_modules()` names.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { Analysis, AnalysisSettings, DEFAULT_SETTINGS } from '../../server/src/report/types';

const SETTINGS: AnalysisSettings = { ...DEFAULT_SETTINGS, device: 'cpu', torch: '1.13', optimizer: 'sgd' };

let dir = '';
let counter = 0;

/** Writes `files` (relative path → text) to a fresh folder and analyzes the first one from disk. */
function analyze(files: Record<string, string>, settings: Partial<AnalysisSettings> = {}): Analysis {
  const sub = path.join(dir, `case${counter++}`);
  fs.mkdirSync(sub);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(sub, name)), { recursive: true });
    fs.writeFileSync(path.join(sub, name), text);
  }
  const [main] = Object.keys(files);
  const file = path.join(sub, main);
  return analyzeSource(file, files[main], { ...SETTINGS, ...settings });
}

function ok(a: Analysis): Analysis {
  assert.equal(a.error, null, a.error?.reason);
  assert.deepEqual(a.report.unknowns, [], 'no unknowns');
  return a;
}

const HEADER = 'import torch\nimport torch.nn as nn\n\n';

before(async () => {
  await loadPythonParser();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-interp-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Case {
  name: string;
  src: string;
  settings?: Partial<AnalysisSettings>;
  params: number;
  /** `report.layers` paths, in report order (called leaves in call order, then uncalled leaves). */
  layers?: string[];
  savedBytes?: number;
  bufferBytes?: number;
  /** When not 4 bytes per parameter (complex64 weights: 8). */
  paramBytes?: number;
}

// Linear(i, o) has i·o + o parameters; Conv2d(ci, co, k) ci·co·k² (+ co with bias).
/** One model whose __init__ branches on its arguments; `entry` picks the branches. */
function conditionalNet(entry: string): string {
  return `${HEADER}class Net(nn.Module):
    def __init__(self, d=8, use_norm=True, extra=0):
        super().__init__()
        self.fc = nn.Linear(d, d)
        if use_norm:
            self.norm = nn.LayerNorm(d)
        else:
            self.norm = nn.Identity()
        if extra > 0:
            self.extra = nn.Linear(d, extra)

    def forward(self, x):
        return self.norm(self.fc(x))

# memlens: entry=${entry} input=x:float32[B,8] batch=2
`;
}

const CASES: Case[] = [
  {
    name: 'ModuleList from a comprehension over range(n)',
    src: `${HEADER}class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self, d=16, n=3):
        super().__init__()
        self.blocks = nn.ModuleList([Block(d) for _ in range(n)])

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x

# memlens: entry=Net() input=x:float32[B,16] batch=4
`,
    params: 3 * (16 * 16 + 16),
    layers: ['blocks.0.fc', 'blocks.0.act', 'blocks.1.fc', 'blocks.1.act', 'blocks.2.fc', 'blocks.2.act'],
    // Each ReLU saves its output [4,16]; the next Linear saves the same storage (counted once).
    savedBytes: 3 * 4 * 16 * 4,
  },
  {
    name: 'ModuleList built by append in a for loop',
    src: `${HEADER}class Net(nn.Module):
    def __init__(self, sizes=(8, 16, 4)):
        super().__init__()
        self.layers = nn.ModuleList()
        for i in range(len(sizes) - 1):
            self.layers.append(nn.Linear(sizes[i], sizes[i + 1]))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

# memlens: entry=Net() input=x:float32[B,8] batch=2
`,
    params: 8 * 16 + 16 + 16 * 4 + 4,
    layers: ['layers.0', 'layers.1'],
    // layers.1 saves its input (layers.0's output, [2,16]); layers.0's input needs no grad.
    savedBytes: 2 * 16 * 4,
  },
  {
    name: 'helper function with default args and a class-valued default',
    src: `${HEADER}def make_mlp(d_in, d_hidden, d_out=3, act=nn.Tanh):
    return nn.Sequential(nn.Linear(d_in, d_hidden), act(), nn.Linear(d_hidden, d_out))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.mlp = make_mlp(10, 20)

    def forward(self, x):
        return self.mlp(x)

# memlens: entry=Net() input=x:float32[B,10] batch=3
`,
    params: 10 * 20 + 20 + 20 * 3 + 3,
    layers: ['mlp.0', 'mlp.1', 'mlp.2'],
    // Tanh saves its output [3,20] (memory-model.md), which mlp.2 also saves.
    savedBytes: 3 * 20 * 4,
  },
  {
    name: 'class-valued argument block=Bottle reads a class attribute through inheritance',
    src: `${HEADER}class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(c)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Bottle(BasicBlock):
    expansion = 2


class Net(nn.Module):
    def __init__(self, block=BasicBlock, layers=2, c=4):
        super().__init__()
        width = c * block.expansion
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.body = nn.Sequential(*[block(width) for _ in range(layers)])

    def forward(self, x):
        return self.body(self.stem(x))

# memlens: entry=Net(block=Bottle) input=x:float32[B,3,8,8] batch=1
`,
    // width 8: stem 3·8·9+8; each block conv 8·8·9 + bn 2·8.
    params: 3 * 8 * 9 + 8 + 2 * (8 * 8 * 9 + 16),
    // Call order; body.0/body.1 get rows because torch.relu runs directly in them and saves bytes.
    layers: ['stem', 'body.0', 'body.0.conv', 'body.0.bn', 'body.1', 'body.1.conv', 'body.1.bn'],
    // BatchNorm2d(8): running_mean + running_var (8 fp32 each) + num_batches_tracked (int64).
    bufferBytes: 2 * (2 * 8 * 4 + 8),
  },
  {
    name: 'class-valued argument default (BasicBlock)',
    src: `${HEADER}class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1, bias=False)

    def forward(self, x):
        return self.conv(x)


class Net(nn.Module):
    def __init__(self, block=BasicBlock, layers=2, c=4):
        super().__init__()
        width = c * block.expansion
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.body = nn.Sequential(*[block(width) for _ in range(layers)])

    def forward(self, x):
        return self.body(self.stem(x))

# memlens: entry=Net() input=x:float32[B,3,8,8] batch=1
`,
    params: 3 * 4 * 9 + 4 + 2 * (4 * 4 * 9),
    layers: ['stem', 'body.0.conv', 'body.1.conv'],
    // body.0.conv saves stem's output, body.1.conv saves body.0's: two [1,4,8,8] tensors.
    savedBytes: 2 * 4 * 8 * 8 * 4,
  },
  {
    name: '@dataclass config with defaults and keyword overrides',
    src: `${HEADER}from dataclasses import dataclass


@dataclass
class Cfg:
    n_layer: int = 2
    d: int = 8
    bias: bool = True


class Net(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.h = nn.ModuleList([nn.Linear(cfg.d, cfg.d, bias=cfg.bias) for _ in range(cfg.n_layer)])

    def forward(self, x):
        for layer in self.h:
            x = layer(x)
        return x

# memlens: entry=Net(Cfg(n_layer=3, bias=False)) input=x:float32[B,8] batch=2
`,
    params: 3 * 8 * 8,
    layers: ['h.0', 'h.1', 'h.2'],
    savedBytes: 2 * (2 * 8 * 4),
  },
  {
    name: '@dataclass config defaults only',
    src: `${HEADER}from dataclasses import dataclass


@dataclass
class Cfg:
    n_layer: int = 2
    d: int = 8
    bias: bool = True


class Net(nn.Module):
    def __init__(self, cfg=Cfg()):
        super().__init__()
        self.h = nn.ModuleList([nn.Linear(cfg.d, cfg.d, bias=cfg.bias) for _ in range(cfg.n_layer)])

    def forward(self, x):
        for layer in self.h:
            x = layer(x)
        return x

# memlens: entry=Net() input=x:float32[B,8] batch=2
`,
    params: 2 * (8 * 8 + 8),
    layers: ['h.0', 'h.1'],
  },
  {
    name: 'plain-class config with __init__ defaults and a class attribute',
    src: `${HEADER}class Config:
    dropout = 0.0

    def __init__(self, width=6, depth=2):
        self.width = width
        self.depth = depth


class Net(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.layers = nn.ModuleList()
        for _ in range(config.depth):
            self.layers.append(nn.Linear(config.width, config.width))
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return self.drop(x)

# memlens: entry=Net(Config(depth=4)) input=x:float32[B,6] batch=1
`,
    params: 4 * (6 * 6 + 6),
    layers: ['layers.0', 'layers.1', 'layers.2', 'layers.3', 'drop'],
    savedBytes: 3 * 6 * 4,
  },
  {
    name: 'getattr / setattr with computed names',
    src: `${HEADER}class Net(nn.Module):
    def __init__(self, n=3, act='GELU'):
        super().__init__()
        for i in range(n):
            setattr(self, f"fc{i}", nn.Linear(4, 4))
        self.act = getattr(nn, act)()
        self.n = n

    def forward(self, x):
        for i in range(self.n):
            x = getattr(self, f"fc{i}")(x)
        return self.act(x)

# memlens: entry=Net() input=x:float32[B,4] batch=5
`,
    params: 3 * (4 * 4 + 4),
    layers: ['fc0', 'fc1', 'fc2', 'act'],
    // fc1 and fc2 save their inputs; GELU saves its input (fc2's output): three [5,4] tensors.
    savedBytes: 3 * 5 * 4 * 4,
  },
  {
    name: 'conditionals in __init__ (branch taken)',
    src: conditionalNet('Net()'),
    params: 8 * 8 + 8 + 2 * 8,
    layers: ['fc', 'norm'],
  },
  {
    name: 'conditionals in __init__ (other branches)',
    src: conditionalNet('Net(use_norm=False, extra=3)'),
    params: 8 * 8 + 8 + 8 * 3 + 3,
    // `extra` is registered but never called: reported after the called leaves.
    layers: ['fc', 'norm', 'extra'],
  },
  {
    name: 'inheritance with super().__init__(args)',
    src: `${HEADER}class Base(nn.Module):
    def __init__(self, d_in, d_out):
        super().__init__()
        self.proj = nn.Linear(d_in, d_out)


class Child(Base):
    def __init__(self, d):
        super().__init__(d, 2 * d)
        self.out = nn.Linear(2 * d, 1)

    def forward(self, x):
        return self.out(torch.relu(self.proj(x)))

# memlens: entry=Child(5) input=x:float32[B,5] batch=4
`,
    params: 5 * 10 + 10 + 10 + 1,
    // relu's output [4,10] is saved (by relu and by out); relu runs in the root module, whose row
    // comes first (called first).
    layers: ['', 'proj', 'out'],
    savedBytes: 4 * 10 * 4,
  },
  {
    name: 'nn.Sequential with an OrderedDict names its children',
    src: `${HEADER}from collections import OrderedDict


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(OrderedDict([
            ("fc1", nn.Linear(4, 8)),
            ("relu", nn.ReLU()),
            ("fc2", nn.Linear(8, 2)),
        ]))

    def forward(self, x):
        return self.net(x)

# memlens: entry=Net() input=x:float32[B,4] batch=3
`,
    params: 4 * 8 + 8 + 8 * 2 + 2,
    layers: ['net.fc1', 'net.relu', 'net.fc2'],
    savedBytes: 3 * 8 * 4,
  },
  {
    name: 'weight tying counts the shared parameter once',
    src: `${HEADER}class LM(nn.Module):
    def __init__(self, vocab=50, d=8):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.emb.weight

    def forward(self, idx):
        return self.head(self.emb(idx))

# memlens: entry=LM() input=idx:int64[B,6] batch=2
`,
    params: 50 * 8,
    layers: ['emb', 'head'],
    // Embedding saves the indices, which here are the model input itself: not an activation
    // (embedding_classifier.truth.json: embed savedBytes 0). head saves emb's output [2,6,8] fp32.
    savedBytes: 2 * 6 * 8 * 4,
  },
  {
    name: 'register_buffer adds buffer bytes, not parameters',
    src: `${HEADER}class Net(nn.Module):
    def __init__(self, t=16):
        super().__init__()
        self.fc = nn.Linear(t, t)
        self.register_buffer("mask", torch.ones(t, t))
        self.register_buffer("pos", torch.zeros(1, 32, dtype=torch.int64))

    def forward(self, x):
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,16] batch=1
`,
    params: 16 * 16 + 16,
    layers: ['fc'],
    bufferBytes: 16 * 16 * 4 + 32 * 8,
  },
  {
    // A Fourier layer (complex weights, rfft2/irfft2), then named results of torch.linalg.eigh and
    // max(dim). Measured saved activations 3936 B on PyTorch 1.13, 2.13 and 2.14 CPU
    // (test/groundtruth/measure.py): the einsum's complex operand copy [9,2,4] (576 B), the irfft2
    // output (2048 B, kept by abs and the matmul), eigh's outputs (32 + 256 B), max's indices (1024 B).
    name: 'complex Fourier layer and named tuple results (eigh().eigenvalues, max().values)',
    src: `${HEADER}class Spectral(nn.Module):
    def __init__(self, c=4, m=3):
        super().__init__()
        self.m = m
        self.w = nn.Parameter(torch.randn(c, c, m, m, dtype=torch.cfloat))

    def forward(self, x):
        b, c, h, w = x.shape
        x_ft = torch.fft.rfft2(x)
        out_ft = torch.zeros(b, c, h, w // 2 + 1, dtype=torch.cfloat)
        out_ft[:, :, :self.m, :self.m] = torch.einsum('bixy,ioxy->boxy', x_ft[:, :, :self.m, :self.m], self.w)
        y = torch.fft.irfft2(out_ft, s=(h, w))
        ev = torch.linalg.eigh(y[0, 0] @ y[0, 0].mT).eigenvalues
        return y.abs().mean() + ev.sum() + torch.max(y, 1).values.sum()

# memlens: entry=Spectral() input=x:float32[2,4,8,8]
`,
    params: 4 * 4 * 3 * 3,
    paramBytes: 4 * 4 * 3 * 3 * 8,
    savedBytes: 3936,
  },
];

describe('interpreter: building models', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const a = ok(analyze({ 'model.py': c.src }, c.settings));
      assert.equal(a.report.totals.params, c.params, 'parameter count');
      assert.equal(a.report.totals.paramBytes, c.paramBytes ?? c.params * 4, 'parameter bytes (fp32 unless given)');
      if (c.layers) assert.deepEqual(a.report.layers.map((l) => l.path), c.layers, 'layer rows');
      if (c.savedBytes !== undefined) assert.equal(a.report.totals.savedActivationBytes, c.savedBytes, 'saved activation bytes');
      if (c.bufferBytes !== undefined) assert.equal(a.report.totals.bufferBytes, c.bufferBytes, 'buffer bytes');
    });
  }

  it('tied weights: the head row has no parameters of its own', () => {
    const c = CASES.find((x) => x.name.startsWith('weight tying'))!;
    const a = ok(analyze({ 'model.py': c.src }));
    const rows = new Map(a.report.layers.map((l) => [l.path, l]));
    assert.equal(rows.get('emb')!.params, 400);
    assert.equal(rows.get('head')!.params, 0);
    assert.deepEqual(rows.get('head')!.outputShape, [2, 6, 50]);
  });

  it('from sibling import Block reads the other file from disk', () => {
    const a = ok(analyze({
      'model.py': `${HEADER}from blocks import Block, WIDTH


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Block(WIDTH)
        self.b = Block(WIDTH)

    def forward(self, x):
        return self.b(self.a(x))

# memlens: entry=Net() input=x:float32[B,12] batch=2
`,
      'blocks.py': `${HEADER}WIDTH = 12


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.fc(x))
`,
    }));
    assert.equal(a.report.totals.params, 2 * (12 * 12 + 12));
    assert.deepEqual(a.report.layers.map((l) => l.path), ['a.fc', 'a.act', 'b.fc', 'b.act']);
    // SiLU saves its input (memory-model.md): a.act, b.fc (a.act's output) and b.act, [2,12] each.
    assert.equal(a.report.totals.savedActivationBytes, 3 * 2 * 12 * 4);
    const blockRow = a.report.layers.find((l) => l.path === 'a.fc')!;
    assert.equal(path.basename(blockRow.file), 'blocks.py', 'the layer row points at the file that constructs it');
  });
});

describe('interpreter: entry and inputs', () => {
  const MODEL = `${HEADER}class Net(nn.Module):
    def __init__(self, d=10):
        super().__init__()
        self.fc = nn.Linear(d, 2 * d)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x))
`;

  it('a # memlens: directive picks entry, input and batch', () => {
    const a = ok(analyze({ 'm.py': `${MODEL}\n# memlens: entry=Net(d=4) input=x:float32[B,4] batch=3\n` }));
    assert.equal(a.report.entry, 'Net(d=4)');
    assert.equal(a.report.entryGuessed, false);
    assert.deepEqual(a.report.inputs, [{ name: 'x', dtype: 'float32', shape: [3, 4], guessed: false }]);
    assert.equal(a.report.totals.params, 4 * 8 + 8);
    assert.equal(a.report.totals.inputBytes, 3 * 4 * 4);
  });

  it('the if __name__ == "__main__": block gives the model and the torch.randn input', () => {
    const a = ok(analyze({
      'm.py': `${MODEL}

if __name__ == "__main__":
    model = Net(d=12)
    x = torch.randn(5, 12)
    y = model(x)
    print(y.shape)
`,
    }));
    assert.equal(a.report.entry, 'Net(d=12)');
    assert.equal(a.report.entryGuessed, false);
    assert.deepEqual(a.report.inputs.map((i) => [i.shape, i.guessed]), [[[5, 12], false]]);
    assert.equal(a.report.totals.params, 12 * 24 + 24);
    assert.equal(a.report.totals.savedActivationBytes, 5 * 24 * 4);
  });

  it('without directive or __main__ the entry and input are guessed and marked so', () => {
    const a = ok(analyze({ 'm.py': MODEL }));
    assert.equal(a.report.entry, 'Net()');
    assert.equal(a.report.entryGuessed, true);
    assert.equal(a.report.inputs.length, 1);
    assert.equal(a.report.inputs[0].guessed, true);
    // The first layer is Linear(10, 20): the guess is [batch, in_features] with batch 1.
    assert.deepEqual(a.report.inputs[0].shape, [1, 10]);
    assert.equal(a.report.totals.params, 10 * 20 + 20);
  });

  it('--entry / --input settings override the directive', () => {
    const src = `${MODEL}\n# memlens: entry=Net(d=4) input=x:float32[B,4] batch=3\n`;
    const a = ok(analyze({ 'm.py': src }, { entry: 'Net(d=3)', inputs: ['x:float32[7,3]'] }));
    assert.equal(a.report.entry, 'Net(d=3)');
    assert.deepEqual(a.report.inputs.map((i) => i.shape), [[7, 3]]);
    assert.equal(a.report.totals.params, 3 * 6 + 6);
    assert.equal(a.report.totals.savedActivationBytes, 7 * 6 * 4);
  });

  it('symbolic B: parameters fixed, inputs and saved activations linear in the batch', () => {
    const src = `${MODEL}\n# memlens: entry=Net() input=x:float32[B,10] batch=3\n`;
    const at = (batch: number) => ok(analyze({ 'm.py': src }, { batch })).report;
    const r4 = at(4);
    const r8 = at(8);
    assert.equal(r4.settings.batch, 4);
    assert.deepEqual(r8.inputs[0].shape, [8, 10]);
    assert.equal(r8.totals.params, r4.totals.params);
    assert.equal(r4.totals.savedActivationBytes, 4 * 20 * 4);
    assert.equal(r8.totals.savedActivationBytes, 2 * r4.totals.savedActivationBytes);
    assert.equal(r8.totals.inputBytes, 2 * r4.totals.inputBytes);
  });
});

describe('interpreter: multi-file models', () => {
  const BLOCK = `${HEADER}WIDTH = 12


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x))
`;
  const NET = (importLine: string) => `${HEADER}${importLine}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Block(WIDTH)
        self.b = Block(WIDTH)

    def forward(self, x):
        return self.b(self.a(x))

# memlens: entry=Net() input=x:float32[B,12] batch=2
`;
  // Two Linear(12, 12) blocks; each ReLU saves its output [2, 12], which the next Linear saves as input.
  const check = (a: Analysis): void => {
    ok(a);
    assert.equal(a.report.totals.params, 2 * (12 * 12 + 12));
    assert.deepEqual(a.report.layers.map((l) => l.path), ['a.fc', 'a.act', 'b.fc', 'b.act']);
    assert.equal(a.report.totals.savedActivationBytes, 2 * 2 * 12 * 4);
  };

  it('from .unet_parts import * (relative wildcard, honouring __all__)', () => {
    const a = analyze({
      'model.py': NET('from .unet_parts import *'),
      'unet_parts.py': `${BLOCK}\n__all__ = ["Block", "WIDTH"]\n`,
    });
    check(a);
  });

  it('from models.blocks import Block (a package folder)', () => {
    check(analyze({ 'train.py': NET('from models.blocks import Block, WIDTH'), 'models/__init__.py': '', 'models/blocks.py': BLOCK }));
  });

  it('from models import Block: re-exported by the package __init__.py', () => {
    check(analyze({
      'train.py': NET('from models import Block, WIDTH'),
      'models/__init__.py': 'from .blocks import Block, WIDTH\nfrom .unused import Thing\n',
      'models/blocks.py': BLOCK,
    }));
  });

  it('from ..layers.blocks import Block: two levels up, from a nested package', () => {
    check(analyze({ 'pkg/models/net.py': NET('from ..layers.blocks import Block, WIDTH'), 'pkg/layers/__init__.py': '', 'pkg/layers/blocks.py': BLOCK }));
  });

  it('an import that is never used is not resolved, so an unresolvable one is no unknown', () => {
    check(analyze({ 'model.py': NET('import einops\nfrom PIL import Image\nfrom blocks import Block, WIDTH'), 'blocks.py': BLOCK }));
  });

  it('a name imported from a module that fails is an unknown on the import line', () => {
    const text = NET('from blocks import Block, WIDTH, missing') + 'm = missing\n';
    const a = analyze({ 'model.py': text, 'blocks.py': BLOCK });
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 2 * (12 * 12 + 12));
    const line = text.split('\n').findIndex((l) => l.startsWith('from blocks')) + 1;
    assert.deepEqual(a.report.unknowns.map((u) => [u.line, u.reason]), [[line, "ImportError: cannot import name 'missing' from 'blocks'"]]);
  });
});

describe('interpreter: library-style Python', () => {
  it('torch.nn.functional has only what the selected release has (hasattr picks the branch)', () => {
    const src = `${HEADER}import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.flash = hasattr(torch.nn.functional, 'scaled_dot_product_attention')
        if self.flash != hasattr(torch, 'compile'):
            self.broken = nn.Linear(8, 8)
        if not self.flash:
            self.extra = nn.Linear(8, 8)

    def forward(self, x):
        x = self.fc(x)
        return self.extra(x) if not self.flash else x

# memlens: entry=Net() input=x:float32[B,8] batch=1
`;
    assert.deepEqual(ok(analyze({ 'model.py': src })).report.layers.map((l) => l.path), ['fc', 'extra'], 'PyTorch 1.13: no SDPA');
    assert.deepEqual(ok(analyze({ 'model.py': src }, { torch: '2.1' })).report.layers.map((l) => l.path), ['fc'], 'PyTorch 2.1: SDPA');
  });

  it('collections.namedtuple: fields by name and index, isinstance, class attributes; a named-tuple output keeps its tensors', () => {
    const a = ok(analyze({
      'model.py': `${HEADER}from collections import namedtuple

Outputs = namedtuple("Outputs", ["logits", "aux"])
Outputs.__annotations__ = {"logits": torch.Tensor, "aux": torch.Tensor}
Dims = namedtuple("Dims", "inp hidden, out")


class Net(nn.Module):
    def __init__(self, d=Dims(8, 16, out=4)):
        super().__init__()
        self.fc1 = nn.Linear(d.inp, d[1])
        self.fc2 = nn.Linear(d.hidden, d.out)
        if isinstance(d, Dims) and not isinstance(d, Outputs) and Dims._fields == ("inp", "hidden", "out"):
            self.tag = nn.Identity()

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        out = Outputs(self.fc2(h), aux=h)
        logits, aux = out
        return Outputs(self.tag(logits), out.aux)

# memlens: entry=Net() input=x:float32[B,8] batch=2
`,
    }));
    // The root gets a row: torch.relu in its forward saves bytes there.
    assert.deepEqual(a.report.layers.map((l) => l.path), ['', 'fc1', 'fc2', 'tag']);
    assert.equal(a.report.totals.params, 8 * 16 + 16 + 16 * 4 + 4);
    // relu keeps its output [2, 16] (fc2 saves the same storage): 2·16·4 bytes.
    assert.equal(a.report.totals.savedActivationBytes, 2 * 16 * 4);
  });

  it('enum members, decorators with functools.wraps and inspect.signature, %-formatted names', () => {
    const a = ok(analyze({
      'model.py': `${HEADER}import enum
import functools
import inspect


class Width(enum.Enum):
    SMALL = 8
    LARGE = 16
    DEFAULT = SMALL


def register(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        params = inspect.signature(wrapper).parameters
        kinds = [p.kind for p in params.values()]
        assert kinds == [inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.VAR_KEYWORD]
        return fn(*args, **kwargs)
    return wrapper


class Stack(nn.Module):
    def __init__(self, width, depth):
        super().__init__()
        for i in range(depth):
            self.add_module("layer%d" % (i + 1), nn.Linear(width, width))
        self.head = nn.Linear(width, Width["LARGE"].value)

    def forward(self, x):
        for name, m in self.named_children():
            x = m(x)
        return x


@register
def stack(*, width=Width.DEFAULT, **kwargs):
    assert stack.__name__ == "stack" and Width(8) is Width.SMALL and len(list(Width)) == 2
    return Stack(width.value, **kwargs)

# memlens: entry=stack(depth=3) input=x:float32[B,8] batch=2
`,
    }));
    assert.deepEqual(a.report.layers.map((l) => l.path), ['layer1', 'layer2', 'layer3', 'head']);
    assert.equal(a.report.totals.params, 3 * (8 * 8 + 8) + 8 * 16 + 16);
  });
});

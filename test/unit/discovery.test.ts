// How the model and its inputs are found without a directive (engine/discover.ts, guess.ts): the
// calls a script makes (in main(), in train(model, loader), at module level, through a
// DataLoader), the model a person would pick from a file of classes (the top of the module
// composition, config objects with defaults, factory functions), the inputs a script shows
// (dataset samples through their transforms, a reshape at the start of forward), and the error
// that says what was tried. Also the input-spec grammar (tuples, lists, dicts, keywords).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { formatSpecValue, parseInputSpec } from '../../server/src/engine/specs';
import { loadPythonParser } from '../../server/src/python/parser';
import { Analysis, AnalysisSettings, DEFAULT_SETTINGS } from '../../server/src/report/types';

const SETTINGS: AnalysisSettings = { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none' };
const HEADER = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n\n';

let dir = '';
let counter = 0;

/** Writes `files` to a fresh folder and analyzes the first one. */
function analyze(files: Record<string, string>, settings: Partial<AnalysisSettings> = {}): Analysis {
  const sub = path.join(dir, `case${counter++}`);
  fs.mkdirSync(sub);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(sub, name), text);
  const [main] = Object.keys(files);
  return analyzeSource(path.join(sub, main), files[main], { ...SETTINGS, ...settings });
}

function ok(a: Analysis): Analysis {
  assert.equal(a.error, null, a.error?.reason);
  assert.deepEqual(a.report.unknowns, [], 'no unknowns');
  return a;
}

const shapes = (a: Analysis) => a.report.inputs.map((i) => [i.name, i.dtype, i.shape, i.guessed]);

before(async () => {
  await loadPythonParser();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-discovery-'));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const MLP = `${HEADER}class MLP(nn.Module):
    def __init__(self, d_in=20, d_hidden=32, d_out=4):
        super().__init__()
        self.fc1 = nn.Linear(d_in, d_hidden)
        self.fc2 = nn.Linear(d_hidden, d_out)

    def forward(self, x, y=None):
        out = self.fc2(F.relu(self.fc1(x)))
        return F.cross_entropy(out, y) if y is not None else out
`;
// Linear(20, 32) + Linear(32, 4).
const MLP_PARAMS = 20 * 32 + 32 + 32 * 4 + 4;

describe('scripts: the first call of a model from script code', () => {
  it('a train(model, loader) function called from main(), the call inside the loop over a DataLoader', () => {
    const a = ok(analyze({ 'train.py': `${MLP}
from torch.utils.data import DataLoader, TensorDataset


def train(model, loader, optimizer):
    for epoch in range(10):
        for x, y in loader:
            optimizer.zero_grad()
            loss = model(x, y)
            loss.backward()
            optimizer.step()


def main():
    data = TensorDataset(torch.randn(1000, 20), torch.randint(0, 4, (1000,)))
    loader = DataLoader(data, batch_size=50, shuffle=True)
    model = MLP()
    train(model, loader, torch.optim.SGD(model.parameters(), lr=0.1))


if __name__ == "__main__":
    main()
` }));
    assert.equal(a.report.entry, 'MLP()');
    assert.deepEqual(shapes(a), [['x', 'float32', [50, 20], false], ['y', 'int64', [50], false]], 'one batch of the TensorDataset');
    assert.equal(a.report.settings.batch, 50);
    assert.equal(a.report.totals.params, MLP_PARAMS);
    assert.deepEqual(a.report.omittedArguments, [], 'y is passed');
  });

  it('model.forward(x) is the model\'s call; a parameterless module called first (a loss) is not the model', () => {
    const a = ok(analyze({ 'run.py': `${MLP}
criterion = nn.MSELoss()
criterion(torch.zeros(3), torch.ones(3))
net = MLP(d_in=8)
out = net.forward(torch.randn(6, 8))
` }));
    assert.equal(a.report.entry, 'MLP(d_in=8)');
    assert.deepEqual(shapes(a), [['x', 'float32', [6, 8], false]]);
    assert.deepEqual(a.report.omittedArguments, [{ name: 'y', note: 'loss not included' }]);
  });

  it('the module body stops at the model\'s call: the training loop after it does not run', () => {
    const a = ok(analyze({ 'loop.py': `${MLP}
model = MLP()
for step in range(1000000000):
    model(torch.randn(16, 20))
` }));
    assert.deepEqual(shapes(a), [['x', 'float32', [16, 20], false]]);
  });

  it('a tuple, a list and a dict as arguments; None passed along as it is', () => {
    const a = ok(analyze({ 'structured.py': `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, pair, parts, named, extra=None):
        a, b = pair
        return self.fc(a + b + parts[0] + named["z"])


net = Net()
x = torch.randn(2, 4)
net((x, x), [torch.randn(2, 4)], {"z": torch.randn(2, 4)}, None)
` }));
    // `(x, x)` passes one tensor twice: one input, listed where it first appears (it is one storage in PyTorch too).
    assert.deepEqual(a.report.inputs.map((i) => [i.name, i.argument, i.index, i.shape]), [
      ['pair[0]', 'pair', [0], [2, 4]], ['parts[0]', 'parts', [0], [2, 4]], ["named['z']", 'named', ['z'], [2, 4]],
    ]);
    assert.equal(a.report.totals.inputBytes, 3 * 2 * 4 * 4);
  });

  it('a call whose inputs cannot be evaluated (data from numpy): the model is the script\'s, its inputs guessed, the reason listed', () => {
    const a = analyze({ 'bad.py': `${MLP}
import numpy as np
model = MLP()
model(torch.from_numpy(np.load("x.npy")))
` });
    assert.equal(a.error, null, a.error?.reason);
    assert.equal(a.report.entry, 'MLP()');
    assert.equal(a.report.entryGuessed, false);
    assert.deepEqual(shapes(a), [['x', 'float32', [1, 20], true]]);
    assert.equal(a.report.unknowns.length, 1);
    assert.match(a.report.unknowns[0].reason, /^the model's call at line 17 has inputs that could not be evaluated \(x: .*numpy.*\); they are guessed from the model$/);
  });

  it('a statement of the script that raises is skipped (outside a try): the call after it is still reached', () => {
    const a = ok(analyze({ 'resilient.py': `${MLP}

def main():
    cfg = {"width": 20}
    width = cfg["depth"]
    try:
        raise ValueError("no GPU")
    except ValueError:
        model = MLP(d_in=6)
    model(torch.randn(4, 6))


main()
` }));
    assert.equal(a.report.entry, 'MLP(d_in=6)', 'the handler ran');
    assert.deepEqual(shapes(a), [['x', 'float32', [4, 6], false]]);
    assert.equal(a.report.unknownsOutsideModel, 1, "the KeyError, counted outside the model");
  });

  it('a model picked by name from a module\'s __dict__, moved to torch.accelerator\'s device, called in an itertools.count() loop', () => {
    const a = ok(analyze({
      'pick.py': `import itertools
import torch
import nets

arch = "small"
device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")
model = nets.__dict__[arch]().to(device)
for step in itertools.count(1):
    model(torch.randn(8, 20).to(device))
`,
      'nets.py': `${MLP}

def small():
    return MLP(d_hidden=16)
`,
    }));
    assert.equal(a.report.entry, 'small()', 'named by the function the script picked');
    assert.deepEqual(shapes(a), [['x', 'float32', [8, 20], false]]);
    assert.equal(a.report.totals.params, 20 * 16 + 16 + 16 * 4 + 4);
  });

  it('a model the script builds but never calls is the entry; its inputs are guessed', () => {
    const a = ok(analyze({ 'summary.py': `${MLP}
model = MLP(d_in=12)
print(model)
` }));
    assert.equal(a.report.entry, 'MLP(d_in=12)');
    assert.equal(a.report.entryGuessed, false);
    assert.deepEqual(shapes(a), [['x', 'float32', [1, 12], true]]);
  });
});

describe('scripts: datasets and transforms give the batch', () => {
  const script = (dataset: string, transform: string, extra = '') => `${HEADER}from torchvision import datasets, transforms
from torch.utils.data import DataLoader


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.LazyConv2d(8, 3) if False else nn.Conv2d(3, 8, 3)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.conv(x)), 1))


transform = ${transform}
train_set = ${dataset}
${extra}loader = DataLoader(train_set, batch_size=32, shuffle=True, num_workers=2)
model = Net()
for images, labels in loader:
    model(images)
`;
  const cases: [string, string, string, number[]][] = [
    ['CIFAR10 with augmentation', "datasets.CIFAR10('./data', train=True, download=True, transform=transform)",
      'transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])', [32, 3, 32, 32]],
    // torchvision's Resize(int): the shorter side becomes 40 (STL10 is 96 × 96).
    ['STL10 resized', "datasets.STL10('./data', split='train', transform=transform)", 'transforms.Compose([transforms.Resize(40), transforms.ToTensor()])', [32, 3, 40, 40]],
    ['ImageFolder through RandomResizedCrop', "datasets.ImageFolder('./imagenet/train', transform=transform)",
      'transforms.Compose([transforms.RandomResizedCrop(64), transforms.ToTensor()])', [32, 3, 64, 64]],
    ['MNIST made 3-channel by a Lambda', "datasets.MNIST('./data', transform=transform)", 'transforms.Compose([transforms.ToTensor(), transforms.Lambda(lambda x: x.repeat(3, 1, 1))])', [32, 3, 28, 28]],
    ['FakeData with Pad', 'datasets.FakeData(size=100, image_size=(3, 20, 24), transform=transform)', 'transforms.Compose([transforms.Pad(2), transforms.ToTensor()])', [32, 3, 24, 28]],
    ['a random_split of MNIST in grayscale-to-RGB', "datasets.MNIST('./data', train=True, transform=transform)",
      'transforms.Compose([transforms.Grayscale(num_output_channels=3), transforms.PILToTensor()])', [32, 3, 28, 28]],
  ];
  for (const [name, dataset, transform, shape] of cases) {
    it(name, () => {
      const a = analyze({ 'vision.py': script(dataset, transform) });
      assert.equal(a.error, null, a.error?.reason);
      assert.deepEqual(a.report.inputs.map((i) => i.shape), [shape]);
      assert.equal(a.report.settings.batch, 32);
    });
  }

  it('PILToTensor gives uint8 images (the model then fails on them, as PyTorch would)', () => {
    const a = analyze({ 'u8.py': script("datasets.CIFAR10('./data', transform=transform)", 'transforms.PILToTensor()') });
    assert.deepEqual(a.report.inputs.map((i) => i.dtype), ['uint8']);
  });

  it('ImageFolder without a transform that fixes the size: the inputs are guessed and the reason names the fix', () => {
    const a = analyze({ 'folder.py': script("datasets.ImageFolder('./train', transform=transform)", 'transforms.Compose([transforms.Resize(256), transforms.ToTensor()])') });
    assert.equal(a.error, null, a.error?.reason);
    assert.deepEqual(a.report.inputs.map((i) => [i.shape, i.guessed]), [[[1, 3, 224, 224], true]]);
    assert.match(a.report.unknowns.map((u) => u.reason).join('\n'), /images have no known size \(no file is read\): add a transform that fixes it/);
  });

  it('len() of datasets and loaders, random_split by fractions, as torch computes them', () => {
    const a = ok(analyze({ 'lens.py': `${MLP}
from torch.utils.data import DataLoader, TensorDataset, random_split
from torchvision import datasets, transforms

data = TensorDataset(torch.randn(1001, 20), torch.randint(0, 4, (1001,)))
a, b = random_split(data, [0.8, 0.2])
mnist = datasets.MNIST('.', train=False, transform=transforms.ToTensor())
sizes = (len(a), len(b), len(DataLoader(a, batch_size=100)), len(DataLoader(a, batch_size=100, drop_last=True)), len(mnist), len(datasets.CIFAR100('.').classes))
model = MLP(d_in=sizes[0] - 797)
model(torch.randn(sizes[1] + sizes[2] + sizes[3] + sizes[4] + sizes[5], 4))
` }));
    // random_split: floor(1001 * 0.8) = 800, floor(1001 * 0.2) = 200, the remainder 1 to the first part.
    // len(loader) = ceil(801 / 100) = 9, or 8 dropping the last; MNIST's test split has 10000 images; CIFAR100 has 100 classes.
    assert.equal(a.report.entry, 'MLP(d_in=4)');
    assert.deepEqual(a.report.inputs[0].shape, [200 + 9 + 8 + 10000 + 100, 4]);
  });

  it('MNIST\'s data and targets tensors, as a Dataset built on them reads them', () => {
    const a = ok(analyze({ 'pairs.py': `${HEADER}from torch.utils.data import DataLoader, Dataset
from torchvision import datasets


class Pairs(Dataset):
    def __init__(self, mnist):
        self.data = mnist.data.unsqueeze(1).float() / 255
        self.targets = mnist.targets

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, i):
        return self.data[i], self.targets[i]


model = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))
loader = DataLoader(Pairs(datasets.MNIST('.', train=True)), batch_size=20)
print(len(loader))
x, y = next(iter(loader))
model(x)
` }));
    assert.deepEqual(shapes(a), [['input', 'float32', [20, 1, 28, 28], false]]);
  });

  it('a Dataset subclass whose items are dicts: model(**batch) gets one keyword input per key', () => {
    const a = ok(analyze({ 'dicts.py': `${MLP}
from torch.utils.data import DataLoader, Dataset


class Pairs(Dataset):
    def __init__(self, n):
        self.x = torch.randn(n, 20)
        self.y = [i % 4 for i in range(n)]

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return {"x": self.x[i], "y": self.y[i]}


model = MLP()
for batch in DataLoader(Pairs(100), batch_size=10):
    model(**batch)
` }));
    assert.deepEqual(a.report.inputs, [
      { name: 'x', dtype: 'float32', shape: [10, 20], guessed: false, keyword: true },
      // default_collate turns Python ints into an int64 tensor.
      { name: 'y', dtype: 'int64', shape: [10], guessed: false, keyword: true },
    ]);
  });
});

describe('zero configuration: the model a person would pick', () => {
  it('the top of the module composition, not an activation class defined after it', () => {
    const a = ok(analyze({ 'net.py': `${HEADER}class Block(nn.Module):
    def __init__(self, d=16):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.act = Swish()

    def forward(self, x):
        return self.act(self.fc(x))


class Net(nn.Module):
    def __init__(self, d=16, depth=3):
        super().__init__()
        self.blocks = nn.Sequential(*[Block(d) for _ in range(depth)])

    def forward(self, x):
        return self.blocks(x)


class Swish(nn.Module):
    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = nn.Parameter(torch.tensor(beta))

    def forward(self, x):
        return x * torch.sigmoid(self.beta * x)
` }));
    assert.equal(a.report.entry, 'Net()');
    assert.equal(a.report.entryGuessed, true);
    assert.equal(a.report.totals.params, 3 * (16 * 16 + 16 + 1));
  });

  it('a config dataclass with defaults fills the required config argument: GPT(GPTConfig())', () => {
    const a = ok(analyze({ 'gpt.py': `${HEADER}from dataclasses import dataclass


@dataclass
class GPTConfig:
    vocab_size: int = 100
    block_size: int = 24
    n_embd: int = 16


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.head = nn.Linear(config.n_embd, config.vocab_size, bias=False)

    def forward(self, idx, targets=None):
        logits = self.head(self.wte(idx))
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
` }));
    assert.equal(a.report.entry, 'GPT(GPTConfig())');
    assert.deepEqual(shapes(a), [['idx', 'int64', [1, 24], true]], 'ids up to config.block_size');
    assert.deepEqual(a.report.omittedArguments, [{ name: 'targets', note: 'loss not included' }]);
  });

  it('an annotated config argument, keyword-only, from a plain class with defaults', () => {
    const a = ok(analyze({ 'llm.py': `${HEADER}class ModelArgs:
    def __init__(self, dim=8, n_layers=2):
        self.dim = dim
        self.n_layers = n_layers


class Helper:
    pass


class Transformer(nn.Module):
    def __init__(self, *, params: ModelArgs):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(params.dim, params.dim) for _ in range(params.n_layers)])

    def forward(self, h):
        for layer in self.layers:
            h = layer(h)
        return h
` }));
    assert.equal(a.report.entry, 'Transformer(params=ModelArgs())');
    assert.equal(a.report.totals.params, 2 * (8 * 8 + 8));
  });

  it('a factory function when the top class needs arguments: resnet20()', () => {
    const a = ok(analyze({ 'resnet.py': `${HEADER}class BasicBlock(nn.Module):
    def __init__(self, planes):
        super().__init__()
        self.conv = nn.Conv2d(planes, planes, 3, padding=1, bias=False)

    def forward(self, x):
        return F.relu(self.conv(x) + x)


class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super().__init__()
        self.stem = nn.Conv2d(3, 4, 3, padding=1, bias=False)
        self.layers = nn.Sequential(*[block(4) for _ in range(num_blocks)])
        self.fc = nn.Linear(4, num_classes)

    def forward(self, x):
        x = self.layers(self.stem(x))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))


def main():
    raise SystemExit("train with --model resnet20")


def resnet20():
    return ResNet(BasicBlock, 3)
` }));
    assert.equal(a.report.entry, 'resnet20()');
    assert.equal(a.report.entryGuessed, true);
    assert.equal(a.report.totals.params, 3 * 4 * 9 + 3 * 4 * 4 * 9 + 4 * 10 + 10);
    assert.deepEqual(shapes(a), [['x', 'float32', [1, 3, 224, 224], true]], 'from the first convolution');
  });

  it('a reshape at the start of forward gives the input: x.view(-1, 1, 28, 28)', () => {
    const a = ok(analyze({ 'flat.py': `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 5)
        self.fc = nn.Linear(4 * 24 * 24, 10)

    def forward(self, x):
        x = x.view(-1, 1, 28, 28)
        return self.fc(self.conv(x).flatten(1))
` }));
    assert.deepEqual(shapes(a), [['x', 'float32', [1, 1, 28, 28], true]]);
  });

  it('a dataset the script made gives the guessed input when the model is never called', () => {
    const a = ok(analyze({ 'later.py': `${HEADER}import argparse
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3 * 32 * 32, 10)

    def forward(self, x):
        return self.fc(x.flatten(1))


parser = argparse.ArgumentParser()
parser.add_argument('--train', action='store_true')
parser.add_argument('--batch-size', type=int, default=128)
args = parser.parse_args()
data = datasets.CIFAR10('.', transform=transforms.ToTensor())
loader = torch.utils.data.DataLoader(data, batch_size=args.batch_size)
model = Net()
if args.train:
    for x, y in loader:
        model(x)
` }));
    assert.equal(a.report.entry, 'Net()');
    assert.deepEqual(shapes(a), [['x', 'float32', [128, 3, 32, 32], true]]);
    assert.equal(a.report.settings.batch, 128);
  });

  it('nothing found: the error names what was tried and why each failed', () => {
    const a = analyze({ 'parts.py': `${HEADER}class Down(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3)


class Up(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.down = Down(cout, cin)


def build(depth):
    return Up(depth, depth)


def zeros():
    return torch.zeros(3)
` });
    assert.equal(a.error?.reason, "no model found: running it as a script built and called no nn.Module with parameters; class Down is used by Up; " +
      "class Up needs 'cin', 'cout'; function build() needs 'depth'; function zeros() does not return an nn.Module with parameters. " +
      'Add `# memlens: entry=Model() input=x:float32[B,...]` or pass --entry');
  });
});

describe('input specs', () => {
  it('tensors, tuples, lists, dicts, keywords: parsed and printed back', () => {
    for (const text of ['x:float32[8,3,224,224]', 'hidden:(float32[2,B,200],float32[2,B,200])', 'parts:[int64[B],(bool[B,4],float16[])]', 'batch:{ids:int64[B,T],mask:bool[B,T]}', 'labels=int64[B]']) {
      const s = parseInputSpec(text);
      const sep = s.keyword ? '=' : ':';
      assert.equal(`${s.name}${sep}${formatSpecValue(s.value)}`, text);
    }
    assert.deepEqual(parseInputSpec(' hidden : ( float32[2, B] , float32[2,B], ) '), {
      name: 'hidden', keyword: false, value: { k: 'tuple', items: [{ k: 'tensor', dtype: 'float32', dims: [2, 'B'] }, { k: 'tensor', dtype: 'float32', dims: [2, 'B'] }] },
    });
    assert.deepEqual(parseInputSpec("b:{'input ids':int64[1]}").value, { k: 'dict', entries: [['input ids', { k: 'tensor', dtype: 'int64', dims: [1] }]] });
  });

  it('malformed specs name the problem', () => {
    const cases: [string, RegExp][] = [
      ['x:float32[8,', /']' is missing/],
      ['hidden:(float32[2,B],', /'\)' is missing/],
      ['hidden:()', /an empty tuple/],
      ['x:floaty[2]', /unknown dtype 'floaty'/],
      ['x:float32[2,-1]', /bad dimension '-'/],
      ['x:float32[2] extra', /unexpected 'extra'/],
      ['b:{ids int64[1]}', /':' after the dict key 'ids'/],
      ['float32[2]', /expected NAME:DTYPE/],
    ];
    for (const [text, re] of cases) assert.throws(() => parseInputSpec(text), re, text);
  });

  it('a tuple input from the command line, its batch dimension bound by --batch', () => {
    const a = ok(analyze({ 'lstm.py': `${HEADER}class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 16, 2)

    def forward(self, x, hidden):
        return self.rnn(x, hidden)
` }, { entry: 'LM()', inputs: ['x:float32[5,B,8]', 'hidden:(float32[2,B,16],float32[2,B,16])'], batch: 3 }));
    assert.deepEqual(a.report.inputs.map((i) => [i.name, i.shape]), [['x', [5, 3, 8]], ['hidden[0]', [2, 3, 16]], ['hidden[1]', [2, 3, 16]]]);
  });
});

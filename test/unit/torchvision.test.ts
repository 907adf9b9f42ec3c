// torchvision's classification models analyzed from their own, unmodified files, as a user's
// environment installs them: torchvision 0.14 (Debian's python3-torchvision) against PyTorch 1.13,
// and torchvision 0.29.1 (the wheel's files, which .ci/run puts in ~/.cache/memlens-libs/site-2.14) against
// PyTorch 2.14 — relative imports, weight enums, decorators and helper modules read as written.
// Each model is built by the expression a user writes (`resnet50()`) and compared, on a CPU, with
// what test/groundtruth/measure.py --torchvision measured from the same files: parameter count
// exact, saved activations within 2% (per leaf module: equal), every leaf module reported under
// its `named_modules()` name, no unknowns, and the training step's peak (no optimizer and AdamW)
// within 1% in the same phase.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS, OptimizerKind } from '../../server/src/report/types';
import { FIXTURES, Truth, assertMatchesTruth } from '../fixtures';

const TORCHVISION = path.join(FIXTURES, 'torchvision');

/** Where each measured torchvision's files are (overridable for another layout). */
const INSTALLS = [
  { torch: '1.13', torchvision: '0.14', dir: process.env.MEMLENS_TORCHVISION_DIR ?? '/usr/lib/python3/dist-packages/torchvision', how: 'apt-get install python3-torchvision' },
  {
    torch: '2.14',
    torchvision: '0.29.1',
    dir: process.env.MEMLENS_TORCHVISION_214_DIR ?? path.join(os.homedir(), '.cache', 'memlens-libs', 'site-2.14', 'torchvision'),
    how: 'pip install --no-deps --target ~/.cache/memlens-libs/site-2.14 torchvision==0.29.1 (.ci/run does)',
  },
] as const;

interface Case {
  name: string;
  module: string;
  entry: string;
  input: string;
}

const cases = JSON.parse(fs.readFileSync(path.join(TORCHVISION, 'cases.json'), 'utf8')) as Case[];

before(async () => {
  await loadPythonParser();
});

it('torchvision cases cover every family', () => {
  const modules = new Set(cases.map((c) => c.module));
  for (const m of ['resnet', 'vgg', 'alexnet', 'mobilenetv2', 'mobilenetv3', 'densenet', 'efficientnet', 'shufflenetv2', 'squeezenet', 'convnext', 'mnasnet', 'regnet', 'googlenet']) assert.ok(modules.has(m), m);
});

for (const install of INSTALLS) {
  const missing = fs.existsSync(path.join(install.dir, 'models', 'resnet.py')) ? false : `torchvision ${install.torchvision}'s model files are not at ${install.dir} (${install.how})`;
  if (missing) console.log(`# skipped: ${missing}`);

  describe(`torchvision ${install.torchvision} classification models match PyTorch ${install.torch} (CPU)`, { skip: missing }, () => {
    for (const c of cases) {
      it(`${c.entry} from models/${c.module}.py`, () => {
        const file = path.join(install.dir, 'models', `${c.module}.py`);
        const truth = JSON.parse(fs.readFileSync(path.join(TORCHVISION, `${c.name}.truth-${install.torch}.json`), 'utf8')) as Truth & { sha256: string; torchvision: string };
        const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
        assert.equal(digest, truth.sha256, `${file} is not the file measured (torchvision ${truth.torchvision})`);
        const analyze = (optimizer: OptimizerKind) => {
          const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: install.torch, optimizer, entry: c.entry, inputs: [c.input] });
          assert.equal(a.error, null, a.error?.reason);
          assert.deepEqual(a.report.unknowns, [], 'no unknowns for code that only builds and runs the model');
          assert.equal(a.report.unreliable, undefined, 'a model as PyTorch runs it is never marked unreliable');
          return a.report;
        };
        assertMatchesTruth(analyze, truth, 0.02);
      });
    }
  });
}

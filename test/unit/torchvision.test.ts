// torchvision 0.14's classification models analyzed from their own, unmodified files as Debian's
// python3-torchvision installs them (.ci/run installs it; MEMLENS_TORCHVISION_DIR points
// elsewhere), so relative imports, weight enums, decorators and helper modules are read as
// written. Each model is built by the expression a user writes
// (`resnet50()`), against PyTorch 1.13 on a CPU (test/groundtruth/measure.py --torchvision):
// parameter count exact, saved activations within 2% (per leaf module: equal), every leaf module
// reported under its `named_modules()` name, and no unknowns.
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../../server/src/report/types';
import { FIXTURES, Truth } from '../fixtures';

const TORCHVISION = path.join(FIXTURES, 'torchvision');
const INSTALLED = process.env.MEMLENS_TORCHVISION_DIR ?? '/usr/lib/python3/dist-packages/torchvision';
const missing = fs.existsSync(path.join(INSTALLED, 'models', 'resnet.py'))
  ? false
  : `torchvision's model files are not installed at ${INSTALLED} (apt-get install python3-torchvision, or set MEMLENS_TORCHVISION_DIR)`;
if (missing) console.log(`# skipped: ${missing}`);

interface Case {
  name: string;
  module: string;
  entry: string;
  input: string;
}

const cases = JSON.parse(fs.readFileSync(path.join(TORCHVISION, 'cases.json'), 'utf8')) as Case[];

describe('torchvision classification models match PyTorch 1.13 (CPU)', { skip: missing }, () => {
  before(async () => {
    await loadPythonParser();
  });

  it('covers every family', () => {
    const modules = new Set(cases.map((c) => c.module));
    for (const m of ['resnet', 'vgg', 'alexnet', 'mobilenetv2', 'mobilenetv3', 'densenet', 'efficientnet', 'shufflenetv2', 'squeezenet', 'convnext', 'mnasnet', 'regnet', 'googlenet']) assert.ok(modules.has(m), m);
  });

  for (const c of cases) {
    it(`${c.entry} from models/${c.module}.py`, () => {
      const file = path.join(INSTALLED, 'models', `${c.module}.py`);
      const truth = JSON.parse(fs.readFileSync(path.join(TORCHVISION, `${c.name}.truth.json`), 'utf8')) as Truth & { sha256: string; torchvision: string };
      const digest = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
      assert.equal(digest, truth.sha256, `${file} is not the file measured (torchvision ${truth.torchvision})`);
      const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: '1.13', entry: c.entry, inputs: [c.input] });
      assert.equal(a.error, null, a.error?.reason);
      assert.deepEqual(a.report.unknowns, [], 'no unknowns for code that only builds and runs the model');
      const t = a.report.totals;
      assert.equal(t.params, truth.params, 'parameter count');
      assert.equal(t.trainableParams, truth.trainableParams, 'trainable parameters');
      assert.equal(t.bufferBytes, truth.bufferBytes, 'buffer bytes');
      assert.equal(t.inputBytes, truth.inputBytes, 'input bytes');
      const err = Math.abs(t.savedActivationBytes - truth.savedActivationBytes) / truth.savedActivationBytes;
      assert.ok(err <= 0.02, `saved activations ${t.savedActivationBytes} vs PyTorch ${truth.savedActivationBytes} (${(err * 100).toFixed(2)}%)`);
      const rows = new Map(a.report.layers.map((l) => [l.path, l]));
      for (const m of truth.modules.filter((x) => x.leaf)) {
        const row = rows.get(m.path);
        assert.ok(row, `leaf module ${m.path} (${m.kind}) is in the report`);
        assert.equal(row.kind, m.kind, `kind of ${m.path}`);
        assert.equal(row.savedBytes, m.savedBytes, `saved bytes of ${m.path}`);
      }
    });
  }
});

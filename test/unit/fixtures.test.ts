// Every fixture against the numbers PyTorch measured (test/groundtruth/measure.py, PyTorch 1.13
// CPU): parameter counts exact, total saved-for-backward bytes within 1%, and the saved bytes of
// every module (attributed to the innermost running module when first saved) equal.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../../server/src/report/types';
import { FIXTURES, Truth } from '../fixtures';

/** Fixture names relative to test/fixtures, without `.py`: top-level files, then the entry file
 * of each multi-file fixture folder (`unet/model`); torchvision's own test reads its truths. */
function fixtureNames(): string[] {
  const truths = (dir: string) => fs.readdirSync(path.join(FIXTURES, dir)).filter((f) => f.endsWith('.truth.json')).map((f) => path.posix.join(dir, f.replace('.truth.json', '')));
  const folders = fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'torchvision').map((d) => d.name);
  return [...truths(''), ...folders.sort().flatMap(truths)];
}

const fixtures = fixtureNames();

describe('fixtures match PyTorch 1.13 (CPU) ground truth', () => {
  before(async () => {
    await loadPythonParser();
  });

  it('has at least eight fixtures, multi-file ones among them', () => {
    assert.ok(fixtures.length >= 8, `only ${fixtures.length} fixtures`);
    assert.ok(fixtures.includes('unet/model'), 'the two-file U-Net (unet/model.py imports unet/unet_parts.py)');
  });

  for (const name of fixtures) {
    it(name, () => {
      const file = path.join(FIXTURES, `${name}.py`);
      const truth = JSON.parse(fs.readFileSync(path.join(FIXTURES, `${name}.truth.json`), 'utf8')) as Truth;
      const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: '1.13' });
      assert.equal(a.error, null, a.error?.reason);
      const t = a.report.totals;
      assert.deepEqual(a.report.unknowns, [], 'no unknowns for code that only builds and runs the model');
      assert.equal(t.params, truth.params, 'parameter count');
      assert.equal(t.trainableParams, truth.trainableParams, 'trainable parameters');
      assert.equal(t.paramBytes, truth.paramBytes, 'parameter bytes');
      assert.equal(t.bufferBytes, truth.bufferBytes, 'buffer bytes');
      assert.equal(t.inputBytes, truth.inputBytes, 'input bytes');
      const err = Math.abs(t.savedActivationBytes - truth.savedActivationBytes) / truth.savedActivationBytes;
      assert.ok(err <= 0.01, `saved activations ${t.savedActivationBytes} vs PyTorch ${truth.savedActivationBytes} (${(err * 100).toFixed(2)}%)`);
      const rows = new Map(a.report.layers.map((l) => [l.path, l]));
      for (const m of truth.modules) {
        const row = rows.get(m.path);
        if (m.leaf) {
          assert.ok(row, `leaf module ${m.path} (${m.kind}) is in the report`);
          assert.equal(row.kind, m.kind, `kind of ${m.path}`);
          assert.equal(row.savedBytes, m.savedBytes, `saved bytes of ${m.path}`);
          // A module called twice reports its first call; the measurement kept its last.
          if (m.outputShape && row.calls === 1) assert.deepEqual(row.outputShape, m.outputShape, `output shape of ${m.path}`);
        } else {
          assert.equal(row?.savedBytes ?? 0, m.savedBytes, `saved bytes of functional ops in ${m.path || '<root>'}`);
        }
      }
      const sum = a.report.layers.reduce((s, l) => s + l.savedBytes, 0);
      assert.equal(sum, t.savedActivationBytes, 'layer rows add up to savedActivationBytes');
    });
  }
});

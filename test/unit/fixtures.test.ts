// Every fixture against the numbers PyTorch measured (test/groundtruth/measure.py) on each
// release — 1.13, 2.13, 2.14, CPU: parameter counts exact, total saved-for-backward bytes within
// 1%, the saved bytes of every module (attributed to the innermost running module when first
// saved) equal, and the training step's peak of live tensor bytes within 1% with its phase,
// without an optimizer and with AdamW.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS, OptimizerKind, Report } from '../../server/src/report/types';
import { FIXTURES, RELEASES, Release, Truth, assertPeak, readTruth } from '../fixtures';

/** Fixtures with a truth for `release`, relative to test/fixtures, without `.py`. */
function fixtureNames(release: Release): string[] {
  const suffix = `.truth-${release}.json`;
  const truths = (dir: string) => fs.readdirSync(path.join(FIXTURES, dir)).filter((f) => f.endsWith(suffix)).map((f) => path.posix.join(dir, f.slice(0, -suffix.length)));
  // torchvision/ and libs/ (models from installed libraries) have tests of their own (torchvision.test.ts, libs.test.ts).
  const folders = fs.readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory() && !['torchvision', 'ops', 'libs'].includes(d.name)).map((d) => d.name);
  return [...truths(''), ...folders.sort().flatMap(truths)];
}

function analyze(name: string, release: Release, optimizer: OptimizerKind): Report {
  const file = path.join(FIXTURES, `${name}.py`);
  const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: release, optimizer });
  assert.equal(a.error, null, a.error?.reason);
  return a.report;
}

before(async () => {
  await loadPythonParser();
});

for (const release of RELEASES) {
  describe(`fixtures match PyTorch ${release} (CPU)`, () => {
    const fixtures = fixtureNames(release);

    it('has the fixtures, multi-file ones among them', () => {
      assert.ok(fixtures.length >= 30, `only ${fixtures.length} fixtures`);
      assert.ok(fixtures.includes('unet/model'), 'the two-file U-Net (unet/model.py imports unet/unet_parts.py)');
    });

    for (const name of fixtures) {
      it(name, () => {
        const truth: Truth = readTruth(`${name}.py`, release);
        const r = analyze(name, release, 'none');
        const t = r.totals;
        assert.deepEqual(r.unknowns, [], 'no unknowns for code that only builds and runs the model');
        assert.equal(r.unreliable, undefined, 'a model as PyTorch runs it is never marked unreliable');
        assert.equal(t.params, truth.params, 'parameter count');
        assert.equal(t.trainableParams, truth.trainableParams, 'trainable parameters');
        assert.equal(t.paramBytes, truth.paramBytes, 'parameter bytes');
        assert.equal(t.bufferBytes, truth.bufferBytes, 'buffer bytes');
        assert.equal(t.inputBytes, truth.inputBytes, 'input bytes');
        const err = Math.abs(t.savedActivationBytes - truth.savedActivationBytes) / truth.savedActivationBytes;
        assert.ok(err <= 0.01, `saved activations ${t.savedActivationBytes} vs PyTorch ${truth.savedActivationBytes} (${(err * 100).toFixed(2)}%)`);
        const rows = new Map(r.layers.map((l) => [l.path, l]));
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
        assert.equal(r.layers.reduce((s, l) => s + l.savedBytes, 0), t.savedActivationBytes, 'layer rows add up to savedActivationBytes');
        assert.ok(truth.peak, 'the truth has measured peaks');
        assertPeak(r, truth.peak.none, 'no optimizer');
        assertPeak(analyze(name, release, 'adamw'), truth.peak.adamw, 'AdamW');
      });
    }
  });
}

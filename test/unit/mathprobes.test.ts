// Measured cases of torch.linalg, torch.fft, the products and statistics ops with their output
// strides (test/fixtures/ops/math-<release>.json, written by test/groundtruth/probe_math.py)
// through the engine as model code reaches them (test/probes.ts): output shapes, dtypes, layouts,
// aliasing and the storages saved for backward match PyTorch's, for every release.
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { before, describe, it } from 'node:test';
import { loadPythonParser } from '../../server/src/python/parser';
import { FIXTURES, RELEASES } from '../fixtures';
import { FunctionCase, runName } from '../probes';

before(async () => {
  await loadPythonParser();
});

for (const release of RELEASES) {
  describe(`math cases of PyTorch ${release}`, () => {
    it('every case matches PyTorch, strides included', () => {
      const file = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'ops', `math-${release}.json`), 'utf8')) as { cases: FunctionCase[] };
      const byName = new Map<string, FunctionCase[]>();
      for (const c of file.cases) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
      const bad: string[] = [];
      let n = 0;
      for (const [name, cases] of byName) {
        for (const r of runName(release, name, cases)) {
          n++;
          if (r.verdict !== 'pass') bad.push(`${name}#${r.index} ${r.verdict}: ${r.why}`);
        }
      }
      assert.ok(n >= 150, `${n} cases read`);
      assert.deepEqual(bad, []);
    });
  });
}

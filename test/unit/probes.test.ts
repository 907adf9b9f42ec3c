// The measured per-op probes (test/probes.ts) through the engine, for every release: every case of
// a modelled name passes (output shape, dtype, aliasing; the storages saved for backward). No case
// may fail; what the engine cannot model exactly is refused with a KernelError, which the harness
// counts as 'not modelled'.
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadPythonParser } from '../../server/src/python/parser';
import { RELEASES } from '../fixtures';
import { runRelease } from '../probes';

before(async () => {
  await loadPythonParser();
});

for (const release of RELEASES) {
  describe(`probes of PyTorch ${release}`, () => {
    it('every case of a modelled name matches PyTorch', () => {
      const results = runRelease(release);
      const failed = results.filter((r) => r.verdict === 'fail');
      const pass = results.filter((r) => r.verdict === 'pass').length;
      console.log(`# ${release}: ${pass} pass, ${failed.length} fail, ${results.filter((r) => r.verdict === 'not modelled').length} not modelled, ${results.filter((r) => r.verdict === 'unsupported').length} unsupported`);
      assert.deepEqual(failed.map((r) => `${r.name}#${r.index}: ${r.why}`), []);
    });
  });
}

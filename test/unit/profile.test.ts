// Real profiling passes (issue 12): each fixture's forward lowered to ONNX by the ops' rules, run
// once in ONNX Runtime (CPU) with its profiler in a child process, and every layer's measured
// output bytes compared with the estimate — equal, byte for byte. A model with an op that has no
// rule yet is refused in one line naming the op and its line.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { before, describe, test } from 'node:test';
import { analyzeSource, diskHost } from '../../server/src/analysis';
import { LoweringError, profilePython } from '../../server/src/profile/python';
import { loadPythonParser } from '../../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../../server/src/report/types';
import { FIXTURES, TRUTH_SETTINGS, fixturePath } from '../fixtures';

const SETTINGS = { ...DEFAULT_SETTINGS, ...TRUTH_SETTINGS, optimizer: 'adamw' as const };

describe('profiling passes in ONNX Runtime (CPU): measured output bytes = estimated, every layer of every fixture', { timeout: 600_000 }, () => {
  before(() => loadPythonParser());
  const names = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.py')).sort();

  for (const name of names) {
    test(name, async () => {
      const file = fixturePath(name);
      const text = fs.readFileSync(file, 'utf8');
      const analysis = analyzeSource(file, text, SETTINGS);
      assert.equal(analysis.error, null);
      const p = await profilePython(file, text, SETTINGS, diskHost, analysis, 'cpu');
      assert.ok(p.outcome.ok, JSON.stringify(p.outcome));
      assert.deepEqual(p.mismatches, []);
      // Every leaf layer that ran and makes a tensor of its own was measured, and equals the estimate.
      let compared = 0;
      for (const l of analysis.report.layers) {
        const m = p.layers.get(l.path);
        if (!m || !l.leaf) continue;
        assert.equal(m.outputBytes, l.outputBytes, `${name} ${l.path}: measured ${m.outputBytes} B, estimated ${l.outputBytes} B`);
        compared++;
      }
      // Layers that return a view or a tuple have no node of their own; every fixture has some that do.
      const ran = analysis.report.layers.filter((l) => l.leaf && l.calls > 0 && l.outputBytes > 0).length;
      assert.ok(compared >= 1, `${name}: ${compared} of ${ran} layers compared`);
      // The measured forward peak beside the estimated one, with by how much.
      assert.ok(p.measuredPeakBytes > 0 && p.estimatedPeakBytes > 0);
      assert.match(p.comparison, /^measured forward peak \(arena in use\) \S+ \S+ vs estimated \S+ \S+ \([+-]?\d+\.\d%\)(: likely because .+)?$/);
      // The measured forward is placed on the timeline's forward points.
      assert.ok(p.series && p.series.points.length > 0);
      for (const pt of p.series.points) assert.equal(analysis.report.timeline[pt.x].phase, 'forward');
    });
  }

  test('an op without an ONNX rule: refused, naming it and its line', async () => {
    const file = fixturePath('mlp.py');
    const text = [
      'import torch.nn as nn',
      'class M(nn.Module):',
      '    def __init__(self):',
      '        super().__init__()',
      '        self.l = nn.Linear(8, 8)',
      '    def forward(self, x):',
      '        return self.l(x).cumsum(1)',
      '# memlens: entry=M() input=x:float32[2,8]',
      '',
    ].join('\n');
    const analysis = analyzeSource(file, text, SETTINGS);
    assert.equal(analysis.error, null);
    await assert.rejects(profilePython(file, text, SETTINGS, diskHost, analysis, 'cpu'), (e: Error) => e instanceof LoweringError && /^no ONNX rule for cumsum \(line 7\)$/.test(e.message));
  });
});

// Profiling with ONNX Runtime (issue 12): time from command to result (analysis, lowering, the
// child process, ONNX Runtime's session and run, the mapping back) per fixture on the CPU, and the
// profiler's overhead: the profiled run against a run of the same model in a session without it.

import * as fs from 'fs';
import { analyzeSource, diskHost } from '../server/src/analysis';
import { profilePython } from '../server/src/profile/python';
import { loadPythonParser } from '../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../server/src/report/types';
import { fixturePath } from '../test/fixtures';

const NAMES = ['mlp.py', 'lenet.py', 'resnet_small.py', 'wide_resnet.py', 'gpt_nano.py', 'vit_timm.py', 't5_encoder.py'];
const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

export async function profileBench(): Promise<void> {
  await loadPythonParser();
  console.log('\nprofiling with ONNX Runtime on the CPU (command → result; the profiled run, its second run, the same model unprofiled)');
  console.log(`${'file'.padEnd(18)} ${'nodes'.padStart(6)} ${'total'.padStart(10)} ${'profiled'.padStart(10)} ${'2nd run'.padStart(10)} ${'unprofiled'.padStart(11)} ${'overhead'.padStart(9)}`);
  for (const name of NAMES) {
    const file = fixturePath(name);
    const text = fs.readFileSync(file, 'utf8');
    const settings = { ...DEFAULT_SETTINGS, device: 'cpu' as const };
    const t0 = performance.now();
    const analysis = analyzeSource(file, text, settings);
    const p = await profilePython(file, text, settings, diskHost, analysis, 'cpu', undefined, undefined, true);
    const total = performance.now() - t0;
    const o = p.outcome;
    if (!o.ok) {
      console.log(`${name.padEnd(18)} ${o.kind}: ${o.message}`);
      continue;
    }
    const overhead = o.unprofiledMs ? `${(((o.secondRunMs - o.unprofiledMs) / o.unprofiledMs) * 100).toFixed(0)}%` : '—';
    console.log(`${name.padEnd(18)} ${String(p.nodes).padStart(6)} ${ms(total)} ${ms(o.runMs)} ${ms(o.secondRunMs)} ${ms(o.unprofiledMs ?? NaN).padStart(11)} ${overhead.padStart(9)}`);
  }
}

if (require.main === module) {
  profileBench().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

// Memory-saving techniques, measured: the budget planner on a 200-call chain against the √n rule
// and checkpointing every block (peak and recompute, planner time; target: under 100 ms), and the
// WRN-28-2 / CIFAR-10 study (batch 128): the training peak of the baseline and of each technique
// alone and combined — checkpointing, bf16/fp16 autocast, microbatching — as Memlens simulates it,
// with PyTorch's measured CPU figure beside each where the CPU can measure it
// (test/fixtures/study/*.truth-2.14.json, measured by test/groundtruth/measure.py).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeSource } from '../server/src/analysis';
import { fullRecompute, regionFlops } from '../server/src/engine/checkpointPlan';
import { peakWith } from '../server/src/engine/fixes';
import { planGroups, solveChain } from '../server/src/engine/planner';
import { firstPass, stepInputOf } from '../server/src/engine/report';
import { runModel } from '../server/src/engine/run';
import { findDirective } from '../server/src/engine/specs';
import { readRegularFile } from '../server/src/interpreter/files';
import { CheckpointRegion, simulateStep } from '../server/src/memory/simulate';
import { loadPythonParser, parsePython } from '../server/src/python/parser';
import { AnalysisSettings, DEFAULT_SETTINGS, OptimizerKind } from '../server/src/report/types';
import { formatBytes } from '../server/src/report/units';
import { FIXTURES } from '../test/fixtures';

/** A chain of `n` residual MLP blocks called one per line of forward (`x = self.b17(x)`). */
export function chainModel(n: number): string {
  const calls = Array.from({ length: n }, (_, i) => `        x = self.b${i}(x)`).join('\n');
  const builds = Array.from({ length: n }, (_, i) => `        self.b${i} = Block(dim)`).join('\n');
  return `import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 4 * dim)
        self.fc2 = nn.Linear(4 * dim, dim)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class Chain(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
${builds}
        self.head = nn.Linear(dim, 10)

    def forward(self, x):
${calls}
        return self.head(x)


# memlens: entry=Chain() input=x:float32[B,64] batch=256
`;
}

const pct = (x: number) => `${(x * 100).toFixed(0).padStart(4)}%`;

function chainBench(): void {
  const n = 200;
  const file = path.join(os.tmpdir(), 'memlens-bench-chain.py');
  const text = chainModel(n);
  fs.writeFileSync(file, text);
  const settings: AnalysisSettings = { ...DEFAULT_SETTINGS, device: 'cuda', optimizer: 'adam' };
  const tree = parsePython(text);
  try {
    const run = runModel({ file, tree, settings, directive: findDirective(text), source: { readFile: readRegularFile } });
    const pass = firstPass(run);
    const forwardFlops = pass.ops.reduce((s, o) => s + o.flops, 0);
    const peakOf = (regions: CheckpointRegion[]) => peakWith(run, pass, settings, regions);
    const flopsOf = (regions: CheckpointRegion[]) => regionFlops(pass.ops, regions);
    const blocks = pass.calls.filter((c) => /^b\d+$/.test(c.path));
    const full = fullRecompute(run.tracer.ctx.torch);
    const region = (from: number, to: number): CheckpointRegion => ({ first: blocks[from].firstOp, end: blocks[to].lastOp, full, label: `b${from}..b${to}` });
    const every = blocks.map((_, i) => region(i, i));
    // The √n rule (Chen et al. 2016): √n segments of √n blocks, each checkpointed whole.
    const k = Math.round(Math.sqrt(n));
    const sqrt: CheckpointRegion[] = [];
    for (let i = 0; i < n; i += k) sqrt.push(region(i, Math.min(n, i + k) - 1));
    // The analysis's own simulation of the step as written (the planner starts from it).
    const baseline = simulateStep(stepInputOf(run, pass, settings, []));
    const base = baseline.peakBytes;
    let t0 = performance.now();
    const groups = planGroups(run, pass, file, tree);
    const tGroups = performance.now() - t0;
    const rows: [string, number, number][] = [
      ['none', base, 0],
      ['every block', peakOf(every), flopsOf(every)],
      [`√n rule (${sqrt.length} segments of ${k})`, peakOf(sqrt), flopsOf(sqrt)],
    ];
    const times: number[] = [];
    // Untimed first: the language server runs the planner warm (its code compiled by then).
    for (let i = 0; i < 8; i++) solveChain(run, pass, settings, groups, rows[2][1], [], baseline);
    for (const [label, budget] of [['planner at the √n peak', rows[2][1]], ['planner at the every-block peak', rows[1][1]], ['planner halfway to every-block', Math.round((base + rows[1][1]) / 2)]] as const) {
      // Five runs each: the median is the figure (the slowest is printed too).
      let plan: ReturnType<typeof solveChain> = null;
      const runs: number[] = [];
      for (let i = 0; i < 5; i++) {
        t0 = performance.now();
        plan = solveChain(run, pass, settings, groups, budget, [], baseline);
        runs.push(performance.now() - t0);
      }
      runs.sort((a, b) => a - b);
      times.push(runs[2], runs[4]);
      rows.push([`${label} (${formatBytes(budget)})`, plan?.peak ?? NaN, plan?.flops ?? NaN]);
    }
    console.log(`\nbudget planner on a chain of ${n} blocks (${blocks.length} calls, ${pass.ops.length} ops; cuda, adam, batch 256)`);
    console.log(`${'plan'.padEnd(48)} ${'peak'.padStart(11)} ${'recompute'.padStart(10)}`);
    for (const [label, peak, flops] of rows) console.log(`${label.padEnd(48)} ${formatBytes(peak).padStart(11)} ${Number.isNaN(flops) ? '    (none)' : pct(flops / forwardFlops).padStart(10)}`);
    const pairs = [0, 2, 4].map((i) => `${times[i].toFixed(1)} ms (slowest ${times[i + 1].toFixed(1)})`);
    console.log(`planner: chain of ${groups.length} groups built in ${tGroups.toFixed(1)} ms; costs, DP and verification, median of 5: ${pairs.join(', ')} (target: under 100 ms)`);
  } finally {
    tree.delete();
  }
}

/** The study: Memlens's simulated peak at each setting beside PyTorch's measured one. */
function study(): void {
  const dir = path.join(FIXTURES, 'study');
  if (!fs.existsSync(dir)) return;
  console.log('\nWRN-28-2 on CIFAR-10, batch 128 (Sohoni et al. 2019, table of techniques): training-step peak');
  console.log(`${'technique'.padEnd(40)} ${'optimizer'.padEnd(9)} ${'Memlens CPU'.padStart(12)} ${'PyTorch CPU'.padStart(12)} ${'diff'.padStart(7)} ${'Memlens CUDA'.padStart(13)}`);
  const rows: [string, string, Partial<AnalysisSettings>][] = [
    ['baseline (fp32)', 'wrn28_2.py', {}],
    ['checkpoint every block', 'wrn28_2_ckpt.py', {}],
    ['autocast bfloat16', 'wrn28_2_bf16.py', {}],
    ['autocast float16 (CUDA only)', 'wrn28_2.py', { precision: 'amp-fp16' }],
    ['4 microbatches', 'wrn28_2_micro4.py', {}],
    ['checkpoint + bfloat16 + 4 microbatches', 'wrn28_2_ckpt_bf16_micro4.py', {}],
  ];
  for (const [label, name, overrides] of rows) {
    const file = path.join(dir, name);
    const text = fs.readFileSync(file, 'utf8');
    const truthFile = file.replace(/\.py$/, '.truth-2.14.json');
    const truth = fs.existsSync(truthFile) && !overrides.precision ? (JSON.parse(fs.readFileSync(truthFile, 'utf8')) as { peak?: Record<string, { bytes: number }> }) : null;
    for (const optimizer of ['none', 'adamw'] as OptimizerKind[]) {
      const cpu = analyzeSource(file, text, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer, ...overrides });
      const cuda = analyzeSource(file, text, { ...DEFAULT_SETTINGS, device: 'cuda', torch: '2.14', optimizer, ...overrides });
      const measured = truth?.peak?.[optimizer]?.bytes;
      const ours = overrides.precision === 'amp-fp16' ? NaN : cpu.report.totals.peakBytes;
      const diff = measured && !Number.isNaN(ours) ? `${(((ours - measured) / measured) * 100).toFixed(2)}%` : '';
      console.log(`${label.padEnd(40)} ${optimizer.padEnd(9)} ${(Number.isNaN(ours) ? '—' : formatBytes(ours)).padStart(12)} ${(measured ? formatBytes(measured) : '(not measured)').padStart(12)} ${diff.padStart(7)} ${formatBytes(cuda.report.totals.peakBytes).padStart(13)}`);
    }
  }
  console.log('(CPU figures: live tensor bytes after every aten op; CUDA: the same step with CUDA\'s kernels and 512-byte allocator rounding, not measured here)');
}

export function planBench(): void {
  chainBench();
  study();
}

if (require.main === module) {
  void loadPythonParser().then(planBench);
}

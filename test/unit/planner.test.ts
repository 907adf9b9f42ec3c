// The budget planner: on a chain it finds the plan with the least recompute whose simulated peak
// fits (checked against every combination of options), every plan it applies re-analyzes to the
// peak it announced, and when checkpointing cannot fit it brings in autocast, then microbatching,
// and says what the closest plan reaches when nothing fits.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { runModel } from '../../server/src/engine/run';
import { findDirective } from '../../server/src/engine/specs';
import { PlanGroup, applyEdits, planGroups, solveChain } from '../../server/src/engine/planner';
import { firstPass, stepInputOf } from '../../server/src/engine/report';
import { readRegularFile } from '../../server/src/interpreter/files';
import { simulateStep } from '../../server/src/memory/simulate';
import { loadPythonParser, parsePython } from '../../server/src/python/parser';
import { AnalysisSettings, DEFAULT_SETTINGS } from '../../server/src/report/types';
import { FIXTURES } from '../fixtures';

const SETTINGS: AnalysisSettings = { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none' };

before(async () => {
  await loadPythonParser();
});

function setup(name: string) {
  const file = path.join(FIXTURES, name);
  const text = fs.readFileSync(file, 'utf8');
  const tree = parsePython(text);
  const run = runModel({ file, tree, settings: SETTINGS, directive: findDirective(text), source: { readFile: readRegularFile } });
  const pass = firstPass(run);
  return { file, text, tree, run, pass, groups: planGroups(run, pass, file, tree) };
}

/** Every combination of the groups' options: its simulated peak and recomputed FLOPs. */
function everyPlan(s: ReturnType<typeof setup>): { peak: number; flops: number }[] {
  const out: { peak: number; flops: number }[] = [];
  const walk = (gi: number, regions: PlanGroup['options'][number]['regions'][], flops: number) => {
    if (gi === s.groups.length) {
      out.push({ peak: simulateStep(stepInputOf(s.run, s.pass, SETTINGS, regions.flat())).peakBytes, flops });
      return;
    }
    for (const o of s.groups[gi].options) walk(gi + 1, [...regions, o.regions], flops + o.flops);
  };
  walk(0, [], 0);
  return out;
}

describe('budget planner', () => {
  for (const name of ['resnet_small.py', 'fixes/wide_resnet_28.py', 'inception_cat.py']) it(`on ${name}: the least recompute that fits, for budgets from the lowest peak to the baseline`, () => {
    const s = setup(name);
    assert.ok(s.groups.length >= 2, `a chain of groups (${s.groups.map((g) => g.sites.map((x) => x.callee).join('+')).join(', ')})`);
    const plans = everyPlan(s);
    const base = plans[0].peak;
    const lowest = Math.min(...plans.map((p) => p.peak));
    assert.ok(lowest < base);
    for (let k = 0; k <= 8; k++) {
      const budget = Math.round(lowest + ((base - lowest) * k) / 8);
      const best = Math.min(...plans.filter((p) => p.peak <= budget).map((p) => p.flops));
      const plan = solveChain(s.run, s.pass, SETTINGS, s.groups, budget);
      assert.ok(plan, `budget ${budget}: a plan (the cheapest that fits recomputes ${best} FLOPs)`);
      assert.ok(plan.peak <= budget, `budget ${budget}: simulated peak ${plan.peak}`);
      assert.equal(plan.flops, best, `budget ${budget}: recomputes the least that fits`);
    }
    assert.equal(solveChain(s.run, s.pass, SETTINGS, s.groups, lowest - 1), null, 'below the lowest peak checkpointing reaches: none');
  });

  it('the plan applied as one edit re-analyzes to its announced peak, under the budget; max batch with the plan ≥ as is', () => {
    const file = path.join(FIXTURES, 'resnet_small.py');
    const text = fs.readFileSync(file, 'utf8');
    const budget = 8_000_000;
    const a = analyzeSource(file, text, { ...SETTINGS, budgetBytes: budget }, undefined, { suggest: true });
    assert.ok(a.plan?.fits && a.plan.fix, JSON.stringify(a.plan));
    assert.match(a.plan.fix.title, /^Fit the budget \(7\.63 MiB\): .* — peak [\d.]+ MiB, recomputes \d+% of forward$/);
    const edited = applyEdits(text, a.plan.fix.edits);
    const b = analyzeSource(file, edited, { ...SETTINGS, budgetBytes: budget });
    assert.equal(b.error, null);
    assert.equal(b.report.totals.peakBytes, a.plan.fix.peakBytes);
    assert.ok(b.report.totals.peakBytes <= budget);
    assert.ok(a.plan.maxBatch !== null && a.report.maxBatch !== null && a.plan.maxBatch >= a.report.maxBatch, `max batch ${a.report.maxBatch} as is, ${a.plan.maxBatch} with checkpointing`);
    assert.equal(a.report.budgetPlan?.plan, a.plan.fix.title);
  });

  it('past what checkpointing reaches: autocast, then microbatches; nothing fits: the closest and what it reaches', () => {
    const file = path.join(FIXTURES, 'resnet_small.py');
    const text = fs.readFileSync(file, 'utf8');
    const s = setup('resnet_small.py');
    const lowest = Math.min(...everyPlan(s).map((p) => p.peak));
    const tight = analyzeSource(file, text, { ...SETTINGS, budgetBytes: lowest - 1 }, undefined, { suggest: true });
    assert.ok(tight.plan?.fits && tight.plan.fix, JSON.stringify(tight.plan));
    assert.match(tight.plan.fix.title, /autocast bfloat16|microbatches/);
    const edited = applyEdits(text, tight.plan.fix.edits);
    const again = analyzeSource(file, edited, { ...SETTINGS, budgetBytes: lowest - 1 });
    assert.equal(again.error, null, again.error?.reason);
    assert.equal(again.report.totals.peakBytes, tight.plan.fix.peakBytes, edited);
    // Parameters alone exceed this: nothing can fit, and it says why.
    const none = analyzeSource(file, text, { ...SETTINGS, budgetBytes: 100_000 }, undefined, { suggest: true });
    assert.equal(none.plan?.fits, false);
    assert.equal(none.plan?.fix, null);
    assert.match(none.plan!.tried[0], /^parameters, gradients, optimizer state and buffers alone take [\d.]+ (KiB|MiB)$/);
    // Just above them: nothing reaches it either; the closest plan is offered with what it reaches.
    const t = tight.report.totals;
    const persistent = t.paramBytes + t.gradBytes + t.optimizerBytes + t.bufferBytes;
    const close = analyzeSource(file, text, { ...SETTINGS, budgetBytes: persistent + 1024 }, undefined, { suggest: true });
    assert.equal(close.plan?.fits, false);
    assert.ok(close.plan?.fix && /^Nothing fits the budget \([\d.]+ (KiB|MiB)\); closest: .* — peak /.test(close.plan.fix.title), close.plan?.fix?.title);
    assert.ok(close.plan.fix.peakBytes > persistent + 1024 && close.plan.fix.peakBytes < tight.report.totals.peakBytes);
    assert.ok(close.plan.tried.length > 0);
  });

  it('microbatching as the plan writes it (the directive) is what the analysis then simulates', () => {
    const file = path.join(FIXTURES, 'resnet_small.py');
    const text = fs.readFileSync(file, 'utf8');
    const micro = fs.readFileSync(path.join(FIXTURES, 'fixes/resnet_small_micro.py'), 'utf8');
    const viaSetting = analyzeSource(file, text, { ...SETTINGS, microbatch: 4 });
    const viaDirective = analyzeSource(file, micro, SETTINGS);
    assert.equal(viaSetting.report.totals.peakBytes, viaDirective.report.totals.peakBytes);
    assert.equal(viaDirective.report.settings.microbatch, 4);
    assert.equal(viaDirective.report.settings.batch, 8);
    assert.ok(viaDirective.report.timeline.some((p) => p.microbatch === 2), 'the timeline shows the later microbatches');
  });
});

describe('directive numbers', () => {
  it('batch= and microbatch= take whole numbers a dimension can be', () => {
    assert.deepEqual(findDirective('# memlens: batch=8 microbatch=4'), { line: 1, entry: null, inputs: [], batch: 8, call: null, microbatch: 4 });
    const huge = findDirective(`# memlens: batch=${'9'.repeat(40)} microbatch=${'9'.repeat(20)}`)!;
    assert.equal(huge.batch, null, 'a run of digits past 2^53 is not a batch');
    assert.equal(huge.microbatch, undefined);
  });
});

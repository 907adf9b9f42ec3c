// "Fit the budget" end to end: checkpointing first (engine/planner.ts: the least recompute that
// fits), then forward under autocast bfloat16 with the checkpointing it still needs, then gradient
// accumulation over 2, 4, 8… microbatches (each with the same two steps). Precision and
// microbatching change the numerics or the training loop, so they come in only when checkpointing
// alone cannot fit; every candidate is simulated whole before it is chosen. When nothing fits, the
// lowest peak found is offered with what it reaches.

import { simulateStep } from '../memory/simulate';
import type { Tree } from '../python/parser';
import type { AnalysisSettings, BudgetPlan, FixSuggestion, SourceEdit } from '../report/types';
import { formatBytes } from '../report/units';
import { PlanItem, regionsOfPlan } from './checkpointPlan';
import { autocastEdit, modelForward, peakWith, regionsFor } from './fixes';
import { ChainPlan, PlanGroup, composeAutocast, lowestPeakPlan, microbatchEdit, planEdits, planGroups, solveChain } from './planner';
import { firstPass, stepInputOf } from './report';
import type { ForwardPass, RunResult } from './run';

/** Largest batch under `budget` from two (batch, peak) points of an affine peak. */
export function affineMaxBatch(b1: number, p1: number, b2: number, p2: number, budget: number): number | null {
  const slope = (p2 - p1) / (b2 - b1);
  if (!(slope > 0)) return null;
  const fixed = p1 - slope * b1;
  if (fixed > budget) return 0;
  return Math.max(0, Math.floor((budget - fixed) / slope));
}

interface Candidate {
  peak: number;
  flops: number;
  forwardFlops: number;
  microbatches: number;
  autocast: boolean;
  chain: ChainPlan | null;
  groups: readonly PlanGroup[];
}

export interface FitContext {
  run: RunResult;
  /** The model run again with its forward under autocast (RunResult.autocast), or null; run when first asked. */
  autocastRun: () => RunResult | null;
  /** Throws when the work is no longer wanted (a newer version of the document waits). */
  check?: () => void;
  settings: AnalysisSettings;
  file: string;
  tree: Tree;
  text: string;
  plan: readonly PlanItem[];
  /** The model analyzed again at other settings (gradient accumulation), or null when it fails. */
  rerun: (settings: AnalysisSettings) => RunResult | null;
  basePeak: number;
  /** 0-based line for the plan's action and a new directive (the model's class or the script's line). */
  line: number;
}

export function fitBudget(ctx: FitContext): BudgetPlan | undefined {
  const { run, settings, file, tree } = ctx;
  const budget = settings.budgetBytes;
  // Nothing to plan against an endless budget, or from a peak that is not a number of bytes.
  if (budget === null || !Number.isFinite(budget) || !Number.isFinite(ctx.basePeak) || ctx.basePeak < 0) return undefined;
  const pass = firstPass(run);
  const torch = run.tracer.ctx.torch;
  const fixedOf = (p: ForwardPass) => regionsOfPlan(ctx.plan, p.calls, torch).regions;
  const peakOf = (r: RunResult, p: ForwardPass, regions: ReturnType<typeof fixedOf>) => peakWith(r, p, settings, regions);
  const forwardFlops = (p: ForwardPass) => p.ops.reduce((s, o) => s + o.flops, 0);
  const groups = planGroups(run, pass, file, tree);
  const fixed = fixedOf(pass);
  const low = lowestPeakPlan(run, pass, settings, groups, fixed);
  let maxBatch: number | null = null;
  if (run.again && run.microbatches === 1) {
    const again = peakOf(run, run.again, [...fixed.length ? regionsFor(run.again, fixed, pass) : [], ...regionsFor(run.again, low.regions, pass)]);
    maxBatch = affineMaxBatch(run.batch, low.peak, run.batch * 2, again, budget);
  }
  const tried: string[] = [];
  // What no technique here shrinks: parameters, their gradients, the optimizer's state, buffers.
  const step = simulateStep({ ...stepInputOf(run, pass, settings, fixed), totalsOnly: true });
  const persistent = step.paramBytes + step.gradBytes + step.optimizerBytes + step.bufferBytes;
  if (ctx.basePeak > budget && persistent >= budget) {
    return { budgetBytes: budget, fits: false, fix: null, maxBatch, tried: [`parameters, gradients, optimizer state and buffers alone take ${formatBytes(persistent)}`] };
  }
  if (ctx.basePeak <= budget) return { budgetBytes: budget, fits: true, fix: null, maxBatch, tried: [`fits as the code stands (${formatBytes(ctx.basePeak)})`] };

  const forward = modelForward(run, file, tree);
  const candidates: Candidate[] = [];
  /** Checkpoint plans of one run and pass: none, else the cheapest that fits, else the lowest. */
  const consider = (r: RunResult, p: ForwardPass, autocast: boolean, microbatches: number): Candidate | null => {
    const f = fixedOf(p);
    const g = r === run && p === pass ? groups : planGroups(r, p, file, tree);
    const base = peakOf(r, p, f);
    const what = `${autocast ? 'autocast bfloat16' : 'checkpointing'}${microbatches > 1 ? `, ${microbatches} microbatches` : ''}`;
    if (base <= budget) return { peak: base, flops: 0, forwardFlops: forwardFlops(p), microbatches, autocast, chain: null, groups: g };
    const chain = solveChain(r, p, settings, g, budget, f);
    if (chain) return { peak: chain.peak, flops: chain.flops, forwardFlops: forwardFlops(p), microbatches, autocast, chain, groups: g };
    const lowest = r === run && p === pass ? low : lowestPeakPlan(r, p, settings, g, f);
    tried.push(`${what}: at best ${formatBytes(lowest.peak)}`);
    candidates.push({ peak: lowest.peak, flops: lowest.flops, forwardFlops: forwardFlops(p), microbatches, autocast, chain: lowest, groups: g });
    return null;
  };
  const attempt = (r: RunResult, microbatches: number): Candidate | null => {
    ctx.check?.();
    const p = firstPass(r);
    const plain = consider(r, p, false, microbatches);
    if (plain) return plain;
    // The first run traced no autocast pass: the run made for it did.
    const ar = r === run ? ctx.autocastRun() : r;
    ctx.check?.();
    if (ar?.autocast && forward && settings.precision === 'fp32') return consider(ar, ar.autocast, true, microbatches);
    return null;
  };
  let found = attempt(run, run.microbatches);
  for (let k = Math.max(2, run.microbatches * 2); !found && k <= run.batch; k *= 2) {
    const r = ctx.rerun({ ...settings, microbatch: k });
    if (!r || r.microbatches !== k) break;
    found = attempt(r, k);
  }
  const chosen = found ?? candidates.sort((a, b) => a.peak - b.peak)[0];
  if (!chosen) return { budgetBytes: budget, fits: false, fix: null, maxBatch, tried };
  return { budgetBytes: budget, fits: !!found, fix: planFix(ctx, chosen, budget, forward, !!found), maxBatch, tried };
}

function planFix(ctx: FitContext, c: Candidate, budget: number, forward: ReturnType<typeof modelForward>, fits: boolean): FixSuggestion {
  const { text, tree, settings } = ctx;
  let edits: SourceEdit[] = c.chain ? planEdits(tree, c.chain, c.groups) : [];
  const parts: string[] = [];
  if (c.chain?.labels.length) parts.push(c.chain.labels.length <= 3 ? c.chain.labels.join(', ') : `checkpoint ${c.chain.labels.length} call sites`);
  if (c.autocast && forward) {
    const deviceType = settings.device === 'cuda' ? 'cuda' : settings.device === 'mps' ? 'mps' : 'cpu';
    const wrap = autocastEdit(forward, text, deviceType, 'bfloat16');
    if (wrap) edits = composeAutocast(text, wrap, edits);
    parts.push('autocast bfloat16');
  }
  if (c.microbatches > 1 && c.microbatches !== ctx.run.microbatches) {
    edits.push(microbatchEdit(text, c.microbatches, ctx.line));
    parts.push(`${c.microbatches} microbatches`);
  }
  const recompute = c.forwardFlops > 0 ? c.flops / c.forwardFlops : 0;
  const how = parts.length ? parts.join(' + ') : 'no change';
  const title = fits
    ? `Fit the budget (${formatBytes(budget)}): ${how} — peak ${formatBytes(c.peak)}${recompute > 0 ? `, recomputes ${Math.round(recompute * 100)}% of forward` : ''}`
    : `Nothing fits the budget (${formatBytes(budget)}); closest: ${how} — peak ${formatBytes(c.peak)}`;
  return { kind: 'plan', title, line: ctx.line, peakBytes: c.peak, savedBytes: ctx.basePeak - c.peak, recompute, ...(c.microbatches > 1 ? { microbatches: c.microbatches } : {}), edits };
}

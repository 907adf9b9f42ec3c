import { readRegularFile } from './interpreter/files';
import { AnalysisError, ForwardPass, RunResult, runModel } from './engine/run';
import { buildReport } from './engine/report';
import { autocastFixes, inplaceFixes, peakWith, suggestFixes } from './engine/fixes';
import { applyEdits } from './engine/planner';
import { affineMaxBatch, fitBudget } from './engine/fit';
import { Directive, findDirective } from './engine/specs';
import { PlanItem, parsePlan, regionsOfPlan } from './engine/checkpointPlan';
import type { ParseState } from 'web-tree-sitter';
import { MAX_SOURCE_CHARS, ParsedSource, Tree, isTooLarge, pythonParser } from './python/parser';
import { DEFAULT_LIMITS, SUPERSEDED, analysisClock, isSuperseded } from './interpreter/budget';
import type { Analysis, AnalysisSettings, BudgetPlan, FixSuggestion, Report, SourceEdit } from './report/types';

/** Reads other workspace files (open editors first, else disk); undefined when missing. */
export interface SourceHost {
  readFile(absPath: string): string | undefined;
  /** Package folders of the user's Python environment (engine/pythonEnv.ts), searched after the workspace. */
  readonly libraryPaths?: readonly string[];
}

export const diskHost: SourceHost = {
  readFile: (p) => readRegularFile(p),
};

/**
 * Analyze one Python model file: parse, interpret, simulate. Never throws for bad input: problems
 * land in `analysis.error` (fatal) or `analysis.report.unknowns`. `loadPythonParser()` must have
 * completed first.
 */
export interface AnalyzeOptions {
  /** Also simulate the fixes worth offering (quick fixes) and, with a budget, the plan that fits it. */
  suggest?: boolean;
}

/** What the second phase adds to an analysis: the fixes worth offering and the budget plan. */
export interface Suggestions {
  fixes: FixSuggestion[];
  plan: BudgetPlan | null;
}

/** Thrown by the second phase when a newer version of the document is waiting. */
export class SuggestionsSuperseded extends Error {}

/**
 * The second phase in three steps: the checkpointing fixes (simulations only), the budget plan (may
 * analyze again, for microbatching and autocast), the fixes that analyze the model again (forward
 * under autocast, in-place activations).
 */
export interface SuggestionSteps {
  fixes(): FixSuggestion[];
  plan(): BudgetPlan | null;
  moreFixes(): FixSuggestion[];
  /** Frees what the steps hold (a tree the analysis parsed itself). */
  done(): void;
}

export function analyzeSource(file: string, source: ParsedSource | string, settings: AnalysisSettings, host: SourceHost = diskHost, options: AnalyzeOptions = {}): Analysis {
  const { analysis, suggest } = analyzeInPhases(file, source, settings, host);
  try {
    if (options.suggest && suggest) {
      const fixes = suggest.fixes();
      const plan = suggest.plan();
      withSuggestions(analysis, { fixes: [...fixes, ...suggest.moreFixes()], plan });
    }
  } finally {
    suggest?.done();
  }
  return analysis;
}

/** The analysis with its suggestions attached (the plan's fix among the fixes, the plan in the report). */
export function withSuggestions(analysis: Analysis, s: Suggestions): Analysis {
  analysis.fixes = s.plan?.fix ? [...s.fixes, s.plan.fix] : s.fixes;
  if (s.plan) {
    analysis.plan = s.plan;
    analysis.report.budgetPlan = { fits: s.plan.fits, plan: s.plan.fix?.title ?? null, peakBytes: s.plan.fix?.peakBytes ?? null, maxBatch: s.plan.maxBatch, tried: s.plan.tried };
  }
  return analysis;
}

/**
 * The analysis (the numbers every hint and lens shows), and `suggest`, the second phase: the fixes
 * and the budget plan, simulated from what the first traced (more forward passes: autocast, other
 * microbatch sizes). The language server publishes the first at once and runs the second after it,
 * stopping it for a newer edit. `suggest` must run before the source's tree changes; it is null when
 * the analysis failed. With a string source, the tree is freed once `suggest` ran (or now, without it).
 */
export function analyzeInPhases(file: string, source: ParsedSource | string, settings: AnalysisSettings, host: SourceHost = diskHost): { analysis: Analysis; suggest: SuggestionSteps | null } {
  const started = performance.now();
  // The time budget (DEFAULT_LIMITS.ms of CPU time) covers parsing and interpreting together.
  const startedAt = analysisClock();
  const text = typeof source === 'string' ? source : source.text;
  let ownTree: Tree | null = null;
  let deferred = false;
  try {
    if (isTooLarge(text)) {
      const lines = text.split('\n').length;
      throw new AnalysisError(`the file is too large to analyze (${lines.toLocaleString('en-US')} lines; Memlens reads files up to ${MAX_SOURCE_CHARS.toLocaleString('en-US')} characters)`, { file, line: 1 });
    }
    const tree = typeof source === 'string' ? (ownTree = parseWithin(source, startedAt + DEFAULT_LIMITS.parseMs, file)) : source.tree;
    const directive = findDirective(text);
    const run = runModel({ file, tree, settings, directive, source: host, startedAt, again: true });
    const loc = run.modelLoc;
    const plan = planOf(settings, directive);
    const { report, lines, planRegions, blockClass } = buildReport(run, settings, file, plan.items);
    if (plan.error) report.warnings = [...(report.warnings ?? []), plan.error];
    report.maxBatch = maxBatch(report, run.again ? peakOf(run, run.again, settings, plan.items) : null);
    const analysis: Analysis = {
      report,
      lines,
      model: loc ? { file: loc.file, className: run.model.cls.name, line: loc.line } : null,
      error: null,
      ms: performance.now() - started,
      planInForce: plan.items.map((p) => p.text),
      blockClass,
    };
    const owned = ownTree;
    deferred = true;
    const check = () => {
      if (isSuperseded()) throw new SuggestionsSuperseded(SUPERSEDED);
    };
    /** The model again at other settings, with its forward under autocast too (fp32 only). */
    const rerun = (s: AnalysisSettings): RunResult | null => {
      check();
      try {
        return runModel({ file, tree, settings: s, directive, source: host, startedAt: analysisClock(), ...(s.precision === 'fp32' ? { autocastPass: 'bfloat16' as const } : {}) });
      } catch {
        return null;
      }
    };
    let autocastRun: RunResult | null | undefined;
    const autocast = () => (autocastRun === undefined ? (autocastRun = settings.precision === 'fp32' ? rerun(settings) : null) : autocastRun);
    const suggest: SuggestionSteps = {
      fixes: () => suggestFixes(run, settings, file, tree, planRegions, report.totals.peakBytes, check),
      plan: () => fitBudget({ run, autocastRun: autocast, settings, file, tree, text, plan: plan.items, basePeak: report.totals.peakBytes, line: (loc?.line ?? 1) - 1, rerun, check }) ?? null,
      moreFixes: () => {
        const fixes = autocastFixes(run, settings, file, tree, text, planRegions, report.totals.peakBytes, autocast());
        // In-place activations: the edited text analyzed (what the user will see after accepting it).
        const reanalyze = (edits: SourceEdit[]): number | null => {
          check();
          const a = analyzeInPhases(file, applyEdits(text, edits), settings, host).analysis;
          return a.error ? null : a.report.totals.peakBytes;
        };
        return [...fixes, ...inplaceFixes(run, file, tree, report.totals.peakBytes, reanalyze, check)];
      },
      done: () => owned?.delete(),
    };
    return { analysis, suggest };
  } catch (e) {
    const at = e instanceof AnalysisError ? e.at : { file, line: 1 };
    const reason = e instanceof AnalysisError ? e.message : `internal error: ${(e as Error).message ?? String(e)}`;
    const code = e instanceof AnalysisError ? e.code : undefined;
    return { analysis: { ...failedAnalysis(file, settings, reason, at, code), ms: performance.now() - started }, suggest: null };
  } finally {
    if (!deferred) ownTree?.delete();
  }
}

/** Parses `text`, giving up (an AnalysisError) when the deadline (an `analysisClock()` time) passes. */
function parseWithin(text: string, deadline: number, file: string): Tree {
  // tree-sitter cancels the parse when the progress callback returns true (typed as void).
  const cancel = (() => analysisClock() > deadline || isSuperseded()) as unknown as (state: ParseState) => void;
  const parser = pythonParser();
  const tree = parser.parse(text, null, { progressCallback: cancel });
  // A cancelled parser resumes the old document on its next parse unless reset.
  if (!tree) parser.reset();
  if (!tree) throw new AnalysisError(`the file is too large to analyze: parsing stopped after ${DEFAULT_LIMITS.parseMs} ms`, { file, line: 1 });
  return tree;
}

/**
 * Largest batch whose peak fits the budget. Memory is affine in the batch size for the modelled
 * ops, so two forward passes of the same model (B and 2B) give the per-sample slope.
 */
/** Training-step peak of another forward pass of the analyzed model (at twice the (micro)batch). */
function peakOf(run: RunResult, pass: ForwardPass, settings: AnalysisSettings, plan: readonly PlanItem[]): { batch: number; peak: number } {
  return { batch: run.batch * 2, peak: peakWith(run, pass, settings, regionsOfPlan(plan, pass.calls, run.tracer.ctx.torch).regions) };
}

/** The checkpoint plan in force: the settings', else the directive's; a malformed one is reported, not applied. */
export function planOf(settings: AnalysisSettings, directive: Directive | null): { items: PlanItem[]; error?: string } {
  const texts = settings.noPlan ? [] : settings.checkpoint?.length ? settings.checkpoint : directive?.checkpoint ?? [];
  try {
    return { items: parsePlan(texts) };
  } catch (e) {
    return { items: [], error: (e as Error).message };
  }
}

function maxBatch(report: Report, again: { batch: number; peak: number } | null): number | null {
  const budget = report.budgetBytes;
  if (budget === null || !again) return null;
  return affineMaxBatch(report.settings.batch, report.totals.peakBytes, again.batch, again.peak, budget);
}

/** An analysis that stopped on `reason` (at `at`, the file's first line by default): no numbers. */
export function failedAnalysis(file: string, settings: AnalysisSettings, reason: string, at: { file: string; line: number; column?: number } = { file, line: 1 }, code?: 'no-model'): Analysis {
  return { report: emptyReport(file, settings), lines: [], model: null, error: { file: at.file, line: at.line, ...(at.column !== undefined ? { column: at.column } : {}), reason, ...(code ? { code } : {}) }, ms: 0 };
}

function emptyReport(file: string, settings: AnalysisSettings): Report {
  const zero = { params: 0, grads: 0, optimizer: 0, activations: 0, temporaries: 0 };
  return {
    version: 1,
    file,
    entry: '',
    entryGuessed: false,
    inputs: [],
    omittedArguments: [],
    settings: { precision: settings.precision, optimizer: settings.optimizer, device: settings.device, torch: settings.torch, checkpoint: [], batch: settings.batch ?? 1 },
    totals: { params: 0, trainableParams: 0, paramBytes: 0, gradBytes: 0, optimizerBytes: 0, bufferBytes: 0, inputBytes: 0, savedActivationBytes: 0, peakBytes: 0, peakPhase: 'forward', peakComposition: zero },
    layers: [],
    unknowns: [],
    unknownsOutsideModel: 0,
    timeline: [],
    maxBatch: null,
    budgetBytes: settings.budgetBytes,
  };
}

import { BudgetExceeded, Loc } from './values';

/** Limits of one analysis; exceeding one yields an unknown with the reason, never a hang. */
export interface BudgetLimits {
  /** Evaluation steps (statements + calls). */
  readonly steps: number;
  /** Python call depth. */
  readonly depth: number;
  /** Iterations of one loop that are unrolled. */
  readonly loopIterations: number;
  /** Milliseconds of this process's CPU time for the whole analysis (see `analysisClock`). */
  readonly ms: number;
  /** Elements a Python list/range/str may have. */
  readonly sequenceLength: number;
  /** CPU milliseconds parsing may take before a file counts as too large to analyze. */
  readonly parseMs: number;
}

// 10 s of CPU: a model from an installed library (transformers, timm) reads dozens of the
// library's files the first time (parsing them is most of it); hostile inputs are stopped far
// sooner by the step, depth, loop and parse limits.
export const DEFAULT_LIMITS: BudgetLimits = { steps: 4_000_000, depth: 120, loopIterations: 100_000, ms: 10_000, sequenceLength: 1_000_000, parseMs: 400 };

/**
 * The clock budgets are measured on: this process's CPU time in ms. Wall time would stop a normal
 * analysis on a machine busy with other work (a CI runner, a build), turning a slow moment into a
 * wrong answer; CPU time bounds the work the analysis itself does.
 */
export function analysisClock(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Whether the running analysis was superseded (a newer version of its document is waiting): set by
 * the language server's analysis worker, polled with the clock. Never true elsewhere.
 */
let superseded: () => boolean = () => false;

export function setSupersededCheck(check: () => boolean): void {
  superseded = check;
}

export function isSuperseded(): boolean {
  return superseded();
}

export const SUPERSEDED = 'analysis superseded by a newer version of the document';

export class Budget {
  private steps = 0;
  /** Once superseded, every step throws, so that no catch on the way out resumes the work. */
  private stopped = false;
  depth = 0;
  private deadline: number;
  private stepLimit: number;
  /** Set while a share of the budget is running out (see `share`): why it stops. */
  private shareReason: string | null = null;

  /** `startedAt` (an `analysisClock()` time) lets the limit cover work done before interpreting (parsing). */
  constructor(readonly limits: BudgetLimits = DEFAULT_LIMITS, startedAt = analysisClock()) {
    this.deadline = startedAt + limits.ms;
    this.stepLimit = limits.steps;
  }

  step(at: Loc): void {
    if (this.stopped) throw new BudgetExceeded(SUPERSEDED, at);
    if (++this.steps > this.stepLimit) throw new BudgetExceeded(this.shareReason ?? `evaluation stopped after ${this.limits.steps} steps`, at);
    if ((this.steps & 1023) === 0) this.checkClock(at);
  }

  private checkClock(at: Loc): void {
    if (superseded()) {
      this.stopped = true;
      throw new BudgetExceeded(SUPERSEDED, at);
    }
    if (analysisClock() > this.deadline) throw new BudgetExceeded(this.shareReason ?? `evaluation stopped after ${this.limits.ms} ms`, at);
  }

  /**
   * Work one step does in bulk (`items` list elements or characters built, modules cloned at
   * `perItem` steps each) counts as the steps it stands for, so that the step limit and the clock
   * bound it: `[0] * 999999` in a loop is not one cheap step per iteration.
   */
  charge(items: number, at: Loc, perItem = 1 / 16): void {
    const n = Math.floor(items * perItem);
    if (!(n > 0)) return;
    if (this.stopped) throw new BudgetExceeded(SUPERSEDED, at);
    const crossed = Math.floor(this.steps / 1024) !== Math.floor((this.steps + n) / 1024);
    this.steps += n;
    if (this.steps > this.stepLimit) throw new BudgetExceeded(this.shareReason ?? `evaluation stopped after ${this.limits.steps} steps`, at);
    if (crossed) this.checkClock(at);
  }

  /**
   * Runs `fn` on a share of what is left (`fraction` of the remaining steps and time), so that work
   * that may not finish (a training script run up to its model's call) leaves the rest of the
   * analysis its budget; `reason` is the message when the share runs out.
   */
  share<T>(fraction: number, reason: string, fn: () => T): T {
    const [limit, deadline, before] = [this.stepLimit, this.deadline, this.shareReason];
    this.stepLimit = this.steps + Math.floor((limit - this.steps) * fraction);
    this.deadline = Math.min(deadline, analysisClock() + (deadline - analysisClock()) * fraction);
    this.shareReason = reason;
    try {
      return fn();
    } finally {
      [this.stepLimit, this.deadline, this.shareReason] = [limit, deadline, before];
    }
  }

  enter(at: Loc): void {
    if (++this.depth > this.limits.depth) {
      this.depth--;
      throw new BudgetExceeded(`call depth exceeded ${this.limits.depth} (recursion?)`, at);
    }
  }

  leave(): void {
    this.depth--;
  }

  get used(): number {
    return this.steps;
  }
}

/**
 * The unknown's reason when Python nests deeper than the evaluator's own (JS) stack
 * (`((((…))))`, deep recursion between budget checks): the one limit not counted above.
 */
export const STACK_OVERFLOW = 'nested too deeply to evaluate; skipped';

/** V8's "Maximum call stack size exceeded". */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

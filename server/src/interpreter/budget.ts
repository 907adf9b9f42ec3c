import { BudgetExceeded, Loc } from './values';

/** Limits of one analysis; exceeding one yields an unknown with the reason, never a hang. */
export interface BudgetLimits {
  /** Evaluation steps (statements + calls). */
  readonly steps: number;
  /** Python call depth. */
  readonly depth: number;
  /** Iterations of one loop that are unrolled. */
  readonly loopIterations: number;
  /** Wall-clock milliseconds for the whole analysis. */
  readonly ms: number;
  /** Elements a Python list/range/str may have. */
  readonly sequenceLength: number;
}

export const DEFAULT_LIMITS: BudgetLimits = { steps: 2_000_000, depth: 80, loopIterations: 100_000, ms: 800, sequenceLength: 1_000_000 };

export class Budget {
  private steps = 0;
  depth = 0;
  private readonly deadline: number;

  /** `startedAt` (Date.now() time) lets the wall-clock limit cover work done before interpreting (parsing). */
  constructor(readonly limits: BudgetLimits = DEFAULT_LIMITS, startedAt = Date.now()) {
    this.deadline = startedAt + limits.ms;
  }

  step(at: Loc): void {
    if (++this.steps > this.limits.steps) throw new BudgetExceeded(`evaluation stopped after ${this.limits.steps} steps`, at);
    if ((this.steps & 255) === 0 && Date.now() > this.deadline) {
      throw new BudgetExceeded(`evaluation stopped after ${this.limits.ms} ms`, at);
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

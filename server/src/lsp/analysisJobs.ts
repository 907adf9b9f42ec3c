// Messages between the language server and its analysis worker (analysisWorker.ts, a Node worker
// thread). Internal to the server: the client never sees them.

import type { Suggestions } from '../analysis';
import type { Analysis, AnalysisSettings } from '../report/types';

/** Server → worker: analyze one open document. Answered by exactly one `AnalysisDone`. */
export interface AnalysisJob {
  readonly id: number;
  readonly file: string;
  /**
   * Open documents whose text changed since the worker last heard (imports read open editors
   * first); `text: null` for one closed since, read from disk again. The worker keeps the rest.
   */
  readonly documents: readonly { file: string; text: string | null }[];
  readonly settings: AnalysisSettings;
  readonly libraryPaths: readonly string[];
  /** The numbers only, no second phase (the timeline view's what-if analyses). */
  readonly firstPhaseOnly?: boolean;
}

/**
 * Worker → server, after a job's AnalysisDone (not superseded, no error): its second phase, the
 * fixes and the budget plan; null when a newer job stopped it. Until it comes, the worker is busy.
 */
export interface SuggestionsDone {
  readonly kind: 'suggestions';
  readonly id: number;
  readonly suggestions: Suggestions | null;
  /**
   * 1: the checkpointing fixes; 2: with the budget plan; 3 (final): with the fixes that analyze
   * the model again (autocast, in-place). A stopped phase sends 3 with `suggestions` null.
   */
  readonly stage: 1 | 2 | 3;
}

/** Worker → server. */
export interface AnalysisDone {
  readonly kind?: undefined;
  readonly id: number;
  /** Null when the worker itself failed (`failure` says why). */
  readonly analysis: Analysis | null;
  readonly failure?: string;
  /** Files the analysis read (its imports), resolved: an edit to one of them re-runs it. */
  readonly read: readonly string[];
  /** The server superseded the job while it ran: `analysis` is not the document's. */
  readonly superseded: boolean;
}

/** `workerData` of the worker: `cancel[0]` holds the id of the job the server superseded. */
export interface AnalysisWorkerData {
  readonly cancel: SharedArrayBuffer;
}

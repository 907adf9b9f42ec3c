// Work-done progress (LSP window/workDoneProgress/create + $/progress) around the first analysis of
// a document, so a file that takes seconds to read (a transformers model's library files) says so
// in the editor's status bar instead of showing nothing. Only for clients that advertise
// window.workDoneProgress; later analyses of the same document are quick (caches) and stay silent.
//
// The analysis path calls one function, `run(uri, message, analyze)`, at its start and awaits it:
// nothing else of the server knows about progress.

import type { Connection } from 'vscode-languageserver';
import { WorkDoneProgress, WorkDoneProgressCreateRequest } from 'vscode-languageserver';

/** How long an analysis runs before it is announced, when it runs off this thread. */
export const ANALYSIS_PROGRESS_DELAY_MS = 300;

interface ProgressTask {
  /** Settles once `begin` was sent (or the client refused the token). */
  readonly begun: Promise<void>;
  end(): void;
}

export class AnalysisProgress {
  private readonly announced = new Set<string>();
  private tokens = 0;
  /** Set from the client's capabilities (window.workDoneProgress). */
  supported = false;

  /**
   * `delayMs`: 0 announces the analysis before it starts (the analysis blocks this thread, so a
   * timer could not fire while it runs); a positive delay, once analysis runs in a worker, begins
   * only analyses that are still running by then, so quick ones show nothing.
   */
  constructor(
    private readonly connection: Connection,
    private readonly log: (message: string) => void,
    private readonly delayMs = 0,
  ) {}

  /**
   * Runs `analyze`; the first time for `uri` (since it was opened), inside a work-done progress
   * "Memlens" with `message` (`analyzing train.py`), which VS Code shows as "Memlens: analyzing train.py".
   */
  async run<T>(uri: string, message: string, analyze: () => T | Promise<T>): Promise<T> {
    if (!this.supported || this.announced.has(uri)) return analyze();
    this.announced.add(uri);
    const task = this.start(message);
    if (this.delayMs === 0) await task.begun;
    try {
      return await analyze();
    } finally {
      task.end();
    }
  }

  /** The document was closed: its next open is a first analysis again. */
  forget(uri: string): void {
    this.announced.delete(uri);
  }

  private start(message: string): ProgressTask {
    const token = `memlens-analysis-${++this.tokens}`;
    // waiting (timer) → creating (request sent) → begun; `ended` from any of them.
    let state: 'waiting' | 'creating' | 'begun' | 'ended' = 'waiting';
    let settle = (): void => undefined;
    const begun = new Promise<void>((resolve) => (settle = resolve));
    const create = (): void => {
      state = 'creating';
      this.connection
        .sendRequest(WorkDoneProgressCreateRequest.type, { token })
        .then(
          () => {
            // Ended while the client created the token: close it without a begin, so nothing flashes.
            if (state === 'ended') void this.connection.sendProgress(WorkDoneProgress.type, token, { kind: 'end' });
            else {
              state = 'begun';
              void this.connection.sendProgress(WorkDoneProgress.type, token, { kind: 'begin', title: 'Memlens', message, cancellable: false });
            }
          },
          (e: unknown) => this.log(`work-done progress refused: ${String(e)}`),
        )
        .finally(settle);
    };
    const timer = this.delayMs > 0 ? setTimeout(create, this.delayMs) : undefined;
    if (!timer) create();
    return {
      begun,
      end: () => {
        if (timer) clearTimeout(timer);
        const was = state;
        state = 'ended';
        if (was === 'waiting') settle();
        if (was === 'begun') void this.connection.sendProgress(WorkDoneProgress.type, token, { kind: 'end' });
      },
    };
  }
}

// The server's side of the analysis worker: one long-lived worker thread (its caches of imported
// trees and package indexes persist between analyses), one job at a time, a superseded job
// stopped cooperatively or, past a bound, by ending the thread; a thread that dies (out of memory)
// or runs away is replaced, and its job answered with why it stopped.

import * as path from 'path';
import { Worker } from 'worker_threads';
import { failedAnalysis } from '../analysis';
import type { Analysis, AnalysisSettings } from '../report/types';
import type { AnalysisDone, AnalysisJob, AnalysisWorkerData, SuggestionsDone } from './analysisJobs';
import type { Suggestions } from '../analysis';

/** Old-generation heap of the worker: past it, V8 ends the thread, never the server. */
const WORKER_MEMORY_MB = Number(process.env.MEMLENS_WORKER_MEMORY_MB) > 0 ? Number(process.env.MEMLENS_WORKER_MEMORY_MB) : 1024;
/** A superseded job that has not stopped by then (stuck outside the interpreter's budget) is ended with its thread. */
const STOP_WITHIN_MS = 2000;
/** Wall-clock bound on one job; the interpreter stops itself after 10 s of CPU, so this only catches a runaway. */
const JOB_WALL_MS = 120_000;

export interface AnalysisOutcome {
  /** The job's id: its suggestions (the second phase) come later under it. */
  id: number;
  analysis: Analysis;
  /** Files it read (resolved paths). */
  read: readonly string[];
}

interface Running {
  job: AnalysisJob;
  worker: Worker;
  resolve: (outcome: AnalysisOutcome | null) => void;
  timer: NodeJS.Timeout;
  superseded: boolean;
}

export class Analyzer {
  private worker: Worker | null = null;
  private readonly cancel = new SharedArrayBuffer(4);
  private readonly cancelFlag = new Int32Array(this.cancel);
  private nextId = 1;
  private running: Running | null = null;
  /** Texts of open documents as the current worker last received them, by file. */
  private sent = new Map<string, string>();

  /** The job whose second phase (suggestions) the worker may still be computing, and its file. */
  private suggesting = 0;
  private suggestingFile: string | null = null;

  /**
   * `suggested` hears each job's second phase: the fixes and the budget plan (null when a newer
   * job stopped it), after the job's outcome.
   */
  constructor(
    private readonly log: (message: string) => void,
    private readonly suggested: (id: number, suggestions: Suggestions | null, stage: 1 | 2 | 3) => void = () => undefined,
    /** Jobs without the second phase (the what-if worker of the timeline view). */
    private readonly firstPhaseOnly = false,
  ) {}

  /** Starts the worker ahead of its first job (it loads the parser meanwhile). */
  warm(): void {
    if (!this.worker) this.start();
  }

  /** The script next to this module: dist/analysisWorker.js in the bundle, out/…/lsp/analysisWorker.js under tsc. */
  static get script(): string {
    return path.join(__dirname, 'analysisWorker.js');
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /**
   * Analyzes `file` with `documents` (every open document's text, by file) read before the disk.
   * Resolves null when the job was superseded (`supersede`) before it finished.
   */
  run(file: string, documents: ReadonlyMap<string, string>, settings: AnalysisSettings, libraryPaths: readonly string[]): Promise<AnalysisOutcome | null> {
    if (this.running) throw new Error('the analysis worker runs one job at a time');
    const worker = this.worker ?? this.start();
    const changed: { file: string; text: string | null }[] = [];
    for (const [f, text] of documents) if (this.sent.get(f) !== text) changed.push({ file: f, text });
    for (const f of this.sent.keys()) if (!documents.has(f)) changed.push({ file: f, text: null });
    this.sent = new Map(documents);
    const job: AnalysisJob = { id: this.nextId++, file, documents: changed, settings, libraryPaths, ...(this.firstPhaseOnly ? { firstPhaseOnly: true } : {}) };
    // A newer version of the same file waits: its previous suggestions stop (another file's job
    // queues behind them: they are for the document in front of the user).
    if (this.suggesting && this.suggestingFile === file) Atomics.store(this.cancelFlag, 0, this.suggesting);
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.endWorker(`it ran for over ${JOB_WALL_MS / 1000} s`), JOB_WALL_MS);
      this.running = { job, worker, resolve, timer, superseded: false };
      worker.postMessage(job);
    });
  }

  /** Stops the running job (a newer version of its inputs is waiting); it resolves null. */
  supersede(): void {
    const r = this.running;
    if (!r || r.superseded) return;
    r.superseded = true;
    Atomics.store(this.cancelFlag, 0, r.job.id);
    clearTimeout(r.timer);
    r.timer = setTimeout(() => this.endWorker('it did not stop when superseded'), STOP_WITHIN_MS);
  }

  dispose(): void {
    const w = this.worker;
    this.worker = null;
    void w?.terminate();
  }

  private start(): Worker {
    const data: AnalysisWorkerData = { cancel: this.cancel };
    const worker = new Worker(Analyzer.script, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: WORKER_MEMORY_MB }, stdout: true, stderr: true });
    this.worker = worker;
    this.sent = new Map();
    // stdout carries the protocol in the server: the worker's prints go to the log.
    worker.stdout.on('data', (d: Buffer) => this.log(`analysis worker: ${d.toString().trimEnd()}`));
    worker.stderr.on('data', (d: Buffer) => this.log(`analysis worker: ${d.toString().trimEnd()}`));
    let why: string | null = null;
    worker.on('message', (done: AnalysisDone | SuggestionsDone) => {
      if (done.kind === 'suggestions') {
        if (this.suggesting === done.id && done.stage === 3) this.suggesting = 0;
        this.suggested(done.id, done.suggestions, done.stage);
      } else this.finished(done);
    });
    worker.on('error', (e: Error & { code?: string }) => {
      why = e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `out of memory (over ${WORKER_MEMORY_MB.toLocaleString('en-US')} MiB)` : `the analysis failed (${e.message})`;
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = null;
      if (this.suggesting) {
        const id = this.suggesting;
        this.suggesting = 0;
        this.suggested(id, null, 3);
      }
      const r = this.running;
      if (!r || r.worker !== worker) return;
      this.running = null;
      clearTimeout(r.timer);
      if (r.superseded) return r.resolve(null);
      const reason = `analysis stopped: ${why ?? `the analysis worker exited (code ${code})`}`;
      this.log(`${reason}, analyzing ${r.job.file}; a fresh worker takes the next analysis`);
      r.resolve({ id: r.job.id, analysis: failedAnalysis(r.job.file, r.job.settings, reason), read: [] });
    });
    return worker;
  }

  /** Ends the worker (a runaway or unstoppable job); its job resolves through the exit handler. */
  private endWorker(why: string): void {
    const worker = this.worker;
    if (!worker) return;
    const r = this.running;
    this.log(`ending the analysis worker: ${why}${r ? ` (analyzing ${r.job.file})` : ''}`);
    worker.removeAllListeners('error');
    worker.on('error', () => undefined);
    if (r && !r.superseded) {
      // Answered here with the reason; the exit handler then finds no job.
      this.running = null;
      clearTimeout(r.timer);
      r.resolve({ id: r.job.id, analysis: failedAnalysis(r.job.file, r.job.settings, `analysis stopped: ${why}`), read: [] });
    }
    this.worker = null;
    void worker.terminate();
  }

  private finished(done: AnalysisDone): void {
    const r = this.running;
    if (!r || r.job.id !== done.id) return;
    this.running = null;
    clearTimeout(r.timer);
    if (r.superseded || done.superseded) return r.resolve(null);
    if (!done.analysis) {
      this.log(`analysis of ${r.job.file} failed in the worker: ${done.failure ?? 'no reason given'}`);
      return r.resolve({ id: done.id, analysis: failedAnalysis(r.job.file, r.job.settings, `internal error: ${(done.failure ?? '').split('\n')[0]}`), read: done.read });
    }
    if (!done.analysis.error && !this.firstPhaseOnly) {
      this.suggesting = done.id;
      this.suggestingFile = r.job.file;
    }
    r.resolve({ id: done.id, analysis: done.analysis, read: done.read });
  }
}

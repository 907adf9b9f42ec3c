// The analysis worker: a worker thread of the language server that runs `analyzeSource`, so that
// requests are answered while a document is analyzed and a hostile file that exhausts memory ends
// this thread, not the server (analyzer.ts starts a fresh one). It lives as long as it can: the
// imported files' trees and the package indexes stay cached in it between analyses.

import * as path from 'path';
import { parentPort, workerData } from 'worker_threads';
import { analyzeInPhases, SourceHost, SuggestionSteps, SuggestionsSuperseded } from '../analysis';
import { setSupersededCheck } from '../interpreter/budget';
import { readRegularFile } from '../interpreter/files';
import { loadPythonParser, ParsedSource, TextChange } from '../python/parser';
import type { AnalysisDone, AnalysisJob, AnalysisWorkerData, SuggestionsDone } from './analysisJobs';

/** Past this heap, the second phase skips the fixes that analyze the model again (autocast, in-place). */
const MORE_FIXES_HEAP_BYTES = 384 * 2 ** 20;

const port = parentPort;
if (!port) throw new Error('analysisWorker.js runs as a worker thread of the language server');

const cancel = new Int32Array((workerData as AnalysisWorkerData).cancel);
let running = 0;
setSupersededCheck(() => Atomics.load(cancel, 0) === running);

/** Open documents' texts by resolved path, as the server last sent them. */
const documents = new Map<string, string>();
/** The analyzed documents kept parsed, reparsed incrementally from one version to the next. */
const parsed = new Map<string, ParsedSource>();
const ready = loadPythonParser();

/** The one change that turns `before` into `after` (their common prefix and suffix kept). */
function difference(before: string, after: string): TextChange {
  let start = 0;
  const shortest = Math.min(before.length, after.length);
  while (start < shortest && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let tail = 0;
  while (tail < shortest - start && before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)) tail++;
  return { start, end: before.length - tail, text: after.slice(start, after.length - tail) };
}

function parsedSource(file: string, text: string): ParsedSource {
  const old = parsed.get(file);
  if (old && old.text === text) return old;
  if (old) {
    try {
      old.update([difference(old.text, text)]);
      return old;
    } catch {
      old.dispose();
    }
  }
  const fresh = new ParsedSource(text);
  parsed.set(file, fresh);
  return fresh;
}

function run(job: AnalysisJob): { done: AnalysisDone; suggest: SuggestionSteps | null } {
  for (const d of job.documents) {
    const key = path.resolve(d.file);
    if (d.text === null) {
      documents.delete(key);
      parsed.get(key)?.dispose();
      parsed.delete(key);
    } else documents.set(key, d.text);
  }
  const key = path.resolve(job.file);
  const read = new Set<string>();
  const host: SourceHost = {
    readFile(absPath) {
      const wanted = path.resolve(absPath);
      read.add(wanted);
      return documents.get(wanted) ?? readRegularFile(wanted);
    },
    libraryPaths: job.libraryPaths,
  };
  running = job.id;
  try {
    const text = documents.get(key) ?? '';
    const { analysis, suggest } = analyzeInPhases(job.file, parsedSource(key, text), job.settings, host);
    return { done: { id: job.id, analysis, read: [...read], superseded: Atomics.load(cancel, 0) === job.id }, suggest };
  } finally {
    running = 0;
  }
}

port.on('message', (job: AnalysisJob) => {
  void ready.then(() => {
    let done: AnalysisDone;
    let suggest: SuggestionSteps | null = null;
    try {
      ({ done, suggest } = run(job));
    } catch (e) {
      done = { id: job.id, analysis: null, failure: e instanceof Error ? (e.stack ?? e.message) : String(e), read: [], superseded: false };
    }
    port.postMessage(done);
    if (!suggest) return;
    if (done.superseded || job.firstPhaseOnly) return suggest.done();
    // The second phase, at once (it reads the document's tree, which the next job updates): the
    // fixes, then the budget plan; the server stops it (the cancel flag) when a newer job waits.
    running = job.id;
    try {
      const fixes = suggest.fixes();
      port.postMessage({ kind: 'suggestions', id: job.id, suggestions: { fixes, plan: null }, stage: 1 } satisfies SuggestionsDone);
      const plan = suggest.plan();
      port.postMessage({ kind: 'suggestions', id: job.id, suggestions: { fixes, plan }, stage: 2 } satisfies SuggestionsDone);
      // The fixes that analyze the model again hold a second model in memory: not when the heap is already large.
      const more = process.memoryUsage().heapUsed < MORE_FIXES_HEAP_BYTES ? suggest.moreFixes() : [];
      port.postMessage({ kind: 'suggestions', id: job.id, suggestions: { fixes: [...fixes, ...more], plan }, stage: 3 } satisfies SuggestionsDone);
    } catch (e) {
      if (!(e instanceof SuggestionsSuperseded)) console.error(`suggestions for ${job.file} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      port.postMessage({ kind: 'suggestions', id: job.id, suggestions: null, stage: 3 } satisfies SuggestionsDone);
    } finally {
      running = 0;
      suggest.done();
    }
  });
});

// TEMPORARY STUB — the real engine replaces this file (same exports).
import { ParsedSource } from './python/parser';
import { Analysis, AnalysisSettings } from './report/types';

/** Reads other workspace files (open editors first, else disk); undefined when missing. */
export interface SourceHost {
  readFile(absPath: string): string | undefined;
}

/**
 * Analyze one Python model file: parse, interpret, simulate. Never throws for bad input: problems
 * land in `analysis.error` (fatal) or `analysis.report.unknowns`. `loadPythonParser()` must have
 * completed first.
 */
export function analyzeSource(file: string, source: ParsedSource | string, settings: AnalysisSettings, host?: SourceHost): Analysis {
  void source; void settings; void host;
  const zero = { params: 0, grads: 0, optimizer: 0, activations: 0, temporaries: 0 };
  return {
    report: {
      version: 1, file, entry: '', entryGuessed: true, inputs: [],
      settings: { precision: settings.precision, optimizer: settings.optimizer, device: settings.device, torch: settings.torch, checkpoint: [], batch: 1 },
      totals: { params: 0, trainableParams: 0, paramBytes: 0, gradBytes: 0, optimizerBytes: 0, bufferBytes: 0, inputBytes: 0, savedActivationBytes: 0, peakBytes: 0, peakPhase: 'forward', peakComposition: zero },
      layers: [], unknowns: [], timeline: [], maxBatch: null, budgetBytes: settings.budgetBytes,
    },
    lines: [], model: null, error: { file, line: 1, reason: 'engine not implemented yet' }, ms: 0,
  };
}

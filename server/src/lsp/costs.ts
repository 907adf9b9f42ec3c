// Lookups over one Analysis shared by the editor features.

import * as path from 'path';
import { Analysis, LayerReport, LineCost } from '../report/types';

/** Paths from the engine and from document URIs may differ in form ("./a.py" vs "/w/a.py"). */
export function sameFile(a: string, b: string): boolean {
  return a === b || path.resolve(a) === path.resolve(b);
}

/** Parameter + gradient + optimizer-state bytes: what a layer's weights cost across a step. */
export function weightBytes(c: { paramBytes: number; gradBytes: number; optimizerBytes: number }): number {
  return c.paramBytes + c.gradBytes + c.optimizerBytes;
}

/** The line costs of one file, by 0-based line. */
export function lineCostsIn(analysis: Analysis, file: string): LineCost[] {
  return analysis.lines.filter((l) => sameFile(l.file, file));
}

/** The layer rows a line cost names, in its order; paths without a row are skipped. */
export function layersOf(analysis: Analysis, cost: LineCost): LayerReport[] {
  const byPath = new Map<string, LayerReport>();
  for (const l of analysis.report.layers) if (!byPath.has(l.path)) byPath.set(l.path, l);
  return cost.modules.flatMap((m) => byPath.get(m) ?? []);
}

/**
 * The bytes of a layer that are alive at the training-step peak: its parameters always, its
 * gradients and optimizer state when the peak holds any, its saved activations when it holds any.
 */
export function bytesAtPeak(analysis: Analysis, layer: LayerReport): number {
  const c = analysis.report.totals.peakComposition;
  return layer.paramBytes + (c.grads > 0 ? layer.gradBytes : 0) + (c.optimizer > 0 ? layer.optimizerBytes : 0) + (c.activations > 0 ? layer.savedBytes : 0);
}

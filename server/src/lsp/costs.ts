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

/**
 * The layer row of each module a line cost names, in its order. A container module (a block built
 * or called on the line) has no leaf row: it gets one that sums the rows beneath it, with the
 * container's own row (functional ops run directly in it) when there is one.
 */
export function layersOf(analysis: Analysis, cost: LineCost): LayerReport[] {
  return cost.modules.flatMap((m) => moduleRow(analysis.report.layers, m) ?? []);
}

function moduleRow(layers: readonly LayerReport[], modulePath: string): LayerReport | null {
  const own = layers.find((l) => l.path === modulePath);
  if (own?.leaf !== false && own) return own;
  const inside = layers.filter((l) => l.path === modulePath || l.path.startsWith(`${modulePath}.`));
  if (!inside.length) return null;
  const sum = (f: (l: LayerReport) => number): number => inside.reduce((s, l) => s + f(l), 0);
  const leaves = inside.filter((l) => l.leaf !== false).length;
  return {
    path: modulePath,
    kind: own?.kind ?? `${leaves} layer${leaves === 1 ? '' : 's'}`,
    file: own?.file ?? inside[0].file,
    line: own?.line ?? inside[0].line,
    callLine: own?.callLine ?? null,
    params: sum((l) => l.params),
    outputShape: own?.outputShape ?? inside[inside.length - 1].outputShape,
    outputBytes: own?.outputBytes ?? inside[inside.length - 1].outputBytes,
    savedBytes: sum((l) => l.savedBytes),
    atPeakBytes: sum((l) => l.atPeakBytes ?? 0),
    measured: null,
    leaf: false,
    calls: own?.calls ?? 1,
    paramBytes: sum((l) => l.paramBytes),
    gradBytes: sum((l) => l.gradBytes),
    optimizerBytes: sum((l) => l.optimizerBytes),
    unknowns: own?.unknowns ?? Math.max(0, ...inside.map((l) => l.unknowns ?? 0)),
  };
}

/** The bytes of a layer alive at the training-step peak (never more than the peak: see LayerReport.atPeakBytes). */
export function bytesAtPeak(analysis: Analysis, layer: LayerReport): number {
  return Math.min(layer.atPeakBytes ?? 0, analysis.report.totals.peakBytes);
}

// `memlens.*` settings as the client sends them (package.json schema) → the typed settings the
// server analyzes with. Anything malformed falls back to its default and is reported, never thrown.

import { parseBytes } from '../report/units';
import { DEFAULT_HINT_OPTIONS, HintOptions } from './inlayHints';
import { AnalysisSettings, DEFAULT_SETTINGS, DEVICES, OPTIMIZERS, PRECISIONS } from '../report/types';

export const DEFAULT_BUDGET = '24GiB';

export interface ServerSettings {
  readonly analysis: AnalysisSettings;
  readonly inlayHintsEnabled: boolean;
  /** `memlens.inlayHints.saved` / `.weights` / `.onConstruction`. */
  readonly hints: HintOptions;
  /** `memlens.pythonPath`: the interpreter whose installed libraries are read (null: the Python extension's, else discovered). */
  readonly pythonPath: string | null;
  /** What was ignored and why, for the server log. */
  readonly problems: readonly string[];
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, fallback: T, problems: string[]): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`memlens.${name}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}; using ${fallback}`);
  return fallback;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

/** Reads the `memlens` section (an object with the keys of package.json's `memlens.*` settings). */
export function resolveSettings(section: unknown): ServerSettings {
  const raw = record(section);
  const problems: string[] = [];

  let batch: number | null = null;
  if (typeof raw.batchSize === 'number' && Number.isInteger(raw.batchSize) && raw.batchSize > 0) batch = raw.batchSize;
  else if (raw.batchSize !== undefined && raw.batchSize !== null) problems.push(`memlens.batchSize: ${JSON.stringify(raw.batchSize)} is not a positive integer; using the file's batch`);

  let budgetBytes: number | null = parseBytes(DEFAULT_BUDGET);
  if (typeof raw.budget === 'string' && raw.budget.trim() === '') budgetBytes = null;
  else if (typeof raw.budget === 'string' || typeof raw.budget === 'number') {
    try {
      budgetBytes = parseBytes(String(raw.budget));
    } catch (e) {
      problems.push(`memlens.budget: ${(e as Error).message}; using ${DEFAULT_BUDGET}`);
    }
  } else if (raw.budget === null) budgetBytes = null;

  const torch = typeof raw.torch === 'string' && /^\d+\.\d+/.test(raw.torch) ? raw.torch : DEFAULT_SETTINGS.torch;
  if (raw.torch !== undefined && raw.torch !== null && torch !== raw.torch) problems.push(`memlens.torch: ${JSON.stringify(raw.torch)} is not a version like 2.5; using ${torch}`);

  let pythonPath: string | null = null;
  if (typeof raw.pythonPath === 'string' && raw.pythonPath.trim() !== '') pythonPath = raw.pythonPath.trim();
  else if (raw.pythonPath !== undefined && raw.pythonPath !== null && raw.pythonPath !== '') problems.push(`memlens.pythonPath: ${JSON.stringify(raw.pythonPath)} is not a path; using the Python extension's interpreter or the one found`);

  const hints = record(raw.inlayHints);
  const dotted = raw['inlayHints.enabled'];
  const hintsEnabled = typeof hints.enabled === 'boolean' ? hints.enabled : typeof dotted === 'boolean' ? dotted : true;
  // Nested (`inlayHints: { saved }`, as VS Code sends the section) or dotted keys.
  const flag = (key: keyof HintOptions): boolean => {
    const v = hints[key] ?? raw[`inlayHints.${key}`];
    if (typeof v === 'boolean') return v;
    if (v !== undefined && v !== null) problems.push(`memlens.inlayHints.${key}: ${JSON.stringify(v)} is not true or false; using ${DEFAULT_HINT_OPTIONS[key]}`);
    return DEFAULT_HINT_OPTIONS[key];
  };
  const hintOptions: HintOptions = { saved: flag('saved'), weights: flag('weights'), onConstruction: flag('onConstruction') };

  return {
    analysis: {
      ...DEFAULT_SETTINGS,
      batch,
      precision: oneOf(raw.precision, PRECISIONS, 'precision', DEFAULT_SETTINGS.precision, problems),
      optimizer: oneOf(raw.optimizer, OPTIMIZERS, 'optimizer', DEFAULT_SETTINGS.optimizer, problems),
      device: oneOf(raw.device, DEVICES, 'device', DEFAULT_SETTINGS.device, problems),
      torch,
      budgetBytes,
    },
    inlayHintsEnabled: hintsEnabled,
    hints: hintOptions,
    pythonPath,
    problems,
  };
}

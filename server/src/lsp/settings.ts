// `memlens.*` settings as the client sends them (package.json schema) → the typed settings the
// server analyzes with. Anything malformed falls back to its default and is reported, never thrown:
// each problem names the setting, the bad value, the accepted forms and what is used meanwhile, in
// words a person reads in a warning (settings, never CLI flags).

import { parsePlan } from '../engine/checkpointPlan';
import { parseBytes, tryParseBytes } from '../report/units';
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
  /** What was ignored and why: logged, and shown once as a warning (see SettingsWarnings). */
  readonly problems: readonly string[];
}

/** The accepted forms of `memlens.budget`, as the warning states them. */
export const BUDGET_FORMS = '24GiB, 80GB, 512MiB, a number of bytes, a GPU name such as A100-80GB, or empty for no budget';

function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string, fallback: T, problems: string[]): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  problems.push(`memlens.${name}: ${JSON.stringify(value)} is not one of ${allowed.join(', ')}; using ${fallback} until it is fixed`);
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
  else if (raw.batchSize !== undefined && raw.batchSize !== null) {
    problems.push(`memlens.batchSize: ${JSON.stringify(raw.batchSize)} is not a positive whole number; use e.g. 32, or null for the file's own batch; using the file's batch until it is fixed`);
  }

  let budgetBytes: number | null = parseBytes(DEFAULT_BUDGET);
  if (raw.budget === null || (typeof raw.budget === 'string' && raw.budget.trim() === '')) budgetBytes = null;
  else if (raw.budget !== undefined) {
    const parsed = typeof raw.budget === 'string' || typeof raw.budget === 'number' ? tryParseBytes(String(raw.budget)) : null;
    if (parsed !== null) budgetBytes = parsed;
    else problems.push(`memlens.budget: ${JSON.stringify(raw.budget)} is not a size; use ${BUDGET_FORMS}; using ${DEFAULT_BUDGET} until it is fixed`);
  }

  const release = typeof raw.torch === 'string' && /^\d+\.\d+/.test(raw.torch.trim()) ? raw.torch.trim() : null;
  const torch = release ?? DEFAULT_SETTINGS.torch;
  if (release === null && raw.torch !== undefined && raw.torch !== null && raw.torch !== '') {
    problems.push(`memlens.torch: ${JSON.stringify(raw.torch)} is not a release like 2.14 or 1.13; using ${torch} until it is fixed`);
  }

  let pythonPath: string | null = null;
  if (typeof raw.pythonPath === 'string' && raw.pythonPath.trim() !== '') pythonPath = raw.pythonPath.trim();
  else if (raw.pythonPath !== undefined && raw.pythonPath !== null && raw.pythonPath !== '') {
    problems.push(`memlens.pythonPath: ${JSON.stringify(raw.pythonPath)} is not a path to a Python interpreter; using the Python extension's interpreter or the one found until it is fixed`);
  }

  let microbatch: number | null = null;
  if (typeof raw.microbatch === 'number' && Number.isInteger(raw.microbatch) && raw.microbatch > 0) microbatch = raw.microbatch;
  else if (raw.microbatch !== undefined && raw.microbatch !== null) {
    problems.push(`memlens.microbatch: ${JSON.stringify(raw.microbatch)} is not a positive whole number; use e.g. 4, or null for the file's own; using the file's until it is fixed`);
  }
  let checkpoint: string[] = [];
  if (Array.isArray(raw.checkpoint) && raw.checkpoint.every((x) => typeof x === 'string')) {
    try {
      parsePlan(raw.checkpoint as string[]);
      checkpoint = raw.checkpoint as string[];
    } catch (e) {
      problems.push(`memlens.checkpoint: ${(e as Error).message}; checkpointing nothing until it is fixed`);
    }
  } else if (raw.checkpoint !== undefined && raw.checkpoint !== null) {
    problems.push(`memlens.checkpoint: ${JSON.stringify(raw.checkpoint)} is not a list of module paths (e.g. ["layer3", "blocks.*"]); checkpointing nothing until it is fixed`);
  }

  const hints = record(raw.inlayHints);
  const hintsSetting = hints.enabled !== undefined ? hints.enabled : raw['inlayHints.enabled'];
  const hintsEnabled = typeof hintsSetting === 'boolean' ? hintsSetting : true;
  if (hintsSetting !== undefined && hintsSetting !== null && typeof hintsSetting !== 'boolean') {
    problems.push(`memlens.inlayHints.enabled: ${JSON.stringify(hintsSetting)} is not true or false; using true until it is fixed`);
  }
  // Nested (`inlayHints: { saved }`, as VS Code sends the section) or dotted keys.
  const flag = (key: keyof HintOptions): boolean => {
    const v = hints[key] ?? raw[`inlayHints.${key}`];
    if (typeof v === 'boolean') return v;
    if (v !== undefined && v !== null) problems.push(`memlens.inlayHints.${key}: ${JSON.stringify(v)} is not true or false; using ${DEFAULT_HINT_OPTIONS[key]} until it is fixed`);
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
      checkpoint,
      microbatch,
    },
    inlayHintsEnabled: hintsEnabled,
    hints: hintOptions,
    pythonPath,
    problems,
  };
}

/**
 * Which settings problems to show the user: each distinct problem once while it lasts. A problem
 * that is fixed and later comes back is shown again (never a silent fallback); one that several
 * folders share is shown once.
 */
export class SettingsWarnings {
  private shown = new Set<string>();

  /** Problems of the settings just resolved for one document or folder: those not shown yet. */
  add(problems: readonly string[]): string[] {
    const fresh = [...new Set(problems)].filter((p) => !this.shown.has(p));
    for (const p of fresh) this.shown.add(p);
    return fresh;
  }

  /** Every scope's settings were resolved anew: `problems` is all there is now; returns the new ones. */
  replace(problems: readonly string[]): string[] {
    const previous = this.shown;
    this.shown = new Set(problems);
    return [...this.shown].filter((p) => !previous.has(p));
  }
}

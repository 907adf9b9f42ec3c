// Fixtures and their measured ground truth (test/groundtruth/README.md), for tests compiled to out/test/.

import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';

/** The repository root, from out/test/ (compiled) or test/ (sources). */
export const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}out${path.sep}`) ? '../..' : '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const SERVER_BUNDLE = path.join(ROOT, 'dist', 'server.js');
export const CLI = path.join(ROOT, 'bin', 'memlens.js');

export interface TruthModule {
  path: string;
  kind: string;
  leaf: boolean;
  savedBytes: number;
  outputShape?: number[];
}

/** The training-step peak measured on the CPU (live tensor bytes after every aten op). */
export interface TruthPeak {
  bytes: number;
  phase: 'forward' | 'loss' | 'backward' | 'optimizer';
  op: string;
  /** With AdamW: bytes of all optimizer state after the first step. */
  optimizerStateBytes?: number;
}

export interface Truth {
  torch: string;
  device: string;
  entry: string;
  batch: number;
  inputs: { name: string; dtype: string; shape: number[] }[];
  params: number;
  trainableParams: number;
  paramBytes: number;
  bufferBytes: number;
  inputBytes: number;
  savedActivationBytes: number;
  modules: TruthModule[];
  peak?: { none: TruthPeak; adamw: TruthPeak };
}

/** PyTorch releases with measured truth (test/groundtruth/measure-all.sh), oldest first. */
export const RELEASES = ['1.13', '2.13', '2.14'] as const;
export type Release = (typeof RELEASES)[number];

/** Settings under which the newest truth was measured (PyTorch 2.14 on a CPU). */
export const TRUTH_SETTINGS = { device: 'cpu', torch: '2.14' } as const;

export function fixturePath(name: string): string {
  return path.join(FIXTURES, name);
}

export function readFixture(name: string): string {
  return fs.readFileSync(fixturePath(name), 'utf8');
}

/** The truth of fixture `name` (`mlp.py`, `unet/model.py`) measured with a release. */
export function readTruth(name: string, release: Release = TRUTH_SETTINGS.torch): Truth {
  return JSON.parse(fs.readFileSync(fixturePath(name.replace(/\.py$/, `.truth-${release}.json`)), 'utf8')) as Truth;
}

export function truthModule(truth: Truth, modulePath: string): TruthModule {
  const m = truth.modules.find((x) => x.path === modulePath);
  if (!m) throw new Error(`no module ${modulePath} in the truth of ${truth.entry}`);
  return m;
}

/** 0-based line of the only line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const lines = text.split('\n');
  const found = lines.flatMap((l, i) => (l.includes(needle) ? [i] : []));
  if (found.length !== 1) throw new Error(`"${needle}" is on ${found.length} lines, expected 1`);
  return found[0];
}

/** Length of a 0-based line (UTF-16 units, no line break). */
export function lineLength(text: string, line: number): number {
  return text.split('\n')[line].replace(/\r$/, '').length;
}

/** The measured phase as the report names it (the loss is part of forward there). */
export const phaseOf = (p: TruthPeak): 'forward' | 'backward' | 'optimizer' => (p.phase === 'loss' ? 'forward' : p.phase);

/** The report's training-step peak is PyTorch's within 1%, in the same phase. */
export function assertPeak(r: { totals: { peakBytes: number; peakPhase: string } }, want: TruthPeak, what: string): void {
  const err = Math.abs(r.totals.peakBytes - want.bytes) / want.bytes;
  assert.ok(err <= 0.01, `${what}: peak ${r.totals.peakBytes} vs PyTorch ${want.bytes} (${(err * 100).toFixed(2)}%, PyTorch's at ${want.phase} ${want.op})`);
  assert.equal(r.totals.peakPhase, phaseOf(want), `${what}: phase of the peak`);
}

/** What a report shows for the model that a truth file measured (the fields these checks read). */
interface ReportLike {
  totals: { params: number; trainableParams: number; bufferBytes: number; inputBytes: number; savedActivationBytes: number; peakBytes: number; peakPhase: string };
  layers: readonly { path: string; kind: string; savedBytes: number }[];
}

/**
 * A model analyzed as PyTorch measured it: parameters, trainable parameters, buffer and input bytes
 * exact; saved activations within `savedTolerance` (0: exact); every leaf module under its
 * `named_modules()` name with its kind and saved bytes; the peak within 1% in the same phase with
 * no optimizer (`analyze('none')`, returned) and with AdamW.
 */
export function assertMatchesTruth<R extends ReportLike>(analyze: (optimizer: 'none' | 'adamw') => R, truth: Truth, savedTolerance = 0): R {
  const r = analyze('none');
  const t = r.totals;
  assert.equal(t.params, truth.params, 'parameter count');
  assert.equal(t.trainableParams, truth.trainableParams, 'trainable parameters');
  assert.equal(t.bufferBytes, truth.bufferBytes, 'buffer bytes');
  assert.equal(t.inputBytes, truth.inputBytes, 'input bytes');
  const err = Math.abs(t.savedActivationBytes - truth.savedActivationBytes) / truth.savedActivationBytes;
  assert.ok(err <= savedTolerance, `saved activations ${t.savedActivationBytes} vs PyTorch ${truth.savedActivationBytes} (${(err * 100).toFixed(2)}%)`);
  const rows = new Map(r.layers.map((l) => [l.path, l]));
  for (const m of truth.modules.filter((x) => x.leaf)) {
    const row = rows.get(m.path);
    assert.ok(row, `leaf module ${m.path} (${m.kind}) is in the report`);
    assert.equal(row.kind, m.kind, `kind of ${m.path}`);
    assert.equal(row.savedBytes, m.savedBytes, `saved bytes of ${m.path}`);
  }
  assert.ok(truth.peak, 'the truth has measured peaks');
  assertPeak(r, truth.peak.none, 'no optimizer');
  assertPeak(analyze('adamw'), truth.peak.adamw, 'AdamW');
  return r;
}

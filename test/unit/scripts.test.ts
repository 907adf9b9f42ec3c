// Training scripts (test/fixtures/scripts/NAME/SCRIPT.py) analyzed with no directive and no
// settings naming the model: Memlens runs each script (abstractly) up to its model's first call.
// SCRIPT.entry.json states what the script does — the entry and the inputs of that call — and
// test/groundtruth/measure.py measured that model on those inputs with PyTorch 1.13, 2.13 and 2.14
// (CPU). Each script must give that entry and those inputs (shapes, dtypes, structure, not
// guessed), then the measured numbers: parameters exact, every module's saved bytes equal, the
// training step's peak within 1% in the same phase, with and without AdamW.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { inputsFromSpecs } from '../../server/src/engine/inputs';
import { parseInputSpec } from '../../server/src/engine/specs';
import { codeLenses, lensTitle } from '../../server/src/lsp/codeLens';
import { LineIndex } from '../../server/src/lsp/text';
import { loadPythonParser } from '../../server/src/python/parser';
import { Analysis, AnalysisSettings, DEFAULT_SETTINGS, OptimizerKind } from '../../server/src/report/types';
import { FIXTURES, RELEASES, Release, Truth, assertPeak, lineOf } from '../fixtures';

const SCRIPTS = path.join(FIXTURES, 'scripts');

interface Description {
  entry: string;
  inputs: string[];
  batch: number;
}

interface Script {
  /** `nanogpt/train`. */
  name: string;
  file: string;
  description: Description;
}

const scripts: Script[] = fs.readdirSync(SCRIPTS).sort().flatMap((dir) =>
  fs.readdirSync(path.join(SCRIPTS, dir)).filter((f) => f.endsWith('.entry.json')).map((f) => {
    const stem = f.slice(0, -'.entry.json'.length);
    return { name: `${dir}/${stem}`, file: path.join(SCRIPTS, dir, `${stem}.py`), description: JSON.parse(fs.readFileSync(path.join(SCRIPTS, dir, f), 'utf8')) as Description };
  }));

function analyze(s: Script, settings: Partial<AnalysisSettings>): Analysis {
  const text = fs.readFileSync(s.file, 'utf8');
  assert.ok(!text.includes('# memlens:'), 'a script fixture names nothing for Memlens');
  return analyzeSource(s.file, text, { ...DEFAULT_SETTINGS, device: 'cpu', ...settings });
}

function readTruth(s: Script, release: Release): Truth & { inputs: { name: string; dtype: string; shape: number[]; keyword?: boolean }[] } {
  return JSON.parse(fs.readFileSync(s.file.replace(/\.py$/, `.truth-${release}.json`), 'utf8'));
}

before(async () => {
  await loadPythonParser();
});

describe('training scripts: the model and inputs they use, found by running them', () => {
  it('has the script fixtures', () => {
    assert.deepEqual(scripts.map((s) => s.name), ['bert_batch/train', 'mnist/main', 'nanogpt/train', 'tabular/train', 'word_lm/main']);
  });

  for (const s of scripts) {
    it(`${s.name}: the entry and the inputs SCRIPT.entry.json states`, () => {
      const a = analyze(s, { torch: '2.14', optimizer: 'none' });
      assert.equal(a.error, null, a.error?.reason);
      const r = a.report;
      assert.equal(r.entry, s.description.entry);
      assert.equal(r.entryGuessed, false);
      assert.equal(r.settings.batch, s.description.batch, 'the batch size is the script\'s');
      // The description's specs, flattened as the report lists them (tuple items, keywords).
      const want = inputsFromSpecs(s.description.inputs.map(parseInputSpec), s.description.batch).leaves;
      assert.deepEqual(
        r.inputs,
        want.map((l) => ({
          name: l.name, dtype: l.dtype, shape: l.shape, guessed: false,
          ...(l.argument !== undefined ? { argument: l.argument, index: l.index } : {}), ...(l.keyword ? { keyword: true } : {}),
        })),
      );
      assert.deepEqual(r.unknowns, [], 'no unknowns in the model');
    });
  }

  for (const release of RELEASES) {
    describe(`the numbers PyTorch ${release} measured (CPU)`, () => {
      for (const s of scripts) {
        it(s.name, () => {
          const truth = readTruth(s, release);
          const run = (optimizer: OptimizerKind) => {
            const a = analyze(s, { torch: release, optimizer });
            assert.equal(a.error, null, a.error?.reason);
            return a.report;
          };
          const r = run('none');
          assert.deepEqual(r.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape, ...(i.keyword ? { keyword: true } : {}) })), truth.inputs, 'the inputs measured');
          const t = r.totals;
          assert.equal(t.params, truth.params, 'parameter count');
          assert.equal(t.trainableParams, truth.trainableParams);
          assert.equal(t.paramBytes, truth.paramBytes);
          assert.equal(t.bufferBytes, truth.bufferBytes);
          assert.equal(t.inputBytes, truth.inputBytes);
          assert.equal(t.savedActivationBytes, truth.savedActivationBytes, 'saved activations');
          const rows = new Map(r.layers.map((l) => [l.path, l]));
          for (const m of truth.modules) {
            if (m.leaf) assert.equal(rows.get(m.path)?.savedBytes, m.savedBytes, `saved bytes of ${m.path}`);
            else assert.equal(rows.get(m.path)?.savedBytes ?? 0, m.savedBytes, `saved bytes of functional ops in ${m.path || '<root>'}`);
          }
          assert.ok(truth.peak);
          assertPeak(r, truth.peak.none, 'no optimizer');
          assertPeak(run('adamw'), truth.peak.adamw, 'AdamW');
        });
      }
    });
  }

  it('the batch dimension the script used is B: --batch rebinds it, inside tuples too', () => {
    const word = scripts.find((s) => s.name === 'word_lm/main')!;
    const r = analyze(word, { torch: '2.14', batch: 4 }).report;
    assert.equal(r.settings.batch, 4);
    assert.deepEqual(r.inputs.map((i) => i.shape), [[35, 4], [2, 4, 64], [2, 4, 64]], 'sequence-first ids, (h, c) with the batch in the middle');
  });

  it('the largest batch that fits is computed on the script\'s inputs (B rebound, twice the batch)', () => {
    for (const name of ['word_lm/main', 'bert_batch/train']) {
      const s = scripts.find((x) => x.name === name)!;
      const doubled = analyze(s, { torch: '2.14', batch: 2 * s.description.batch }).report.totals.peakBytes;
      // The peak is affine in the batch: a budget of exactly the peak at 2B fits 2B and no more.
      const r = analyze(s, { torch: '2.14', budgetBytes: doubled }).report;
      assert.equal(r.maxBatch, 2 * s.description.batch, name);
    }
  });

  it('the code lens goes on the line of the script that builds an imported model', () => {
    const s = scripts.find((x) => x.name === 'nanogpt/train')!;
    const a = analyze(s, { torch: '2.14' });
    const text = fs.readFileSync(s.file, 'utf8');
    assert.deepEqual(a.model, { file: s.file, className: 'GPT', line: lineOf(text, 'model = GPT(gptconf)') + 1 });
    const lenses = codeLenses(a, s.file, new LineIndex(text), 'file:///train.py');
    assert.deepEqual(lenses.map((l) => [l.range.start.line, l.command?.command]), [[lineOf(text, 'model = GPT(gptconf)'), 'memlens.showReport'], [lineOf(text, 'model = GPT(gptconf)'), 'memlens.showTimeline'], [lineOf(text, 'model = GPT(gptconf)'), 'memlens.profile']]);
    assert.doesNotMatch(lensTitle(a), /not given/, 'the script passes the targets');
  });
});

describe('zero configuration on a model file: the lens names the targets left out', () => {
  it('nanoGPT\'s model.py alone: GPT(GPTConfig()) with ids up to the block size; targets named, not invented', () => {
    const file = path.join(SCRIPTS, 'nanogpt', 'model.py');
    const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14' });
    assert.equal(a.error, null, a.error?.reason);
    const r = a.report;
    assert.equal(r.entry, 'GPT(GPTConfig())');
    assert.equal(r.entryGuessed, true);
    // sum(p.numel() for p in GPT(GPTConfig()).parameters()) with PyTorch 2.14: GPT-2's 124M with the vocabulary padded to 50304.
    assert.equal(r.totals.params, 124_475_904);
    assert.deepEqual(r.inputs, [{ name: 'idx', dtype: 'int64', shape: [1, 1024], guessed: true }], 'token ids up to config.block_size');
    assert.deepEqual(r.omittedArguments, [{ name: 'targets', note: 'loss not included' }]);
    assert.match(lensTitle(a), /\(guessed entry GPT\(GPTConfig\(\)\)\) \(guessed input idx: int64\[1, 1024\]\) \(targets not given: loss not included\)$/);
  });

  it('leaving the targets out underestimates the step: GPT-2\'s peak rises by more than half with its loss', () => {
    const file = path.join(SCRIPTS, 'nanogpt', 'model.py');
    const text = fs.readFileSync(file, 'utf8');
    const peak = (inputs: string[]) => analyzeSource(file, text, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none', inputs }).report;
    const idsOnly = peak(['idx:int64[1,1024]']);
    const withTargets = peak(['idx:int64[1,1024]', 'targets:int64[1,1024]']);
    assert.deepEqual(idsOnly.omittedArguments, [{ name: 'targets', note: 'loss not included' }], 'named even when the inputs are given');
    assert.deepEqual(withTargets.omittedArguments, []);
    // Without targets GPT runs lm_head on the last position only; with them, on all 1024, and the loss.
    assert.ok(withTargets.totals.peakBytes > 1.5 * idsOnly.totals.peakBytes, `${withTargets.totals.peakBytes} vs ${idsOnly.totals.peakBytes}`);
  });
});

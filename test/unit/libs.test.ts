// Models built by installed libraries, as users build them (`timm.create_model("resnet50")`,
// `torchvision.models.resnet50()`, `AutoModelForCausalLM.from_config(config)`), analyzed from the
// libraries' own unmodified files: timm 1.0.31, torchvision 0.29.1 and transformers 5.24.0, which
// .ci/run puts in ~/.cache/memlens-libs/site-2.14 (pip --no-deps --target: their files, never run).
// Each fixture in test/fixtures/libs is compared, on a CPU, with what test/groundtruth/measure.py
// measured from the same library versions on PyTorch 2.14: parameter count, buffer and input bytes
// exact, saved activations exact, every leaf module's saved bytes under its `named_modules()`
// name, no unknowns reaching the model, and the training step's peak (no optimizer and AdamW)
// within 1% in the same phase.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { hintLabel } from '../../server/src/lsp/inlayHints';
import { loadPythonParser } from '../../server/src/python/parser';
import { formatBytes } from '../../server/src/report/units';
import { DEFAULT_SETTINGS, OptimizerKind } from '../../server/src/report/types';
import { FIXTURES, Truth, assertMatchesTruth, assertPeak } from '../fixtures';

const LIBS = path.join(FIXTURES, 'libs');
const SITE = process.env.MEMLENS_LIBS_SITE ?? path.join(os.homedir(), '.cache', 'memlens-libs', 'site-2.14');
/** The versions measured (test/groundtruth/setup-envs.sh installs the same into the 2.14 environment). */
const PINS = ['timm-1.0.31', 'torchvision-0.29.1', 'transformers-5.24.0'];

const host = {
  readFile: (p: string) => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return undefined;
    }
  },
  libraryPaths: [SITE],
};

const fixtures = fs.readdirSync(LIBS).filter((f) => f.endsWith('.py')).sort();
const missing = PINS.every((p) => fs.existsSync(path.join(SITE, `${p}.dist-info`))) ? false : `the measured library versions (${PINS.join(', ')}) are not at ${SITE} (.ci/run installs them)`;
if (missing) console.log(`# skipped: ${missing}`);

before(async () => {
  await loadPythonParser();
});

it('library fixtures cover timm, torchvision and transformers, each with a truth', () => {
  for (const prefix of ['timm_', 'tv_', 'hf_']) assert.ok(fixtures.filter((f) => f.startsWith(prefix)).length >= 3, `${prefix}* fixtures`);
  for (const f of fixtures) assert.ok(fs.existsSync(path.join(LIBS, f.replace(/\.py$/, '.truth-2.14.json'))), `${f} has a truth measured on PyTorch 2.14`);
});

describe('models built by installed libraries match PyTorch 2.14 (CPU)', { skip: missing }, () => {
  for (const f of fixtures) {
    it(f.replace(/\.py$/, ''), () => {
      const file = path.join(LIBS, f);
      const truth = JSON.parse(fs.readFileSync(file.replace(/\.py$/, '.truth-2.14.json'), 'utf8')) as Truth;
      const analyze = (optimizer: OptimizerKind) => {
        const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer }, host);
        assert.equal(a.error, null, a.error?.reason);
        assert.deepEqual(a.report.unknowns, [], 'no unknowns reach the model');
        assert.equal(a.report.unreliable, undefined, 'never marked unreliable');
        return a.report;
      };
      assert.equal(assertMatchesTruth(analyze, truth).entry, truth.entry, 'the entry the directive names');
    });
  }
});

// Training scripts that build their model from a library (test/fixtures/libs/scripts/NAME/SCRIPT.py),
// analyzed with no directive: the entry and inputs SCRIPT.entry.json states, then the numbers
// measured on PyTorch 2.14 (inputs exact, parameters exact, every module's saved bytes, peaks).
const SCRIPTS = path.join(LIBS, 'scripts');
const scripts = fs.readdirSync(SCRIPTS).sort().flatMap((dir) =>
  fs.readdirSync(path.join(SCRIPTS, dir)).filter((f) => f.endsWith('.entry.json')).map((f) => {
    const stem = f.slice(0, -'.entry.json'.length);
    return { name: `${dir}/${stem}`, file: path.join(SCRIPTS, dir, `${stem}.py`), description: JSON.parse(fs.readFileSync(path.join(SCRIPTS, dir, f), 'utf8')) as { entry: string; inputs: string[]; batch: number } };
  }));

describe('training scripts using installed libraries match PyTorch 2.14 (CPU)', { skip: missing }, () => {
  it('has the library script fixtures', () => {
    assert.deepEqual(scripts.map((s) => s.name), ['hf_pretrain/pretrain', 'timm_finetune/train']);
  });

  for (const s of scripts) {
    it(s.name, () => {
      const text = fs.readFileSync(s.file, 'utf8');
      assert.ok(!text.includes('# memlens:'), 'a script fixture names nothing for Memlens');
      const truth = JSON.parse(fs.readFileSync(s.file.replace(/\.py$/, '.truth-2.14.json'), 'utf8')) as Truth & { inputs: { name: string; dtype: string; shape: number[]; keyword?: boolean }[] };
      const run = (optimizer: OptimizerKind) => {
        const a = analyzeSource(s.file, text, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer }, host);
        assert.equal(a.error, null, a.error?.reason);
        assert.deepEqual(a.report.unknowns, [], 'no unknowns reach the model');
        return a;
      };
      const a = run('none');
      const r = a.report;
      assert.equal(r.entry, s.description.entry, 'the model the script builds');
      // The line that built the model carries the whole model's hint (its layers are the library's lines).
      const modelLine = text.split('\n').findIndex((l) => /^\s*model = /.test(l)) + 1;
      const hinted = a.lines.filter((l) => l.file === s.file && l.role === 'construct');
      assert.deepEqual(hinted.map((l) => l.line), [modelLine], 'one hint, on the model line');
      assert.equal(hinted[0].savedBytes, truth.savedActivationBytes);
      assert.equal(hinted[0].paramBytes, truth.paramBytes);
      assert.equal(hintLabel(hinted[0]), `saved ${formatBytes(truth.savedActivationBytes)} · weights ${formatBytes(2 * truth.paramBytes)}`);
      assert.equal(r.entryGuessed, false);
      assert.equal(r.settings.batch, s.description.batch, 'the script\'s batch size');
      assert.deepEqual(r.inputs.map((i) => ({ name: i.name, dtype: i.dtype, shape: i.shape, ...(i.keyword ? { keyword: true } : {}) })), truth.inputs, 'the inputs measured');
      assert.ok(r.inputs.every((i) => !i.guessed), 'inputs are the script\'s, not guessed');
      const t = r.totals;
      assert.equal(t.params, truth.params, 'parameter count');
      assert.equal(t.bufferBytes, truth.bufferBytes, 'buffer bytes');
      assert.equal(t.savedActivationBytes, truth.savedActivationBytes, 'saved activations');
      const rows = new Map(r.layers.map((l) => [l.path, l]));
      for (const m of truth.modules.filter((x) => x.leaf)) assert.equal(rows.get(m.path)?.savedBytes, m.savedBytes, `saved bytes of ${m.path}`);
      assertPeak(r, truth.peak!.none, 'no optimizer');
      assertPeak(run('adamw').report, truth.peak!.adamw, 'AdamW');
    });
  }
});

// `from_pretrained(name)`: the config.json of the local Hugging Face cache (a hub cache laid out
// as huggingface_hub writes it), the model built from it; nothing downloaded, no weights read.
describe('transformers from_pretrained reads the local hub cache', { skip: missing }, () => {
  const GPT2 = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 2, n_embd: 64, n_head: 2, vocab_size: 1000, n_positions: 128, bos_token_id: 0, eos_token_id: 0 };
  const script = (name: string) => `import torch
from transformers import AutoModelForCausalLM

model = AutoModelForCausalLM.from_pretrained("${name}")
ids = torch.randint(0, 1000, (2, 32))
out = model(input_ids=ids, labels=ids)
out.loss.backward()
`;
  const withCache = <T>(configs: Record<string, object>, fn: (dir: string) => T): T => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-hub-'));
    const commit = '0123456789abcdef0123456789abcdef01234567';
    for (const [repo, config] of Object.entries(configs)) {
      const dir = path.join(cache, `models--${repo.replace('/', '--')}`);
      fs.mkdirSync(path.join(dir, 'refs'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'refs', 'main'), commit);
      fs.mkdirSync(path.join(dir, 'snapshots', commit), { recursive: true });
      fs.writeFileSync(path.join(dir, 'snapshots', commit, 'config.json'), JSON.stringify(config));
    }
    const before = process.env.HF_HUB_CACHE;
    process.env.HF_HUB_CACHE = cache;
    try {
      return fn(cache);
    } finally {
      if (before === undefined) delete process.env.HF_HUB_CACHE;
      else process.env.HF_HUB_CACHE = before;
      fs.rmSync(cache, { recursive: true, force: true });
    }
  };
  const analyze = (text: string) => {
    const file = path.join(os.tmpdir(), 'memlens-from-pretrained.py');
    return analyzeSource(file, text, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'none' }, host);
  };

  it('a cached config builds the model PyTorch measured (the hf_gpt2 fixture\'s config and inputs)', () => {
    const truth = JSON.parse(fs.readFileSync(path.join(LIBS, 'hf_gpt2.truth-2.14.json'), 'utf8')) as Truth;
    withCache({ 'memlens-test/tiny-gpt2': GPT2 }, () => {
      const a = analyze(script('memlens-test/tiny-gpt2'));
      assert.equal(a.error, null, a.error?.reason);
      assert.deepEqual(a.report.unknowns, []);
      assert.equal(a.report.totals.params, truth.params);
      assert.equal(a.report.totals.inputBytes, truth.inputBytes, 'ids passed as input_ids and labels is one input');
      assert.equal(a.report.totals.savedActivationBytes, truth.savedActivationBytes);
      assertPeak(a.report, truth.peak!.none, 'no optimizer');
    });
  });

  it('the config\'s dtype is the weights\' dtype (transformers\' dtype="auto")', () => {
    withCache({ 'memlens-test/tiny-gpt2': { ...GPT2, dtype: 'bfloat16' } }, () => {
      const a = analyze(script('memlens-test/tiny-gpt2'));
      assert.equal(a.error, null, a.error?.reason);
      assert.equal(a.report.totals.paramBytes, 2 * a.report.totals.params);
    });
  });

  it('a model not in the cache: the error says that its config is needed and that nothing is downloaded', () => {
    withCache({}, (cache) => {
      const a = analyze(script('openai-community/gpt2'));
      assert.ok(a.error);
      assert.match(a.error.reason, /from_pretrained\('openai-community\/gpt2'\) needs the model's config\.json, which is not in the local Hugging Face cache/);
      assert.ok(a.error.reason.includes(cache), 'names the cache folder');
      assert.match(a.error.reason, /downloads nothing/);
    });
  });
});

// Bad input never crashes, and the work is bounded: every file below yields an Analysis (a fatal
// error or unknowns, each with file, line and reason), never an exception, within 1 second of wall
// time. The 1 s bound is a correctness bound (the editor re-analyzes on every keystroke), not a
// performance target.
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { lensTitle } from '../../server/src/lsp/codeLens';
import { analyzeSource, SourceHost } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { Analysis, AnalysisSettings, DEFAULT_SETTINGS } from '../../server/src/report/types';

const FILE = '/virtual/project/model.py';
const SETTINGS: AnalysisSettings = { ...DEFAULT_SETTINGS, device: 'cpu', torch: '1.13' };
const NO_FILES: SourceHost = { readFile: () => undefined };
const HEADER = 'import torch\nimport torch.nn as nn\n\n';

function timed(text: string, settings: Partial<AnalysisSettings> = {}): { a: Analysis; ms: number } {
  const t0 = performance.now();
  let a: Analysis | undefined;
  assert.doesNotThrow(() => {
    a = analyzeSource(FILE, text, { ...SETTINGS, ...settings }, NO_FILES);
  });
  const ms = performance.now() - t0;
  assert.ok(ms < 1000, `analysis took ${ms.toFixed(0)} ms`);
  return { a: a!, ms };
}

/** Every problem reported has a file, a 1-based line inside the file and a reason. */
function wellFormed(a: Analysis, text: string): void {
  const lines = text.split('\n').length;
  const problems = [...(a.error ? [a.error] : []), ...a.report.unknowns];
  assert.ok(problems.length > 0, 'the problem is reported');
  for (const p of problems) {
    assert.equal(p.file, FILE);
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines, `line ${p.line} within 1..${lines}`);
    assert.ok(p.reason.length > 0);
    assert.doesNotMatch(p.reason, /internal error/, 'no internal error escapes');
  }
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

/** A deterministic byte generator (mulberry32). */
function randomBytes(seed: number, n: number): string {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push(((t ^ (t >>> 14)) >>> 0) & 0xff);
  }
  return Buffer.from(out).toString('latin1');
}

/** A model whose __init__ runs `stmt` before building one Linear(8, 4). */
const initWith = (stmt: string, extra = '') => `${HEADER}${extra}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
${stmt.split('\n').map((l) => `        ${l}`).join('\n')}
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,8] batch=2
`;

before(async () => {
  await loadPythonParser();
});

describe('robustness: bounded work', () => {
  const cases: { name: string; text: string; needle: string; reason: RegExp }[] = [
    { name: 'for _ in range(10**9) in __init__', text: initWith('for _ in range(10**9):\n    pass'), needle: 'range(10**9)', reason: /range|loop|iterations|limit/ },
    { name: 'while True: in __init__', text: initWith('while True:\n    pass'), needle: 'while True', reason: /while loop exceeded/ },
    {
      name: 'mutual recursion',
      text: initWith('ping(0)', 'def ping(n):\n    return pong(n + 1)\n\n\ndef pong(n):\n    return ping(n + 1)\n\n'),
      needle: 'return pong',
      reason: /call depth exceeded/,
    },
    {
      name: 'deep (terminating) recursion',
      text: initWith('depth(100000)', 'def depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n\n'),
      needle: 'return 0 if n == 0',
      reason: /call depth exceeded/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { a } = timed(c.text);
      wellFormed(a, c.text);
      const u = a.report.unknowns.find((x) => c.reason.test(x.reason)) ?? (a.error && c.reason.test(a.error.reason) ? a.error : undefined);
      assert.ok(u, `a problem matching ${c.reason}: ${JSON.stringify([a.error, a.report.unknowns])}`);
      assert.equal(u.line, lineOf(c.text, c.needle), `reported at the line of ${c.needle}`);
    });
  }

  it('an infinite loop in __init__ still builds the rest of the model', () => {
    const text = initWith('while True:\n    pass');
    const { a } = timed(text);
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 8 * 4 + 4);
  });

  it('a 50,000-line file', () => {
    const body: string[] = [];
    for (let i = 0; i < 50_000; i++) body.push(`CONST_${i} = ${i} * 2 + 1`);
    const text = `${HEADER}${body.join('\n')}
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,8] batch=2
`;
    assert.ok(text.split('\n').length >= 50_000);
    const { a } = timed(text);
    // Either it analyzes (params of Linear(8, 4)) or it stops on a budget with a located reason.
    if (a.error === null && a.report.unknowns.length === 0) assert.equal(a.report.totals.params, 36);
    else wellFormed(a, text);
  });
});

describe('robustness: a file too large to parse within the budget', () => {
  it('stops with an error at line 1, and the next analysis parses its own file', () => {
    const huge = `${HEADER}${Array.from({ length: 300_000 }, (_, i) => `V_${i} = [${i}, ${i} + 1, (${i}, ${i})]`).join('\n')}\n`;
    const { a } = timed(huge);
    assert.ok(a.error, 'an error');
    assert.equal(a.error.line, 1);
    assert.match(a.error.reason, /too large to analyze/);
    // Regression: a cancelled tree-sitter parse resumes the old document on the next parse unless
    // the parser is reset; the next analysis then reported lines of the huge file.
    const small = initWith('pass');
    const next = timed(small).a;
    assert.equal(next.error, null);
    assert.deepEqual(next.report.unknowns, []);
    assert.equal(next.report.totals.params, 8 * 4 + 4);
  });
});

describe('robustness: malformed files', () => {
  for (const seed of [1, 42, 2024]) {
    it(`random bytes (seed ${seed})`, () => {
      const text = randomBytes(seed, 20_000);
      const { a } = timed(text);
      wellFormed(a, text);
      assert.equal(a.report.totals.params, 0);
    });
  }

  it('half-typed code: self.fc = nn.Linear(', () => {
    const text = `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Linear(8, 8)
        self.fc = nn.Linear(
`;
    const { a } = timed(text);
    wellFormed(a, text);
  });

  it('a syntax error in one method: the other layers are still reported', () => {
    const text = `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def helper(self):
        return [1, 2,, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))

# memlens: entry=Net() input=x:float32[B,8] batch=2
`;
    const { a } = timed(text);
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 8 * 16 + 16 + 16 * 4 + 4);
    assert.deepEqual(a.report.layers.map((l) => l.path).filter((p) => p), ['fc1', 'fc2']);
    // relu's output [2,16] is saved by relu and fc2 (memory-model.md: ReLU saves its output).
    assert.equal(a.report.totals.savedActivationBytes, 2 * 16 * 4);
    const broken = lineOf(text, 'return [1, 2,, 3)');
    assert.ok(a.report.unknowns.some((u) => u.line === broken && /syntax error/.test(u.reason)), JSON.stringify(a.report.unknowns));
    wellFormed(a, text);
  });

  it('an unknown import used in forward: named in an unknown where it is used, the rest analyzed', () => {
    const text = `${HEADER}import kornia


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 16)
        self.fc2 = nn.Linear(16, 4)

    def forward(self, x):
        x = self.fc1(x)
        x = kornia.enhance.normalize(x, 0.5, 0.5)
        return self.fc2(x)

# memlens: entry=Net() input=x:float32[B,8] batch=2
`;
    const { a } = timed(text);
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 8 * 16 + 16 + 16 * 4 + 4);
    assert.ok(a.report.unknowns.some((u) => u.line === lineOf(text, 'kornia.enhance.normalize') && /unresolved import 'kornia'/.test(u.reason)), JSON.stringify(a.report.unknowns));
    assert.ok(!a.report.unknowns.some((u) => u.line === lineOf(text, 'import kornia')), 'nothing at the import itself');
    assert.deepEqual(a.report.layers.map((l) => l.path), ['fc1', 'fc2'], 'both layers are reported');
    // Met in the model's own forward (module ""), outside both layers: the totals are lower bounds.
    assert.equal(a.report.unknowns[0].module, '');
    assert.deepEqual(a.report.layers.map((l) => l.unknowns), [0, 0]);
    assert.match(lensTitle(a), /^Peak ≥ [\d.]+ \w+ \(\w+\) · .* · 1 unknown$/);
    wellFormed(a, text);
  });

  it('an unknown decorator: the definition is used undecorated', () => {
    const text = `${HEADER}from mystery import magic


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    @magic
    def forward(self, x):
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,8] batch=2
`;
    const { a } = timed(text);
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 36);
    assert.deepEqual(a.report.layers.map((l) => [l.path, l.outputShape]), [['fc', [2, 4]]]);
    assert.ok(a.report.unknowns.some((u) => u.line === lineOf(text, '@magic') && /decorator @magic/.test(u.reason)), JSON.stringify(a.report.unknowns));
    wellFormed(a, text);
  });

  it('an unknown decorator on a module-level helper', () => {
    const text = `${HEADER}from mystery import cached


@cached
def width(n):
    return 2 * n


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, width(3))

    def forward(self, x):
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,8] batch=2
`;
    const { a } = timed(text);
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 8 * 6 + 6);
    assert.ok(a.report.unknowns.some((u) => u.line === lineOf(text, '@cached') && /decorator @cached/.test(u.reason)), JSON.stringify(a.report.unknowns));
    wellFormed(a, text);
  });

  it('a shape mismatch: Linear(10, 5) fed 12 features', () => {
    const text = `${HEADER}class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 5)

    def forward(self, x):
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,12] batch=2
`;
    const { a } = timed(text);
    assert.equal(a.error, null);
    assert.equal(a.report.totals.params, 55);
    const u = a.report.unknowns.find((x) => /linear/.test(x.reason));
    assert.ok(u, JSON.stringify(a.report.unknowns));
    assert.match(u.reason, /\b12\b/);
    assert.match(u.reason, /\b10\b/);
    wellFormed(a, text);
  });

  it('an expression nested 5,000 deep is skipped with a reason; the model still builds', () => {
    const deep = `${'('.repeat(5000)}1${')'.repeat(5000)}`;
    const text = initWith(`depth = ${deep}`);
    const { a } = timed(text);
    assert.equal(a.error, null, a.error?.reason);
    assert.equal(a.report.totals.params, 8 * 4 + 4);
    assert.ok(a.report.unknowns.some((u) => /nested too deeply/.test(u.reason)), JSON.stringify(a.report.unknowns));
    wellFormed(a, text);
  });

  it('layer sizes that torch rejects (negative, fractional) are unknowns naming the layer, not odd parameter counts', () => {
    for (const [ctor, bad] of [['nn.Linear(16, -1)', '-1'], ['nn.Linear(16, 1.5)', '1.5'], ['nn.Conv2d(8, 8, -3)', '-3']] as const) {
      const text = initWith(`self.bad = ${ctor}`);
      const { a } = timed(text);
      const u = [...a.report.unknowns, ...(a.error ? [a.error] : [])].find((x) => x.reason.includes(ctor.split('(')[0]));
      assert.ok(u, `${ctor}: ${JSON.stringify(a.report.unknowns)} ${JSON.stringify(a.error)}`);
      assert.ok(u.reason.includes(bad), u.reason);
      wellFormed(a, text);
    }
  });
});

describe('robustness: one analysis does not leak into the next', () => {
  it('assigning onto nn.Module or nn.Sequential holds for that analysis only, so the next file is unaffected', () => {
    const patch = `${HEADER}nn.Module.width = 100
nn.Sequential.extra = 1

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, getattr(self, 'width', 4))

    def forward(self, x):
        return self.fc(x)

# memlens: entry=Net() input=x:float32[B,8] batch=2
`;
    const first = timed(patch).a;
    // As in Python, the class attribute is seen through the instance (transformers patches nn.Module this way).
    assert.equal(first.report.totals.params, 8 * 100 + 100, 'the patch takes effect in its own analysis');
    assert.deepEqual(first.report.unknowns, []);
    const plain = initWith('w = getattr(self, "width", 4)');
    const second = timed(plain).a;
    assert.equal(second.report.totals.params, 8 * 4 + 4);
    assert.deepEqual(second.report.unknowns, []);
  });
});

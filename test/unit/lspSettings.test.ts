// `memlens.*` settings as clients send them → analysis settings; malformed values fall back.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveSettings } from '../../server/src/lsp/settings';
import { DEFAULT_SETTINGS } from '../../server/src/report/types';

const GiB = 1024 ** 3;

describe('resolveSettings', () => {
  test('defaults: fp32, adam, cuda, current torch, 24 GiB, hints on', () => {
    const s = resolveSettings(undefined);
    assert.deepEqual(s.analysis, { ...DEFAULT_SETTINGS, budgetBytes: 24 * GiB });
    assert.equal(s.inlayHintsEnabled, true);
    assert.deepEqual(s.problems, []);
  });

  const cases: [string, Record<string, unknown>, Partial<typeof DEFAULT_SETTINGS>, boolean][] = [
    ['batchSize', { batchSize: 64 }, { batch: 64 }, true],
    ['batchSize null: the file decides', { batchSize: null }, { batch: null }, true],
    ['precision and optimizer', { precision: 'amp-bf16', optimizer: 'adamw' }, { precision: 'amp-bf16', optimizer: 'adamw' }, true],
    ['device and torch', { device: 'cpu', torch: '1.13' }, { device: 'cpu', torch: '1.13' }, true],
    ['budget in GiB', { budget: '80GiB' }, { budgetBytes: 80 * GiB }, true],
    ['budget as a GPU', { budget: 'A100-40GB' }, { budgetBytes: 40 * GiB }, true],
    ['empty budget: none', { budget: '' }, { budgetBytes: null }, true],
    ['bad budget', { budget: 'lots' }, { budgetBytes: 24 * GiB }, false],
    ['bad precision', { precision: 'fp8' }, { precision: 'fp32' }, false],
    ['bad batchSize', { batchSize: 0 }, { batch: null }, false],
    ['bad torch', { torch: 'latest' }, { torch: DEFAULT_SETTINGS.torch }, false],
    ['checkpoint plan', { checkpoint: ['layer3', 'blocks.*:selective', 'features/4', 'class:Block'] }, { checkpoint: ['layer3', 'blocks.*:selective', 'features/4', 'class:Block'] }, true],
    ['malformed checkpoint plan: nothing checkpointed', { checkpoint: ['layer3/1'] }, { checkpoint: [] }, false],
    ['checkpoint not a list', { checkpoint: 'layer3' }, { checkpoint: [] }, false],
    ['microbatch', { microbatch: 4 }, { microbatch: 4 }, true],
    ['bad microbatch', { microbatch: 0 }, { microbatch: null }, false],
  ];
  for (const [what, raw, expected, clean] of cases) {
    test(what, () => {
      const s = resolveSettings(raw);
      for (const [k, v] of Object.entries(expected)) assert.deepEqual(s.analysis[k as keyof typeof expected], v, k);
      assert.equal(s.problems.length === 0, clean, s.problems.join('; '));
    });
  }

  test('inlayHints.enabled nested (VS Code) or dotted (other clients)', () => {
    assert.equal(resolveSettings({ inlayHints: { enabled: false } }).inlayHintsEnabled, false);
    assert.equal(resolveSettings({ 'inlayHints.enabled': false }).inlayHintsEnabled, false);
  });

  test('not an object: defaults', () => {
    assert.equal(resolveSettings('nonsense').analysis.budgetBytes, 24 * GiB);
  });
});

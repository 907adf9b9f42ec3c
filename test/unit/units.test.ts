import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteSizeError, formatBytes, formatCount, formatPercent, gpuMemory, parseBytes, tryParseBytes } from '../../server/src/report/units';

const KiB = 1024;
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

describe('formatBytes: binary units, 3 significant digits', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [512, '512 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [1536, '1.50 KiB'],
    [10 * KiB, '10.0 KiB'],
    [100 * KiB, '100 KiB'],
    [1023.9 * KiB, '1024 KiB'],
    [6.13 * MiB, '6.13 MiB'],
    [9.999 * MiB, '10.0 MiB'],
    [99.99 * MiB, '100 MiB'],
    [1.2 * GiB, '1.20 GiB'],
    [24 * GiB, '24.0 GiB'],
    [46758048, '44.6 MiB'],
    [3 * 1024 ** 4, '3.00 TiB'],
    [-1536, '-1.50 KiB'],
    [Number.NaN, '? B'],
  ];
  for (const [bytes, text] of cases) test(`${bytes} → ${text}`, () => assert.equal(formatBytes(bytes), text));
});

describe('parseBytes', () => {
  const cases: [string, number][] = [
    ['24GiB', 24 * GiB],
    ['512MiB', 512 * MiB],
    ['80GB', 80e9],
    ['1.5 GiB', 1.5 * GiB],
    ['  2 kib ', 2 * KiB],
    ['1000000', 1e6],
    ['4096B', 4096],
    ['16G', 16 * GiB],
    ['0', 0],
    ['A100-80GB', 80 * GiB],
    ['NVIDIA A100 40GB', 40 * GiB],
    ['RTX 4090', 24 * GiB],
    ['t4', 16 * GiB],
  ];
  for (const [text, bytes] of cases) test(`"${text}" → ${bytes}`, () => assert.equal(parseBytes(text), bytes));

  const junk = ['', 'lots', '12XB', '1.5', '-1GiB', 'GiB', '1e9', '24 GiB GiB', '0x10'];
  for (const text of junk) {
    test(`"${text}" is rejected with a message naming it`, () => {
      assert.throws(() => parseBytes(text), (e: unknown) => e instanceof ByteSizeError && e.message.includes(`"${text.trim()}"`));
      assert.equal(tryParseBytes(text), null);
    });
  }

  test('round trip through formatBytes for binary sizes', () => {
    for (const n of [KiB, 3 * MiB, 24 * GiB]) assert.equal(parseBytes(formatBytes(n).replace('.00', '').replace('.0', '')), n);
  });

  test('GPU names ignore case, spaces and dashes', () => {
    assert.equal(gpuMemory('h100'), gpuMemory('NVIDIA H100'));
    assert.equal(gpuMemory('A100_80GB'), 80 * GiB);
    assert.equal(gpuMemory('toaster'), null);
  });
});

describe('formatCount and formatPercent', () => {
  const counts: [number, string][] = [[0, '0'], [999, '999'], [1000, '1,000'], [11689512, '11,689,512']];
  for (const [n, text] of counts) test(`${n} → ${text}`, () => assert.equal(formatCount(n), text));
  test('percent with one decimal, zero whole', () => {
    assert.equal(formatPercent(1, 8), '12.5%');
    assert.equal(formatPercent(1, 0), '0.0%');
  });
});

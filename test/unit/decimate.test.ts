// The timeline chart's decimation: which points it draws when there are more than pixels.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argMax, byteStep, byteTicks, decimate, pointAt, runs, visibleIndices } from '../../webview/src/decimate';

/** A deterministic pseudo-random series (xorshift), scaled to bytes. */
function series(n: number, seed = 1): Float64Array {
  const out = new Float64Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = (x % 1_000_000) * 1024;
  }
  return out;
}

function assertSortedUnique(idx: number[], n: number): void {
  for (let k = 0; k < idx.length; k++) {
    assert.ok(Number.isInteger(idx[k]) && idx[k] >= 0 && idx[k] < n, `index ${idx[k]} in [0, ${n})`);
    if (k > 0) assert.ok(idx[k] > idx[k - 1], `sorted and unique at ${k}: ${idx[k - 1]} then ${idx[k]}`);
  }
}

describe('decimate', () => {
  it('returns every index when there are no more points than buckets', () => {
    assert.deepEqual(decimate([5, 3, 9], 3), [0, 1, 2]);
    assert.deepEqual(decimate([5, 3, 9], 10), [0, 1, 2]);
    assert.deepEqual(decimate([], 4), []);
    assert.deepEqual(decimate([7], 1), [0]);
  });

  it('keeps first, last, min and max of each bucket, in order', () => {
    // Two buckets of four: [1, 9, 0, 4] and [2, 2, 8, 3].
    const totals = [1, 9, 0, 4, 2, 2, 8, 3];
    assert.deepEqual(decimate(totals, 2), [0, 1, 2, 3, 4, 6, 7]);
  });

  it('keeps the first of equal extremes', () => {
    const totals = [3, 7, 7, 1, 1, 5, 5, 5];
    // One bucket: first 0, max first at 1, min first at 3, last 7.
    assert.deepEqual(decimate(totals, 1), [0, 1, 3, 7]);
  });

  it('always keeps the global peak, the first of equal maxima', () => {
    const totals = new Float64Array(1000).fill(10);
    totals[501] = 99;
    totals[777] = 99;
    for (const buckets of [1, 2, 3, 7, 50, 333]) {
      const idx = decimate(totals, buckets);
      assert.ok(idx.includes(501), `peak kept with ${buckets} buckets`);
      assertSortedUnique(idx, 1000);
    }
    assert.equal(argMax(totals), 501);
  });

  it('keeps at most 4 × buckets + 1 indices and at least one per bucket', () => {
    const totals = series(5000, 7);
    for (const buckets of [1, 2, 10, 99, 640, 1249, 4999]) {
      const idx = decimate(totals, buckets);
      assert.ok(idx.length <= 4 * buckets + 1, `${idx.length} ≤ ${4 * buckets + 1}`);
      assert.ok(idx.length >= Math.min(buckets, totals.length), `${idx.length} ≥ ${buckets}`);
      assertSortedUnique(idx, totals.length);
      assert.equal(idx[0], 0);
      assert.equal(idx[idx.length - 1], totals.length - 1);
      assert.ok(idx.includes(argMax(totals)));
    }
  });

  it('decimates 100,000 points to at most 4 × buckets + 1, keeping every bucket extreme', () => {
    const n = 100_000;
    const totals = series(n, 42);
    const peak = argMax(totals);
    const buckets = 800;
    const idx = decimate(totals, buckets);
    assert.ok(idx.length <= 4 * buckets + 1, `${idx.length} indices`);
    assertSortedUnique(idx, n);
    assert.ok(idx.includes(peak));
    // Every bucket's max value is among the kept values: the drawn envelope equals the data's.
    const kept = new Set(idx);
    for (let k = 0; k < buckets; k++) {
      const start = Math.floor((k * n) / buckets);
      const end = Math.floor(((k + 1) * n) / buckets);
      let hi = start;
      let lo = start;
      for (let i = start; i < end; i++) {
        if (totals[i] > totals[hi]) hi = i;
        if (totals[i] < totals[lo]) lo = i;
      }
      assert.ok(kept.has(hi) && kept.has(lo) && kept.has(start) && kept.has(end - 1), `bucket ${k}`);
    }
  });

  it('reads plain arrays and typed arrays alike, and survives odd bucket counts', () => {
    const plain = Array.from(series(300, 3));
    assert.deepEqual(decimate(plain, 20), decimate(Float64Array.from(plain), 20));
    assert.deepEqual(decimate(plain, 20.7), decimate(plain, 20));
    assert.deepEqual(decimate([4, 1, 2], 0), decimate([4, 1, 2], 1));
    assert.deepEqual(decimate([4, 1, 2], Number.NaN), decimate([4, 1, 2], 1));
  });

  it('treats NaN as the smallest value', () => {
    const idx = decimate([Number.NaN, 1, 5, Number.NaN, 2, 3], 1);
    assert.deepEqual(idx, [0, 2, 5]);
  });
});

describe('visibleIndices', () => {
  const totals = series(10_000, 9);

  it('draws everything visible when it fits, plus the edges of the timeline', () => {
    const idx = visibleIndices(totals, 100.5, 140.2, 50);
    assert.deepEqual(idx, [0, ...Array.from({ length: 42 }, (_, i) => 100 + i), 9999]);
  });

  it('decimates a wide window, offsetting indices, and keeps the window peak', () => {
    const idx = visibleIndices(totals, 1000, 9000, 100);
    assertSortedUnique(idx, totals.length);
    assert.ok(idx.length <= 4 * 100 + 1 + 2);
    const inner = idx.filter((i) => i >= 1000 && i <= 9000);
    assert.equal(inner[0], 1000);
    assert.equal(inner[inner.length - 1], 9000);
    assert.ok(idx.includes(argMax(totals, 1000, 9001)));
  });

  it('clamps windows past the ends', () => {
    assert.deepEqual(visibleIndices([1, 2, 3], -5, 50, 10), [0, 1, 2]);
    assert.deepEqual(visibleIndices([], 0, 1, 10), []);
  });
});

describe('chart helpers', () => {
  it('pointAt: the point whose step holds x', () => {
    assert.equal(pointAt(0, 10), 0);
    assert.equal(pointAt(3.99, 10), 3);
    assert.equal(pointAt(10, 10), 9);
    assert.equal(pointAt(-2, 10), 0);
    assert.equal(pointAt(Number.NaN, 10), 0);
    assert.equal(pointAt(1, 0), -1);
  });

  it('runs: inclusive ranges of consecutive matches', () => {
    assert.deepEqual(runs(8, (i) => [1, 2, 5, 7].includes(i)), [[1, 2], [5, 5], [7, 7]]);
    assert.deepEqual(runs(3, () => false), []);
    assert.deepEqual(runs(3, () => true), [[0, 2]]);
  });

  it('byteStep: ¼, ½, 1, 2, 5 × 10^k of the binary unit of the largest value', () => {
    const MiB = 2 ** 20;
    assert.equal(byteStep(2.44 * MiB, 6), MiB / 2);
    assert.equal(byteStep(1.2 * MiB, 6), MiB / 4);
    assert.equal(byteStep(1000 * 1024, 6), 200 * 1024);
    assert.equal(byteStep(3, 10), 1);
    assert.equal(byteStep(11.3 * MiB, 6), 5 * MiB);
    assert.equal(byteStep(11.3 * MiB, 13), 1 * MiB);
    assert.equal(byteStep(900 * MiB, 6), 200 * MiB);
    assert.equal(byteStep(3 * 2 ** 30, 4), 2 ** 30);
    assert.equal(byteStep(700, 8), 100);
  });

  it('byteTicks: from 0 to max at one step', () => {
    const MiB = 2 ** 20;
    assert.deepEqual(byteTicks(11.3 * MiB, 6), [0, 5 * MiB, 10 * MiB]);
    assert.deepEqual(byteTicks(2.44 * MiB, 6), [0, 0.5 * MiB, MiB, 1.5 * MiB, 2 * MiB]);
    assert.deepEqual(byteTicks(0, 6), [0]);
    const ticks = byteTicks(24 * 2 ** 30, 8);
    assert.ok(ticks.length <= 8);
    assert.equal(ticks[1] - ticks[0], 5 * 2 ** 30);
  });
});

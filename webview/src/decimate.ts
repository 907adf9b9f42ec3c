// Which timeline points the chart draws when there are far more of them than pixels. Pure
// functions over numbers (no DOM): the unit tests compile this file with the main tsconfig.

/**
 * The indices of `totals` to draw, sorted and unique: for each of `buckets` runs of consecutive
 * points, its first, its last, and the first of its smallest and of its largest totals, so every
 * extreme survives at any zoom. The global peak (first maximum) is always kept. With no more
 * points than buckets, every index. At most 4 × buckets + 1 indices.
 */
export function decimate(totals: ArrayLike<number>, buckets: number): number[] {
  const n = totals.length;
  const b = Number.isFinite(buckets) ? Math.max(1, Math.floor(buckets)) : 1;
  if (n <= b) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  const peak = argMax(totals, 0, n);
  let peakKept = false;
  const keep = (i: number): void => {
    if (out.length === 0 || out[out.length - 1] < i) out.push(i);
  };
  for (let k = 0; k < b; k++) {
    const start = Math.floor((k * n) / b);
    const end = Math.floor(((k + 1) * n) / b); // exclusive
    if (end <= start) continue;
    let lo = start;
    let hi = start;
    let loValue = value(totals[start]);
    let hiValue = loValue;
    for (let i = start + 1; i < end; i++) {
      const v = value(totals[i]);
      if (v < loValue) {
        loValue = v;
        lo = i;
      }
      if (v > hiValue) {
        hiValue = v;
        hi = i;
      }
    }
    if (peak >= start && peak < end) {
      hi = peak; // a bucket's first max is the global first max when the peak lies in it
      peakKept = true;
    }
    // The four in order (at most four, so a tiny sort network).
    const a = lo < hi ? lo : hi;
    const c = lo < hi ? hi : lo;
    keep(start);
    keep(a);
    keep(c);
    keep(end - 1);
  }
  if (!peakKept) insertSorted(out, peak);
  return out;
}

/**
 * The indices to draw for the visible window [from, to] (x values, fractional allowed) of a
 * timeline of `totals.length` points: the point whose span covers `from`, every point up to the
 * one covering `to` and the one after it (decimated to `buckets` when there are more than
 * 4 × buckets of them), plus the first and last point so the path extends past both edges.
 */
export function visibleIndices(totals: ArrayLike<number>, from: number, to: number, buckets: number): number[] {
  const n = totals.length;
  if (n === 0) return [];
  const lo = clamp(Math.floor(from), 0, n - 1);
  const hi = clamp(Math.ceil(to), lo, n - 1);
  const count = hi - lo + 1;
  let inner: number[];
  if (count <= 4 * Math.max(1, Math.floor(buckets))) {
    inner = Array.from({ length: count }, (_, i) => lo + i);
  } else {
    const view = sliceOf(totals, lo, hi + 1);
    inner = decimate(view, buckets).map((i) => i + lo);
  }
  const out: number[] = [];
  if (lo > 0) out.push(0);
  for (const i of inner) out.push(i);
  if (hi < n - 1) out.push(n - 1);
  return out;
}

/** The index of the first largest value in [start, end); NaN counts as smallest. */
export function argMax(values: ArrayLike<number>, start = 0, end = values.length): number {
  let best = start;
  let bestValue = -Infinity;
  for (let i = start; i < end; i++) {
    const v = value(values[i]);
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** The point whose step [i, i + 1) holds x, clamped to the timeline; -1 for an empty one. */
export function pointAt(x: number, n: number): number {
  if (n <= 0 || !Number.isFinite(x)) return n <= 0 ? -1 : 0;
  return clamp(Math.floor(x), 0, n - 1);
}

/** Runs of consecutive indices for which `test` holds, as inclusive [start, end] pairs. */
export function runs(n: number, test: (i: number) => boolean): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let i = 0; i < n; i++) {
    if (test(i)) {
      if (start < 0) start = i;
    } else if (start >= 0) {
      out.push([start, i - 1]);
      start = -1;
    }
  }
  if (start >= 0) out.push([start, n - 1]);
  return out;
}

/**
 * Ticks from 0 to `max` at a step of ¼, ½, 1, 2 or 5 (× 1, 10, 100) of the binary unit of `max`
 * (256 KiB, 512 KiB, 1 MiB, 2 MiB, 5 MiB … 500 MiB, 1 GiB …): the finest such step that gives
 * at most `maxTicks` ticks.
 */
export function byteTicks(max: number, maxTicks: number): number[] {
  if (!(max > 0)) return [0];
  const limit = Math.max(2, Math.floor(maxTicks));
  const step = byteStep(max, limit);
  const out: number[] = [];
  for (let k = 0; k * step <= max * (1 + 1e-9); k++) out.push(k * step);
  return out;
}

/** Quarter and half units read as round figures of the unit below (256 KiB, 512 KiB); tenths do not. */
const STEPS = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500];

/** The smallest step of byteTicks with at most maxTicks − 1 intervals up to max (never a fraction of a byte). */
export function byteStep(max: number, maxTicks: number): number {
  const intervals = Math.max(1, Math.floor(maxTicks) - 1);
  if (!(max > 0) || !Number.isFinite(max)) return 1;
  let unit = 1;
  while (unit * 1024 <= max && unit < 2 ** 60) unit *= 1024;
  for (const m of STEPS) {
    const step = m * unit;
    if (step < 1) continue;
    if (max / step <= intervals) return step;
  }
  return 1024 * unit;
}

function value(v: number): number {
  return Number.isNaN(v) ? -Infinity : v;
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function insertSorted(out: number[], i: number): void {
  let at = out.length;
  while (at > 0 && out[at - 1] > i) at--;
  if (at > 0 && out[at - 1] === i) return;
  out.splice(at, 0, i);
}

function sliceOf(values: ArrayLike<number>, start: number, end: number): ArrayLike<number> {
  const v = values as { subarray?: (s: number, e: number) => ArrayLike<number>; slice?: (s: number, e: number) => ArrayLike<number> };
  if (typeof v.subarray === 'function') return v.subarray(start, end);
  if (typeof v.slice === 'function') return v.slice(start, end);
  return Array.from({ length: end - start }, (_, i) => values[start + i]);
}

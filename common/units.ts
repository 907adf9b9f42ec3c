// Byte sizes for people: binary prefixes for display, binary or decimal units when read back.

const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/**
 * Bytes in binary units with 3 significant digits: "512 B", "1.50 KiB", "6.13 MiB", "1.20 GiB".
 * Plain bytes stay integers; values of 1000–1023 in a unit keep four digits ("1023 KiB").
 */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return '? B';
  if (n < 0) return `-${formatBytes(-n)}`;
  let unit = 0;
  let value = n;
  while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  const decimals = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  let text = value.toFixed(decimals);
  // 9.999 rounds to "10.00" and 99.99 to "100.0": keep three significant digits after rounding.
  if (decimals > 0 && Number(text) >= 10 ** (3 - decimals)) text = value.toFixed(decimals - 1);
  return `${text} ${BINARY_UNITS[unit]}`;
}

/** An integer with thousands separators ("11,689,512"); locale-independent. */
export function formatCount(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A share in percent with one decimal ("12.5%"). */
export function formatPercent(part: number, whole: number): string {
  if (!(whole > 0)) return '0.0%';
  return `${((100 * part) / whole).toFixed(1)}%`;
}

const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
  // Shorthands as people type them in settings ("24G"): read as binary, like `nvidia-smi` reports.
  k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40,
};

/**
 * Device memory of common GPUs, for budgets written as a GPU name ("A100-80GB", "RTX 4090").
 * Nominal capacity as sold (GiB for these cards); the usable part is a little smaller.
 */
export const GPU_MEMORY: Readonly<Record<string, number>> = {
  'h200': 141e9,
  'h100': 80 * 2 ** 30,
  'h100-80gb': 80 * 2 ** 30,
  'a100': 80 * 2 ** 30,
  'a100-80gb': 80 * 2 ** 30,
  'a100-40gb': 40 * 2 ** 30,
  'a10': 24 * 2 ** 30,
  'a10g': 24 * 2 ** 30,
  'l4': 24 * 2 ** 30,
  'l40s': 48 * 2 ** 30,
  'v100': 16 * 2 ** 30,
  'v100-32gb': 32 * 2 ** 30,
  't4': 16 * 2 ** 30,
  'rtx3090': 24 * 2 ** 30,
  'rtx4090': 24 * 2 ** 30,
  'rtx4080': 16 * 2 ** 30,
  'rtx3080': 10 * 2 ** 30,
  'rtx4060': 8 * 2 ** 30,
};

/** "NVIDIA A100 80GB", "a100-80gb" and "A100_80GB" name the same card. */
function gpuKey(name: string): string {
  return name.toLowerCase().replace(/\b(nvidia|geforce|tesla)\b/g, '').replace(/[^a-z0-9]/g, '');
}

const GPU_BY_KEY = new Map(Object.entries(GPU_MEMORY).map(([name, bytes]) => [gpuKey(name), bytes]));

/** Device memory of a GPU named as in GPU_MEMORY (case, spaces and dashes ignored), else null. */
export function gpuMemory(name: string): number | null {
  return GPU_BY_KEY.get(gpuKey(name)) ?? null;
}

export class ByteSizeError extends Error {}

/**
 * Reads a byte size: `24GiB`, `512MiB`, `1.5 GiB` (binary), `80GB` (decimal), `24G` (binary),
 * a plain integer of bytes, or a GPU name from GPU_MEMORY. Throws ByteSizeError naming the
 * input otherwise.
 */
export function parseBytes(text: string): number {
  const s = String(text).trim();
  const gpu = gpuMemory(s);
  if (gpu !== null) return gpu;
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)$/.exec(s);
  const scale = m ? (m[2] === '' ? 1 : UNIT_BYTES[m[2].toLowerCase()]) : undefined;
  if (!m || scale === undefined) {
    throw new ByteSizeError(`invalid byte size "${s}" (expected e.g. 24GiB, 512MiB, 80GB, a number of bytes or a GPU name)`);
  }
  const bytes = Number(m[1]) * scale;
  if (m[2] === '' && !Number.isInteger(bytes)) {
    throw new ByteSizeError(`invalid byte size "${s}": a plain number of bytes must be an integer`);
  }
  return Math.round(bytes);
}

/** parseBytes, or null for junk. */
export function tryParseBytes(text: string): number | null {
  try {
    return parseBytes(text);
  } catch {
    return null;
  }
}

/** Past this the largest batch is shown as "> 1M": a bound that large says the budget is not the limit. */
export const MAX_BATCH_SHOWN = 1_000_000;

/** The largest batch that fits, as shown: `4,096`, or `> 1M` past MAX_BATCH_SHOWN. */
export function formatMaxBatch(n: number): string {
  return n > MAX_BATCH_SHOWN ? '> 1M' : formatCount(n);
}

import type { DType } from '../../../kernels/src';
import { DTYPES } from '../interpreter/torch/convert';

/** A forward input as written on the command line or in a directive: `x:float32[B,3,224,224]`. */
export interface InputSpec {
  name: string;
  dtype: DType;
  /** Dimensions: numbers, or symbols (`B`) bound by the batch setting. */
  dims: (number | string)[];
}

/** Parses `NAME:DTYPE[D0,D1,...]`; throws an Error whose message names the problem. */
export function parseInputSpec(text: string): InputSpec {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([A-Za-z0-9_]+)\s*\[([^\]]*)\]\s*$/.exec(text);
  if (!m) throw new Error(`malformed input spec '${text}': expected NAME:DTYPE[D0,D1,...], e.g. x:float32[8,3,224,224]`);
  const dtype = DTYPES[m[2]];
  if (!dtype) throw new Error(`unknown dtype '${m[2]}' in input spec '${text}' (use float32, float16, bfloat16, int64, …)`);
  const dims = m[3].trim() === '' ? [] : m[3].split(',').map((d) => d.trim());
  const parsed = dims.map((d) => {
    if (/^\d+$/.test(d)) return Number(d);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(d)) return d;
    throw new Error(`bad dimension '${d}' in input spec '${text}': use a positive integer or a symbol like B`);
  });
  return { name: m[1], dtype, dims: parsed };
}

/** A `# memlens: entry=… input=… batch=…` directive comment. */
export interface Directive {
  line: number;
  entry: string | null;
  inputs: string[];
  batch: number | null;
  /** `call=model(x, labels=x)`: how the model is called on the inputs. */
  call: string | null;
}

/**
 * Finds the first `# memlens:` directive. Tokens are `key=value` separated by spaces outside
 * brackets, so `entry=GPT(GPTConfig(n_layer=4, n_embd=256))` stays whole.
 */
export function findDirective(text: string): Directive | null {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*#\s*memlens:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    const d: Directive = { line: i + 1, entry: null, inputs: [], batch: null, call: null };
    for (const token of splitTopLevel(m[1])) {
      const eq = token.indexOf('=');
      if (eq < 0) continue;
      const key = token.slice(0, eq).trim();
      const value = token.slice(eq + 1).trim();
      if (key === 'entry') d.entry = value;
      else if (key === 'input') d.inputs.push(value);
      else if (key === 'call') d.call = value;
      else if (key === 'batch' && /^\d+$/.test(value)) d.batch = Number(value);
    }
    return d;
  }
  return null;
}

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  let quote: string | null = null;
  for (const ch of s) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = null;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (/\s/.test(ch) && depth <= 0) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

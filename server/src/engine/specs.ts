import type { DType } from '../../../kernels/src';
import { DTYPES } from '../interpreter/torch/convert';

/**
 * What one forward argument holds: a tensor (`float32[B,3,224,224]`, dimensions numbers or symbols
 * bound by the batch setting), or a tuple, list or dict of such values (`(float32[2,B,200],
 * float32[2,B,200])`, `{ids:int64[B,T],mask:bool[B,T]}`).
 */
export type SpecValue =
  | { readonly k: 'tensor'; readonly dtype: DType; readonly dims: readonly (number | string)[] }
  | { readonly k: 'tuple' | 'list'; readonly items: readonly SpecValue[] }
  | { readonly k: 'dict'; readonly entries: readonly (readonly [string, SpecValue])[] };

/**
 * A forward argument as written on the command line or in a directive: `NAME:VALUE` is the next
 * positional argument (NAME only labels it), `NAME=VALUE` the keyword argument NAME.
 */
export interface InputSpec {
  name: string;
  keyword: boolean;
  value: SpecValue;
}

export const INPUT_GRAMMAR = 'NAME:DTYPE[D0,D1,...], a tuple NAME:(DTYPE[...],DTYPE[...]), or NAME=... for a keyword argument';

/** Parses an input spec (see InputSpec); throws an Error whose message names the problem. */
export function parseInputSpec(text: string): InputSpec {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*([:=])([\s\S]*)$/.exec(text);
  if (!m) throw new Error(`malformed input spec '${text}': expected ${INPUT_GRAMMAR}, e.g. x:float32[8,3,224,224]`);
  const p = new SpecParser(m[3], text);
  const value = p.value();
  p.end();
  return { name: m[1], keyword: m[2] === '=', value };
}

class SpecParser {
  private i = 0;
  constructor(private readonly s: string, private readonly whole: string) {}

  private fail(what: string): never {
    throw new Error(`malformed input spec '${this.whole}': ${what} (expected ${INPUT_GRAMMAR})`);
  }

  private skip(): void {
    while (this.i < this.s.length && /\s/.test(this.s[this.i])) this.i++;
  }

  private peek(): string {
    this.skip();
    return this.s[this.i] ?? '';
  }

  private eat(ch: string): boolean {
    if (this.peek() !== ch) return false;
    this.i++;
    return true;
  }

  private word(): string {
    this.skip();
    const m = /^[A-Za-z0-9_]+/.exec(this.s.slice(this.i));
    if (!m) return '';
    this.i += m[0].length;
    return m[0];
  }

  end(): void {
    if (this.peek() !== '') this.fail(`unexpected '${this.s.slice(this.i)}'`);
  }

  value(): SpecValue {
    const c = this.peek();
    if (c === '(' || c === '[') {
      this.i++;
      const close = c === '(' ? ')' : ']';
      const items = this.sequence(close, () => this.value());
      if (!items.length) this.fail(`an empty ${c === '(' ? 'tuple' : 'list'}`);
      return { k: c === '(' ? 'tuple' : 'list', items };
    }
    if (c === '{') {
      this.i++;
      const entries = this.sequence('}', () => {
        this.skip();
        const quoted = /^(["'])([^"']*)\1/.exec(this.s.slice(this.i));
        let key: string;
        if (quoted) {
          key = quoted[2];
          this.i += quoted[0].length;
        } else key = this.word();
        if (!key) this.fail('a dict key is missing');
        if (!this.eat(':')) this.fail(`':' after the dict key '${key}'`);
        return [key, this.value()] as const;
      });
      if (!entries.length) this.fail('an empty dict');
      return { k: 'dict', entries };
    }
    const name = this.word();
    if (!name) this.fail(c ? `unexpected '${c}'` : 'a value is missing');
    const dtype = DTYPES[name];
    if (!dtype) throw new Error(`unknown dtype '${name}' in input spec '${this.whole}' (use float32, float16, bfloat16, int64, …)`);
    if (!this.eat('[')) this.fail(`'[' after ${name}`);
    const dims = this.peek() === ']' ? (this.i++, []) : this.sequence(']', () => {
      const d = this.word();
      if (/^\d+$/.test(d)) return Number(d);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(d)) return d;
      throw new Error(`bad dimension '${d || this.s.slice(this.i, this.i + 1)}' in input spec '${this.whole}': use a positive integer or a symbol like B`);
    });
    return { k: 'tensor', dtype, dims };
  }

  /** Items separated by commas up to `close` (a trailing comma allowed); `close` consumed. */
  private sequence<T>(close: string, item: () => T): T[] {
    const out: T[] = [];
    while (!this.eat(close)) {
      if (this.peek() === '') this.fail(`'${close}' is missing`);
      out.push(item());
      if (!this.eat(',') && this.peek() !== close) this.fail(`',' or '${close}' expected at '${this.s.slice(this.i)}'`);
    }
    return out;
  }
}

/** The spec text of a value (`(float32[2,B,200],float32[2,B,200])`). */
export function formatSpecValue(v: SpecValue): string {
  switch (v.k) {
    case 'tensor': return `${v.dtype}[${v.dims.join(',')}]`;
    case 'tuple': return `(${v.items.map(formatSpecValue).join(',')})`;
    case 'list': return `[${v.items.map(formatSpecValue).join(',')}]`;
    case 'dict': return `{${v.entries.map(([k, x]) => `${k}:${formatSpecValue(x)}`).join(',')}}`;
  }
}

/** A `# memlens: entry=… input=… batch=…` directive comment. */
export interface Directive {
  line: number;
  entry: string | null;
  inputs: string[];
  batch: number | null;
  /** `call=model(x, labels=x)`: how the model is called on the inputs. */
  call: string | null;
  /** `microbatch=K`: the training loop accumulates gradients over K microbatches of the batch. */
  microbatch?: number;
  /** `checkpoint=layer2,blocks.*`: a checkpoint plan (engine/checkpointPlan.ts). */
  checkpoint?: string[];
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
      // Whole numbers a tensor dimension can be (a run of digits past 2^53 is not one).
      else if (key === 'batch' && /^\d+$/.test(value) && Number.isSafeInteger(Number(value))) d.batch = Number(value);
      else if (key === 'microbatch' && /^\d+$/.test(value) && Number.isSafeInteger(Number(value))) d.microbatch = Number(value);
      else if (key === 'checkpoint') d.checkpoint = value.split(',').filter(Boolean);
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

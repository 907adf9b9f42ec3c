// aten function schemas (`add.Tensor(Tensor self, Tensor other, *, Scalar alpha=1) -> Tensor`),
// parsed from the catalog: argument names and types for the generic rules, return names for
// what derivatives.yaml calls the outputs (`result`, `indices`, `save_mean`).

export interface SchemaArg {
  readonly name: string;
  /** Type without alias annotations: `Tensor`, `Tensor?`, `Tensor[]`, `Scalar`, `int[1]`, `SymInt[]?`. */
  readonly type: string;
  readonly keywordOnly: boolean;
  readonly default?: string;
  /** Written in place (`Tensor(a!)`). */
  readonly mutated: boolean;
}

export interface SchemaReturn {
  readonly name: string | null;
  readonly type: string;
  /** Aliases an argument (`Tensor(a)`): a view. */
  readonly alias: string | null;
}

export interface Schema {
  readonly name: string;
  readonly overload: string;
  readonly args: readonly SchemaArg[];
  readonly returns: readonly SchemaReturn[];
}

/** Splits at top-level commas (outside brackets and parentheses). */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

/** `Tensor(a!)` → { type: 'Tensor', alias: 'a!' }; `Tensor(a)[]` → `Tensor[]`. */
function stripAlias(t: string): { type: string; alias: string | null } {
  const m = /^([A-Za-z_][\w]*)\(([^)]*)\)(.*)$/.exec(t);
  return m ? { type: m[1] + m[3], alias: m[2] } : { type: t, alias: null };
}

export function parseSchema(text: string): Schema {
  const open = text.indexOf('(');
  const arrow = text.lastIndexOf('->');
  const close = text.lastIndexOf(')', arrow);
  const full = text.slice(0, open);
  const dot = full.indexOf('.');
  const args: SchemaArg[] = [];
  let keywordOnly = false;
  for (const part of splitTop(text.slice(open + 1, close))) {
    if (part === '*') {
      keywordOnly = true;
      continue;
    }
    const eq = part.indexOf('=');
    const decl = (eq < 0 ? part : part.slice(0, eq)).trim();
    const space = decl.lastIndexOf(' ');
    const { type, alias } = stripAlias(decl.slice(0, space).trim());
    args.push({ name: decl.slice(space + 1), type, keywordOnly, default: eq < 0 ? undefined : part.slice(eq + 1).trim(), mutated: !!alias?.includes('!') });
  }
  let ret = text.slice(arrow + 2).trim();
  if (ret.startsWith('(')) ret = ret.slice(1, -1);
  const returns: SchemaReturn[] = splitTop(ret).filter((r) => r && r !== '()').map((r) => {
    const space = r.lastIndexOf(' ');
    const [t, name] = space < 0 ? [r, null] : [r.slice(0, space), r.slice(space + 1)];
    const { type, alias } = stripAlias(t.trim());
    return { name, type, alias };
  });
  return { name: dot < 0 ? full : full.slice(0, dot), overload: dot < 0 ? '' : full.slice(dot + 1), args, returns };
}

const cache = new Map<string, Schema>();

/** Parsed once per schema text. */
export function schemaOf(text: string): Schema {
  let s = cache.get(text);
  if (!s) {
    s = parseSchema(text);
    cache.set(text, s);
  }
  return s;
}

export function isTensorType(type: string): boolean {
  return type === 'Tensor' || type === 'Tensor?';
}

export function isTensorListType(type: string): boolean {
  return type.startsWith('Tensor') && type.includes('[');
}

// The `nn.Module` classes a file defines, read from its text (they exist whether or not the
// analysis could run), and the `# memlens:` directive that analyzes one of them: the entry built
// from the constructor's defaults, the input guessed from its first layer. The user edits it.

import * as fs from 'fs';
import * as path from 'path';
import { analyzeSource, SourceHost } from '../analysis';
import { ParsedSource } from '../python/parser';
import type { AnalysisSettings, InputReport } from '../report/types';

export interface ModuleClass {
  name: string;
  /** 0-based line of the `class` keyword (of its first decorator, when decorated). */
  line: number;
  /** Constructor parameters without defaults (after `self`), and whether it takes any at all. */
  required: string[];
}

/** Base classes that make a class a module (torch's and the common libraries'). */
const MODULE_BASES = /(^|\.)(Module|Sequential|ModuleList|ModuleDict|LightningModule|PreTrainedModel)$/;

/**
 * Module classes at the top level of the file, in source order, from the text alone: the language
 * server's main thread does not parse (the worker does). `class X(Bases):` at column 0 and its
 * `__init__` signature (which may span lines).
 */
export function moduleClassesOfText(text: string): ModuleClass[] {
  const lines = text.split('\n');
  const defs: { name: string; line: number; bases: string[]; required: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^class\s+([A-Za-z_]\w*)\s*(?:\(([^)]*)\))?\s*:/.exec(lines[i]);
    if (!m) continue;
    let start = i;
    while (start > 0 && lines[start - 1].startsWith('@')) start--;
    const bases = (m[2] ?? '').split(',').map((b) => b.trim().replace(/\s+/g, '')).filter((b) => b && !b.includes('='));
    let required: string[] = [];
    for (let j = i + 1; j < lines.length && (lines[j] === '' || /^\s/.test(lines[j]) || lines[j].startsWith('#')); j++) {
      const init = /^(\s+)def\s+__init__\s*\(/.exec(lines[j]);
      if (!init) continue;
      let sig = lines[j].slice(lines[j].indexOf('(') + 1);
      for (let k = j + 1; k < lines.length && k < j + 40 && !/\)\s*(->[^:]*)?:\s*(#.*)?$/.test(sig); k++) sig += ` ${lines[k]}`;
      required = requiredFromSignature(sig);
      break;
    }
    defs.push({ name: m[1], line: start, bases, required });
  }
  const modules = new Set<string>();
  for (let changed = true; changed;) {
    changed = false;
    for (const d of defs) {
      if (!modules.has(d.name) && d.bases.some((b) => MODULE_BASES.test(b) || modules.has(b))) {
        modules.add(d.name);
        changed = true;
      }
    }
  }
  return defs.filter((d) => modules.has(d.name)).map((d) => ({ name: d.name, line: d.line, required: d.required }));
}

/** Parameters without defaults in `self, a, b=1, *args` (the text after `__init__(`), `self` left out. */
function requiredFromSignature(sig: string): string[] {
  const params: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of sig) {
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) {
      if (depth === 0) break;
      depth--;
    }
    if (ch === ',' && depth === 0) {
      params.push(cur);
      cur = '';
    } else cur += ch;
  }
  params.push(cur);
  const out: string[] = [];
  for (const p0 of params) {
    const p = p0.replace(/#.*$/, '').trim();
    if (!p || p === '/') continue;
    if (p.startsWith('*')) break;
    const name = /^([A-Za-z_]\w*)/.exec(p)?.[1];
    if (name && !p.includes('=')) out.push(name);
  }
  return out.slice(1);
}

function specOf(i: InputReport, batch: number): string {
  const dims = i.shape.map((d, k) => (k === 0 && d === batch ? 'B' : String(d)));
  return `${i.name.replace(/[^\w]/g, '_')}:${i.dtype}[${dims.join(',')}]`;
}

/**
 * The directive line that analyzes `cls`: `# memlens: entry=Net() input=x:float32[B,3,32,32]
 * batch=1`. A required constructor argument is written `name=...` for the user to fill in; the
 * input is what the engine guesses from the first layer, else a placeholder.
 */
export function suggestDirective(file: string, text: string, cls: ModuleClass, settings: AnalysisSettings, host: SourceHost): string {
  const entry = `${cls.name}(${cls.required.map((p) => `${p}=...`).join(', ')})`;
  let inputs = 'input=x:float32[B,...]';
  if (!cls.required.length) {
    const source = new ParsedSource(text);
    try {
      const a = analyzeSource(file, source, { ...settings, entry, inputs: [], batch: null }, host);
      if (!a.error && a.report.inputs.length) inputs = a.report.inputs.map((i) => `input=${specOf(i, a.report.settings.batch)}`).join(' ');
    } finally {
      source.dispose();
    }
  }
  return `# memlens: entry=${entry} ${inputs} batch=1`;
}

const importedCache = new Map<string, { at: number; imported: boolean }>();

/**
 * True when another Python file in the same folder (or the folder above, for a package) imports
 * `file`'s module (`from unet_parts import *`, `from .blocks import Down`, `import layers`): its
 * classes are parts of a model built elsewhere. Read from the files' text (bounded), kept 10 s.
 */
export function importedBySibling(file: string): boolean {
  if (!path.isAbsolute(file)) return false;
  const hit = importedCache.get(file);
  if (hit && Date.now() - hit.at < 10_000) return hit.imported;
  const stem = path.basename(file, '.py');
  const pattern = new RegExp(`^\\s*(?:from\\s+[.\\w]*\\b${stem}\\b\\s+import|import\\s+[.\\w]*\\b${stem}\\b|from\\s+\\.+\\s+import\\s+[^\\n]*\\b${stem}\\b)`, 'm');
  let imported = false;
  const dirs = [path.dirname(file), path.dirname(path.dirname(file))];
  let read = 0;
  outer: for (const dir of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(dir).filter((n) => n.endsWith('.py')).sort();
    } catch {
      continue;
    }
    for (const n of names) {
      const other = path.join(dir, n);
      if (other === file || ++read > 300) continue;
      try {
        const st = fs.statSync(other);
        if (!st.isFile() || st.size > 512 * 1024) continue;
        if (pattern.test(fs.readFileSync(other, 'utf8'))) {
          imported = true;
          break outer;
        }
      } catch {
        continue;
      }
    }
  }
  importedCache.set(file, { at: Date.now(), imported });
  return imported;
}

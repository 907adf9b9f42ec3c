// Which files of an installed package define a top-level name, read from the files' text once per
// package and kept across analyses. It lets an import stay lazy where Python runs everything up
// front: a star import (`from .beit import *` in timm, `from .gpt2 import *` under transformers'
// TYPE_CHECKING) is resolved only for the names the model reads, and a registry filled by
// decorators as modules load (`@register_model`) finds the module that registers a missing key.
import { createHash } from 'crypto';
import * as fs from 'fs';
import { readRegularFile } from './files';
import * as os from 'os';
import * as path from 'path';

/** Bounds of one package's index (a larger package is indexed up to them). */
const MAX_FILES = 20_000;
const MAX_FILE_BYTES = 2_000_000;
const MAX_TOTAL_BYTES = 400_000_000;

/** A top-level `def`/`class`/assignment at column 0 (decorated definitions included). */
const DEFINITION = /^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)|^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)/gm;

export interface PackageIndex {
  readonly root: string;
  /** Name → files (absolute paths) defining it at top level, in path order. */
  readonly definitions: ReadonlyMap<string, readonly string[]>;
  /**
   * Name → files with a decorated top-level `def`/`class` of that name: the definitions a
   * decorator may register when their module loads (timm's `@register_model`).
   */
  readonly decorated: ReadonlyMap<string, readonly string[]>;
  readonly files: number;
  /** True when a bound cut the walk short. */
  readonly truncated: boolean;
}

const cache = new Map<string, { stamp: string; index: PackageIndex }>();

/** Changes when the package is installed again or upgraded (its folder and `__init__.py` are rewritten). */
function stampOf(root: string): string {
  const t = (p: string) => {
    try {
      return fs.statSync(p).mtimeMs;
    } catch {
      return -1;
    }
  };
  return `${INDEX_FORMAT}:${t(root)}:${t(path.join(root, '__init__.py'))}`;
}

const INDEX_FORMAT = 1;

/**
 * Where indexes are kept between runs, as Pylance keeps its index: `$MEMLENS_CACHE_DIR`, else the
 * user's cache folder (`$XDG_CACHE_HOME` or ~/.cache)/memlens/package-index. Null: not kept.
 */
function diskCacheDir(): string | null {
  if (process.env.MEMLENS_CACHE_DIR === '') return null;
  const base = process.env.MEMLENS_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'memlens');
  return path.join(base, 'package-index');
}

function diskCacheFile(root: string): string | null {
  const dir = diskCacheDir();
  return dir ? path.join(dir, `${path.basename(root)}-${createHash('sha1').update(root).digest('hex').slice(0, 16)}.json`) : null;
}

function readDiskIndex(root: string, stamp: string): PackageIndex | null {
  const file = diskCacheFile(root);
  if (!file) return null;
  try {
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as { root: string; stamp: string; files: number; truncated: boolean; definitions: [string, string[]][]; decorated: [string, string[]][] };
    if (raw.root !== root || raw.stamp !== stamp) return null;
    const abs = (entries: [string, string[]][]) => new Map(entries.map(([k, fs]) => [k, fs.map((f) => path.join(root, f))]));
    return { root, definitions: abs(raw.definitions), decorated: abs(raw.decorated), files: raw.files, truncated: raw.truncated };
  } catch {
    return null;
  }
}

function writeDiskIndex(index: PackageIndex, stamp: string): void {
  const file = diskCacheFile(index.root);
  if (!file) return;
  const rel = (m: ReadonlyMap<string, readonly string[]>) => [...m].map(([k, fs]) => [k, fs.map((f) => path.relative(index.root, f))]);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ root: index.root, stamp, files: index.files, truncated: index.truncated, definitions: rel(index.definitions), decorated: rel(index.decorated) }));
    fs.renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs the next run the walk.
  }
}

/** The index of the package whose top folder is `root` (built on first use, then cached in memory and on disk). */
export function packageIndex(root: string): PackageIndex {
  const stamp = stampOf(root);
  const hit = cache.get(root);
  if (hit && hit.stamp === stamp) return hit.index;
  const stored = readDiskIndex(root, stamp);
  if (stored) {
    cache.set(root, { stamp, index: stored });
    return stored;
  }
  const definitions = new Map<string, string[]>();
  const decorated = new Map<string, string[]>();
  let files = 0;
  let bytes = 0;
  let truncated = false;
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (truncated) return;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name === '__pycache__' || e.name.startsWith('.') || e.name === 'tests' || e.name === 'test') continue;
        walk(p);
      } else if (e.isFile() && e.name.endsWith('.py')) {
        if (++files > MAX_FILES) {
          truncated = true;
          return;
        }
        const text = readRegularFile(p, MAX_FILE_BYTES);
        if (text === undefined) continue;
        if (text.length > MAX_FILE_BYTES) continue;
        bytes += text.length;
        if (bytes > MAX_TOTAL_BYTES) {
          truncated = true;
          return;
        }
        for (const m of text.matchAll(DEFINITION)) {
          const name = m[1] ?? m[2];
          add(definitions, name, p);
          if (m[1] !== undefined && isDecorated(text, m.index ?? 0)) add(decorated, name, p);
        }
      }
    }
  };
  walk(root);
  const index: PackageIndex = { root, definitions, decorated, files, truncated };
  cache.set(root, { stamp, index });
  writeDiskIndex(index, stamp);
  return index;
}

/** True when the top-level definition starting at `at` has a decorator (the lines above it, up to 40). */
function isDecorated(text: string, at: number): boolean {
  let end = at - 1;
  for (let n = 0; n < 40 && end > 0; n++) {
    const start = text.lastIndexOf('\n', end - 1) + 1;
    const line = text.slice(start, end);
    end = start - 1;
    if (line.startsWith('@')) return true;
    // Blank lines, comments and the continuation lines of a decorator's arguments.
    if (line.trim() === '' || /^\s*#/.test(line) || /^[\s)\]}]/.test(line)) continue;
    return false;
  }
  return false;
}

function add(map: Map<string, string[]>, name: string, file: string): void {
  const list = map.get(name);
  if (!list) map.set(name, [file]);
  else if (list[list.length - 1] !== file) list.push(file);
}

/** Files under `dir` (or the file itself) that define `name` at top level, per the package index. */
export function definersUnder(index: PackageIndex, name: string, target: string): string[] {
  const files = index.definitions.get(name) ?? [];
  const base = target.endsWith('__init__.py') ? path.dirname(target) : null;
  return files.filter((f) => f === target || (base !== null && (f.startsWith(base + path.sep))));
}

/** The top folder of the installed package `file` belongs to, given the environment's package folders. */
export function packageRootOf(file: string, libraryPaths: readonly string[]): string | null {
  for (const lp of libraryPaths) {
    const base = lp.endsWith(path.sep) ? lp : lp + path.sep;
    // Paths here are absolute and normalized (they come from joining library paths): a prefix test.
    if (!file.startsWith(base)) continue;
    const rel = file.slice(base.length);
    const top = rel.split(path.sep)[0];
    if (!top) continue;
    return top.endsWith('.py') ? null : path.join(lp, top);
  }
  return null;
}

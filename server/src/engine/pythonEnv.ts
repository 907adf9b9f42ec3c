// The user's Python environment, found without running their code: which interpreter, and the
// folders its `import` searches (site-packages, Debian's dist-packages, `.pth` entries). Installed
// libraries (torchvision, timm, transformers) are then read from there like workspace files.
//
// Order, as a user expects from their editor: an explicit interpreter (VS Code's Python extension
// choice, passed in as `pythonPath`, or the `memlens.pythonPath` setting / `--python`), else a
// `.venv` or `venv` folder in a workspace root, else the `python3` on PATH. Its search path is read
// from files (pyvenv.cfg and the standard layouts); only in a trusted workspace, and never for an
// interpreter inside an untrusted one, the interpreter may be asked for `sys.path` (as Pylance
// does) — that runs the interpreter, not any user code.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readRegularFile } from '../interpreter/files';

export type EnvironmentSource = 'explicit' | 'workspace venv' | 'PATH' | 'none';

export interface PythonEnvironment {
  /** The interpreter, when one was found. */
  readonly python: string | null;
  readonly source: EnvironmentSource;
  /** `major.minor` of the interpreter, when known. */
  readonly version: string | null;
  /** Folders searched for installed packages, in import order. */
  readonly searchPaths: readonly string[];
  /** How the search path was found. */
  readonly how: 'files' | 'interpreter';
  /** Why something was not used (an interpreter that does not exist, an untrusted workspace). */
  readonly notes: readonly string[];
}

export interface EnvironmentRequest {
  /** An explicit interpreter (setting, CLI flag, the Python extension's active environment). */
  readonly pythonPath?: string | null;
  /** Workspace folders, searched for `.venv` / `venv`. */
  readonly workspaceRoots?: readonly string[];
  /** May the interpreter be run to ask for `sys.path`? (a trusted workspace). */
  readonly trusted?: boolean;
  /** PATH to search for `python3` (default: the process's). */
  readonly envPath?: string;
  /** Time allowed for asking the interpreter, in ms. */
  readonly timeoutMs?: number;
}

const isFile = (p: string): boolean => {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
};

const isDir = (p: string): boolean => {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function realpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** `key = value` lines of a venv's pyvenv.cfg. */
function readPyvenvCfg(root: string): Map<string, string> | null {
  // A workspace's `.venv` may be anything a cloned repository holds: regular files only.
  const text = readRegularFile(path.join(root, 'pyvenv.cfg'), 64 * 1024);
  if (text === undefined) return null;
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1].toLowerCase(), m[2]);
  }
  return out;
}

/** The interpreter of a venv folder (`bin/python3`, `Scripts/python.exe`). */
function venvPython(root: string): string | null {
  for (const rel of ['bin/python3', 'bin/python', 'Scripts/python.exe']) {
    const p = path.join(root, rel);
    if (isFile(p)) return p;
  }
  return null;
}

/** The `python3` on PATH (through pyenv's shims to the interpreter they select). */
function onPath(envPath: string, roots: readonly string[]): string | null {
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const name of ['python3', 'python']) {
      const p = path.join(dir, name);
      if (!isFile(p)) continue;
      if (!isPyenvShim(p)) return p;
      const real = pyenvInterpreter(p, roots);
      if (real) return real;
      break;
    }
  }
  return null;
}

const isPyenvShim = (p: string): boolean => path.basename(path.dirname(p)) === 'shims' && /pyenv/.test(p);

/**
 * The interpreter a pyenv shim runs (a shell script, not an interpreter): the version named by
 * `PYENV_VERSION`, a `.python-version` in a workspace root or above it, else pyenv's global
 * `version` file; `system` means the next interpreter on PATH (null here).
 */
function pyenvInterpreter(shim: string, roots: readonly string[]): string | null {
  const pyenvRoot = path.dirname(path.dirname(shim));
  const read = (f: string): string | null => {
    try {
      return readRegularFile(f, 4096)?.split(/\r?\n/)[0].trim() || null;
    } catch {
      return null;
    }
  };
  let version = process.env.PYENV_VERSION?.split(':')[0] ?? null;
  for (const root of roots) {
    for (let dir = path.resolve(root); !version; ) {
      version = read(path.join(dir, '.python-version'));
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  version ??= read(path.join(pyenvRoot, 'version'));
  if (!version || version === 'system') return null;
  return venvPython(path.join(pyenvRoot, 'versions', version));
}

/** `3.11` from `python3.11`, a pyvenv.cfg `version`, or the only `lib/python3.X` folder. */
function versionOf(python: string, cfg: Map<string, string> | null, prefixes: readonly string[]): string | null {
  const fromCfg = cfg?.get('version') ?? cfg?.get('version_info');
  const m1 = fromCfg ? /^(\d+)\.(\d+)/.exec(fromCfg) : null;
  if (m1) return `${m1[1]}.${m1[2]}`;
  const m2 = /python(\d+)\.(\d+)/.exec(path.basename(realpath(python)));
  if (m2) return `${m2[1]}.${m2[2]}`;
  for (const prefix of prefixes) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(path.join(prefix, 'lib')).filter((n) => /^python\d+\.\d+$/.test(n));
    } catch {
      continue;
    }
    if (names.length === 1) return names[0].slice(6);
  }
  return null;
}

/** The standard site folders of an installation prefix (CPython, Debian, conda). */
function prefixSites(prefix: string, version: string | null): string[] {
  const out: string[] = [];
  const versions = version ? [`python${version}`] : [];
  if (!version) {
    try {
      versions.push(...fs.readdirSync(path.join(prefix, 'lib')).filter((n) => /^python\d+\.\d+$/.test(n)));
    } catch {
      // no lib folder
    }
  }
  for (const v of versions) {
    out.push(path.join(prefix, 'lib', v, 'site-packages'));
    // Debian: pip's packages under /usr/local, the distribution's under /usr/lib/python3.
    out.push(path.join(prefix, 'local', 'lib', v, 'dist-packages'), path.join(prefix, 'lib', v, 'dist-packages'));
  }
  out.push(path.join(prefix, 'lib', 'python3', 'dist-packages'));
  // Windows layouts.
  out.push(path.join(prefix, 'Lib', 'site-packages'));
  return out;
}

/** Folders named by `.pth` files in a site folder (path lines only: `import` lines are code). */
function pthEntries(site: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(site).filter((n) => n.endsWith('.pth')).sort();
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names.slice(0, 200)) {
    let text: string;
    try {
      const file = path.join(site, n);
      const read = readRegularFile(file, 64 * 1024);
      if (read === undefined) continue;
      text = read;
    } catch {
      continue;
    }
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith('#') || /^import[\s\t]/.test(line)) continue;
      const p = path.resolve(site, line);
      if (isDir(p)) out.push(p);
    }
  }
  return out;
}

/** Search path of an interpreter read from files: its venv (and base, if it includes it), or its prefix. */
function searchPathFromFiles(python: string): { paths: string[]; version: string | null } {
  const binDir = path.dirname(python);
  const root = path.dirname(binDir);
  const cfg = readPyvenvCfg(root);
  const sites: string[] = [];
  let version: string | null;
  if (cfg) {
    // A virtual environment: its own site-packages, then the base installation's when asked for.
    const home = cfg.get('home');
    const basePrefix = home ? path.dirname(home) : null;
    version = versionOf(python, cfg, [root, ...(basePrefix ? [basePrefix] : [])]);
    sites.push(...prefixSites(root, version).filter((p) => p.includes('site-packages')));
    if (basePrefix && /^true$/i.test(cfg.get('include-system-site-packages') ?? '')) sites.push(...prefixSites(basePrefix, version));
  } else {
    const real = realpath(python);
    const prefix = path.dirname(path.dirname(real));
    version = versionOf(python, null, [prefix]);
    sites.push(...prefixSites(prefix, version));
    if (prefix === '/usr') sites.push(...prefixSites('/usr/local', version).filter((p) => p.includes('dist-packages') || p.includes('site-packages')));
  }
  const out: string[] = [];
  for (const s of sites) {
    if (!isDir(s) || out.includes(s)) continue;
    out.push(s);
    for (const p of pthEntries(s)) if (!out.includes(p)) out.push(p);
  }
  return { paths: out, version };
}

/** `sys.path` as the interpreter reports it (trusted workspaces only). */
function searchPathFromInterpreter(python: string, timeoutMs: number): { paths: string[]; version: string } | null {
  try {
    const out = execFileSync(python, ['-c', 'import sys, json; print(json.dumps({"v": "%d.%d" % sys.version_info[:2], "p": sys.path}))'], {
      timeout: timeoutMs,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      maxBuffer: 1024 * 1024,
      // Never in the workspace: an interpreter started in a folder may import from it.
      cwd: path.parse(process.cwd()).root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    });
    const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { v?: string; p?: unknown };
    if (typeof parsed.v !== 'string' || !Array.isArray(parsed.p)) return null;
    // Only package folders: the standard library's own folders hold no models.
    const paths = parsed.p.filter((p): p is string => typeof p === 'string' && p !== '' && isDir(p) && /(site|dist)-packages/.test(p));
    return { paths, version: parsed.v };
  } catch {
    return null;
  }
}

function inside(file: string, dirs: readonly string[]): boolean {
  const f = path.resolve(file);
  return dirs.some((d) => {
    const rel = path.relative(path.resolve(d), f);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  });
}

/** Finds the user's Python environment and its package search path. */
export function resolveEnvironment(req: EnvironmentRequest): PythonEnvironment {
  const notes: string[] = [];
  const roots = req.workspaceRoots ?? [];
  let python: string | null = null;
  let source: EnvironmentSource = 'none';
  if (req.pythonPath) {
    const p = path.resolve(req.pythonPath);
    // A folder may be given for a venv; a pyenv shim stands for the interpreter it selects.
    const candidate = isDir(p) ? venvPython(p) : isFile(p) ? (isPyenvShim(p) ? pyenvInterpreter(p, roots) : p) : null;
    if (candidate) {
      python = candidate;
      source = 'explicit';
    } else notes.push(`the Python interpreter '${req.pythonPath}' does not exist`);
  }
  if (!python) {
    for (const root of roots) {
      for (const name of ['.venv', 'venv']) {
        const p = venvPython(path.join(root, name));
        if (p) {
          python = p;
          source = 'workspace venv';
          break;
        }
      }
      if (python) break;
    }
  }
  if (!python) {
    const p = onPath(req.envPath ?? process.env.PATH ?? '', roots);
    if (p) {
      python = p;
      source = 'PATH';
    }
  }
  if (!python) return { python: null, source: 'none', version: null, searchPaths: [], how: 'files', notes: [...notes, 'no Python interpreter found'] };
  const fromFiles = searchPathFromFiles(python);
  if (req.trusted && !inside(python, roots)) {
    const asked = searchPathFromInterpreter(python, req.timeoutMs ?? 5000);
    if (asked) return { python, source, version: asked.version, searchPaths: mergePaths(asked.paths, fromFiles.paths), how: 'interpreter', notes };
    notes.push(`${python} did not report its sys.path; read its layout from files`);
  } else if (req.trusted) {
    notes.push('the interpreter is inside the workspace: its search path is read from files, the interpreter is not run');
  }
  return { python, source, version: fromFiles.version, searchPaths: fromFiles.paths, how: 'files', notes };
}

function mergePaths(first: readonly string[], second: readonly string[]): string[] {
  const out = [...first];
  for (const p of second) if (!out.includes(p)) out.push(p);
  return out;
}

/** True when `file` lies in one of the environment's package folders (a library, not user code). */
export function isLibraryFile(file: string, searchPaths: readonly string[]): boolean {
  return inside(file, searchPaths);
}

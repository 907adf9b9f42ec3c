// Python files as modules, and imports: of modelled libraries, of workspace files (absolute,
// relative, packages), resolved lazily, when a name they bind is first read.
import * as fs from 'fs';
import * as path from 'path';
import type { Node } from '../python/parser';
import { importedTrees, syntaxRoot } from '../python/parser';
import { patchLoadedModule } from './stdlib/pretrained';
import { STACK_OVERFLOW, isStackOverflow } from './budget';
import { getattrOrUndefined } from './objects';
import { BreakSignal, ContinueSignal, ReturnSignal } from './signals';
import type { InterpreterState } from './state';
import { execStmt } from './statements';
import { BudgetExceeded, Lazy, Loc, ModuleV, PyException, Scope, StarSource, Value, lazyValue, repr, str, unknown } from './values';
import { definersUnder, packageIndex, packageRootOf } from './packageIndex';

/**
 * Executes a workspace file as a module (once) and returns its namespace. `stopOn` is asked about
 * anything a statement of its body throws that is not a Python exception: true ends the body there
 * (the engine stopping a script at its model's call), false lets it propagate.
 */
export function loadFile(state: InterpreterState, absPath: string, name: string, stopOn?: (e: unknown) => boolean): ModuleV | undefined {
  const cached = state.modules.get(absPath);
  if (cached) return cached;
  const tree = state.source.treeFor?.(absPath);
  const text = tree ? undefined : state.source.readFile(absPath);
  if (!tree && text === undefined) return undefined;
  state.entryFile ??= absPath;
  if (process.env.MEMLENS_DEBUG_LOAD) console.error('load', absPath.replace(/.*site-packages\//, ''), 'from', state.current.file.replace(/.*site-packages\//, ''), state.current.line);
  // The module's namespace is its global scope, live as Python's `module.__dict__`: a module that
  // looks itself up while it loads (`sys.modules[__name__].x`, a circular import) sees what it has
  // defined so far.
  const scope = new Scope(null, null);
  const mod: ModuleV = { k: 'module', name, attrs: scope.vars, lazy: scope.lazy, stars: scope.stars };
  state.modules.set(absPath, mod);
  registerSysModule(state, mod);
  state.loading.add(absPath);
  scope.vars.set('__name__', str(name));
  scope.vars.set('__file__', str(absPath));
  // The module's functions and classes keep pointing into this tree: the cache keeps it alive.
  const parsed = tree ?? importedTrees.tree(absPath, text ?? '', state.usedTrees);
  state.usedTrees.add(parsed);
  const errors: { line: number; reason: string }[] = [];
  if (parsed.rootNode.hasError) syntaxErrors(syntaxRoot(parsed), errors);
  for (const e of errors) state.report(e.reason, { file: absPath, line: e.line });
  // A lazily resolved import loads its file in the middle of evaluating something else.
  const resume = state.current;
  const imported = state.entryFile !== absPath;
  if (imported) state.importDepth++;
  try {
    execModuleBody(state, syntaxRoot(parsed), scope, absPath, stopOn);
    if (imported) patchLoadedModule(state, mod);
  } finally {
    if (imported) state.importDepth--;
    state.loading.delete(absPath);
    state.current = resume;
  }
  state.moduleScopes.set(mod, scope);
  return mod;
}

/** Runs a module's statements; one that raises is reported and the next one runs. */
function execModuleBody(state: InterpreterState, root: Node, scope: Scope, file: string, stopOn?: (e: unknown) => boolean): void {
  for (const stmt of root.namedChildren) {
    if (!stmt) continue;
    try {
      execStmt(state, stmt, scope, file);
    } catch (e) {
      if (stopOn?.(e)) return;
      if (e instanceof BudgetExceeded) throw e;
      if (e instanceof PyException) {
        // Raised inside something the statement called (a library): reported at the statement, saying where.
        const where = e.at.file !== file ? ` (raised in ${e.at.file.split('/').slice(-2).join('/')}:${e.at.line})` : '';
        state.report(`exception at module level: ${e.message}${where}`, where ? state.loc(stmt, file) : e.at);
        continue;
      }
      if (e instanceof ReturnSignal || e instanceof BreakSignal || e instanceof ContinueSignal) continue;
      if (isStackOverflow(e)) {
        state.report(STACK_OVERFLOW, state.loc(stmt, file));
        continue;
      }
      throw e;
    }
  }
}

export function resolveImport(state: InterpreterState, name: string, level: number, fromFile: string, at: Loc): Value {
  const parts = name ? name.split('.') : [];
  if (level === 0) {
    const lib = state.lib.module(name);
    if (lib) return lib;
    // `torch.hub`, `collections.abc`: a part of a modelled library that is not modelled is not
    // looked for among files (it would find the installed library's own sources).
    if (parts.length > 1 && state.lib.module(parts[0])) return state.fail(`'${name}' is not modelled; values from it are unknown`, at);
  }
  const mod = findModuleFile(state, parts, level, fromFile, name);
  if (mod) return mod;
  if (level === 0 && parts.length) {
    const installed = loadInstalled(state, parts);
    if (installed) return installed;
  }
  // Reported where a value from it is used (called, iterated, tested, passed to torch), not here:
  // an import the model never touches changes no number.
  return unknown(`unresolved import '${'.'.repeat(level)}${name}' (not a workspace file or a modelled library); values from it are unknown`, at);
}

/**
 * The folders a module name is looked for in: for a relative import, the package `level` folders
 * up; for an absolute one (workspace code), the file's folder and up to four folders above it.
 */
function importBases(level: number, fromFile: string): string[] {
  const bases: string[] = [];
  let dir = path.dirname(fromFile);
  if (level > 0) {
    for (let i = 1; i < level; i++) dir = path.dirname(dir);
    return [dir];
  }
  for (let i = 0; i < 5; i++) {
    bases.push(dir);
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return bases;
}

/** Loads the workspace file a (relative or absolute) module name names, if there is one. */
function findModuleFile(state: InterpreterState, parts: readonly string[], level: number, fromFile: string, name: string): ModuleV | undefined {
  const bases = importBases(level, fromFile);
  for (const base of bases) {
    const stem = path.join(base, ...parts);
    for (const candidate of [`${stem}.py`, path.join(stem, '__init__.py')]) {
      if (candidate === fromFile || isOtherInstalledPackage(state, candidate, fromFile)) continue;
      const mod = loadFile(state, candidate, name || path.basename(base));
      if (mod) return mod;
    }
  }
  return undefined;
}

/**
 * Installed packages Memlens does not read even when the environment has them: torch itself (a
 * modelled library), compiled numerical and imaging libraries, and tooling that never builds a
 * model. Their values are unknowns, reported where the model uses one.
 */
const NOT_READ: ReadonlySet<string> = new Set([
  'torch', 'numpy', 'scipy', 'pandas', 'PIL', 'matplotlib', 'cv2', 'sklearn', 'skimage', 'tensorflow', 'jax', 'jaxlib', 'flax', 'tqdm',
  'requests', 'urllib3', 'yaml', 'wandb', 'tensorboard', 'tensorboardX', 'IPython', 'setuptools', 'pkg_resources', 'pip', 'google', 'grpc',
  'h5py', 'numba', 'sympy', 'networkx', 'triton', 'torchaudio', 'datasets', 'pyarrow', 'tokenizers', 'sentencepiece', 'safetensors',
  'huggingface_hub', 'fsspec', 'regex', 'filelock', 'psutil', 'onnx', 'onnxruntime', 'lightning', 'pytorch_lightning', 'mlflow', 'hydra',
  'omegaconf', 'accelerate', 'deepspeed', 'apex', 'xformers', 'flash_attn', 'bitsandbytes', 'peft', 'packaging', 'typing_extensions',
  'jinja2', 'rich', 'click', 'absl', 'six', 'attr', 'attrs', 'pydantic', 'sentry_sdk', 'dill', 'cloudpickle', 'multiprocess',
]);

/** Largest installed file read as a module (bytes); a larger one is an unknown where used. */
const MAX_LIBRARY_FILE_BYTES = 1_000_000;

/**
 * `a.b.c` from the environment's package folders, as Python imports it: `a` (its `__init__.py`
 * runs), then `a.b`, then `a.b.c`, each bound as an attribute of its parent. A folder without
 * `__init__.py` is a namespace package (an empty module). Undefined when the top package is not
 * installed or is one Memlens does not read.
 */
function loadInstalled(state: InterpreterState, parts: readonly string[]): ModuleV | undefined {
  const roots = state.source.libraryPaths ?? [];
  if (!roots.length || NOT_READ.has(parts[0])) return undefined;
  let parent: ModuleV | undefined;
  let dir: string | null = null;
  for (let i = 0; i < parts.length; i++) {
    const dotted = parts.slice(0, i + 1).join('.');
    // A modelled part of the package (torchvision.datasets) stands for its files.
    const modelled = i > 0 ? state.lib.module(dotted) : undefined;
    if (modelled?.k === 'module') {
      if (parent && !parent.attrs.has(parts[i])) parent.attrs.set(parts[i], modelled);
      if (i === parts.length - 1) return modelled;
      return undefined;
    }
    let mod: ModuleV | undefined;
    const base: string | null = dir;
    const candidates: string[] = i === 0 ? roots.map((r) => path.join(r, parts[0])) : base ? [path.join(base, parts[i])] : [];
    for (const stem of candidates) {
      const init = path.join(stem, '__init__.py');
      if (isRegularFile(init)) {
        mod = loadFile(state, init, dotted);
        dir = stem;
      } else if (isRegularFile(`${stem}.py`)) {
        mod = loadFile(state, `${stem}.py`, dotted);
        dir = null;
      } else if (isDirectory(stem)) {
        mod = namespacePackage(state, stem, dotted);
        dir = stem;
      }
      if (mod) break;
    }
    if (!mod) return undefined;
    if (parent && !parent.attrs.has(parts[i])) parent.attrs.set(parts[i], mod);
    parent = mod;
  }
  return parent;
}

function namespacePackage(state: InterpreterState, dir: string, name: string): ModuleV {
  const key = path.join(dir, '__namespace__');
  const cached = state.modules.get(key);
  if (cached) return cached;
  const mod: ModuleV = { k: 'module', name, attrs: new Map() };
  state.modules.set(key, mod);
  registerSysModule(state, mod);
  return mod;
}

/**
 * File-system answers for module lookups, kept for a couple of seconds: one analysis probes the
 * same candidate paths many times (each relative import of a large package), and a file created
 * since is seen by the next analysis.
 */
const statCache = new Map<string, fs.Stats | null>();
let statCacheSince = 0;
function statOf(p: string): fs.Stats | null {
  const now = Date.now();
  if (now - statCacheSince > 2000) {
    statCache.clear();
    statCacheSince = now;
  }
  let st = statCache.get(p);
  if (st === undefined) {
    try {
      st = fs.statSync(p);
    } catch {
      st = null;
    }
    statCache.set(p, st);
  }
  return st;
}

function isRegularFile(p: string): boolean {
  const st = statOf(p);
  return !!st && st.isFile() && st.size <= MAX_LIBRARY_FILE_BYTES;
}

function isDirectory(p: string): boolean {
  return statOf(p)?.isDirectory() ?? false;
}

/**
 * True for a file of an installed package (under site-packages or dist-packages) other than the
 * one the analyzed file or the importing file belongs to, found by walking up from a file: those
 * are imported through the environment's search path (loadInstalled), where NOT_READ applies.
 */
function isOtherInstalledPackage(state: InterpreterState, file: string, fromFile: string): boolean {
  const pkg = installedPackage(file);
  return pkg !== null && pkg !== installedPackage(fromFile) && pkg !== (state.entryFile ? installedPackage(state.entryFile) : null);
}

/** `numpy` for `.../site-packages/numpy/core/x.py`; null outside installed packages. */
function installedPackage(file: string): string | null {
  const parts = file.split(path.sep);
  const i = parts.findIndex((p) => p === 'site-packages' || p === 'dist-packages');
  if (i < 0 || i + 1 >= parts.length) return null;
  return parts[i + 1].replace(/\.py$/, '');
}

/** A value that resolves an import when first read, reporting a failure at the import line then. */
function lazyImport(state: InterpreterState, resolve: () => Value, at: Loc): Lazy {
  return lazyValue(() => state.guarded(resolve), () => state.fail('circular import: the name is read while its module is still loading', at));
}

/** `import a.b.c` and `import a.b as c`. */
export function execImport(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const at = state.loc(node, file);
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === 'dotted_name') {
      const full = child.text;
      const top = full.split('.')[0];
      // `import a.b` binds `a`; make sure `a.b` resolves through it.
      if (full === top) scope.bindLazy(top, lazyImport(state, () => resolveImport(state, full, 0, file, at), at));
      else {
        scope.bindLazy(top, lazyImport(state, () => {
          resolveImport(state, full, 0, file, at);
          return resolveImport(state, top, 0, file, at);
        }, at));
      }
    } else if (child.type === 'aliased_import') {
      const nameNode = child.childForFieldName('name');
      const alias = child.childForFieldName('alias');
      if (nameNode && alias) scope.bindLazy(alias.text, lazyImport(state, () => resolveImport(state, nameNode.text, 0, file, at), at));
    }
  }
}

/** `from m import a, b as c`, `from . import sub` and `from m import *`. */
export function execImportFrom(state: InterpreterState, node: Node, scope: Scope, file: string): void {
  const at = state.loc(node, file);
  const modNode = node.childForFieldName('module_name');
  if (!modNode) return;
  let level = 0;
  let name = modNode.text;
  if (modNode.type === 'relative_import') {
    const prefix = modNode.namedChildren.find((c) => c?.type === 'import_prefix');
    level = prefix ? prefix.text.length : 0;
    name = modNode.namedChildren.find((c) => c?.type === 'dotted_name')?.text ?? '';
  }
  if (node.namedChildren.some((c) => c?.type === 'wildcard_import')) {
    const lazy = lazyStarSource(state, name, level, file, at);
    if (lazy) {
      scope.stars.push(lazy);
      return;
    }
    const mod = resolveImport(state, name, level, file, at);
    if (mod.k === 'module') {
      const exported = exportedNames(mod);
      for (const [k, v] of mod.attrs) if (exported ? exported.has(k) : !k.startsWith('_')) scope.vars.set(k, v);
      for (const [k, f] of mod.lazy ?? []) if (exported ? exported.has(k) : !k.startsWith('_')) scope.bindLazy(k, f);
    }
    return;
  }
  const mod = lazyValue(() => resolveImport(state, name, level, file, at), () => state.fail('circular import', at));
  for (const child of node.childrenForFieldName('name')) {
    if (!child) continue;
    let member = child.text;
    let alias = member;
    if (child.type === 'aliased_import') {
      member = child.childForFieldName('name')?.text ?? '';
      alias = child.childForFieldName('alias')?.text ?? member;
    }
    scope.bindLazy(alias, lazyImport(state, () => importFromMember(state, mod, name, level, member, file, at), at));
  }
}

/**
 * `from pkg import member`: Python imports pkg (running its `__init__.py`) and reads the attribute,
 * importing the submodule pkg.member only when the package has no such attribute. A package's
 * `__init__.py` that never names `member` (and has no star import that could bind it) cannot bind
 * it, so then the submodule's file is loaded without running the `__init__.py` (which often
 * imports the whole package).
 */
function importFromMember(state: InterpreterState, mod: () => Value, name: string, level: number, member: string, file: string, at: Loc): Value {
  // A modelled part of an installed package (`from torchvision import datasets`).
  const modelledPart = level === 0 && name ? state.lib.module(`${name}.${member}`) : undefined;
  if (modelledPart) return modelledPart;
  const subParts = [...(name ? name.split('.') : []), member];
  const modelled = level === 0 && !!state.lib.module(name);
  const submodule = (): ModuleV | undefined => {
    if (modelled) return undefined;
    const sub = findModuleFile(state, subParts, level, file, name ? `${name}.${member}` : member);
    if (sub) return sub;
    // An installed package's submodule (`from torchvision import models` in its __init__).
    return level === 0 ? loadInstalled(state, subParts) : undefined;
  };
  const init = modelled ? undefined : packageInitFile(state, name, level, file);
  if (!init || !initMayBind(state, init, member)) {
    const sub = submodule();
    if (sub) return sub;
  }
  const m = mod();
  if (m.k === 'module') {
    const v = getattrOrUndefined(state, m, member, at);
    if (v !== undefined) return v;
    const sub = submodule();
    if (sub) {
      if (!m.attrs.has(member)) m.attrs.set(member, sub);
      return sub;
    }
  }
  if (m.k === 'unknown') return m;
  throw new PyException('ImportError', `cannot import name '${member}' from '${'.'.repeat(level)}${name}'`, at);
}

/** The `__init__.py` of the package a `from` import names, when it is a package. */
function packageInitFile(state: InterpreterState, name: string, level: number, fromFile: string): string | undefined {
  const parts = name ? name.split('.') : [];
  const bases = [...importBases(level, fromFile), ...(level > 0 ? [] : state.source.libraryPaths ?? [])];
  for (const base of bases) {
    const init = path.join(base, ...parts, '__init__.py');
    if (isRegularFile(init)) return init;
    if (parts.length && isRegularFile(`${path.join(base, ...parts)}.py`)) return undefined;
  }
  return undefined;
}

/** True when a package's `__init__.py` may bind `member`: it names it, or has a star import. */
function initMayBind(state: InterpreterState, init: string, member: string): boolean {
  let texts = initTexts.get(state);
  if (!texts) initTexts.set(state, (texts = new Map()));
  let text = texts.get(init);
  if (text === undefined) {
    text = state.source.readFile(init) ?? '';
    texts.set(init, text);
  }
  return new RegExp(`\\b${member.replace(/[^\w]/g, '')}\\b`).test(text) || /\bimport\s+\*/.test(text);
}

// Per analysis: a package's __init__.py text, read once (an edited workspace file is read afresh next time).
const initTexts = new WeakMap<InterpreterState, Map<string, string>>();

/** A module's `__all__` as a set of names, or null when it has none. */
function exportedNames(mod: ModuleV): Set<string> | null {
  const all = mod.attrs.get('__all__');
  if (!all || (all.k !== 'list' && all.k !== 'tuple')) return null;
  return new Set(all.items.flatMap((v) => (v.k === 'str' ? [v.v] : [])));
}

const COMPOUND = new Set(['module', 'block', 'function_definition', 'class_definition', 'decorated_definition', 'if_statement', 'for_statement', 'while_statement', 'with_statement', 'try_statement']);

/**
 * Locations of syntax errors: the innermost statement (or ERROR node) containing each. Reported
 * when a file is loaded, so an error in a method that never runs is reported too.
 */
function syntaxErrors(node: Node, out: { line: number; reason: string }[]): void {
  for (const c of node.namedChildren) {
    if (!c || !c.hasError && c.type !== 'ERROR') continue;
    if (c.type === 'ERROR') out.push({ line: c.startPosition.row + 1, reason: 'syntax error: this part of the file was skipped' });
    else if (COMPOUND.has(c.type) || c.type.endsWith('_clause')) syntaxErrors(c, out);
    else out.push({ line: c.startPosition.row + 1, reason: 'syntax error: this statement was skipped' });
  }
}

/**
 * `from m import *` in an installed package's file, left unresolved: a name read later is looked
 * up in the package index (packageIndex.ts) among the files under m, and m is loaded only when one
 * of them defines it (or m's own text names it, for a re-export). Undefined for workspace files
 * and when m's file cannot be located (those resolve eagerly, as Python does).
 */
function lazyStarSource(state: InterpreterState, name: string, level: number, file: string, at: Loc): StarSource | undefined {
  const libraryPaths = state.source.libraryPaths ?? [];
  const root = packageRootOf(file, libraryPaths);
  if (!root) return undefined;
  const target = locateModule(name, level, file, root);
  if (!target) return undefined;
  let text: string | null = null;
  // The target re-exports `n` when an import statement of its own binds it (`from .x import n`,
  // `from .x import (a, n)`, `import y as n`); a mere mention of the word does not count.
  const named = (n: string): boolean => {
    text ??= state.source.readFile(target) ?? '';
    const w = n.replace(/[^\w]/g, '');
    return new RegExp(`\\bimport\\s+(?:\\([^)]*\\b${w}\\b[^)]*\\)|[^\\n(]*\\b${w}\\b)|\\bas\\s+${w}\\b`).test(text);
  };
  return (n: string) => {
    if (n.startsWith('__')) return undefined;
    if (!definersUnder(packageIndex(root), n, target).length && !named(n)) return undefined;
    const mod = resolveImport(state, name, level, file, at);
    if (mod.k !== 'module') return undefined;
    return getattrOrUndefined(state, mod, n, at);
  };
}

/** The file (`x.py` or `x/__init__.py`) a module name names from `file`, inside the package `root`. */
function locateModule(name: string, level: number, file: string, root: string): string | undefined {
  const parts = name ? name.split('.') : [];
  let base: string;
  if (level > 0) {
    base = path.dirname(file);
    for (let i = 1; i < level; i++) base = path.dirname(base);
  } else {
    if (parts[0] !== path.basename(root)) return undefined;
    base = path.dirname(root);
  }
  const stem = path.join(base, ...parts);
  for (const candidate of [path.join(stem, '__init__.py'), `${stem}.py`]) if (isRegularFile(candidate)) return candidate;
  return undefined;
}

/**
 * A registry that decorators fill as modules load (timm's `@register_model`, torchvision's
 * `BUILTIN_MODELS`): a string key missing from a dict that an installed package's code looks up
 * loads, once, the package's modules that define a function or class of that name (they register
 * it when they run). True when one was loaded, so the lookup is worth repeating.
 */
export function completeRegistry(state: InterpreterState, key: string, at: Loc): boolean {
  if (!/^[A-Za-z_]\w*$/.test(key)) return false;
  const libraryPaths = state.source.libraryPaths ?? [];
  const root = packageRootOf(at.file, libraryPaths);
  if (!root || state.registryTried.has(`${root}:${key}`)) return false;
  state.registryTried.add(`${root}:${key}`);
  let loaded = 0;
  for (const file of (packageIndex(root).decorated.get(key) ?? []).slice(0, 4)) {
    if (state.modules.has(file)) continue;
    const rel = path.relative(path.dirname(root), file).replace(/\.py$/, '').split(path.sep);
    if (rel[rel.length - 1] === '__init__') rel.pop();
    const resume = state.current;
    try {
      if (loadFile(state, file, rel.join('.'))) loaded++;
    } finally {
      state.current = resume;
    }
  }
  return loaded > 0;
}

/** `sys.modules[name]` for a loaded file (library code looks itself up there: timm's `register_model`). */
function registerSysModule(state: InterpreterState, mod: ModuleV): void {
  const sys = state.lib.module('sys');
  const modules = sys?.k === 'module' ? sys.attrs.get('modules') : undefined;
  if (modules?.k === 'dict') modules.map.set(repr(str(mod.name)), [str(mod.name), mod]);
}

import * as fs from 'fs';
import * as path from 'path';
import { Edit, Language, Node as TSNode, Parser, Point, Tree } from 'web-tree-sitter';

export type { Tree };

/**
 * A syntax node with its children, fields and text cached. The interpreter visits the same nodes
 * many times (a block class built N times, forward run per instance); each access of a raw
 * tree-sitter node crosses into wasm, so nodes are wrapped once per tree and memoised.
 */
export class SyntaxNode {
  readonly type: string;
  readonly isNamed: boolean;
  readonly hasError: boolean;
  readonly startPosition: Point;
  private textValue: string | undefined;
  private namedValue: SyntaxNode[] | undefined;
  private childrenValue: SyntaxNode[] | undefined;
  private readonly fields = new Map<string, SyntaxNode[]>();

  constructor(private readonly raw: TSNode, private readonly cache: Map<number, SyntaxNode>) {
    this.type = raw.type;
    this.isNamed = raw.isNamed;
    this.hasError = raw.hasError;
    this.startPosition = raw.startPosition;
  }

  private wrap(n: TSNode | null): SyntaxNode | null {
    if (!n) return null;
    let w = this.cache.get(n.id);
    if (!w) {
      w = new SyntaxNode(n, this.cache);
      this.cache.set(n.id, w);
    }
    return w;
  }

  get text(): string {
    return (this.textValue ??= this.raw.text);
  }

  /** Offset of the node's first character in the source (UTF-16 units). */
  get startIndex(): number {
    return this.raw.startIndex;
  }

  get endIndex(): number {
    return this.raw.endIndex;
  }

  /** Row and column (UTF-16 units... as tree-sitter counts them) one past the node's last character. */
  get endPosition(): Point {
    return this.raw.endPosition;
  }

  get namedChildren(): SyntaxNode[] {
    return (this.namedValue ??= this.raw.namedChildren.map((c) => this.wrap(c)).filter((c): c is SyntaxNode => c !== null));
  }

  private get allChildren(): SyntaxNode[] {
    return (this.childrenValue ??= this.raw.children.map((c) => this.wrap(c)).filter((c): c is SyntaxNode => c !== null));
  }

  get childCount(): number {
    return this.allChildren.length;
  }

  child(i: number): SyntaxNode | null {
    return this.allChildren[i] ?? null;
  }

  childrenForFieldName(name: string): SyntaxNode[] {
    let v = this.fields.get(name);
    if (!v) {
      v = this.raw.childrenForFieldName(name).map((c) => this.wrap(c)).filter((c): c is SyntaxNode => c !== null);
      this.fields.set(name, v);
    }
    return v;
  }

  childForFieldName(name: string): SyntaxNode | null {
    return this.childrenForFieldName(name)[0] ?? null;
  }
}

export type Node = SyntaxNode;

const roots = new WeakMap<Tree, SyntaxNode>();

/** The (memoised) root of a tree, as a cached SyntaxNode. */
export function syntaxRoot(tree: Tree): SyntaxNode {
  let r = roots.get(tree);
  if (!r) {
    r = new SyntaxNode(tree.rootNode, new Map());
    roots.set(tree, r);
  }
  return r;
}

let loading: Promise<Parser> | null = null;
let parser: Parser | null = null;

/** Finds a wasm file next to the bundle (dist/) or in node_modules (tests, CLI from out/). */
function locate(file: string, pkg: string): string {
  const candidates = [path.join(__dirname, file), path.join(__dirname, '..', file)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  return require.resolve(`${pkg}/${file}`);
}

/** Loads tree-sitter and its Python grammar once; later calls return the same parser. */
export function loadPythonParser(): Promise<Parser> {
  loading ??= (async () => {
    await Parser.init({ locateFile: () => locate('tree-sitter.wasm', 'web-tree-sitter') });
    const language = await Language.load(locate('tree-sitter-python.wasm', 'tree-sitter-python'));
    const p = new Parser();
    p.setLanguage(language);
    parser = p;
    return p;
  })();
  return loading;
}

/** The loaded parser; throws when `loadPythonParser()` has not finished. */
export function pythonParser(): Parser {
  if (!parser) throw new Error('the Python parser is not loaded yet (await loadPythonParser() first)');
  return parser;
}

/**
 * Largest source Memlens parses, in UTF-16 units (~25,000 lines of typical Python). Parsing is
 * synchronous in the language server; past this a file is reported as too large instead of
 * blocking the server for seconds.
 */
export const MAX_SOURCE_CHARS = 1_000_000;

export function isTooLarge(text: string): boolean {
  return text.length > MAX_SOURCE_CHARS;
}

export function parsePython(text: string, old?: Tree | null): Tree {
  const tree = pythonParser().parse(text, old ?? null);
  if (!tree) throw new Error('tree-sitter returned no tree');
  return tree;
}

/**
 * Trees of imported files, by path, reused while the file's text is unchanged: an analysis after
 * an edit of the entry file re-reads the same imports (torchvision's resnet.py pulls in a dozen),
 * and reparsing them, and re-wrapping their nodes, was ~40% of a warm analysis. Least recently
 * used entries beyond `capacity` are deleted, never one the running analysis has used.
 */
export class ImportedTrees {
  private readonly entries = new Map<string, { text: string; tree: Tree }>();

  constructor(private readonly capacity: number) {}

  tree(file: string, text: string, inUse: ReadonlySet<Tree>): Tree {
    const hit = this.entries.get(file);
    this.entries.delete(file);
    if (hit && hit.text === text) {
      this.entries.set(file, hit);
      return hit.tree;
    }
    if (hit && !inUse.has(hit.tree)) hit.tree.delete();
    // A huge imported file reads as an empty module (its names then become unknowns).
    const tree = parsePython(isTooLarge(text) ? '' : text);
    this.entries.set(file, { text, tree });
    for (const [key, e] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (inUse.has(e.tree) || e.tree === tree) continue;
      e.tree.delete();
      this.entries.delete(key);
    }
    return tree;
  }
}

// Sized for a model from an installed library: transformers' GPT-2 reads ~150 of its files.
export const importedTrees = new ImportedTrees(512);

function pointAt(text: string, offset: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

/** One text replacement, in offsets of the text before it (UTF-16 units, as tree-sitter's JS API counts). */
export interface TextChange {
  start: number;
  end: number;
  text: string;
}

/**
 * A Python source kept parsed across edits: each change is applied to the old tree with
 * `Tree.edit` and the text is reparsed incrementally from it.
 */
export class ParsedSource {
  private treeValue: Tree;

  constructor(private textValue: string) {
    this.treeValue = parsePython(isTooLarge(textValue) ? '' : textValue);
  }

  /** True when the text is over MAX_SOURCE_CHARS: the tree is then of an empty module. */
  get tooLarge(): boolean {
    return isTooLarge(this.textValue);
  }

  get text(): string {
    return this.textValue;
  }

  get tree(): Tree {
    return this.treeValue;
  }

  /** Apply changes in order (each in offsets of the text as left by the previous one). */
  update(changes: readonly TextChange[]): void {
    let text = this.textValue;
    const tree = this.treeValue;
    const wasTooLarge = this.tooLarge;
    for (const c of changes) text = text.slice(0, c.start) + c.text + text.slice(c.end);
    if (wasTooLarge || isTooLarge(text)) {
      this.textValue = text;
      this.treeValue = parsePython(isTooLarge(text) ? '' : text);
      tree.delete();
      return;
    }
    text = this.textValue;
    for (const c of changes) {
      const edit: Edit = {
        startIndex: c.start,
        oldEndIndex: c.end,
        newEndIndex: c.start + c.text.length,
        startPosition: pointAt(text, c.start),
        oldEndPosition: pointAt(text, c.end),
        newEndPosition: { row: 0, column: 0 },
      };
      text = text.slice(0, c.start) + c.text + text.slice(c.end);
      edit.newEndPosition = pointAt(text, edit.newEndIndex);
      tree.edit(edit);
    }
    this.textValue = text;
    this.treeValue = parsePython(text, tree);
    tree.delete();
  }

  /** Replace the whole text (a full-document sync). */
  replace(text: string): void {
    this.update([{ start: 0, end: this.textValue.length, text }]);
  }

  dispose(): void {
    this.treeValue.delete();
  }
}

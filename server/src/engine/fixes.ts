// Quick fixes that lower the training-step peak, each simulated before it is offered: activation
// checkpointing of a submodule call (`checkpoint(self.layer3, x, use_reentrant=False)`), of an
// nn.Sequential in segments (`checkpoint_sequential`), of every call of a block class, and
// forward under autocast. Each carries the edits that make the code do it — the analysis of the
// edited text reads them back (interpreter/torch/checkpoint.ts) and shows the same peak.

import { formatBytes } from '../report/units';
import type { Node, Tree } from '../python/parser';
import { syntaxRoot } from '../python/parser';
import type { ModuleCall } from '../interpreter/torch/library';
import { CheckpointRegion, simulateStep } from '../memory/simulate';
import type { AnalysisSettings, FixSuggestion, SourceEdit } from '../report/types';
import { callRegion, fullRecompute, regionFlops, segmentRegions } from './checkpointPlan';
import { firstPass, stepInputOf } from './report';
import type { ForwardPass, RunResult } from './run';

/** A call of a submodule written in the analyzed file (`self.layer3(x)`, `block(x)` in a loop). */
export interface CallSite {
  /** The call expression. */
  readonly node: Node;
  /** The callee's text (`self.layer3`) and the arguments' (`x, mask=m`). */
  readonly callee: string;
  readonly args: string;
  /** The module calls it made in one forward (one per loop iteration), in order. */
  readonly calls: ModuleCall[];
  readonly className: string;
  /** Children of the nn.Sequential it calls (checkpoint_sequential's functions), else null. */
  readonly sequential: number | null;
}

/** Names that are not module calls when they are called on a line (fallback matching). */
const NOT_MODULES = /^(torch|F|nn|np|math|super|len|range|print|getattr|setattr|isinstance|enumerate|zip|list|tuple|dict|int|float|max|min|sum|abs|any|all|sorted|reversed|map|filter|checkpoint|checkpoint_sequential)\b/;

/** The calls of each row of the file, innermost first (Python's evaluation order). */
function callsByRow(tree: Tree): Map<number, Node[]> {
  const rows = new Map<number, Node[]>();
  const visit = (n: Node) => {
    for (const c of n.namedChildren) visit(c);
    if (n.type === 'call') {
      const row = n.startPosition.row;
      let list = rows.get(row);
      if (!list) rows.set(row, (list = []));
      list.push(n);
    }
  };
  visit(syntaxRoot(tree));
  return rows;
}

function calleeName(call: Node): { name: string | null; owner: string | null } {
  const fn = call.childForFieldName('function');
  if (!fn) return { name: null, owner: null };
  if (fn.type === 'identifier') return { name: fn.text, owner: null };
  if (fn.type === 'attribute') return { name: fn.childForFieldName('attribute')?.text ?? null, owner: null };
  if (fn.type === 'subscript') {
    const value = fn.childForFieldName('value');
    return { name: null, owner: value?.type === 'attribute' ? value.childForFieldName('attribute')?.text ?? null : value?.text ?? null };
  }
  return { name: null, owner: null };
}

/**
 * The submodule call sites of the analyzed file that one forward ran: calls made from its code
 * (not from a library's or a container's), not inside code that checkpoints already, matched to
 * the call expression by the module's attribute name (`self.layer3`), its container's
 * (`self.blocks[i]`), or as the only other call on the line (`block(x)`).
 */
export function callSites(pass: ForwardPass, file: string, tree: Tree): CallSite[] {
  const rows = callsByRow(tree);
  const inCode = (c: ModuleCall) => pass.regions.some((r) => c.firstOp >= r.first && c.lastOp <= r.end);
  const byLine = new Map<number, ModuleCall[]>();
  for (const c of pass.calls) {
    if (c.lastOp <= c.firstOp || c.line.file !== file || c.path === '' || inCode(c)) continue;
    const list = byLine.get(c.line.line) ?? [];
    // Calls a call at the same line made (a Sequential's children) belong to it.
    if (list.some((d) => d.firstOp <= c.firstOp && c.lastOp <= d.lastOp)) continue;
    list.push(c);
    byLine.set(c.line.line, list);
  }
  const sites = new Map<Node, { calls: ModuleCall[] }>();
  for (const [line, calls] of byLine) {
    const nodes = (rows.get(line - 1) ?? []).filter((n) => n.childForFieldName('arguments')?.type === 'argument_list');
    const named = (c: ModuleCall) => {
      const parts = c.path.split('.');
      const seg = parts[parts.length - 1];
      const parent = parts.length > 1 ? parts[parts.length - 2] : null;
      return nodes.find((n) => calleeName(n).name === seg) ?? (/^\d+$/.test(seg) ? nodes.find((n) => calleeName(n).owner === parent) : undefined);
    };
    const matched = new Map<ModuleCall, Node>();
    for (const c of calls) {
      const n = named(c);
      if (n) matched.set(c, n);
    }
    const taken = new Set(matched.values());
    const rest = nodes.filter((n) => !taken.has(n) && !NOT_MODULES.test(n.childForFieldName('function')?.text ?? ''));
    for (const c of calls) {
      if (matched.has(c)) continue;
      if (rest.length === 1) matched.set(c, rest[0]);
    }
    for (const [c, n] of matched) {
      const s = sites.get(n) ?? { calls: [] };
      s.calls.push(c);
      sites.set(n, s);
    }
  }
  const out: CallSite[] = [];
  for (const [node, { calls }] of sites) {
    const args = node.childForFieldName('arguments')!;
    const inner = args.text.slice(1, -1).trim().replace(/,\s*$/, '');
    const cls = calls[0].module.cls;
    if (calls.some((c) => c.module.cls !== cls)) continue;
    const children = cls.name === 'Sequential' ? [...(calls[0].module.module?.children.values() ?? [])].filter((v) => v.k === 'instance').length : 0;
    out.push({ node, callee: node.childForFieldName('function')!.text, args: inner, calls, className: cls.name, sequential: children >= 2 ? children : null });
  }
  return out.sort((a, b) => a.calls[0].firstOp - b.calls[0].firstOp);
}

/** Regions checkpointing a site's calls whole. */
export function siteRegions(site: CallSite, run: RunResult): CheckpointRegion[] {
  const full = fullRecompute(run.tracer.ctx.torch);
  return site.calls.map((c) => callRegion(c, full));
}

/**
 * PyTorch 1.x's checkpoint_sequential takes no `use_reentrant` (it raises on it) and is always
 * reentrant: the edit leaves the keyword out there, and the regions are reentrant.
 */
export function sequentialReentrant(run: RunResult): boolean {
  return run.tracer.ctx.torch[0] < 2;
}

/** Regions of `checkpoint_sequential(seq, k, x)` on a site's calls: the children in k segments, the last one not checkpointed. */
export function sequentialRegions(site: CallSite, k: number, pass: ForwardPass, run: RunResult): CheckpointRegion[] {
  const reentrant = sequentialReentrant(run);
  const full = reentrant || fullRecompute(run.tracer.ctx.torch);
  return site.calls.flatMap((c) => segmentRegions(c, pass.calls, k, full, reentrant));
}

/** FLOPs of the ops in `regions` as a fraction of the forward's. */
export function recomputeFraction(pass: ForwardPass, regions: readonly CheckpointRegion[]): number {
  const total = pass.ops.reduce((s, o) => s + o.flops, 0);
  return total > 0 ? regionFlops(pass.ops, regions) / total : 0;
}

const pct = (f: number) => (f > 0 && f < 0.005 ? '<1%' : `${Math.round(f * 100)}%`);

/** "saves 1.4 GiB of peak, recomputes 12% of forward" */
export function savingText(saved: number, recompute: number | null): string {
  return `saves ${formatBytes(saved)} of peak${recompute !== null ? `, recomputes ${pct(recompute)} of forward` : ''}`;
}

function rangeEdit(n: Node, newText: string): SourceEdit {
  return { startLine: n.startPosition.row, startCharacter: n.startPosition.column, endLine: n.endPosition.row, endCharacter: n.endPosition.column, newText };
}

/**
 * How the file spells torch.utils.checkpoint's `fn`: the name it imported it as
 * (`from torch.utils.checkpoint import checkpoint as ckpt`), else through the module as the file
 * imported it (`import torch.utils.checkpoint as cp` → `cp.checkpoint`, `from torch.utils import
 * checkpoint` → `checkpoint.checkpoint`), else the bare name, which then needs its import.
 */
export function spelledCheckpoint(tree: Tree, fn: 'checkpoint' | 'checkpoint_sequential'): { name: string; needsImport: boolean } {
  let direct: string | null = null;
  let module: string | null = null;
  for (const s of syntaxRoot(tree).namedChildren) {
    if (s.type === 'import_from_statement') {
      const from = s.childForFieldName('module_name')?.text;
      for (const n of s.childrenForFieldName('name')) {
        const name = n.type === 'aliased_import' ? n.childForFieldName('name')?.text : n.text;
        const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text ?? name : name;
        if (from === 'torch.utils.checkpoint' && name === fn) direct = alias ?? null;
        if (from === 'torch.utils' && name === 'checkpoint') module = alias ?? null;
      }
    } else if (s.type === 'import_statement') {
      for (const n of s.childrenForFieldName('name')) {
        if (n.type === 'aliased_import' && n.childForFieldName('name')?.text === 'torch.utils.checkpoint') module = n.childForFieldName('alias')?.text ?? null;
        else if (n.text === 'torch.utils.checkpoint') module ??= 'torch.utils.checkpoint';
      }
    }
  }
  if (direct) return { name: direct, needsImport: false };
  if (module) return { name: `${module}.${fn}`, needsImport: false };
  return { name: fn, needsImport: true };
}

/** The call rewritten to run under checkpoint (`name`: how the file spells it). */
export function checkpointEdit(site: CallSite, name = 'checkpoint'): SourceEdit {
  return rangeEdit(site.node, `${name}(${site.callee}, ${site.args ? `${site.args}, ` : ''}use_reentrant=False)`);
}

export function sequentialEdit(site: CallSite, k: number, reentrant = false, name = 'checkpoint_sequential'): SourceEdit {
  return rangeEdit(site.node, `${name}(${site.callee}, ${k}, ${site.args}${reentrant ? '' : ', use_reentrant=False'})`);
}

/**
 * The edit that imports `names` from torch.utils.checkpoint unless the file does: added to an
 * existing `from torch.utils.checkpoint import …` line, else a line of its own after the last
 * import of the file's leading imports (after its docstring when it has none).
 */
export function importEdit(tree: Tree, names: readonly string[]): SourceEdit | null {
  const root = syntaxRoot(tree);
  const have = new Set<string>();
  let existing: Node | null = null;
  for (const s of root.namedChildren) {
    if (s.type !== 'import_from_statement') continue;
    if (s.childForFieldName('module_name')?.text !== 'torch.utils.checkpoint') continue;
    for (const n of s.childrenForFieldName('name')) {
      const alias = n.type === 'aliased_import' ? n.childForFieldName('alias')?.text : null;
      have.add(alias ?? (n.type === 'aliased_import' ? n.childForFieldName('name')?.text ?? '' : n.text));
    }
    if (!s.text.includes('(') && !s.text.includes('\\')) existing = s;
  }
  const missing = names.filter((n) => !have.has(n));
  if (!missing.length) return null;
  if (existing) {
    const end = existing.endPosition;
    return { startLine: end.row, startCharacter: end.column, endLine: end.row, endCharacter: end.column, newText: `, ${missing.join(', ')}` };
  }
  let anchor: Node | null = null;
  const statements = root.namedChildren;
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i];
    if (s.type === 'comment') continue;
    if (s.type === 'import_statement' || s.type === 'import_from_statement' || s.type === 'future_import_statement') anchor = s;
    else if (i === 0 && s.type === 'expression_statement' && s.namedChildren[0]?.type === 'string') anchor = s;
    else break;
  }
  const row = anchor ? anchor.endPosition.row + 1 : 0;
  return { startLine: row, startCharacter: 0, endLine: row, endCharacter: 0, newText: `from torch.utils.checkpoint import ${missing.join(', ')}\n` };
}

/** The training-step peak of a pass with extra regions checkpointed. */
export function peakWith(run: RunResult, pass: ForwardPass, settings: AnalysisSettings, regions: readonly CheckpointRegion[]): number {
  return simulateStep({ ...stepInputOf(run, pass, settings, regions), totalsOnly: true }).peakBytes;
}

/** The `def forward` of the model's class in the analyzed file, if it is there. */
export function modelForward(run: RunResult, file: string, tree: Tree): Node | null {
  const loc = run.model.cls.loc;
  if (!loc || loc.file !== file) return null;
  const root = syntaxRoot(tree);
  const find = (n: Node): Node | null => {
    for (const c of n.namedChildren) {
      const def = c.type === 'decorated_definition' ? c.childForFieldName('definition') : c;
      if (def?.type === 'class_definition' && def.childForFieldName('name')?.text === run.model.cls.name && def.startPosition.row + 1 >= loc.line - 2 && def.startPosition.row + 1 <= loc.line + 2) return def;
      if (def && (def.type === 'class_definition' || def.type === 'function_definition')) continue;
      const deeper = c.type === 'if_statement' || c.type === 'try_statement' ? find(c) : null;
      if (deeper) return deeper;
    }
    return null;
  };
  const cls = find(root);
  const body = cls?.childForFieldName('body');
  for (const c of body?.namedChildren ?? []) {
    const def = c.type === 'decorated_definition' ? c.childForFieldName('definition') : c;
    if (def?.type === 'function_definition' && def.childForFieldName('name')?.text === 'forward') return def;
  }
  return null;
}

/**
 * The edit that runs forward's body under `torch.autocast`: a `with` line at the body's
 * indentation, every line of the body indented one level more (lines inside a multi-line string
 * kept as they are). Null when the body starts on the `def` line or forward already uses autocast.
 */
export function autocastEdit(forward: Node, text: string, deviceType: string, dtype: string): SourceEdit | null {
  const body = forward.childForFieldName('body');
  if (!body || body.startPosition.row === forward.startPosition.row || /\bautocast\b/.test(body.text)) return null;
  const lines = text.split('\n');
  const first = body.startPosition.row;
  const last = body.endPosition.row;
  const indent = /^[ \t]*/.exec(lines[first])![0];
  const defIndent = /^[ \t]*/.exec(lines[forward.startPosition.row])![0];
  const unit = indent.startsWith(defIndent) && indent.length > defIndent.length ? indent.slice(defIndent.length) : '    ';
  // Rows inside a multi-line string (after its first): their text is the string's, not code.
  const verbatim = new Set<number>();
  const visit = (n: Node) => {
    if (n.type === 'string' && n.endPosition.row > n.startPosition.row) for (let r = n.startPosition.row + 1; r <= n.endPosition.row; r++) verbatim.add(r);
    else for (const c of n.namedChildren) visit(c);
  };
  visit(body);
  const out = [`${indent}with torch.autocast(device_type="${deviceType}", dtype=torch.${dtype}):`];
  for (let r = first; r <= last; r++) {
    const l = lines[r].replace(/\r$/, '');
    out.push(verbatim.has(r) || l.trim() === '' ? l : `${unit}${l}`);
  }
  const lastText = lines[last].replace(/\r$/, '');
  return { startLine: first, startCharacter: 0, endLine: last, endCharacter: lastText.length, newText: out.join('\n') };
}

/** `import torch` at the top when the file has no top-level `import torch`. */
function torchImportEdit(tree: Tree): SourceEdit | null {
  const root = syntaxRoot(tree);
  if (root.namedChildren.some((s) => s.type === 'import_statement' && s.childrenForFieldName('name').some((n) => n.text === 'torch' || (n.type === 'aliased_import' && n.childForFieldName('name')?.text === 'torch' && n.childForFieldName('alias')?.text === 'torch')))) return null;
  return { startLine: 0, startCharacter: 0, endLine: 0, endCharacter: 0, newText: 'import torch\n' };
}

/**
 * The fixes worth offering for the analyzed file, each simulated: checkpoint each call site (an
 * nn.Sequential also in its best number of segments), checkpoint every call of a class called
 * from several sites or a loop (autocast: `autocastFixes`). Only those that lower the peak, at
 * most `limit` call sites simulated (the largest first).
 */
export function suggestFixes(run: RunResult, settings: AnalysisSettings, file: string, tree: Tree, planRegions: readonly CheckpointRegion[], basePeak: number, check: () => void = () => undefined, limit = 48): FixSuggestion[] {
  const pass = firstPass(run);
  const sites = callSites(pass, file, tree);
  const fixes: FixSuggestion[] = [];
  const flopsOf = (c: ModuleCall) => pass.ops.slice(c.firstOp, c.lastOp).reduce((s, o) => s + o.flops, 0);
  const ranked = [...sites].sort((a, b) => b.calls.reduce((s, c) => s + flopsOf(c) + (c.lastOp - c.firstOp), 0) - a.calls.reduce((s, c) => s + flopsOf(c) + (c.lastOp - c.firstOp), 0)).slice(0, limit);
  const evaluate = (regions: CheckpointRegion[]) => {
    const peak = peakWith(run, pass, settings, [...planRegions, ...regions]);
    return { peak, saved: basePeak - peak, recompute: recomputeFraction(pass, regions) };
  };
  const spelled = { checkpoint: spelledCheckpoint(tree, 'checkpoint'), checkpoint_sequential: spelledCheckpoint(tree, 'checkpoint_sequential') };
  const withImport = (edits: SourceEdit[], names: ('checkpoint' | 'checkpoint_sequential')[]) => {
    const imp = importEdit(tree, names.filter((n) => spelled[n].needsImport));
    return imp ? [imp, ...edits] : edits;
  };
  for (const site of ranked) {
    check();
    const line = site.node.startPosition.row;
    const n = site.calls.length;
    const times = n > 1 ? ` (${n} calls)` : '';
    const whole = evaluate(siteRegions(site, run));
    if (whole.saved > 0) {
      fixes.push({
        kind: 'checkpoint', title: `Checkpoint this call${times} — ${savingText(whole.saved, whole.recompute)}`, line,
        peakBytes: whole.peak, savedBytes: whole.saved, recompute: whole.recompute, edits: withImport([checkpointEdit(site, spelled.checkpoint.name)], ['checkpoint']),
      });
    }
    if (site.sequential !== null && !site.args.includes(',') && !site.args.includes('=') && site.args !== '') {
      let best: { k: number; peak: number; saved: number; recompute: number } | null = null;
      for (let k = 2; k <= Math.min(site.sequential, 8); k++) {
        const regions = sequentialRegions(site, k, pass, run);
        if (!regions.length) continue;
        const e = evaluate(regions);
        if (!best || e.peak < best.peak || (e.peak === best.peak && e.recompute < best.recompute)) best = { k, ...e };
      }
      if (best && best.saved > 0) {
        fixes.push({
          kind: 'checkpoint-sequential', title: `Checkpoint ${site.callee} in ${best.k} segments (checkpoint_sequential) — ${savingText(best.saved, best.recompute)}`, line,
          peakBytes: best.peak, savedBytes: best.saved, recompute: best.recompute, edits: withImport([sequentialEdit(site, best.k, sequentialReentrant(run), spelled.checkpoint_sequential.name)], ['checkpoint_sequential']),
        });
      }
    }
  }
  // Every call of a class (a block used in a loop or from several sites), on the class's line.
  const byClass = new Map<string, CallSite[]>();
  for (const s of sites) if (s.className !== 'Sequential' && s.calls[0].module.cls.loc?.file === file) byClass.set(s.className, [...(byClass.get(s.className) ?? []), s]);
  for (const [name, group] of byClass) {
    const calls = group.reduce((t, s) => t + s.calls.length, 0);
    if (calls < 2) continue;
    const regions = group.flatMap((s) => siteRegions(s, run));
    const e = evaluate(regions);
    const clsLoc = group[0].calls[0].module.cls.loc!;
    if (e.saved > 0) {
      fixes.push({
        kind: 'checkpoint-class', title: `Checkpoint every call of ${name} (${calls} calls) — ${savingText(e.saved, e.recompute)}`, line: clsLoc.line - 1,
        peakBytes: e.peak, savedBytes: e.saved, recompute: e.recompute, edits: withImport(group.map((s) => checkpointEdit(s, spelled.checkpoint.name)), ['checkpoint']),
      });
    }
  }
  // A saving under 1% of the peak is not worth an edit.
  return fixes.filter((f) => f.savedBytes >= basePeak * 0.01);
}

/**
 * Activations that can run in place and whose backward needs only their result (derivatives.yaml:
 * `relu_`, `hardtanh_`, `leaky_relu_` with a positive slope, `elu_` use `result`), so writing over
 * their input is safe when nothing else needs that input.
 */
const IN_PLACE_SAFE = new Set(['ReLU', 'ReLU6', 'LeakyReLU', 'ELU', 'Hardtanh']);
const MAX_INPLACE_ANALYSES = 3;

/**
 * "Use inplace=True" on the line that builds an activation, when every call of every module built
 * there may overwrite its input: the input is an activation (not the model's input or a
 * parameter), no op saves it for backward, and nothing uses it afterwards. The saving is the
 * analysis of the edited text (`reanalyze`: its peak, or null when it fails).
 */
export function inplaceFixes(run: RunResult, file: string, tree: Tree, basePeak: number, reanalyze: (edits: SourceEdit[]) => number | null, check: () => void = () => undefined): FixSuggestion[] {
  const pass = firstPass(run);
  const savedBy = new Map<number, number>();
  const lastUse = new Map<number, number>();
  pass.ops.forEach((op, i) => {
    for (const s of op.saved) savedBy.set(s.id, (savedBy.get(s.id) ?? 0) + 1);
    for (const t of op.inputs) lastUse.set(t.storage.id, i);
  });
  const kept = new Set([...pass.outputs.map((t) => t.storage.id), ...(pass.loss ? [pass.loss.storage.id] : [])]);
  const first = pass.ops[0]?.index ?? 0;
  // Construction lines of the analyzed file → whether every call of every module built there is safe.
  const lines = new Map<number, { safe: boolean; cls: string }>();
  for (const c of pass.calls) {
    const m = c.module;
    const created = m.module?.created;
    if (!created || created.file !== file || !IN_PLACE_SAFE.has(m.cls.name) || c.lastOp <= c.firstOp) continue;
    if (m.attrs.get('inplace')?.k === 'bool' && (m.attrs.get('inplace') as { v: boolean }).v) continue;
    const at = lines.get(created.line) ?? { safe: true, cls: m.cls.name };
    const pos = c.firstOp - first;
    const op = pass.ops[pos];
    const input = op?.inputs[0];
    const ok = !!op && c.lastOp - c.firstOp === 1 && !!input && input.storage.kind === 'activation' && !savedBy.has(input.storage.id)
      && lastUse.get(input.storage.id) === pos && !kept.has(input.storage.id) && !(run.tracer.heldUntil.get(input.storage.id)! > op.index);
    at.safe &&= ok;
    lines.set(created.line, at);
  }
  const fixes: FixSuggestion[] = [];
  const rows = callsByRow(tree);
  // Each candidate is a whole analysis of the edited text: a few at most.
  let analyses = 0;
  for (const [line, { safe, cls }] of lines) {
    if (!safe || analyses >= MAX_INPLACE_ANALYSES) continue;
    check();
    const node = (rows.get(line - 1) ?? []).find((n) => {
      const fn = n.childForFieldName('function')?.text ?? '';
      return fn === cls || fn.endsWith(`.${cls}`);
    });
    const args = node?.childForFieldName('arguments');
    if (!node || !args || /\binplace\b/.test(args.text)) continue;
    const inner = args.text.slice(1, -1).trim().replace(/,\s*$/, '');
    const edit = rangeEdit(args, `(${inner ? `${inner}, ` : ''}inplace=True)`);
    analyses++;
    const peak = reanalyze([edit]);
    if (peak === null || !(basePeak - peak >= basePeak * 0.01)) continue;
    fixes.push({ kind: 'inplace', title: `Use inplace=True — ${savingText(basePeak - peak, null)}`, line: line - 1, peakBytes: peak, savedBytes: basePeak - peak, recompute: 0, edits: [edit] });
  }
  return fixes;
}

/**
 * "Run forward under autocast" on the model's `def forward`: the forward pass of `autocastRun` (the
 * model run again with its forward under autocast bfloat16), simulated with the plan in force.
 */
export function autocastFixes(run: RunResult, settings: AnalysisSettings, file: string, tree: Tree, text: string, planRegions: readonly CheckpointRegion[], basePeak: number, autocastRun: RunResult | null): FixSuggestion[] {
  const pass = firstPass(run);
  const fixes: FixSuggestion[] = [];
  const forward = modelForward(run, file, tree);
  if (autocastRun?.autocast && forward) {
    const peak = peakWith(autocastRun, autocastRun.autocast, settings, regionsFor(autocastRun.autocast, planRegions, pass));
    const deviceType = settings.device === 'cuda' ? 'cuda' : settings.device === 'mps' ? 'mps' : 'cpu';
    const dtypes = settings.device === 'cuda' ? ['bfloat16', 'float16'] : ['bfloat16'];
    for (const dtype of dtypes) {
      const edit = autocastEdit(forward, text, deviceType, dtype);
      if (!edit || !(basePeak - peak > 0)) continue;
      const imp = torchImportEdit(tree);
      fixes.push({
        kind: 'autocast', title: `Run forward under autocast (${dtype}) — ${savingText(basePeak - peak, null)}`, line: forward.startPosition.row,
        peakBytes: peak, savedBytes: basePeak - peak, recompute: 0, edits: imp ? [imp, edit] : [edit],
      });
    }
  }
  return fixes.filter((f) => f.savedBytes >= basePeak * 0.01);
}

/** Plan regions (given for `from`'s calls) carried to another pass of the same model, by module path. */
export function regionsFor(to: ForwardPass, regions: readonly CheckpointRegion[], from: ForwardPass): CheckpointRegion[] {
  if (!regions.length) return [];
  const out: CheckpointRegion[] = [];
  for (const r of regions) {
    const a = from.calls.find((c) => c.firstOp === r.first);
    const b = [...from.calls].reverse().find((c) => c.lastOp === r.end);
    if (!a || !b) continue;
    const ia = from.calls.indexOf(a);
    const ib = from.calls.indexOf(b);
    const ta = to.calls[ia];
    const tb = to.calls[ib];
    if (ta?.path === a.path && tb?.path === b.path) out.push({ ...r, first: ta.firstOp, end: tb.lastOp });
  }
  return out;
}


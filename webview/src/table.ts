// Below the chart: the per-layer table (sortable, filterable, rows select a layer's span on the
// chart), the largest tensors at the peak, and the settings the numbers were computed at.

import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { TimelineData, WhatIf } from '../../protocol/messages';
import type { LayerReport, PeakTensor, Report } from '../../protocol/report';
import { formatBytes, formatCount, formatMaxBatch } from '../../common/units';
import { LAYER_NAMES } from './theme';

export interface SortState {
  key: string;
  descending: boolean;
}

export interface Reveal {
  (file: string | undefined, line: number): void;
}

/** An element with text (and an optional class). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function shapeText(shape: readonly number[] | null | undefined): string {
  if (!shape) return '—';
  return shape.length === 0 ? 'scalar' : `[${shape.join(', ')}]`;
}

function numel(shape: readonly number[] | null): number {
  if (!shape) return -1;
  return shape.reduce((a, b) => a * b, 1);
}

/** A line number as a link that reveals it (file absent: the report's own file). */
export function lineLink(line: number | null, file: string | undefined, reveal: Reveal, reportFile: string): HTMLElement {
  if (line === null || line === undefined) return el('span', 'muted', '—');
  const b = el('button', 'link', String(line));
  b.type = 'button';
  const shown = file && file !== reportFile ? `${basename(file)}:${line}` : String(line);
  b.textContent = shown;
  b.title = `Go to ${file ? basename(file) : basename(reportFile)}:${line}`;
  b.setAttribute('aria-label', `Go to line ${line}${file && file !== reportFile ? ` of ${basename(file)}` : ''}`);
  b.dataset.line = String(line);
  b.addEventListener('click', (e) => {
    e.stopPropagation();
    reveal(file && file !== reportFile ? file : undefined, line);
  });
  b.addEventListener('keydown', (e) => e.stopPropagation());
  return b;
}

export function basename(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] || file;
}

function bytesCell(n: number, bound: boolean): HTMLTableCellElement {
  const td = el('td', 'num');
  if (n === 0) {
    td.textContent = '0 B';
    td.classList.add('zero');
  } else {
    td.textContent = `${bound ? '≥ ' : ''}${formatBytes(n)}`;
  }
  return td;
}

interface Column {
  key: string;
  label: string;
  numeric: boolean;
  title?: string;
  value: (l: LayerReport) => number | string;
}

const COLUMNS: Column[] = [
  { key: 'path', label: 'layer', numeric: false, value: (l) => l.path },
  { key: 'kind', label: 'kind', numeric: false, value: (l) => l.kind },
  { key: 'line', label: 'line', numeric: true, value: (l) => l.callLine ?? l.line },
  { key: 'params', label: 'params', numeric: true, title: 'Parameters (elements)', value: (l) => l.params },
  { key: 'shape', label: 'output shape', numeric: false, value: (l) => numel(l.outputShape) },
  { key: 'saved', label: 'saved', numeric: true, title: 'Bytes saved for backward', value: (l) => l.savedBytes },
  { key: 'atPeak', label: 'at peak', numeric: true, title: 'Its bytes alive at the training-step peak', value: (l) => l.atPeakBytes },
  { key: 'weights', label: 'weights', numeric: true, title: 'Parameters + gradients + optimizer state', value: (l) => l.paramBytes + l.gradBytes + l.optimizerBytes },
];

/** Rows beyond this many wait for "Show all" (a model with thousands of layers). */
const ROW_LIMIT = 1500;

export interface LayerTableEvents {
  select(path: string | null): void;
  reveal: Reveal;
  changed(): void;
}

export class LayerTable {
  readonly section: HTMLElement;
  sort: SortState | null = null;
  filter = '';
  selected: string | null = null;
  private readonly table: HTMLTableElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly count: HTMLElement;
  private readonly field: HTMLElement & { value: string };
  private readonly more: HTMLElement;
  private readonly headers = new Map<string, HTMLTableCellElement>();
  private layers: LayerReport[] = [];
  private rows = new Map<string, HTMLTableRowElement>();
  private order: LayerReport[] = [];
  private showAll = false;
  private filterTimer = 0;

  constructor(parent: HTMLElement, private readonly events: LayerTableEvents) {
    this.section = el('section', 'section layers');
    this.section.id = 'layers';
    this.section.setAttribute('aria-labelledby', 'layers-title');
    const head = el('div', 'section-head');
    const h = el('h2', undefined, 'Layers');
    h.id = 'layers-title';
    this.count = el('span', 'count');
    this.count.id = 'layer-count';
    this.field = document.createElement('vscode-textfield') as unknown as HTMLElement & { value: string };
    this.field.id = 'layer-filter';
    this.field.className = 'filter';
    this.field.setAttribute('placeholder', 'Filter by path or kind');
    this.field.setAttribute('aria-label', 'Filter layers by path or kind');
    this.field.addEventListener('input', () => {
      window.clearTimeout(this.filterTimer);
      this.filterTimer = window.setTimeout(() => this.setFilter(this.field.value ?? ''), 80);
    });
    const hint = el('span', 'muted', 'Select a row to mark its operations on the chart (arrow keys move, Enter selects, G goes to its line).');
    hint.id = 'layers-hint';
    head.append(h, this.count, el('span', 'spacer'), hint, this.field);
    const wrap = el('div', 'table-wrap');
    this.table = el('table', 'data layer-table');
    this.table.id = 'layer-table';
    this.table.setAttribute('role', 'grid');
    this.table.setAttribute('aria-readonly', 'true');
    this.table.setAttribute('aria-labelledby', 'layers-title');
    this.table.setAttribute('aria-describedby', 'layers-hint');
    const thead = el('thead');
    const tr = el('tr');
    for (const c of COLUMNS) {
      const th = el('th', c.numeric ? 'num' : undefined);
      th.scope = 'col';
      th.dataset.key = c.key;
      th.setAttribute('aria-sort', 'none');
      const b = el('button');
      b.type = 'button';
      b.append(c.label);
      const arrow = el('span', 'arrow');
      arrow.setAttribute('aria-hidden', 'true');
      b.append(arrow);
      b.title = `${c.title ? `${c.title}. ` : ''}Sort by ${c.label}`;
      b.addEventListener('click', () => this.toggleSort(c));
      th.append(b);
      tr.append(th);
      this.headers.set(c.key, th);
    }
    thead.append(tr);
    this.tbody = el('tbody');
    this.table.append(thead, this.tbody);
    this.tbody.addEventListener('keydown', (e) => this.onKey(e));
    wrap.append(this.table);
    this.more = el('div', 'more-rows');
    this.more.hidden = true;
    this.section.append(head, wrap, this.more);
    parent.append(this.section);
  }

  /** Restores sort, filter and selection (persisted state), before or after data. */
  restore(sort: SortState | undefined, filter: string | undefined, selected: string | null | undefined): void {
    this.sort = sort && COLUMNS.some((c) => c.key === sort.key) ? { key: sort.key, descending: !!sort.descending } : null;
    this.filter = filter ?? '';
    this.field.value = this.filter;
    this.selected = selected ?? null;
  }

  setReport(report: Report): void {
    this.layers = report.layers;
    this.rows.clear();
    const maxAtPeak = report.layers.reduce((a, l) => Math.max(a, l.atPeakBytes), 0);
    for (const l of report.layers) this.rows.set(l.path, this.makeRow(l, maxAtPeak, report));
    if (this.selected !== null && !this.rows.has(this.selected)) this.selected = null;
    this.apply();
  }

  /** Selects a layer (null clears); the caller updates the chart. */
  select(path: string | null, focus = false): void {
    const prev = this.selected !== null ? this.rows.get(this.selected) : undefined;
    prev?.classList.remove('selected');
    prev?.setAttribute('aria-selected', 'false');
    this.selected = path;
    const row = path !== null ? this.rows.get(path) : undefined;
    if (row) {
      row.classList.add('selected');
      row.setAttribute('aria-selected', 'true');
      this.rove(row);
      if (focus) row.focus();
    }
  }

  private makeRow(l: LayerReport, maxAtPeak: number, report: Report): HTMLTableRowElement {
    const tr = el('tr');
    tr.dataset.path = l.path;
    tr.tabIndex = -1;
    tr.setAttribute('aria-selected', 'false');
    if (!l.leaf) tr.classList.add('container');
    const bound = l.unknowns > 0;
    if (bound) {
      tr.classList.add('bound-row');
      tr.title = `Unknowns reached ${l.path || 'the model'} (${l.unknowns}): its figures are lower bounds.`;
    }
    const depth = l.path === '' ? 0 : l.path.split('.').length - 1;
    const path = el('td', 'path');
    path.dataset.depth = String(depth);
    if (bound) path.append(el('span', 'bound', '≥ '));
    path.append(l.path === '' ? '(model)' : l.path);
    if (l.sharedWith) path.append(el('span', 'muted', ` (shares ${l.sharedWith})`));
    const kind = el('td', 'kind', l.kind);
    if (l.calls > 1) kind.append(el('span', 'calls', `×${l.calls}`));
    const line = el('td', 'num');
    line.append(lineLink(l.callLine ?? l.line, l.file, this.events.reveal, report.file));
    // One tab stop per table (the row); the row's G key reveals its line.
    const go = line.querySelector('button');
    if (go) go.tabIndex = -1;
    const params = el('td', 'num', l.params === 0 ? '0' : formatCount(l.params));
    if (l.params === 0) params.classList.add('zero');
    const shape = el('td', 'mono', shapeText(l.outputShape));
    const saved = bytesCell(l.savedBytes, bound);
    const atPeak = bytesCell(l.atPeakBytes, bound);
    atPeak.classList.add('bar');
    if (l.atPeakBytes > 0 && maxAtPeak > 0) {
      // A data bar behind the figure: its share of the largest layer's.
      const meter = el('span', 'meter');
      meter.setAttribute('aria-hidden', 'true');
      const fill = el('span', 'meter-fill');
      fill.style.width = `${Math.max(2, (100 * l.atPeakBytes) / maxAtPeak).toFixed(1)}%`;
      meter.append(fill);
      const value = el('span', 'value', atPeak.textContent ?? '');
      atPeak.replaceChildren(meter, value);
    }
    const weights = bytesCell(l.paramBytes + l.gradBytes + l.optimizerBytes, false);
    weights.title = `parameters ${formatBytes(l.paramBytes)} + gradients ${formatBytes(l.gradBytes)} + optimizer ${formatBytes(l.optimizerBytes)}`;
    tr.append(path, kind, line, params, shape, saved, atPeak, weights);
    tr.addEventListener('click', () => this.toggle(l.path));
    return tr;
  }

  private toggle(path: string): void {
    const next = this.selected === path ? null : path;
    this.select(next);
    this.events.select(next);
    this.events.changed();
  }

  private onKey(e: KeyboardEvent): void {
    const row = (e.target as HTMLElement).closest('tr');
    if (!row || row.parentElement !== this.tbody) return;
    const visible = Array.from(this.tbody.rows).filter((r) => !r.classList.contains('filtered-out'));
    const at = visible.indexOf(row);
    let next: HTMLTableRowElement | undefined;
    switch (e.key) {
      case 'g':
      case 'G':
        row.querySelector<HTMLButtonElement>('button.link')?.click();
        e.preventDefault();
        return;
      case 'ArrowDown':
        next = visible[Math.min(visible.length - 1, at + 1)];
        break;
      case 'ArrowUp':
        next = visible[Math.max(0, at - 1)];
        break;
      case 'Home':
        next = visible[0];
        break;
      case 'End':
        next = visible[visible.length - 1];
        break;
      case 'PageDown':
        next = visible[Math.min(visible.length - 1, at + 15)];
        break;
      case 'PageUp':
        next = visible[Math.max(0, at - 15)];
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.toggle(row.dataset.path ?? '');
        return;
      default:
        return;
    }
    e.preventDefault();
    if (next) {
      this.rove(next);
      next.focus();
    }
  }

  /** Roving tabindex: one row of the table is in the tab order. */
  private rove(row: HTMLTableRowElement): void {
    for (const r of this.tbody.querySelectorAll<HTMLTableRowElement>('tr[tabindex="0"]')) r.tabIndex = -1;
    row.tabIndex = 0;
  }

  private toggleSort(c: Column): void {
    const cur = this.sort;
    const natural = c.numeric || c.key === 'shape';
    if (!cur || cur.key !== c.key) this.sort = { key: c.key, descending: natural };
    else if (cur.descending === natural) this.sort = { key: c.key, descending: !natural };
    else this.sort = null; // third click: back to the report's order
    this.apply();
    this.events.changed();
  }

  private setFilter(text: string): void {
    if (text === this.filter) return;
    this.filter = text;
    this.apply();
    this.events.changed();
  }

  /** Orders and filters the rows (re-using their elements). */
  private apply(): void {
    const sort = this.sort;
    for (const [key, th] of this.headers) {
      const arrow = th.querySelector('.arrow');
      const active = sort?.key === key;
      th.setAttribute('aria-sort', active ? (sort!.descending ? 'descending' : 'ascending') : 'none');
      if (arrow) arrow.textContent = active ? (sort!.descending ? '▼' : '▲') : '';
    }
    let order = this.layers;
    if (sort) {
      const col = COLUMNS.find((c) => c.key === sort.key)!;
      const dir = sort.descending ? -1 : 1;
      order = this.layers
        .map((l, i) => ({ l, i, v: col.value(l) }))
        .sort((a, b) => {
          const c = typeof a.v === 'number' && typeof b.v === 'number' ? a.v - b.v : String(a.v).localeCompare(String(b.v));
          return c !== 0 ? c * dir : a.i - b.i;
        })
        .map((x) => x.l);
    }
    this.order = order;
    const q = this.filter.trim().toLowerCase();
    const match = (l: LayerReport): boolean => !q || l.path.toLowerCase().includes(q) || l.kind.toLowerCase().includes(q) || (l.path === '' && '(model)'.includes(q));
    const frag = document.createDocumentFragment();
    let shown = 0;
    let matching = 0;
    const indent = !sort && !q;
    for (const l of order) {
      const row = this.rows.get(l.path);
      if (!row) continue;
      const ok = match(l);
      if (ok) matching++;
      if (!ok) continue;
      if (!this.showAll && shown >= ROW_LIMIT) continue;
      shown++;
      const cell = row.cells[0];
      cell.style.paddingLeft = indent ? `${10 + 12 * Number(cell.dataset.depth ?? 0)}px` : '';
      frag.append(row);
    }
    this.tbody.replaceChildren(frag);
    const total = this.layers.length;
    this.count.textContent = q ? `${formatCount(matching)} of ${formatCount(total)}` : `${formatCount(total)}`;
    this.more.replaceChildren();
    this.more.hidden = shown >= matching;
    if (shown < matching) {
      const b = el('button', 'link-button', `Show all ${formatCount(matching)} rows`);
      b.type = 'button';
      b.addEventListener('click', () => {
        this.showAll = true;
        this.apply();
      });
      this.more.append(`${formatCount(shown)} of ${formatCount(matching)} rows shown. `, b);
    }
    if (total === 0) {
      const tr = el('tr');
      const td = el('td', 'muted', 'No layers.');
      td.colSpan = COLUMNS.length;
      tr.append(td);
      this.tbody.append(tr);
    }
    // Keep one row tabbable: the selected one if shown, else the first.
    const sel = this.selected !== null ? this.rows.get(this.selected) : undefined;
    for (const [path, row] of this.rows) {
      const isSel = path === this.selected;
      row.classList.toggle('selected', isSel);
      row.setAttribute('aria-selected', String(isSel));
      row.tabIndex = -1;
    }
    const first = sel && sel.parentElement === this.tbody ? sel : this.tbody.rows[0];
    if (first && first.dataset.path !== undefined) first.tabIndex = 0;
  }

  /** The layers in the order shown (for tests and callers). */
  get shownOrder(): LayerReport[] {
    return this.order;
  }
}

/** "Largest tensors at the peak". */
export function renderPeakTensors(section: HTMLElement, tensors: PeakTensor[] | undefined, report: Report, reveal: Reveal): void {
  section.replaceChildren();
  section.hidden = !tensors || tensors.length === 0;
  if (!tensors || tensors.length === 0) return;
  const head = el('div', 'section-head');
  const h = el('h2', undefined, 'Largest tensors at the peak');
  h.id = 'tensors-title';
  const share = tensors.reduce((a, t) => a + t.bytes, 0);
  head.append(h, el('span', 'count', `${tensors.length} · ${formatBytes(share)} of ${formatBytes(report.totals.peakBytes)}`));
  const wrap = el('div', 'table-wrap');
  const table = el('table', 'data tensor-table');
  table.id = 'tensor-table';
  table.setAttribute('aria-labelledby', 'tensors-title');
  const thead = el('thead');
  const tr = el('tr');
  for (const [label, num] of [['bytes', true], ['category', false], ['what', false], ['shape', false], ['dtype', false], ['module', false], ['line', true]] as const) {
    const th = el('th', num ? 'num' : undefined, label);
    th.scope = 'col';
    tr.append(th);
  }
  thead.append(tr);
  const tbody = el('tbody');
  for (const t of tensors) {
    const row = el('tr');
    const cat = el('td');
    const sw = el('span', `swatch cat-${t.category}`);
    sw.setAttribute('aria-hidden', 'true');
    sw.style.background = `var(--ml-${t.category})`;
    cat.append(sw, LAYER_NAMES[t.category] ?? t.category);
    const line = el('td', 'num');
    line.append(lineLink(t.line, t.file, reveal, report.file));
    row.append(
      el('td', 'num', formatBytes(t.bytes)),
      cat,
      el('td', 'mono', t.what),
      el('td', 'mono', shapeText(t.shape)),
      el('td', 'mono', t.dtype ?? '—'),
      el('td', 'mono', t.module === null ? '—' : t.module === '' ? '(model)' : t.module),
      line,
    );
    tbody.append(row);
  }
  table.append(thead, tbody);
  wrap.append(table);
  section.append(head, wrap);
}

/** The settings the numbers were computed at, with what a what-if changed. */
export function renderSettings(section: HTMLElement, data: TimelineData, base: Partial<Record<keyof WhatIf, unknown>> | null): void {
  const report = data.report;
  const s = report.settings;
  section.replaceChildren();
  const head = el('div', 'section-head');
  const h = el('h2', undefined, 'Settings in force');
  h.id = 'settings-title';
  head.append(h);
  section.append(head);
  const w = data.whatIf;
  const differs = new Set<string>();
  if (w) {
    const marker = el('div', 'whatif-marker');
    marker.id = 'whatif-marker';
    marker.setAttribute('role', 'note');
    marker.append(el('strong', undefined, 'What-if'));
    const parts: string[] = [];
    const say = (key: keyof WhatIf, label: string, value: string): void => {
      differs.add(key);
      const was = base && base[key] !== undefined ? ` (settings: ${describe(key, base[key])})` : '';
      parts.push(`${label} ${value}${was}`);
    };
    if (w.batch !== undefined) say('batch', 'batch', String(w.batch));
    if (w.precision !== undefined) say('precision', 'precision', w.precision);
    if (w.optimizer !== undefined) say('optimizer', 'optimizer', w.optimizer);
    if (w.device !== undefined) say('device', 'device', w.device);
    if (w.checkpoint !== undefined) say('checkpoint', 'checkpoint plan', w.checkpoint ? 'on' : 'off');
    if (w.microbatch !== undefined) say('microbatch', 'microbatches', String(w.microbatch));
    marker.append(parts.length > 0 ? `${parts.join(' · ')} — not the settings in force in the editor.` : 'the settings in force.');
    section.append(marker);
  }
  const table = el('table', 'kv settings-table');
  table.id = 'settings-table';
  table.setAttribute('aria-labelledby', 'settings-title');
  const tbody = el('tbody');
  const row = (label: string, value: string | Node, key?: string): void => {
    const tr = el('tr');
    if (key && differs.has(key)) tr.classList.add('differs');
    if (key) tr.dataset.key = key;
    const th = el('th', undefined, label);
    th.scope = 'row';
    const td = el('td');
    td.append(value);
    if (key && differs.has(key)) td.append(el('span', 'chip whatif', 'what-if'));
    tr.append(th, td);
    tbody.append(tr);
  };
  row('precision', s.precision, 'precision');
  row('optimizer', s.optimizer, 'optimizer');
  row('device', s.device, 'device');
  row('torch', s.torch);
  row('batch', String(s.batch), 'batch');
  row('microbatches', String(s.microbatch ?? 1), 'microbatch');
  row('checkpoint plan', s.checkpoint.length > 0 ? s.checkpoint.join(', ') : 'none', 'checkpoint');
  row('budget', report.budgetBytes !== null ? formatBytes(report.budgetBytes) : 'none');
  if (report.maxBatch !== null) row('largest batch in budget', formatMaxBatch(report.maxBatch));
  const inputs = el('div', 'mono');
  if (report.inputs.length === 0) inputs.textContent = 'none';
  for (const i of report.inputs) {
    const d = el('div', undefined, `${i.name} ${i.dtype}[${i.shape.join(', ')}]`);
    if (i.guessed) d.append(el('span', 'muted', ' (guessed)'));
    inputs.append(d);
  }
  row('inputs', inputs);
  if (report.omittedArguments.length > 0) {
    const om = el('div');
    for (const o of report.omittedArguments) om.append(el('div', undefined, `${o.name}: ${o.note}`));
    row('left out', om);
  }
  const entry = el('span', 'mono', report.entry);
  if (report.entryGuessed) entry.append(el('span', 'muted', ' (guessed)'));
  row('entry', entry);
  const unknowns = report.unknowns.length;
  if (unknowns > 0) row('unknowns', `${unknowns}${data.bound ? ' (they reach the numbers)' : ''}`);
  if (data.ms > 0) row('analysis', `${data.ms < 10 ? data.ms.toFixed(1) : formatCount(data.ms)} ms`);
  table.append(tbody);
  section.append(table);
}

function describe(key: keyof WhatIf, v: unknown): string {
  if (key === 'checkpoint') return v ? 'on' : 'off';
  return String(v);
}

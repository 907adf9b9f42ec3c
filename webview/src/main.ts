// The timeline view: memory over one training step of the model in the editor. It runs in a VS Code
// webview (acquireVsCodeApi), on the standalone page `memlens report --html` writes (its data in
// <script id="memlens-data">, no host), or on that page under a test harness that defines
// window.memlensHost before this script runs and answers like the extension.

import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import type { FromWebview, TimelineData, ToWebview, WebviewState, WhatIf } from '../../protocol/messages';
import type { Report } from '../../protocol/report';
import { formatBytes, formatMaxBatch, formatPercent } from '../../common/units';
import { type ChartInput, type Point, TimelineChart } from './chart';
import { type ControlValues, Controls, type Field, FIELDS, diffWhatIf, valuesOf } from './controls';
import { runs } from './decimate';
import { LayerTable, basename, el, renderPeakTensors, renderSettings } from './table';
import { LAYERS, LAYER_NAMES } from './theme';

interface Host {
  postMessage(message: FromWebview): void;
  getState?(): unknown;
  setState?(state: unknown): void;
}

declare global {
  interface Window {
    memlensHost?: { postMessage(message: FromWebview): void };
    __memlensRender?: { ms: number; points: number; drawn: number; seq: number };
  }
  function acquireVsCodeApi(): { postMessage(message: unknown): void; getState(): unknown; setState(state: unknown): void };
}

function connect(): Host | null {
  try {
    if (typeof acquireVsCodeApi === 'function') return acquireVsCodeApi() as Host;
  } catch {
    // Not in VS Code (or the API was acquired already).
  }
  return window.memlensHost ?? null;
}

class View {
  private readonly host = connect();
  private data: TimelineData | null = null;
  private state: WebviewState = { uri: null, whatIf: null };
  /** Settings in force per document, learned from data without a what-if (fields a what-if overrides stay unknown). */
  private bases = new Map<string, Partial<ControlValues>>();
  /** Fields the user changed whose base is unknown: they count as differing. */
  private touched = new Set<Field>();
  private seq = 0;
  private pendingSeq = 0;
  private hostBusy = false;
  private renders = 0;
  private receivedAt = 0;
  private lastDataSeq = -1;
  /** Each data message's render; a later one cancels the tables an earlier one scheduled. */
  private renderToken = 0;
  private drawnInfo: { ms: number; points: number; drawn: number } | null = null;
  private tablesBuilt = false;

  private readonly root: HTMLElement;
  private readonly header: HTMLElement;
  private readonly banners: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly content: HTMLElement;
  private readonly busy: HTMLElement;
  private readonly note: HTMLElement;
  private readonly controlsSlot: HTMLElement;
  /** Made when data first brings controls (the standalone page never needs them). */
  private controls: Controls | null = null;
  private readonly chart: TimelineChart;
  private readonly layers: LayerTable;
  private readonly tensors: HTMLElement;
  private readonly settings: HTMLElement;

  constructor() {
    // The page may hold the view's root (#app, or #memlens-root); else the view makes its own.
    const given = document.getElementById('app') ?? document.getElementById('memlens-root');
    this.root = given ?? document.body.appendChild(el('main'));
    if (!given) this.root.id = 'app';
    this.root.classList.add('app');
    this.header = el('header', 'header');
    this.header.id = 'header';
    this.busy = el('span', 'busy');
    this.busy.id = 'busy';
    this.busy.setAttribute('role', 'status');
    this.busy.hidden = true;
    this.banners = el('div', 'banners');
    this.banners.id = 'banners';
    this.empty = el('div', 'empty');
    this.empty.id = 'empty';
    this.empty.hidden = true;
    this.content = el('div', 'content');
    this.content.id = 'content';
    this.content.hidden = true;
    this.note = el('p', 'note');
    this.note.id = 'reveal-note';
    this.note.setAttribute('role', 'status');
    this.note.hidden = true;
    this.root.append(this.header, this.banners, this.empty, this.content);

    this.controlsSlot = el('div', 'controls-slot');
    this.content.append(this.controlsSlot);

    const chartSection = el('section', 'section chart-section');
    chartSection.id = 'chart-section';
    chartSection.setAttribute('aria-label', 'Memory timeline');
    this.content.append(chartSection);
    this.chart = new TimelineChart(chartSection, {
      hover: () => undefined,
      activate: (i) => this.revealPoint(i),
      drawn: (info) => this.onDrawn(info),
    });
    chartSection.append(this.note);

    const lower = el('div', 'lower');
    this.content.append(lower);
    this.layers = new LayerTable(lower, {
      select: (path) => this.highlight(path),
      reveal: (file, line) => this.reveal(file, line),
      changed: () => this.saveState(),
    });
    this.tensors = el('section', 'section tensors');
    this.tensors.id = 'tensors';
    this.tensors.setAttribute('aria-labelledby', 'tensors-title');
    this.settings = el('section', 'section settings');
    this.settings.id = 'settings';
    this.settings.setAttribute('aria-labelledby', 'settings-title');
    lower.append(this.tensors, this.settings);

    const saved = this.host?.getState?.() as WebviewState | undefined;
    if (saved && typeof saved === 'object') {
      this.state = { ...this.state, ...saved };
      this.layers.restore(saved.sort, saved.filter, saved.selected);
    }

    window.addEventListener('message', (e: MessageEvent) => this.onMessage(e.data as ToWebview));
    // VS Code switches themes by the body's class; the standalone page follows the system.
    new MutationObserver(() => this.chart.retheme()).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', () => this.chart.retheme());

    const embedded = document.getElementById('memlens-data');
    if (embedded?.textContent?.trim()) {
      try {
        this.receivedAt = performance.now();
        this.showData(JSON.parse(embedded.textContent) as TimelineData, undefined);
      } catch (err) {
        this.showEmpty(`The page's data could not be read: ${(err as Error).message}`);
      }
    } else if (!this.host) {
      this.showEmpty('No analysis to show.');
    }
    this.host?.postMessage({ type: 'ready' });
  }

  private onMessage(msg: ToWebview): void {
    if (!msg || typeof msg !== 'object' || typeof (msg as { type?: unknown }).type !== 'string') return;
    switch (msg.type) {
      case 'data': {
        if (msg.seq !== undefined && msg.seq < this.pendingSeq) return; // an answer to an older what-if
        if (msg.seq !== undefined && msg.seq >= this.pendingSeq) this.pendingSeq = 0;
        this.receivedAt = performance.now();
        this.showData(msg.data, msg.seq);
        break;
      }
      case 'empty':
        this.pendingSeq = 0;
        this.showEmpty(msg.message);
        break;
      case 'busy':
        this.hostBusy = msg.busy;
        this.updateBusy();
        break;
      case 'error':
        if (msg.seq !== undefined && msg.seq < this.pendingSeq) return;
        if (msg.seq !== undefined) this.pendingSeq = 0;
        this.showError(msg.message);
        break;
    }
  }

  // ---- data ----

  private showData(data: TimelineData, seq: number | undefined): void {
    const report = data.report as Report | null;
    this.data = data;
    this.lastDataSeq = seq ?? -1;
    this.empty.hidden = true;
    this.controls?.setError(null);
    if (this.state.uri !== data.uri) this.touched.clear();
    this.state.uri = data.uri;
    this.state.whatIf = data.whatIf;
    this.learnBase(data);
    this.renderHeader(data);
    this.renderBanners(data);
    if (!report || !Array.isArray(report.timeline) || report.timeline.length === 0) {
      // Nothing to draw: the error (or emptiness) is the whole view.
      this.content.hidden = true;
      if (!data.error) this.showEmpty('The analysis has no timeline to draw.');
      this.updateBusy();
      ++this.renderToken;
      this.tablesBuilt = true;
      this.onDrawn({ points: 0, drawn: 0 });
      this.saveState();
      return;
    }
    this.content.hidden = false;
    const c = data.controls;
    if (c && this.host) {
      const controls = this.ensureControls();
      controls.section.hidden = false;
      controls.set(valuesOf(report.settings, c), c, data.whatIf !== null);
    } else if (this.controls) {
      this.controls.section.hidden = true;
    }
    const input: ChartInput = {
      points: report.timeline as Point[],
      peakBytes: report.totals.peakBytes,
      peakPhase: report.totals.peakPhase,
      budget: report.budgetBytes,
      bound: data.bound,
      measured: data.measured ?? null,
      microbatches: report.settings.microbatch ?? 1,
    };
    // The chart first; the tables follow in the next task, so the chart draws without waiting
    // for them (and the page's first layout is smaller).
    const token = ++this.renderToken;
    this.drawnInfo = null;
    this.tablesBuilt = false;
    if (this.layers.selected !== null && !report.layers.some((l) => l.path === this.layers.selected)) this.layers.selected = null;
    this.chart.render(input);
    this.highlight(this.layers.selected);
    this.updateBusy();
    this.saveState();
    window.setTimeout(() => {
      if (token !== this.renderToken || this.data !== data) return;
      this.layers.setReport(report);
      renderPeakTensors(this.tensors, report.peakTensors, report, (f, l) => this.reveal(f, l));
      renderSettings(this.settings, data, this.baseFor(data));
      this.layers.select(this.layers.selected);
      this.tablesBuilt = true;
      this.finishRender();
    }, 0);
  }

  private ensureControls(): Controls {
    if (!this.controls) {
      this.controls = new Controls(this.controlsSlot, {
        change: (values, field) => this.onControls(values, field),
        reset: () => this.sendWhatIf(null),
        apply: () => {
          const w = this.data?.whatIf;
          if (w && this.host) this.host.postMessage({ type: 'applySettings', uri: this.state.uri, whatIf: w });
        },
      });
    }
    return this.controls;
  }

  /** The chart has drawn a data message: its time counts from the message's receipt. */
  private onDrawn(info: { points: number; drawn: number }): void {
    const ms = Math.round((performance.now() - this.receivedAt) * 10) / 10;
    this.drawnInfo = { ms, ...info };
    this.finishRender();
  }

  /** Once the chart has drawn and the tables are built: tell tests and benchmarks. */
  private finishRender(): void {
    const info = this.drawnInfo;
    if (!info || !this.tablesBuilt) return;
    this.drawnInfo = null;
    this.renders++;
    window.__memlensRender = { ms: info.ms, points: info.points, drawn: info.drawn, seq: this.lastDataSeq };
    document.body.dataset.dataSeq = String(this.lastDataSeq);
    document.body.dataset.rendered = String(this.renders);
  }

  private showEmpty(message: string): void {
    this.data = null;
    this.content.hidden = true;
    this.header.replaceChildren();
    this.banners.replaceChildren();
    this.empty.replaceChildren(el('h2', undefined, 'Memlens'), el('p', undefined, message));
    this.empty.hidden = false;
    this.updateBusy();
  }

  private showError(message: string): void {
    if (this.data && !this.content.hidden && this.controls && !this.controls.section.hidden) {
      this.controls.setError(message);
    } else if (this.data && !this.content.hidden) {
      document.getElementById('banner-request-error')?.remove();
      this.addBanner('error', '✕', message, undefined, 'banner-request-error');
    } else {
      this.showEmpty(message);
    }
    this.updateBusy();
  }

  private renderHeader(data: TimelineData): void {
    const report = data.report as Report | null;
    this.header.replaceChildren();
    const title = el('h1', 'title');
    title.id = 'title';
    const name = data.model?.className ?? report?.entry.replace(/\(.*$/, '') ?? 'Model';
    const cls = el('span', 'model', name);
    cls.id = 'model-name';
    title.append(cls);
    const file = report?.file ?? data.error?.file;
    if (file) {
      const f = el('span', 'file', basename(file));
      f.title = file;
      title.append(f);
    }
    this.header.append(title);
    if (report && report.timeline?.length > 0) {
      const t = report.totals;
      const peak = el('div', 'peak');
      peak.id = 'peak';
      peak.textContent = `${data.bound ? '≥ ' : ''}Peak ${formatBytes(t.peakBytes)} `;
      peak.append(el('span', 'phase', `(${t.peakPhase})`));
      peak.setAttribute('aria-label', `${data.bound ? 'at least ' : ''}Peak ${formatBytes(t.peakBytes)} (${t.peakPhase})`);
      this.header.append(peak);
      const facts = el('div', 'header-facts');
      facts.id = 'facts';
      const fact = (label: string, value: string, cls?: string, title?: string): void => {
        const span = el('span', `fact${cls ? ` ${cls}` : ''}`);
        span.append(`${label} `, el('strong', undefined, value));
        if (title) span.title = title;
        facts.append(span);
      };
      if (report.budgetBytes !== null) {
        const over = t.peakBytes > report.budgetBytes;
        fact('budget', `${formatBytes(report.budgetBytes)} · ${formatPercent(t.peakBytes, report.budgetBytes)} used`, over ? 'over' : undefined, over ? 'The peak exceeds the budget.' : undefined);
        if (report.maxBatch !== null) fact('largest batch', formatMaxBatch(report.maxBatch));
      }
      const comp = t.peakComposition;
      const parts = LAYERS.filter((l) => l !== 'recompute' && comp[l as keyof typeof comp] > 0).map((l) => ({ l, v: comp[l as keyof typeof comp] }));
      parts.sort((a, b) => b.v - a.v);
      const top = parts.slice(0, 3).map((p) => `${LAYER_NAMES[p.l]} ${formatPercent(p.v, t.peakBytes)}`).join(' · ');
      if (top) fact('at the peak', top, undefined, parts.map((p) => `${LAYER_NAMES[p.l]}: ${formatBytes(p.v)}`).join('\n'));
      fact('batch', String(report.settings.batch));
      fact('', `${report.settings.precision} · ${report.settings.optimizer} · ${report.settings.device}`);
      this.header.append(facts);
    }
    if (data.whatIf) {
      const chip = el('span', 'chip whatif', 'what-if');
      chip.id = 'header-whatif';
      chip.title = 'These numbers are for other settings than those in force (see Settings in force).';
      this.header.append(chip);
    }
    const ring = document.createElement('vscode-progress-ring');
    ring.setAttribute('aria-label', 'Recomputing');
    this.busy.replaceChildren(ring, 'recomputing…');
    this.header.append(this.busy);
  }

  private addBanner(kind: 'info' | 'warning' | 'error', icon: string, text: string | Node, list?: string[], id?: string): HTMLElement {
    const b = el('div', `banner ${kind}`);
    if (id) b.id = id;
    b.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    const i = el('span', 'icon', icon);
    i.setAttribute('aria-hidden', 'true');
    const body = el('div', 'body');
    body.append(text);
    if (list && list.length > 0) {
      const ul = el('ul');
      for (const item of list) ul.append(el('li', undefined, item));
      body.append(ul);
    }
    b.append(i, body);
    this.banners.append(b);
    return b;
  }

  private renderBanners(data: TimelineData): void {
    const report = data.report as Report | null;
    this.banners.replaceChildren();
    if (data.error) {
      const text = el('span');
      text.append(data.error.reason);
      if (data.error.line) {
        text.append(' — ');
        const link = el('button', 'link', `${basename(data.error.file)}:${data.error.line}`);
        link.type = 'button';
        link.addEventListener('click', () => this.reveal(report && data.error!.file === report.file ? undefined : data.error!.file, data.error!.line));
        text.append(link);
      }
      this.addBanner('error', '✕', text, undefined, 'banner-error');
    }
    if (!report || !report.timeline || report.timeline.length === 0) return;
    if (data.stale) this.addBanner('warning', '⟲', 'Showing the last analysis that built: the current text does not.', undefined, 'banner-stale');
    if (data.bound) {
      const n = report.unknowns.length;
      this.addBanner('warning', '≥', `Unknowns reach the numbers: figures are lower bounds${n > 0 ? ` (${n} unknown${n === 1 ? '' : 's'})` : ''}.`, report.unknowns.slice(0, 5).map((u) => `${basename(u.file)}:${u.line} ${u.reason}`), 'banner-bound');
    }
    if (report.unreliable && report.unreliable.length > 0) this.addBanner('warning', '!', 'The figures may not be what you mean:', report.unreliable, 'banner-unreliable');
    if (report.warnings && report.warnings.length > 0) this.addBanner('info', 'i', 'Settings not applied as given:', report.warnings, 'banner-warnings');
    if (report.omittedArguments && report.omittedArguments.length > 0) {
      this.addBanner('info', 'i', 'Arguments a training step passes are left out:', report.omittedArguments.map((o) => `${o.name}: ${o.note}`), 'banner-omitted');
    }
  }

  private updateBusy(): void {
    const busy = this.hostBusy || this.pendingSeq > 0;
    this.busy.hidden = !busy;
    this.chart.el.setAttribute('aria-busy', String(busy));
    document.body.dataset.busy = busy ? '1' : '0';
  }

  // ---- what-if ----

  private learnBase(data: TimelineData): void {
    const c = data.controls;
    const report = data.report as Report | null;
    if (!c || !report) return;
    const values = valuesOf(report.settings, c);
    const prior = this.bases.get(data.uri ?? '') ?? {};
    const w = data.whatIf ?? {};
    const base: Partial<ControlValues> = { ...prior };
    for (const f of FIELDS) {
      if ((w as Record<string, unknown>)[f] === undefined) (base as Record<string, unknown>)[f] = values[f];
    }
    this.bases.set(data.uri ?? '', base);
  }

  private baseFor(data: TimelineData): Partial<ControlValues> | null {
    return this.bases.get(data.uri ?? '') ?? null;
  }

  private onControls(values: ControlValues, field: Field): void {
    const data = this.data;
    if (!data) return;
    const base = this.baseFor(data) ?? {};
    if (base[field] === undefined) this.touched.add(field);
    const keep = new Set<Field>(this.touched);
    for (const f of FIELDS) if (data.whatIf && (data.whatIf as Record<string, unknown>)[f] !== undefined) keep.add(f);
    this.sendWhatIf(diffWhatIf(values, base, keep));
  }

  private sendWhatIf(whatIf: WhatIf | null): void {
    if (!this.host) return;
    if (whatIf === null) this.touched.clear();
    this.seq = Math.max(this.seq, this.lastDataSeq) + 1;
    this.pendingSeq = this.seq;
    this.state.whatIf = whatIf;
    this.controls?.setError(null);
    this.host.postMessage({ type: 'whatIf', uri: this.state.uri, whatIf, seq: this.seq });
    this.controls?.setActive(this.data?.whatIf != null, whatIf !== null);
    this.updateBusy();
    this.saveState();
  }

  // ---- layers, reveal, state ----

  private highlight(path: string | null): void {
    const report = this.data?.report as Report | undefined;
    if (!report || path === null) {
      this.chart.setSelection([]);
      this.saveState();
      return;
    }
    const pts = report.timeline;
    const hasModules = pts.some((p) => p.module !== undefined);
    const prefix = path + '.';
    let test: (i: number) => boolean;
    if (hasModules) {
      test = path === '' ? (i) => pts[i].module !== undefined : (i) => {
        const m = pts[i].module;
        return m !== undefined && (m === path || m.startsWith(prefix));
      };
    } else {
      // Older servers: no module on points; match the lines where the layer is called.
      const layer = report.layers.find((l) => l.path === path);
      const line = layer ? layer.callLine ?? layer.line : null;
      test = (i) => line !== null && pts[i].line === line && pts[i].phase !== 'optimizer';
    }
    this.chart.setSelection(runs(pts.length, test), path === '' ? '(model)' : path);
    this.saveState();
  }

  private revealPoint(i: number): void {
    const report = this.data?.report as Report | undefined;
    const p = report?.timeline[i];
    if (!report || !p || p.line === null) return;
    this.reveal(p.file, p.line);
  }

  private reveal(file: string | undefined, line: number): void {
    if (this.host) {
      this.host.postMessage(file ? { type: 'reveal', file, line } : { type: 'reveal', line });
      return;
    }
    // The standalone page has no editor: say where.
    const report = this.data?.report as Report | undefined;
    this.note.textContent = `${file ?? report?.file ?? ''}:${line}`;
    this.note.hidden = false;
  }

  private saveState(): void {
    this.state.sort = this.layers.sort ?? undefined;
    this.state.filter = this.layers.filter;
    this.state.selected = this.layers.selected;
    this.host?.setState?.(this.state);
  }
}

function start(): void {
  new View();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();

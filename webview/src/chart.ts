// The memory timeline: live bytes over the training step as stacked step areas (uPlot on a
// canvas), with phases, microbatches, recompute, the peak, the budget, a measured series and a
// selected layer's span drawn around it. Hover, click and the keyboard share uPlot's cursor.

import uPlot from 'uplot';
import type { MeasuredSeries } from '../../protocol/messages';
import type { Phase, TimelinePoint } from '../../protocol/report';
import { formatBytes, formatCount } from '../../common/units';
import { argMax, byteTicks, pointAt, runs, visibleIndices } from './decimate';
import { LAYERS, LAYER_NAMES, type Layer, type Theme, alpha, hatch, readTheme } from './theme';

/** A timeline point as the server may send it (recomputed bytes are an extension). */
export type Point = TimelinePoint & { recomputedBytes?: { activations: number; temporaries: number } };

export interface ChartInput {
  points: Point[];
  /** report.totals.peakBytes: the figure the peak label shows. */
  peakBytes: number;
  peakPhase: Phase;
  budget: number | null;
  bound: boolean;
  measured: MeasuredSeries | null;
  /** Microbatches per optimizer step (settings.microbatch ?? 1). */
  microbatches: number;
}

export interface ChartEvents {
  /** The point under the cursor changed (null: none). */
  hover(index: number | null): void;
  /** Click or Enter on a point. */
  activate(index: number): void;
  /** The chart finished drawing data (first draw after render()). */
  drawn(info: { points: number; drawn: number }): void;
}

interface PhaseRun {
  phase: Phase;
  start: number;
  end: number;
}

interface MicroRun {
  k: number;
  start: number;
  end: number;
}

/** Everything derived from the points once per data message (O(n), typed arrays). */
interface Model {
  input: ChartInput;
  n: number;
  layers: Layer[];
  /** Bytes of each drawn layer at each point (recompute split out of activations/temporaries). */
  values: Float64Array[];
  /** Cumulative sums bottom-up, one per layer (the last is the total). */
  stacks: Float64Array[];
  totals: Float64Array;
  peak: number;
  phases: PhaseRun[];
  micro: MicroRun[];
  recompute: [number, number][];
  /** Largest y the data reaches (estimate and measured). */
  dataMax: number;
  budgetShown: boolean;
  measured: { x: Float64Array; y: Float64Array } | null;
}

export function buildModel(input: ChartInput): Model {
  const pts = input.points;
  const n = pts.length;
  const hasRecompute = pts.some((p) => p.recomputedBytes && (p.recomputedBytes.activations > 0 || p.recomputedBytes.temporaries > 0));
  const layers: Layer[] = hasRecompute ? [...LAYERS] : LAYERS.filter((l) => l !== 'recompute');
  const values = layers.map(() => new Float64Array(n));
  const stacks = layers.map(() => new Float64Array(n));
  const totals = new Float64Array(n);
  const L = layers.length;
  for (let i = 0; i < n; i++) {
    const p = pts[i];
    const b = p.bytes;
    const ra = p.recomputedBytes?.activations ?? 0;
    const rt = p.recomputedBytes?.temporaries ?? 0;
    values[0][i] = b.params;
    values[1][i] = b.grads;
    values[2][i] = b.optimizer;
    values[3][i] = Math.max(0, b.activations - ra);
    values[4][i] = Math.max(0, b.temporaries - rt);
    if (hasRecompute) values[5][i] = ra + rt;
    let sum = 0;
    for (let l = 0; l < L; l++) {
      sum += values[l][i];
      stacks[l][i] = sum;
    }
    totals[i] = sum;
  }
  const peak = argMax(totals);
  const phases: PhaseRun[] = [];
  const micro: MicroRun[] = [];
  for (let i = 0; i < n; i++) {
    const p = pts[i];
    const last = phases[phases.length - 1];
    if (last && last.phase === p.phase) last.end = i;
    else phases.push({ phase: p.phase, start: i, end: i });
    if (p.microbatch !== undefined) {
      const m = micro[micro.length - 1];
      if (m && m.k === p.microbatch && m.end === i - 1) m.end = i;
      else micro.push({ k: p.microbatch, start: i, end: i });
    }
  }
  const recompute = runs(n, (i) => pts[i].recompute === true);
  let measured: Model['measured'] = null;
  let measuredMax = 0;
  if (input.measured && input.measured.points.length > 0) {
    const sorted = [...input.measured.points].sort((a, b) => a.x - b.x);
    measured = { x: new Float64Array(sorted.map((p) => p.x)), y: new Float64Array(sorted.map((p) => p.bytes)) };
    for (const v of measured.y) if (v > measuredMax) measuredMax = v;
  }
  const dataMax = Math.max(n > 0 ? totals[peak] : 0, input.peakBytes || 0, measuredMax);
  const budgetShown = input.budget !== null && input.budget > 0 && input.budget <= 1.5 * Math.max(dataMax, 1);
  return { input, n, layers, values, stacks, totals, peak, phases, micro, recompute, dataMax, budgetShown, measured };
}

/** The peak label's text: `peak 10.8 MiB (backward, convolution_backward)`, `≥ ` when bound. */
export function peakText(input: ChartInput, op: string): string {
  return `${input.bound ? '≥ ' : ''}peak ${formatBytes(input.peakBytes)} (${input.peakPhase}, ${op})`;
}

const PHASE_LABEL: Record<Phase, string> = { forward: 'forward', backward: 'backward', optimizer: 'optimizer' };
/** Fill alpha of each stacked layer (temporaries are drawn in the foreground colour: lighter). */
const FILL_ALPHA: Record<Layer, number> = { params: 0.45, grads: 0.45, optimizer: 0.45, activations: 0.42, temporaries: 0.18, recompute: 0.4 };
/** Alpha of each phase's background tint (of the foreground colour). */
const PHASE_SHADE: Record<Phase, number> = { forward: 0.02, backward: 0.05, optimizer: 0.09 };

let measureCtx: CanvasRenderingContext2D | null = null;
const widths = new Map<string, number>();
/** Width of a text in a font (cached: axis sizing asks on every redraw). */
function textWidth(text: string, font: string): number {
  const key = `${font}|${text}`;
  const known = widths.get(key);
  if (known !== undefined) return known;
  if (!measureCtx) measureCtx = document.createElement('canvas').getContext('2d');
  if (!measureCtx) return text.length * 7;
  if (measureCtx.font !== font) measureCtx.font = font;
  const w = measureCtx.measureText(text).width;
  if (widths.size > 2000) widths.clear();
  widths.set(key, w);
  return w;
}

function basename(file: string): string {
  const parts = file.split(/[\\/]/);
  return parts[parts.length - 1] || file;
}

export class TimelineChart {
  /** The focusable chart container (uPlot's root goes inside). */
  readonly el: HTMLElement;
  private readonly legend: HTMLElement;
  private readonly note: HTMLElement;
  private readonly live: HTMLElement;
  private u: uPlot | null = null;
  private model: Model | null = null;
  private theme: Theme;
  private hover = -1;
  private pending = -1;
  private zoom: [number, number] | null = null;
  private drawnKey = '';
  private drawnCount = 0;
  private selection: [number, number][] = [];
  private selectionLabel: string | null = null;
  private awaitingDraw = false;
  private redecimateQueued = false;
  private downAt: [number, number] | null = null;
  private pattern: CanvasPattern | string | null = null;
  // Overlay elements over the plot area.
  private overlay: HTMLElement | null = null;
  private peakLabel: HTMLElement | null = null;
  private budgetLabel: HTMLElement | null = null;
  private tooltip: HTMLElement | null = null;
  private dot: HTMLElement | null = null;
  private resetButton: HTMLButtonElement;

  constructor(parent: HTMLElement, private readonly events: ChartEvents) {
    this.theme = readTheme();
    const toolbar = document.createElement('div');
    toolbar.className = 'chart-toolbar';
    this.legend = document.createElement('ul');
    this.legend.className = 'legend';
    this.legend.id = 'legend';
    this.legend.setAttribute('aria-label', 'Legend');
    this.resetButton = document.createElement('button');
    this.resetButton.type = 'button';
    this.resetButton.className = 'link-button';
    this.resetButton.id = 'reset-zoom';
    this.resetButton.textContent = 'Reset zoom';
    this.resetButton.hidden = true;
    this.resetButton.addEventListener('click', () => this.setZoom(null));
    toolbar.append(this.legend, this.resetButton);
    this.el = document.createElement('div');
    this.el.className = 'chart';
    this.el.id = 'chart';
    this.el.tabIndex = 0;
    this.el.setAttribute('role', 'group');
    this.el.setAttribute('aria-roledescription', 'memory timeline chart');
    this.note = document.createElement('p');
    this.note.className = 'chart-note';
    this.note.id = 'chart-note';
    this.live = document.createElement('div');
    this.live.className = 'visually-hidden';
    this.live.id = 'chart-live';
    this.live.setAttribute('aria-live', 'polite');
    this.el.setAttribute('aria-describedby', 'chart-live');
    parent.append(toolbar, this.el, this.note, this.live);
    this.el.addEventListener('keydown', (e) => this.onKey(e));
    this.el.addEventListener('focus', () => {
      if (this.hover < 0 && this.model && this.model.n > 0) this.moveTo(this.model.peak);
    });
    new ResizeObserver(() => this.resize()).observe(this.el);
  }

  /** Draws a new analysis (keeps the zoom when the timeline has the same length). */
  render(input: ChartInput): void {
    const previous = this.model;
    this.model = buildModel(input);
    if (!previous || previous.n !== this.model.n) this.zoom = null;
    if (this.hover >= this.model.n) this.hover = -1;
    this.selection = [];
    this.selectionLabel = null;
    this.build(true);
  }

  /** Highlights these inclusive index ranges (a layer's ops); empty clears. */
  setSelection(ranges: [number, number][], label: string | null = null): void {
    this.selection = ranges;
    this.selectionLabel = label;
    this.updateNote();
    this.u?.redraw(false, false);
  }

  /** Re-reads the theme (VS Code switched it) and redraws. */
  retheme(): void {
    this.theme = readTheme();
    this.pattern = null;
    if (this.model) this.build(false);
  }

  /** The point under the cursor, or -1. */
  get hovered(): number {
    return this.hover;
  }

  /** Moves the cursor to point i (keyboard, or a caller). */
  moveTo(i: number): void {
    const u = this.u;
    const m = this.model;
    if (!u || !m || m.n === 0) return;
    i = Math.max(0, Math.min(m.n - 1, i));
    const x = u.scales.x;
    if (x.min !== undefined && x.max !== undefined && (i < x.min || i + 1 > x.max)) {
      // Pan the zoomed window so the point is visible.
      const width = x.max - x.min;
      let lo = i + 0.5 - width / 2;
      lo = Math.max(0, Math.min(m.n - width, lo));
      this.setZoom([lo, lo + width]);
    }
    this.pending = i;
    u.setCursor({ left: u.valToPos(i + 0.5, 'x'), top: u.bbox.height / devicePixelRatio / 2 });
  }

  private size(): { width: number; height: number } {
    const width = Math.max(200, Math.floor(this.el.clientWidth || 600));
    const height = Math.max(200, Math.floor(this.el.clientHeight || 320));
    return { width, height };
  }

  private resize(): void {
    const u = this.u;
    if (!u) return;
    const { width, height } = this.size();
    if (Math.abs(u.width - width) < 1 && Math.abs(u.height - height) < 1) return;
    u.setSize({ width, height });
    this.queueRedecimate();
  }

  /** (Re)creates the uPlot instance; `report`: tell `drawn` when it has drawn (a data render). */
  private build(report: boolean): void {
    const m = this.model!;
    this.u?.destroy();
    this.u = null;
    this.overlay = null;
    this.awaitingDraw = report;
    this.drawnKey = '';
    this.renderLegend();
    this.el.setAttribute(
      'aria-label',
      `Memory over the training step, ${formatCount(m.n)} operations; ${peakText(m.input, m.n > 0 ? m.input.points[m.peak].op : '')}. ` +
        'Arrow keys move between operations (Shift: by 10), Home and End jump, Enter reveals the line, + and − zoom, 0 resets.',
    );
    if (m.n === 0) {
      this.note.textContent = 'The timeline is empty.';
      if (report) this.events.drawn({ points: 0, drawn: 0 });
      return;
    }
    const { width, height } = this.size();
    const data = this.dataFor(width);
    const t = this.theme;
    const font = `${Math.max(10, t.fontSize - 2)}px ${t.font}`;
    const labelFont = `${Math.max(10, t.fontSize - 1)}px ${t.font}`;
    const series: uPlot.Series[] = [{}];
    const stepped = uPlot.paths.stepped!({ align: 1 });
    m.layers.forEach((layer) => {
      const color = t.layer[layer];
      series.push({
        label: LAYER_NAMES[layer],
        stroke: layer === 'temporaries' ? alpha(color, 0.6) : color,
        width: t.line,
        fill: layer === 'recompute' ? (u: uPlot) => this.recomputeFill(u, color) : alpha(color, FILL_ALPHA[layer]),
        paths: stepped,
        points: { show: false },
        spanGaps: true,
      });
    });
    const bands: uPlot.Band[] = [];
    for (let s = 2; s < series.length; s++) bands.push({ series: [s, s - 1] });
    const opts: uPlot.Options = {
      width,
      height,
      pxAlign: 1,
      legend: { show: false },
      padding: [28, 28, 0, 4],
      series,
      bands,
      scales: {
        // Explicit ranges (zoom) as given; the data always spans [0, n] (first point, sentinel).
        x: { time: false, range: (_u, min, max) => (min === null || max === null || !(max > min) ? [0, m.n] : [min, max]) },
        y: { range: () => [0, this.yTop()] },
      },
      axes: [
        {
          stroke: t.muted,
          font,
          labelFont,
          label: 'operations of the training step',
          labelSize: Math.round(t.fontSize * 1.5),
          labelGap: 0,
          size: Math.round(t.fontSize * 2),
          grid: { show: false },
          ticks: { stroke: t.border, width: t.line, size: 4 },
          border: { show: true, stroke: t.border, width: t.line },
          space: 64,
          incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6, 1e7],
          values: (_u, splits) => splits.map((v) => formatCount(v)),
        },
        {
          stroke: t.muted,
          font,
          grid: { stroke: t.grid, width: t.line },
          ticks: { show: false },
          size: (_u, values) => {
            if (!values) return 64;
            let w = 0;
            for (const v of values) w = Math.max(w, textWidth(String(v), font));
            return Math.ceil(w) + 16;
          },
          splits: (u, _i, _min, max) => byteTicks(max, Math.max(2, Math.floor(u.bbox.height / devicePixelRatio / 34) + 1)),
          values: (_u, splits) => splits.map((v) => formatBytes(v)),
        },
      ],
      cursor: {
        x: true,
        y: false,
        points: { show: false },
        drag: { x: true, y: false, setScale: true },
        move: (u, left, top) => this.snap(u, left, top),
      },
      hooks: {
        drawClear: [(u) => this.drawUnder(u)],
        draw: [(u) => this.drawOver(u)],
        setCursor: [(u) => this.onCursor(u)],
        setScale: [(u, key) => key === 'x' && this.onScale(u)],
        setSize: [(u) => this.layoutOverlay(u)],
        ready: [(u) => this.layoutOverlay(u)],
      },
    };
    const zoom = this.zoom;
    this.u = new uPlot(opts, data as uPlot.AlignedData, this.el);
    this.setupOverlay(this.u);
    if (zoom) this.setZoom(zoom);
    const over = this.u.over;
    over.addEventListener('mousedown', (e) => {
      this.downAt = [e.clientX, e.clientY];
    });
    // A click (not a drag, which zooms). uPlot's drag handling keeps `click` from firing, so mouseup.
    over.addEventListener('mouseup', (e) => {
      const d = this.downAt;
      this.downAt = null;
      if (e.button !== 0 || !d || Math.hypot(e.clientX - d[0], e.clientY - d[1]) > 3) return;
      if (this.hover >= 0) this.events.activate(this.hover);
    });
    over.addEventListener('mouseleave', () => this.showHover(-1));
    this.updateNote();
    if (this.hover >= 0) this.moveTo(this.hover);
  }

  private yTop(): number {
    const m = this.model!;
    let top = m.dataMax;
    if (m.budgetShown && m.input.budget !== null) top = Math.max(top, m.input.budget);
    return top > 0 ? top * 1.08 : 1024;
  }

  /** Indices of the points to draw for the visible window, plus the sentinel that ends the last step. */
  private dataFor(widthCss: number): (Float64Array)[] {
    const m = this.model!;
    const plotWidth = Math.max(50, widthCss - 90);
    const [from, to] = this.zoom ?? [0, m.n];
    // Buckets of two pixels: at most two points per pixel column, each column's extremes kept.
    const idx = visibleIndices(m.totals, from, to, Math.ceil(plotWidth / 2));
    this.drawnKey = `${Math.round(from * 1000)}:${Math.round(to * 1000)}:${plotWidth}`;
    this.drawnCount = idx.length;
    const len = idx.length + 1;
    const x = new Float64Array(len);
    const ys = m.stacks.map(() => new Float64Array(len));
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      x[k] = i;
      for (let l = 0; l < ys.length; l++) ys[l][k] = m.stacks[l][i];
    }
    const last = idx[idx.length - 1];
    x[len - 1] = last + 1;
    for (let l = 0; l < ys.length; l++) ys[l][len - 1] = m.stacks[l][last];
    return [x, ...ys];
  }

  private queueRedecimate(): void {
    if (this.redecimateQueued) return;
    this.redecimateQueued = true;
    requestAnimationFrame(() => {
      this.redecimateQueued = false;
      const u = this.u;
      const m = this.model;
      if (!u || !m) return;
      const plotWidth = Math.max(50, u.width - 90);
      const [from, to] = this.zoom ?? [0, m.n];
      const key = `${Math.round(from * 1000)}:${Math.round(to * 1000)}:${plotWidth}`;
      if (key === this.drawnKey) return;
      // Nothing decimated before or now: the data already holds every point.
      const all = m.n <= 4 * Math.ceil(plotWidth / 2) && this.drawnCount === m.n;
      if (all) {
        this.drawnKey = key;
        return;
      }
      // New points for the same window: swap the data, then set the window again (which
      // recomputes the visible index range and redraws).
      u.setData(this.dataFor(u.width) as uPlot.AlignedData, false);
      u.setScale('x', { min: from, max: to });
    });
  }

  private onScale(u: uPlot): void {
    const m = this.model;
    if (!m) return;
    const { min, max } = u.scales.x;
    // A panel laid out at no width (hidden, mid-resize) gives no window: not a zoom.
    if (min === undefined || max === undefined || min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max) || !(max > min)) return;
    const full = min <= 0 && max >= m.n;
    this.zoom = full ? null : [Math.max(0, min), Math.min(m.n, max)];
    this.resetButton.hidden = this.zoom === null;
    this.queueRedecimate();
  }

  private setZoom(z: [number, number] | null): void {
    const u = this.u;
    const m = this.model;
    if (!u || !m) return;
    this.zoom = z;
    const [min, max] = z ?? [0, m.n];
    u.setScale('x', { min, max });
  }

  private zoomBy(factor: number): void {
    const u = this.u;
    const m = this.model;
    if (!u || !m || m.n === 0) return;
    const [from, to] = this.zoom ?? [0, m.n];
    const center = this.hover >= 0 ? this.hover + 0.5 : (from + to) / 2;
    const width = Math.min(m.n, Math.max(8, (to - from) * factor));
    if (width >= m.n) return this.setZoom(null);
    let lo = center - width / 2;
    lo = Math.max(0, Math.min(m.n - width, lo));
    this.setZoom([lo, lo + width]);
    if (this.hover >= 0) this.moveTo(this.hover);
  }

  /** cursor.move: snaps to the middle of the step under the pointer (or the point the keys chose). */
  private snap(u: uPlot, left: number, top: number): [number, number] {
    const m = this.model;
    if (!m || left < 0 || m.n === 0) {
      this.pending = -1;
      return [left, top];
    }
    const i = this.pending >= 0 ? this.pending : pointAt(u.posToVal(left, 'x'), m.n);
    this.pending = -1;
    this.hover = i;
    return [u.valToPos(i + 0.5, 'x'), top];
  }

  private onCursor(u: uPlot): void {
    const left = u.cursor.left ?? -1;
    this.showHover(left < 0 ? -1 : this.hover);
  }

  private showHover(i: number): void {
    const tip = this.tooltip;
    const dot = this.dot;
    const u = this.u;
    const m = this.model;
    if (!tip || !dot || !u || !m) return;
    if (i < 0 || i >= m.n) {
      if (this.hover !== -1 || !tip.hidden) {
        this.hover = -1;
        tip.hidden = true;
        dot.hidden = true;
        tip.removeAttribute('data-index');
        tip.removeAttribute('data-line');
        this.events.hover(null);
      }
      return;
    }
    this.hover = i;
    const p = m.input.points[i];
    tip.replaceChildren();
    const head = document.createElement('div');
    head.className = 'tt-head';
    const num = document.createElement('span');
    num.className = 'tt-index';
    num.textContent = `#${formatCount(i)}`;
    const phase = document.createElement('span');
    phase.className = `tt-phase phase-${p.phase}`;
    phase.textContent = p.phase;
    const op = document.createElement('span');
    op.className = 'tt-op';
    op.textContent = p.op;
    head.append(num, ' ', phase, ' ', op);
    tip.append(head);
    if (p.line !== null || p.file) {
      const where = document.createElement('div');
      where.className = 'tt-where';
      where.textContent = [p.line !== null ? `line ${p.line}` : null, p.file ? basename(p.file) : null].filter(Boolean).join(' · ');
      tip.append(where);
    }
    if (p.module) {
      const mod = document.createElement('div');
      mod.className = 'tt-where';
      mod.textContent = p.module;
      tip.append(mod);
    }
    const table = document.createElement('table');
    table.className = 'tt-table';
    const row = (label: string, value: string, color?: string, cls?: string): void => {
      const tr = document.createElement('tr');
      if (cls) tr.className = cls;
      const a = document.createElement('td');
      if (color) {
        const sw = document.createElement('span');
        sw.className = 'swatch';
        sw.style.background = color;
        a.append(sw);
      }
      a.append(label);
      const b = document.createElement('td');
      b.className = 'num';
      b.textContent = value;
      tr.append(a, b);
      table.append(tr);
    };
    row('total live', `${m.input.bound ? '≥ ' : ''}${formatBytes(m.totals[i])}`, undefined, 'tt-total');
    for (let l = m.layers.length - 1; l >= 0; l--) {
      const v = m.values[l][i];
      if (v > 0) row(LAYER_NAMES[m.layers[l]], formatBytes(v), this.swatch(m.layers[l]));
    }
    const measured = this.measuredAt(i);
    if (measured !== null) row(`measured`, formatBytes(measured), this.theme.measured);
    tip.append(table);
    const flags: string[] = [];
    if (i === m.peak) flags.push('peak');
    if (p.recompute) flags.push('recompute');
    if (p.microbatch !== undefined) flags.push(this.microbatchText(p.microbatch));
    if (flags.length > 0) {
      const f = document.createElement('div');
      f.className = 'tt-flags';
      for (const flag of flags) {
        const s = document.createElement('span');
        s.className = 'tt-flag';
        s.textContent = flag;
        f.append(s);
      }
      tip.append(f);
    }
    if (p.line !== null) {
      const hint = document.createElement('div');
      hint.className = 'tt-hint';
      hint.textContent = 'click or Enter: go to the line';
      tip.append(hint);
    }
    tip.dataset.index = String(i);
    tip.dataset.line = p.line === null ? '' : String(p.line);
    tip.hidden = false;
    // Place: right of the cursor, or left when it would overflow the plot.
    const ratio = devicePixelRatio;
    const plotW = u.bbox.width / ratio;
    const plotH = u.bbox.height / ratio;
    const x = u.valToPos(i + 0.5, 'x');
    const y = u.valToPos(m.totals[i], 'y');
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    let left = x + 14;
    if (left + w > plotW + 8) left = Math.max(-(u.bbox.left / ratio), x - 14 - w);
    const cursorTop = u.cursor.top ?? plotH / 2;
    let top = Math.min(Math.max(0, cursorTop - h / 2), Math.max(0, plotH - h));
    if (!Number.isFinite(top)) top = 0;
    tip.style.transform = `translate(${Math.round(left)}px, ${Math.round(top)}px)`;
    dot.hidden = false;
    dot.style.transform = `translate(${Math.round(x)}px, ${Math.round(y)}px)`;
    // Announced for keyboard moves only (a pointer sweeping the chart would flood a screen reader).
    if (document.activeElement === this.el) this.live.textContent = `#${i} ${p.phase} ${p.op}${p.line !== null ? `, line ${p.line}` : ''}: ${formatBytes(m.totals[i])} live`;
    this.events.hover(i);
  }

  /** A layer's colour as its swatches show it (the fill, a little stronger). */
  private swatch(layer: Layer): string {
    return alpha(this.theme.layer[layer], layer === 'recompute' ? 0.25 : Math.min(1, FILL_ALPHA[layer] + 0.3));
  }

  private microbatchText(k: number): string {
    const total = this.model?.input.microbatches ?? 1;
    if (k <= 1) return total > 1 ? `microbatch 1 of ${total}` : 'microbatch 1';
    if (total > 2) return `microbatch 2–${total} of ${total}`;
    return total === 2 ? 'microbatch 2 of 2' : `microbatch ${k}`;
  }

  /** The measured bytes in force at point i (the last measured event at or before it). */
  private measuredAt(i: number): number | null {
    const ms = this.model?.measured;
    if (!ms || ms.x.length === 0) return null;
    const x = i + 0.5;
    let lo = 0;
    let hi = ms.x.length - 1;
    if (ms.x[0] > x) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (ms.x[mid] <= x) lo = mid;
      else hi = mid - 1;
    }
    return ms.y[lo];
  }

  private onKey(e: KeyboardEvent): void {
    const m = this.model;
    if (!m || m.n === 0) return;
    const cur = this.hover >= 0 ? this.hover : m.peak;
    let next = -2;
    switch (e.key) {
      case 'ArrowRight':
        next = cur + (e.shiftKey ? 10 : 1);
        break;
      case 'ArrowLeft':
        next = cur - (e.shiftKey ? 10 : 1);
        break;
      case 'PageDown':
        next = cur + Math.max(10, Math.round(m.n / 20));
        break;
      case 'PageUp':
        next = cur - Math.max(10, Math.round(m.n / 20));
        break;
      case 'Home':
        next = 0;
        break;
      case 'End':
        next = m.n - 1;
        break;
      case 'p':
      case 'P':
        next = m.peak;
        break;
      case 'Enter':
      case ' ':
        if (this.hover >= 0) this.events.activate(this.hover);
        e.preventDefault();
        return;
      case '+':
      case '=':
        this.zoomBy(0.5);
        e.preventDefault();
        return;
      case '-':
      case '_':
        this.zoomBy(2);
        e.preventDefault();
        return;
      case '0':
        this.setZoom(null);
        e.preventDefault();
        return;
      case 'Escape':
        if (this.zoom) this.setZoom(null);
        this.u?.setCursor({ left: -10, top: -10 });
        this.showHover(-1);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.moveTo(Math.max(0, Math.min(m.n - 1, next)));
  }

  private renderLegend(): void {
    const m = this.model!;
    const t = this.theme;
    this.legend.replaceChildren();
    const item = (label: string, cls: string, color: string, title?: string): void => {
      const li = document.createElement('li');
      li.className = `legend-item ${cls}`;
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.setAttribute('aria-hidden', 'true');
      if (cls.includes('line')) sw.style.borderColor = color;
      else sw.style.background = color;
      li.append(sw, label);
      if (title) li.title = title;
      this.legend.append(li);
    };
    for (const layer of m.layers) item(LAYER_NAMES[layer], `layer-${layer}${layer === 'recompute' ? ' hatched' : ''}`, this.swatch(layer));
    if (m.measured && m.input.measured) item(`measured (${m.input.measured.source})`, 'line lg-measured', t.measured);
    if (m.n > 0) item('peak', 'line dashed lg-peak', t.peak);
    if (m.budgetShown) item('budget', 'line dashed lg-budget', t.budget);
  }

  private updateNote(): void {
    const m = this.model;
    if (!m) return;
    this.note.replaceChildren();
    if (m.input.budget !== null && !m.budgetShown) {
      const span = document.createElement('span');
      span.id = 'budget-note';
      span.textContent = `budget ${formatBytes(m.input.budget)} (above the chart)`;
      this.note.append(span);
    }
    if (this.selectionLabel !== null) {
      const span = document.createElement('span');
      span.id = 'selection-note';
      const ops = this.selection.reduce((a, [s, e]) => a + e - s + 1, 0);
      span.textContent =
        ops === 0
          ? `${this.selectionLabel}: no operations on the timeline`
          : `${this.selectionLabel}: ${formatCount(ops)} operation${ops === 1 ? '' : 's'} in ${this.selection.length} span${this.selection.length === 1 ? '' : 's'} marked`;
      if (this.note.childElementCount > 0) this.note.append(' · ');
      this.note.append(span);
    }
    this.note.hidden = this.note.childElementCount === 0;
  }

  // ---- overlay (HTML over the plot area: labels tests can read, the tooltip) ----

  private setupOverlay(u: uPlot): void {
    const overlay = document.createElement('div');
    overlay.className = 'overlay';
    this.overlay = overlay;
    const m = this.model!;
    this.peakLabel = document.createElement('div');
    this.peakLabel.id = 'peak-label';
    this.peakLabel.className = 'peak-label';
    this.peakLabel.textContent = peakText(m.input, m.input.points[m.peak].op);
    this.budgetLabel = document.createElement('div');
    this.budgetLabel.id = 'budget-label';
    this.budgetLabel.className = 'budget-label';
    this.budgetLabel.hidden = !m.budgetShown;
    if (m.input.budget !== null) this.budgetLabel.textContent = `budget ${formatBytes(m.input.budget)}`;
    this.dot = document.createElement('div');
    this.dot.className = 'hover-dot';
    this.dot.hidden = true;
    this.tooltip = document.createElement('div');
    this.tooltip.id = 'tooltip';
    this.tooltip.className = 'tooltip';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    overlay.append(this.budgetLabel, this.peakLabel, this.dot, this.tooltip);
    u.over.append(overlay);
  }

  private layoutOverlay(u: uPlot): void {
    const m = this.model;
    if (!this.overlay || !m || m.n === 0) return;
    const plotW = u.bbox.width / devicePixelRatio;
    const label = this.peakLabel!;
    const px = u.valToPos(m.peak + 0.5, 'x');
    const py = u.valToPos(m.totals[m.peak], 'y');
    const visible = px >= -1 && px <= plotW + 1;
    label.hidden = !visible;
    if (visible) {
      // Its size from the font (reading the element's would force a layout in every draw).
      const fs = this.theme.fontSize * 0.88;
      const w = textWidth(label.textContent ?? '', `600 ${fs}px ${this.theme.font}`) + 10;
      const h = Math.round(fs * 1.45);
      const left = px + 8 + w > plotW ? px - 8 - w : px + 8;
      label.style.transform = `translate(${Math.round(Math.max(0, left))}px, ${Math.round(Math.max(0, py - h - 4))}px)`;
    }
    const budget = this.budgetLabel!;
    if (m.budgetShown && m.input.budget !== null) {
      const by = u.valToPos(m.input.budget, 'y');
      budget.style.transform = `translate(${Math.round(plotW - 4)}px, ${Math.round(by - 2)}px) translate(-100%, -100%)`;
    }
    if (this.hover >= 0) this.showHover(this.hover);
  }

  // ---- canvas drawing ----

  private recomputeFill(u: uPlot, color: string): CanvasPattern | string {
    if (!this.pattern) this.pattern = hatch(u.ctx, color, devicePixelRatio);
    return this.pattern;
  }

  /** Below the series: phase shading, recompute ranges. */
  private drawUnder(u: uPlot): void {
    const m = this.model;
    if (!m) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const t = this.theme;
    const X = (v: number): number => u.valToPos(v, 'x', true);
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    for (const r of m.phases) {
      const x0 = X(r.start);
      const x1 = X(r.end + 1);
      if (x1 < left || x0 > left + width) continue;
      ctx.fillStyle = alpha(t.phase, PHASE_SHADE[r.phase] * (t.highContrast ? 1.6 : 1));
      ctx.fillRect(x0, top, x1 - x0, height);
    }
    if (m.recompute.length > 0) {
      ctx.fillStyle = alpha(t.layer.recompute, 0.07);
      for (const [s, e] of m.recompute) {
        const x0 = X(s);
        const x1 = X(e + 1);
        if (x1 < left || x0 > left + width) continue;
        ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
      }
    }
    ctx.restore();
  }

  /** Over the series: boundaries and names, selection, budget, peak, measured series. */
  private drawOver(u: uPlot): void {
    const m = this.model;
    if (!m) return;
    const ctx = u.ctx;
    const ratio = devicePixelRatio;
    const { left, top, width, height } = u.bbox;
    const t = this.theme;
    const X = (v: number): number => Math.round(u.valToPos(v, 'x', true)) + 0.5;
    const Y = (v: number): number => Math.round(u.valToPos(v, 'y', true)) + 0.5;
    const inX = (x: number): boolean => x >= left - 1 && x <= left + width + 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 26 * ratio, width, height + 26 * ratio);
    ctx.clip();
    ctx.lineWidth = t.line * ratio;
    // Phase boundaries and names.
    ctx.strokeStyle = alpha(t.fg, 0.35);
    ctx.font = `${600} ${Math.round((t.fontSize - 2) * ratio)}px ${t.font}`;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    for (let k = 0; k < m.phases.length; k++) {
      const r = m.phases[k];
      const x0 = X(r.start);
      const x1 = X(r.end + 1);
      if (k > 0 && inX(x0)) {
        ctx.beginPath();
        ctx.moveTo(x0, top - 24 * ratio);
        ctx.lineTo(x0, top + height);
        ctx.stroke();
      }
      const a = Math.max(x0, left);
      const b = Math.min(x1, left + width);
      const label = PHASE_LABEL[r.phase];
      const w = ctx.measureText(label).width;
      if (b - a > w + 8 * ratio) {
        ctx.fillStyle = t.muted;
        ctx.fillText(label, a + 5 * ratio, top - 12 * ratio);
      }
    }
    // Microbatch boundaries (subtle dotted lines, names under the phase names).
    if (m.micro.length > 1) {
      ctx.save();
      ctx.setLineDash([1 * ratio, 3 * ratio]);
      ctx.strokeStyle = alpha(t.fg, 0.45);
      ctx.font = `${Math.round((t.fontSize - 3) * ratio)}px ${t.font}`;
      ctx.fillStyle = t.muted;
      for (let k = 0; k < m.micro.length; k++) {
        const r = m.micro[k];
        const x0 = X(r.start);
        if (k > 0 && inX(x0)) {
          ctx.beginPath();
          ctx.moveTo(x0, top);
          ctx.lineTo(x0, top + height);
          ctx.stroke();
        }
        const a = Math.max(x0, left);
        const b = Math.min(X(r.end + 1), left + width);
        const label = this.microbatchText(r.k);
        if (b - a > ctx.measureText(label).width + 8 * ratio) ctx.fillText(label, a + 5 * ratio, top - 1 * ratio);
      }
      ctx.restore();
    }
    // The selected layer's span.
    if (this.selection.length > 0) {
      ctx.fillStyle = alpha(t.focus, 0.2);
      ctx.strokeStyle = alpha(t.focus, 0.9);
      for (const [s, e] of this.selection) {
        const x0 = X(s);
        const x1 = X(e + 1);
        if (x1 < left || x0 > left + width) continue;
        ctx.fillRect(x0, top, Math.max(ratio, x1 - x0), height);
        ctx.beginPath();
        ctx.moveTo(x0, top);
        ctx.lineTo(x0, top + height);
        ctx.moveTo(x1, top);
        ctx.lineTo(x1, top + height);
        ctx.stroke();
      }
    }
    // Measured series: a step line with its own dashed phase marks.
    if (m.measured && m.input.measured) this.drawMeasured(u, m);
    // Budget.
    if (m.budgetShown && m.input.budget !== null) {
      const y = Y(m.input.budget);
      ctx.save();
      ctx.setLineDash([6 * ratio, 4 * ratio]);
      ctx.strokeStyle = t.budget;
      ctx.lineWidth = Math.max(1.5, t.line) * ratio;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + width, y);
      ctx.stroke();
      ctx.restore();
    }
    // Peak: dashed vertical line and a marker on the total.
    const px = X(m.peak + 0.5);
    if (inX(px)) {
      const py = Y(m.totals[m.peak]);
      ctx.save();
      ctx.setLineDash([4 * ratio, 3 * ratio]);
      ctx.strokeStyle = alpha(t.peak, 0.9);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, top + height);
      ctx.stroke();
      ctx.restore();
      ctx.beginPath();
      ctx.arc(px, py, 4.5 * ratio, 0, Math.PI * 2);
      ctx.fillStyle = t.peak;
      ctx.fill();
      ctx.lineWidth = 2 * ratio;
      ctx.strokeStyle = t.bg;
      ctx.stroke();
    }
    ctx.restore();
    this.layoutOverlay(u);
    if (this.awaitingDraw) {
      this.awaitingDraw = false;
      this.events.drawn({ points: m.n, drawn: this.drawnCount });
    }
  }

  private drawMeasured(u: uPlot, m: Model): void {
    const ms = m.measured!;
    const src = m.input.measured!;
    const ctx = u.ctx;
    const ratio = devicePixelRatio;
    const t = this.theme;
    const { left, top, width, height } = u.bbox;
    const X = (v: number): number => u.valToPos(v, 'x', true);
    const Y = (v: number): number => u.valToPos(v, 'y', true);
    ctx.save();
    ctx.strokeStyle = t.measured;
    ctx.lineWidth = Math.max(1.5, t.line) * ratio;
    ctx.lineJoin = 'round';
    ctx.beginPath();
    let started = false;
    let prevY = 0;
    let colX = NaN;
    for (let k = 0; k < ms.x.length; k++) {
      const x = X(ms.x[k]);
      const y = Y(ms.y[k]);
      if (x < left - 2 && k + 1 < ms.x.length && X(ms.x[k + 1]) < left - 2) continue;
      if (!started) {
        ctx.moveTo(x, y);
        started = true;
      } else if (Math.round(x) === colX) {
        ctx.lineTo(x, y);
      } else {
        ctx.lineTo(x, prevY);
        ctx.lineTo(x, y);
      }
      colX = Math.round(x);
      prevY = y;
      if (x > left + width + 2) break;
    }
    if (started) {
      const end = ms.x.length > 0 ? X(ms.x[ms.x.length - 1] + 1) : left;
      ctx.lineTo(Math.min(end, left + width), prevY);
      ctx.stroke();
    }
    ctx.setLineDash([3 * ratio, 3 * ratio]);
    ctx.lineWidth = ratio;
    ctx.font = `${Math.round((t.fontSize - 3) * ratio)}px ${t.font}`;
    ctx.fillStyle = t.measured;
    ctx.textBaseline = 'bottom';
    ctx.textAlign = 'left';
    for (const ph of src.phases) {
      for (const xv of [ph.start, ph.end]) {
        const x = Math.round(X(xv)) + 0.5;
        if (x < left || x > left + width) continue;
        ctx.beginPath();
        ctx.moveTo(x, top);
        ctx.lineTo(x, top + height);
        ctx.stroke();
      }
      const a = Math.max(X(ph.start), left);
      const b = Math.min(X(ph.end), left + width);
      const label = `measured ${ph.phase}`;
      if (b - a > ctx.measureText(label).width + 8 * ratio) ctx.fillText(label, a + 4 * ratio, top + height - 3 * ratio);
    }
    ctx.restore();
  }
}

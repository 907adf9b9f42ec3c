// The chart's colours and font, read from the page's CSS: VS Code's theme variables
// (--vscode-*), with the fallbacks of view.css on the standalone page (light, or dark under
// prefers-color-scheme: dark). view.css maps them to --ml-* names on body; the canvas reads those.

import type { Category } from '../../protocol/messages';

/** What the chart stacks, bottom up: the report's categories, then recomputed tensors. */
export type Layer = Category | 'recompute';

export const LAYERS: readonly Layer[] = ['params', 'grads', 'optimizer', 'activations', 'temporaries', 'recompute'];

export const LAYER_NAMES: Record<Layer, string> = {
  params: 'parameters',
  grads: 'gradients',
  optimizer: 'optimizer state',
  activations: 'saved activations',
  temporaries: 'temporaries',
  recompute: 'recompute',
};

export interface Theme {
  fg: string;
  bg: string;
  muted: string;
  grid: string;
  border: string;
  focus: string;
  peak: string;
  budget: string;
  measured: string;
  /** Phase shading and names. */
  phase: string;
  layer: Record<Layer, string>;
  font: string;
  fontSize: number;
  highContrast: boolean;
  /** Line width in CSS pixels for strokes (thicker in high contrast). */
  line: number;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

/** The theme in force now (call again when VS Code changes its theme class). */
export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const highContrast = document.body.classList.contains('vscode-high-contrast') || document.body.classList.contains('vscode-high-contrast-light');
  const size = parseFloat(cssVar(style, '--ml-font-size', '13px')) || 13;
  const fg = cssVar(style, '--ml-fg', '#1f1f1f');
  return {
    fg,
    bg: cssVar(style, '--ml-bg', '#ffffff'),
    muted: cssVar(style, '--ml-muted', '#616161'),
    grid: alpha(fg, highContrast ? 0.3 : 0.1),
    border: cssVar(style, '--ml-border', '#d4d4d4'),
    focus: cssVar(style, '--ml-focus', '#005fb8'),
    peak: cssVar(style, '--ml-peak', '#e51400'),
    budget: cssVar(style, '--ml-budget', '#e51400'),
    measured: cssVar(style, '--ml-measured', fg),
    phase: cssVar(style, '--ml-phase', fg),
    layer: {
      params: cssVar(style, '--ml-params', '#1a85ff'),
      grads: cssVar(style, '--ml-grads', '#652d90'),
      optimizer: cssVar(style, '--ml-optimizer', '#bf8803'),
      activations: cssVar(style, '--ml-activations', '#388a34'),
      temporaries: cssVar(style, '--ml-temporaries', '#d18616'),
      recompute: cssVar(style, '--ml-recompute', '#388a34'),
    },
    font: cssVar(style, '--ml-font', 'system-ui, sans-serif'),
    fontSize: size,
    highContrast,
    line: highContrast ? 2 : 1,
  };
}

let probe: CanvasRenderingContext2D | null = null;

/** `color` with alpha `a` (any CSS colour the canvas understands: hex, rgb(), named). */
export function alpha(color: string, a: number): string {
  const rgb = toRgb(color);
  if (!rgb) return color;
  return `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${Math.round(a * rgb[3] * 1000) / 1000})`;
}

/** [r, g, b, a] of a CSS colour, via the canvas's own parser; null when it cannot read it. */
export function toRgb(color: string): [number, number, number, number] | null {
  if (!probe) probe = document.createElement('canvas').getContext('2d');
  if (!probe) return null;
  probe.fillStyle = '#000000';
  probe.fillStyle = color;
  const v = String(probe.fillStyle);
  if (v.startsWith('#')) {
    const n = parseInt(v.slice(1, 7), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255, 1];
  }
  const m = /rgba?\(([^)]+)\)/.exec(v);
  if (!m) return null;
  const parts = m[1].split(',').map((p) => parseFloat(p));
  return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
}

/** A diagonal hatch of `color` over transparency (the recompute layer's fill). */
export function hatch(ctx: CanvasRenderingContext2D, color: string, ratio: number): CanvasPattern | string {
  const size = Math.max(4, Math.round(6 * ratio));
  const tile = document.createElement('canvas');
  tile.width = size;
  tile.height = size;
  const t = tile.getContext('2d');
  if (!t) return alpha(color, 0.4);
  t.fillStyle = alpha(color, 0.22);
  t.fillRect(0, 0, size, size);
  t.strokeStyle = alpha(color, 0.85);
  t.lineWidth = Math.max(1, ratio);
  t.beginPath();
  t.moveTo(0, size);
  t.lineTo(size, 0);
  t.moveTo(-size / 2, size / 2);
  t.lineTo(size / 2, -size / 2);
  t.moveTo(size / 2, size * 1.5);
  t.lineTo(size * 1.5, size / 2);
  t.stroke();
  return ctx.createPattern(tile, 'repeat') ?? alpha(color, 0.4);
}

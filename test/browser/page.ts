// The timeline view in a real browser (Debian's Chromium through playwright-core): the standalone
// page `memlens report --html` writes, optionally with a host that answers the view's messages the
// way the extension does (what-if analyses by the real engine). Shared by the browser tests and
// `npm run bench`.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import type { FromWebview, ToWebview } from '../../protocol/messages';
import { renderHtml } from '../../server/src/report/html';
import type { Analysis } from '../../server/src/report/types';

// The callbacks of page.evaluate run in the page; the test project compiles without the DOM library.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const window: any, document: any;

/** Chromium: $MEMLENS_CHROMIUM, else Debian's (.ci/run installs it). */
export function chromiumPath(): string {
  const p = process.env.MEMLENS_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(p)) throw new Error(`no Chromium at ${p}: install Debian's chromium (apt-get install chromium) or set MEMLENS_CHROMIUM`);
  return p;
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath(), headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
}

/** Writes the standalone page of `analysis` to a temporary file; returns its file:// URL. */
export function writePage(analysis: Analysis, name = 'timeline.html'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-view-'));
  const file = path.join(dir, name);
  fs.writeFileSync(file, renderHtml(analysis));
  return `file://${file}`;
}

/** Console errors, page errors and CSP violations the page reported. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/**
 * Makes `page` a host of the view before its script runs (`window.memlensHost`, as the extension
 * is in VS Code): `answer` gets each message the view posts and returns the messages to send back.
 */
export async function hostPage(page: Page, answer: (m: FromWebview) => Promise<ToWebview[]> | ToWebview[]): Promise<FromWebview[]> {
  const received: FromWebview[] = [];
  await page.exposeFunction('__memlensToHost', async (m: FromWebview) => {
    received.push(m);
    for (const reply of await answer(m)) await page.evaluate((r: unknown) => window.postMessage(r, '*'), reply as unknown);
  });
  await page.addInitScript(() => {
    window.memlensHost = { postMessage: (m: unknown) => void window.__memlensToHost(m) };
  });
  return received;
}

/** Waits until the view rendered data (the `seq` given, or any). */
export async function rendered(page: Page, seq?: number, timeout = 15_000): Promise<{ ms: number; points: number; drawn: number }> {
  await page.waitForFunction((s: number | null) => document.body.dataset.rendered !== undefined && (s === null || Number(document.body.dataset.rendered) >= s), seq ?? null, { timeout });
  return page.evaluate(() => window.__memlensRender as { ms: number; points: number; drawn: number });
}

/**
 * The analysis with a timeline of `n` points made by repeating its own forward and backward
 * (scaled so the repeats differ), its peak kept once, near the middle: for render-time checks.
 */
export function syntheticAnalysis(analysis: Analysis, n: number): Analysis {
  const source = analysis.report.timeline;
  const timeline = [];
  for (let i = 0; i < n; i++) {
    const p = source[i % source.length];
    const scale = 1 - 0.3 * Math.abs(Math.sin(i / 997));
    const bytes = { ...p.bytes, activations: Math.round(p.bytes.activations * scale), temporaries: Math.round(p.bytes.temporaries * scale) };
    timeline.push({ ...p, i, bytes });
  }
  const peakAt = source.reduce((best, p, i) => (total(p.bytes) > total(source[best].bytes) ? i : best), 0);
  const at = Math.floor(n / 2) - (Math.floor(n / 2) % source.length) + peakAt;
  timeline[at] = { ...source[peakAt], i: at };
  return { ...analysis, report: { ...analysis.report, timeline } };
}

function total(b: { params: number; grads: number; optimizer: number; activations: number; temporaries: number }): number {
  return b.params + b.grads + b.optimizer + b.activations + b.temporaries;
}

// The timeline view in real Chromium (Debian's, through playwright-core): the standalone page that
// `memlens report --html` writes, and the same page with a host answering the view's messages
// as the extension does (what-if analyses by the real engine). What a person sees: the peak label
// is the report's peak, hovering shows the point's op and source line, a click asks for that line,
// a what-if change redraws with the engine's numbers for those settings, nothing breaks the CSP.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { FromWebview, TimelineData, ToWebview } from '../../protocol/messages';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { formatBytes } from '../../server/src/report/units';
import { DEFAULT_SETTINGS, Analysis, AnalysisSettings } from '../../server/src/report/types';
import { controlsOf, planOffer, timelineData, whatIfSettings } from '../../server/src/report/view';
import { TRUTH_SETTINGS, fixturePath, readTruth } from '../fixtures';
import { collectErrors, hostPage, launchChromium, rendered, syntheticAnalysis, writePage } from './page';

// The callbacks of page.waitForFunction run in the page; the test project compiles without the DOM library.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any;

const NAME = 'resnet_small.py';
const SETTINGS: AnalysisSettings = { ...DEFAULT_SETTINGS, ...TRUTH_SETTINGS, optimizer: 'adamw', budgetBytes: 16 * 2 ** 20 };

function analyze(settings: AnalysisSettings = SETTINGS, name = NAME): Analysis {
  const file = fixturePath(name);
  return analyzeSource(file, fs.readFileSync(file, 'utf8'), settings);
}

const total = (b: { params: number; grads: number; optimizer: number; activations: number; temporaries: number }) => b.params + b.grads + b.optimizer + b.activations + b.temporaries;

/** The peak label as the view must write it. */
function peakLabel(a: Analysis): string {
  const t = a.report.timeline;
  const at = t.findIndex((p) => total(p.bytes) === a.report.totals.peakBytes);
  return `peak ${formatBytes(a.report.totals.peakBytes)} (${a.report.totals.peakPhase}, ${t[at].op})`;
}

/** Resolves with what `get` returns once it returns something (a message the page posts). */
async function arrives<T>(get: () => T | undefined, timeout = 5000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('the message did not arrive');
    await new Promise((r) => setTimeout(r, 20)); // polling a list the page's messages fill
  }
}

/** Hovers the plot at fraction `f` of its width; returns the tooltip's point index, line and text. */
async function hoverAt(page: Page, f: number): Promise<{ index: number; line: string | null; text: string }> {
  const box = (await page.locator('#chart .u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width * f, box.y + box.height * 0.5);
  const tip = page.locator('#tooltip');
  await tip.waitFor({ state: 'visible', timeout: 5000 });
  return { index: Number(await tip.getAttribute('data-index')), line: await tip.getAttribute('data-line'), text: (await tip.textContent()) ?? '' };
}

describe('the timeline view in Chromium', { timeout: 180_000 }, () => {
  let browser: Browser;
  let base: Analysis;

  before(async () => {
    await loadPythonParser();
    base = analyze();
    browser = await launchChromium();
  });
  after(() => browser?.close());

  test('the standalone page: the report\'s peak, hover shows the point\'s op and line, a layer row marks its span; no CSP or script errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    await page.goto(writePage(base));
    await rendered(page);
    assert.equal(await page.locator('#peak-label').textContent(), peakLabel(base));
    // The peak is PyTorch's (the fixture's measurement), as the report's is.
    assert.ok(Math.abs(base.report.totals.peakBytes - readTruth(NAME).peak!.adamw.bytes) <= 16);
    // Hover across the chart: every tooltip names its point's op and source line.
    const seen = new Set<number>();
    for (const f of [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95]) {
      const tip = await hoverAt(page, f);
      const p = base.report.timeline[tip.index];
      assert.ok(p, `tooltip index ${tip.index}`);
      seen.add(tip.index);
      assert.ok(tip.text.includes(p.op), `tooltip ${JSON.stringify(tip.text)} names ${p.op}`);
      assert.equal(tip.line, p.line === null ? '' : String(p.line));
      if (p.line !== null) assert.ok(tip.text.includes(`line ${p.line}`), tip.text);
      assert.ok(tip.text.includes(formatBytes(total(p.bytes))), `tooltip ${JSON.stringify(tip.text)} shows ${formatBytes(total(p.bytes))} live`);
    }
    assert.ok(seen.size >= 6, 'hovering different places shows different points');
    // Indices grow left to right.
    const left = await hoverAt(page, 0.1);
    const right = await hoverAt(page, 0.9);
    assert.ok(left.index < right.index);
    // The layer table: a row click selects the layer (its span on the chart).
    const row = page.locator('tr', { hasText: 'layer2.0.conv1' }).first();
    await row.click();
    assert.equal(await row.getAttribute('aria-selected'), 'true');
    // Without a host there is no editor: the what-if controls are not offered.
    assert.equal(await page.locator('#ctl-batch').count() === 0 || !(await page.locator('#ctl-batch').isVisible()), true);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('with a host: a click asks for the line, a what-if redraws with the engine\'s numbers for those settings', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    const offer = planOffer(base);
    const controls = controlsOf(base, offer);
    assert.equal(controls.checkpointOn, false);
    const answered: { whatIf: FromWebview; peak: number }[] = [];
    const posted = await hostPage(page, (m): ToWebview[] => {
      if (m.type === 'ready') return [{ type: 'data', data: { ...timelineData(base, { uri: 'file:///model.py', version: 1 }, null, controls) } }];
      if (m.type === 'whatIf') {
        const a = m.whatIf ? analyze(whatIfSettings(SETTINGS, m.whatIf, offer)) : base;
        answered.push({ whatIf: m, peak: a.report.totals.peakBytes });
        // As the server answers: the controls as this analysis ran, the plan the base offers.
        const data: TimelineData = timelineData(a, { uri: 'file:///model.py', version: 1 }, m.whatIf, controlsOf(a, offer));
        return [{ type: 'data', data, seq: m.seq }];
      }
      return [];
    });
    await page.goto(writePage(base));
    await rendered(page);
    assert.equal(await page.locator('#peak-label').textContent(), peakLabel(base));
    assert.ok(posted.some((m) => m.type === 'ready'));

    // A click on the chart asks the host to reveal the hovered point's line.
    const box = (await page.locator('#chart .u-over').boundingBox())!;
    const tip = await hoverAt(page, 0.3);
    await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.5);
    const reveal = await arrives(() => posted.filter((m) => m.type === 'reveal').at(-1));
    assert.ok(reveal && reveal.type === 'reveal', 'a reveal message');
    assert.equal(String(reveal.line), tip.line);

    // What-if: batch 8 → 32, typed into the field as a person would.
    const batch = page.locator('#ctl-batch input');
    await batch.fill('32');
    const wanted = analyze(whatIfSettings(SETTINGS, { batch: 32 }, offer));
    await page.waitForFunction((label: string) => document.getElementById('peak-label')?.textContent === label, peakLabel(wanted), { timeout: 15_000 });
    const whatIfs = answered.filter((a) => a.whatIf.type === 'whatIf');
    assert.deepEqual((whatIfs.at(-1)!.whatIf as { whatIf: unknown }).whatIf, { batch: 32 });
    assert.equal(whatIfs.at(-1)!.peak, wanted.report.totals.peakBytes);
    assert.ok(wanted.report.totals.peakBytes > 3 * base.report.totals.peakBytes, 'four times the batch, over three times the peak');
    // The checkpoint switch applies the offered plan (every BasicBlock): the peak drops.
    await page.locator('#ctl-checkpoint').click();
    const checkpointed = analyze(whatIfSettings(SETTINGS, { batch: 32, checkpoint: true }, offer));
    await page.waitForFunction((label: string) => document.getElementById('peak-label')?.textContent === label, peakLabel(checkpointed), { timeout: 15_000 });
    assert.ok(checkpointed.report.totals.peakBytes < wanted.report.totals.peakBytes);
    // The switch stays on with the answer, and the next change keeps it.
    assert.equal(await page.locator('#ctl-checkpoint').evaluate((e: { checked?: boolean }) => !!e.checked), true);
    await batch.fill('16');
    const both = analyze(whatIfSettings(SETTINGS, { batch: 16, checkpoint: true }, offer));
    await page.waitForFunction((label: string) => document.getElementById('peak-label')?.textContent === label, peakLabel(both), { timeout: 15_000 });
    assert.deepEqual((answered.at(-1)!.whatIf as { whatIf: unknown }).whatIf, { batch: 16, checkpoint: true });
    // The view is idle once answered (no spinner left on).
    await page.waitForFunction(() => document.body.dataset.busy === '0');
    // "Apply to settings" sends the what-if, for this document, to the host (the extension writes the settings).
    await page.locator('#ctl-apply').click();
    const apply = await arrives(() => posted.filter((m) => m.type === 'applySettings').at(-1));
    assert.deepEqual(apply, { type: 'applySettings', uri: 'file:///model.py', whatIf: { batch: 16, checkpoint: true } });
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('a measured series (the profiler\'s, next) is drawn over the estimate: its legend entry, the measured bytes in the tooltip', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = collectErrors(page);
    const forward = base.report.timeline.filter((p) => p.phase === 'forward');
    // A stand-in series (the forward's live bytes less 10%): what the view does with one, not a measurement.
    const measured = { source: 'onnxruntime 1.30 cpu', points: forward.map((p) => ({ x: p.i, bytes: Math.round(0.9 * total(p.bytes)), op: p.op, line: p.line })), phases: [{ phase: 'forward' as const, start: 0, end: forward.length }] };
    await hostPage(page, (m): ToWebview[] => (m.type === 'ready' ? [{ type: 'data', data: { ...timelineData(base, { uri: 'file:///model.py', version: 1 }, null, null), measured } }] : []));
    await page.goto(writePage(base));
    await rendered(page);
    await page.waitForFunction(() => /measured \(onnxruntime 1\.30 cpu\)/.test(document.getElementById('legend')?.textContent ?? ''));
    const tip = await hoverAt(page, 0.15);
    const p = base.report.timeline[tip.index];
    assert.equal(p.phase, 'forward');
    const m = measured.points.filter((q) => q.x <= tip.index).at(-1)!;
    assert.ok(tip.text.includes(`measured${formatBytes(m.bytes)}`) || tip.text.includes(`measured ${formatBytes(m.bytes)}`), `tooltip ${JSON.stringify(tip.text)} shows the measured ${formatBytes(m.bytes)}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('10,000 and 100,000 events: decimated for drawing, the peak never dropped, hover still finds points (times: npm run bench)', async () => {
    for (const n of [10_000, 100_000]) {
      const big = syntheticAnalysis(base, n);
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = collectErrors(page);
      await page.goto(writePage(big));
      const r = await rendered(page, undefined, 60_000);
      assert.equal(r.points, n);
      assert.ok(r.drawn < n, `${n} points decimated to ${r.drawn}`);
      // The peak label is the report's peak (the synthetic timeline keeps it once).
      assert.equal(await page.locator('#peak-label').textContent(), peakLabel(big));
      const tip = await hoverAt(page, 0.5);
      assert.ok(tip.index >= 0 && tip.index < n);
      assert.deepEqual(errors, []);
      await page.close();
    }
  });
});

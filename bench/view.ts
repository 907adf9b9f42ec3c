// The timeline view's figures (issue 11): what-if round trips through the real language server
// (memlens/timeline with overrides; target: the fixture models redraw within 100 ms), and the
// view's render time in real Chromium for the fixtures and for 10,000 and 100,000-event timelines
// (targets: 10,000 under 300 ms; 100,000 stays interactive: a hover under 16 ms).

import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import type { TimelineData, WhatIf } from '../protocol/messages';
import { analyzeSource } from '../server/src/analysis';
import { loadPythonParser } from '../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../server/src/report/types';
import { launchChromium, rendered, syntheticAnalysis, writePage } from '../test/browser/page';
import { FIXTURES } from '../test/fixtures';
import { LspSession } from '../test/lsp/session';

// The callbacks of page.evaluate run in the page.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
declare const document: any, window: any, MouseEvent: any;

const FIXTURE_NAMES = ['mlp.py', 'resnet_small.py', 'gpt_nano.py', 'wide_resnet.py', 'transformer_lm.py', 'unet_small.py', 'vit_timm.py'];

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

/** What-if round trips (request → data) per fixture, through the bundled server over stdio. */
async function whatIfRoundTrips(): Promise<void> {
  console.log('\ntimeline view: what-if round trip (memlens/timeline with overrides, real server over stdio; target < 100 ms)');
  console.log(`${'file'.padEnd(22)} ${'points'.padStart(7)} ${'first'.padStart(10)} ${'p50'.padStart(10)} ${'p95'.padStart(10)}`);
  const session = await LspSession.start({ settings: { device: 'cpu', optimizer: 'adamw', budget: '24GiB' } });
  try {
    const changes: WhatIf[] = [{ batch: 16 }, { batch: 32 }, { precision: 'amp-bf16' }, { optimizer: 'sgd' }, { microbatch: 2 }, { device: 'cuda' }, { batch: 4 }, { optimizer: 'adam', precision: 'bf16' }];
    for (const name of FIXTURE_NAMES) {
      const uri = pathToFileURL(path.join(FIXTURES, name)).toString();
      await session.openFixture(name);
      const base = await session.connection.sendRequest<TimelineData | null>('memlens/timeline', { uri });
      if (!base) throw new Error(`${name}: no timeline`);
      const times: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (const whatIf of changes) {
          const t0 = performance.now();
          const data = await session.connection.sendRequest<TimelineData | null>('memlens/timeline', { uri, whatIf });
          times.push(performance.now() - t0);
          if (!data || data.error) throw new Error(`${name}: what-if ${JSON.stringify(whatIf)} gave no numbers`);
        }
      }
      console.log(`${name.padEnd(22)} ${String(base.report.timeline.length).padStart(7)} ${ms(times[0])} ${ms(quantile(times.slice(1), 0.5))} ${ms(quantile(times.slice(1), 0.95))}`);
    }
  } finally {
    await session.stop();
  }
}

/** Render time of the standalone page, and hover latency, in Chromium. */
async function renderTimes(): Promise<void> {
  console.log('\ntimeline view: render in Chromium (data in → chart drawn; hover = one pointer move → tooltip updated, mean of 200)');
  console.log(`${'timeline'.padEnd(26)} ${'points'.padStart(8)} ${'drawn'.padStart(7)} ${'render'.padStart(10)} ${'hover'.padStart(10)}`);
  await loadPythonParser();
  const file = path.join(FIXTURES, 'resnet_small.py');
  const analysis = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', optimizer: 'adamw', budgetBytes: 2 ** 30 });
  const browser = await launchChromium();
  try {
    const rows: [string, number][] = [['resnet_small.py', analysis.report.timeline.length], ['synthetic', 10_000], ['synthetic', 100_000]];
    for (const [what, n] of rows) {
      const url = writePage(n === analysis.report.timeline.length ? analysis : syntheticAnalysis(analysis, n));
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const renders: number[] = [];
      let drawn = 0;
      for (let i = 0; i < 3; i++) {
        await page.goto(url);
        const r = await rendered(page, undefined, 60_000);
        renders.push(r.ms);
        drawn = r.drawn;
      }
      const hover = await page.evaluate(() => {
        const over = document.querySelector('#chart .u-over');
        const tip = document.querySelector('#tooltip');
        const box = over.getBoundingClientRect();
        const t0 = performance.now();
        let read = '';
        for (let k = 0; k < 200; k++) {
          const x = box.left + ((k * 37) % 200) / 200 * box.width;
          over.dispatchEvent(new MouseEvent('mousemove', { clientX: x, clientY: box.top + box.height / 2, bubbles: true }));
          read = tip.textContent;
        }
        return { ms: (performance.now() - t0) / 200, read: read.length };
      });
      console.log(`${what.padEnd(26)} ${String(n).padStart(8)} ${String(drawn).padStart(7)} ${ms(quantile(renders, 0.5))} ${ms(hover.ms)}`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
}

export async function viewBench(): Promise<void> {
  await whatIfRoundTrips();
  await renderTimes();
}

if (require.main === module) {
  viewBench().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}

// `npm run bench`: analysis time of each fixture and of a generated 2,000-line file of many model
// classes (cold = first analysis in the process, warm = median of later ones), then p50/p95
// latency of inlay-hint and hover requests against the real bundled language server over stdio.
// Targets (issue 2): full analysis of a 2,000-line file under 150 ms warm; inlay hints and hover
// p95 under 20 ms. Prints figures; exits non-zero only when it cannot run.

import { catalogFor } from '../kernels/src';
import { coverageReport } from '../kernels/src/coverage';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { analyzeSource } from '../server/src/analysis';
import { ParsedSource, loadPythonParser } from '../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../server/src/report/types';
import { FIXTURES } from '../test/fixtures';
import { LspSession } from '../test/lsp/session';
import { generateManyModels } from './generate';
import { LIBS_SITE } from './libs';
import { planBench } from './plan';
import { viewBench } from './view';
import { profileBench } from './profile';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

/** torchvision's resnet.py as Debian's python3-torchvision installs it. */
function torchvisionResnet(): string | null {
  const candidates = [path.join(process.env.MEMLENS_TORCHVISION_DIR ?? '/usr/lib/python3/dist-packages/torchvision', 'models', 'resnet.py')];
  return candidates.find((f) => fs.existsSync(f)) ?? null;
}

interface BenchRow {
  name: string;
  file: string;
  overrides?: Partial<typeof DEFAULT_SETTINGS>;
}

function timeAnalysis(row: BenchRow, text: string, runs: number): { cold: number; warm: number; p95: number } {
  const { file } = row;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const source = new ParsedSource(text);
    const a = analyzeSource(file, source, { ...DEFAULT_SETTINGS, budgetBytes: 24 * 2 ** 30, ...row.overrides });
    times.push(performance.now() - t0);
    source.dispose();
    if (a.error) throw new Error(`${path.basename(file)}: ${a.error.reason}`);
  }
  const warm = times.slice(1);
  return { cold: times[0], warm: quantile(warm, 0.5), p95: quantile(warm, 0.95) };
}

const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;

async function main(): Promise<void> {
  await loadPythonParser();
  console.log('analysis (parse + interpret + simulate, with the max-batch rerun), 20 runs each');
  console.log(`${'file'.padEnd(28)} ${'lines'.padStart(6)} ${'cold'.padStart(10)} ${'warm p50'.padStart(10)} ${'warm p95'.padStart(10)}`);
  const rows: BenchRow[] = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.py')).map((f) => ({ name: f, file: path.join(FIXTURES, f) }));
  const big = path.join(os.tmpdir(), 'memlens-bench-many-models.py');
  fs.writeFileSync(big, generateManyModels(2000));
  rows.push({ name: 'many_models (generated)', file: big });
  // Target (issue 4): under 100 ms warm.
  const resnet = torchvisionResnet();
  if (resnet) rows.push({ name: 'torchvision resnet18()', file: resnet, overrides: { entry: 'resnet18()', inputs: ['x:float32[1,3,224,224]'] } });
  else console.log('(torchvision resnet.py not found: no resnet18 row)');
  for (const row of rows) {
    const { name, file } = row;
    const text = fs.readFileSync(file, 'utf8');
    const r = timeAnalysis(row, text, 20);
    console.log(`${name.padEnd(28)} ${String(text.split('\n').length).padStart(6)} ${ms(r.cold)} ${ms(r.warm)} ${ms(r.p95)}`);
  }

  // Installed libraries (issue 8): each library fixture in a fresh process, so that the first
  // analysis reads and parses the library's files. Targets: a transformers model's first analysis
  // under 2 s, under 500 ms once its files are parsed.
  const libs = path.join(FIXTURES, 'libs');
  if (fs.existsSync(path.join(LIBS_SITE, 'transformers'))) {
    console.log(`\nmodels from installed libraries (${LIBS_SITE}), each in a fresh process`);
    console.log(`${'fixture'.padEnd(28)} ${'files'.padStart(6)} ${'first'.padStart(10)} ${'cached'.padStart(10)} ${'heap'.padStart(10)} ${'rss'.padStart(10)}`);
    const files = [...fs.readdirSync(libs).filter((f) => f.endsWith('.py')).map((f) => path.join(libs, f)), ...fs.readdirSync(path.join(libs, 'scripts')).flatMap((d) => fs.readdirSync(path.join(libs, 'scripts', d)).filter((f) => f.endsWith('.py') && fs.existsSync(path.join(libs, 'scripts', d, f.replace(/\.py$/, '.entry.json')))).map((f) => path.join(libs, 'scripts', d, f)))];
    for (const f of files) {
      const out = execFileSync(process.execPath, [path.join(__dirname, 'libs.js'), f], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { cold: number; cached: number; files: number; heapMiB: number; rssMiB: number };
      const mib = (x: number) => `${x.toFixed(0).padStart(6)} MiB`;
      console.log(`${path.relative(libs, f).replace(/\.py$/, '').padEnd(28)} ${String(r.files).padStart(6)} ${ms(r.cold)} ${ms(r.cached)} ${mib(r.heapMiB)} ${mib(r.rssMiB)}`);
    }
  } else console.log(`\n(no model libraries at ${LIBS_SITE}: .ci/run installs them; no library rows)`);

  console.log('\nlanguage server over stdio (dist/server.js), 200 requests each, on many_models (generated)');
  const session = await LspSession.start({ settings: { budget: '24GiB' } });
  try {
    const uri = pathToFileURL(big).toString();
    await session.open(uri, fs.readFileSync(big, 'utf8'));
    const hintTimes: number[] = [];
    const hoverTimes: number[] = [];
    const hints = (await session.inlayHints(uri)) ?? [];
    const lines = hints.map((h) => h.position.line);
    for (let i = 0; i < 200; i++) {
      let t0 = performance.now();
      await session.inlayHints(uri);
      hintTimes.push(performance.now() - t0);
      t0 = performance.now();
      await session.hover(uri, lines[i % Math.max(1, lines.length)] ?? 0);
      hoverTimes.push(performance.now() - t0);
    }
    console.log(`inlay hints (${hints.length} hints)  p50 ${ms(quantile(hintTimes, 0.5))}  p95 ${ms(quantile(hintTimes, 0.95))}`);
    console.log(`hover                      p50 ${ms(quantile(hoverTimes, 0.5))}  p95 ${ms(quantile(hoverTimes, 0.95))}`);
  } finally {
    await session.stop();
  }
  await editToHints();
  // Checkpointing, precision, microbatching (issue 10): the planner on a 200-call chain and the WRN-28-2 study.
  planBench();
  // The timeline view (issue 11): what-if round trips through the server, render times in Chromium.
  await viewBench();
  // Profiling with ONNX Runtime (issue 12): command → result, and the profiler's overhead.
  await profileBench();
  // Op coverage of each measured release's catalog (npm run ops prints the unmodelled names too).
  console.log('\nop coverage (modelled / catalogued names)');
  for (const release of [[1, 13], [2, 13], [2, 14]] as const) {
    const groups = coverageReport(catalogFor(release));
    console.log(`  PyTorch ${release.join('.')}: ${groups.map((g) => `${g.group} ${g.modelled + g.partly}/${g.total}`).join(', ')}`);
  }
  const mem = process.memoryUsage();
  console.log(`\nbench process heap ${(mem.heapUsed / 2 ** 20).toFixed(1)} MiB, rss ${(mem.rss / 2 ** 20).toFixed(1)} MiB`);
}

/**
 * Edit → new hints, as the editor sees it: a didChange, the analysis in the worker, its diagnostics
 * published (with the inlay hint refresh), and the hints asked for again. Target: under 300 ms.
 */
async function editToHints(): Promise<void> {
  const names = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.py')).sort();
  console.log(`\nedit → new hints over stdio (didChange → diagnostics of the version → inlay hints), 20 edits each, ${names.length} fixtures`);
  const session = await LspSession.start({ settings: { budget: '24GiB' }, capabilities: { workspace: { inlayHint: { refreshSupport: true } } } });
  const all: number[] = [];
  try {
    for (const name of names) {
      const uri = pathToFileURL(path.join(FIXTURES, name)).toString();
      const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
      await session.open(uri, text);
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        // Typing a comment line on top and deleting it: every hint moves, the model is analyzed again.
        const edit = i % 2 === 0 ? { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '# edited\n' } : { range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, text: '' };
        const t0 = performance.now();
        await session.change(uri, [edit]);
        await session.inlayHints(uri);
        times.push(performance.now() - t0);
      }
      all.push(...times);
      await session.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    }
  } finally {
    await session.stop();
  }
  console.log(`edit → new hints            p50 ${ms(quantile(all, 0.5))}  p95 ${ms(quantile(all, 0.95))}  max ${ms(Math.max(...all))}  (target p95 < 300 ms)`);
}

main().catch((e) => {
  console.error(`bench failed: ${(e as Error).message}`);
  process.exitCode = 1;
});

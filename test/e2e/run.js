// `npm run test:e2e`: the Memlens VSIX installed in a real VS Code (code-server) driven in a real
// browser (headless Chromium through playwright-core), checking only what a user sees: inlay hints,
// a hover, the code lens, the budget diagnostic in the Problems panel, the status bar item (and the
// report it opens), that an edit updates the numbers, that the client restarts a killed language
// server, and the warning an invalid setting in the workspace's settings.json raises. Expected numbers come from the
// CLI on the same file (the same engine), so the test checks the editor plumbing end to end.
//
// Environment: MEMLENS_E2E_CACHE (toolchain cache, default ~/.cache/memlens-e2e),
// MEMLENS_E2E_VSIX (use this VSIX instead of building one), MEMLENS_E2E_HEADED=1 (show the browser).
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureToolchain } = require('./toolchain');
const { startWorkbench, languageServerPids } = require('./workbench');

const ROOT = path.join(__dirname, '..', '..');
const RESULTS = path.join(ROOT, 'test-results', 'e2e');
const FIXTURE = 'resnet_small.py';
const BUDGET = '1MiB';
/** Written into the workspace's .vscode/settings.json at the end: not a size. */
const BAD_BUDGET = '24 gigs';
/** BasicBlock's first forward line (conv1, bn1, relu): it runs 4 times, once per BasicBlock (layer1 ×2, layer2, layer3). */
const BLOCK_CONV_LINE = 'out = self.relu(self.bn1(self.conv1(x)))';
const STEP_TIMEOUT = 45_000;

// A real-looking project around the model: a utility module, a file of layer parts and the model
// that imports them, and a model file whose model cannot be chosen (its constructor needs arguments).
const PROJECT = {
  'utils.py': `import os
import torch


def seed_everything(seed=0):
    torch.manual_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


def accuracy(logits, targets):
    return (logits.argmax(-1) == targets).float().mean()
`,
  'parts.py': `import torch.nn as nn


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(), nn.Conv2d(cout, cout, 3, padding=1), nn.ReLU())

    def forward(self, x):
        return self.body(x)
`,
  'tiny_unet.py': `import torch
import torch.nn as nn
from parts import DoubleConv


class TinyUNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = DoubleConv(3, 8)
        self.b = nn.Conv2d(8, 2, 1)

    def forward(self, x):
        return self.b(self.a(x))

# memlens: entry=TinyUNet() input=x:float32[2,3,32,32]
`,
  'ffn_model.py': `import torch.nn as nn


class Net(nn.Module):
    def __init__(self, in_dim, depth=2):
        super().__init__()
        self.inp = nn.Linear(in_dim, 64)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        return self.out(self.inp(x).relu())
`,
};
const PARTS_CALL_LINE = 'return self.body(x)';

const started = Date.now();
function log(message) {
  process.stdout.write(`[e2e ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${message}\n`);
}

/** What the editor should show for `file`, from the CLI's JSON report and the same byte formatter. */
function expectations(file) {
  const { formatBytes } = require(path.join(ROOT, 'out', 'common', 'units.js'));
  const json = execFileSync(process.execPath, [path.join(ROOT, 'bin', 'memlens.js'), 'report', file, '--budget', BUDGET, '--json'], { encoding: 'utf8' });
  const report = JSON.parse(json);
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const blockLine = lines.findIndex((l) => l.includes(BLOCK_CONV_LINE)) + 1;
  const called = report.layers.filter((l) => l.callLine === blockLine);
  const saved = called.reduce((s, l) => s + l.savedBytes, 0);
  const weights = called.reduce((s, l) => s + l.paramBytes + l.gradBytes + l.optimizerBytes, 0);
  // Runs of the line: the calls of conv1 on it (one per BasicBlock); the hint is per run.
  const runs = called.filter((l) => l.path.endsWith('.conv1')).length;
  const perRun = (bytes) => (runs > 1 ? `${runs} × ${formatBytes(bytes / runs)}` : formatBytes(bytes));
  const peak = `${formatBytes(report.totals.peakBytes)} (${report.totals.peakPhase})`;
  const bound = report.unknowns.length ? '≥ ' : '';
  return {
    peakBytes: formatBytes(report.totals.peakBytes),
    peakPhase: report.totals.peakPhase,
    status: `${bound}${formatBytes(report.totals.peakBytes)} · ${report.settings.precision} · B=${report.settings.batch}`,
    hint: `saved ${perRun(saved)} · weights ${perRun(weights)}`,
    lens: `Peak ${peak}`,
    diagnostic: `Training-step peak ${peak} exceeds the memory budget ${formatBytes(report.budgetBytes)}`,
  };
}

// ---- the page ---------------------------------------------------------------------------------

/** Monaco renders spaces as U+00A0; compare text as a person reads it. */
function plain(text) {
  return (text || '').replace(/\u00a0/g, ' ');
}

/** The rendered text (code + inlay hints) of the editor line containing `needle`. */
function viewLine(page, needle) {
  return page.locator('.editor-instance .monaco-editor .view-lines .view-line').filter({ hasText: needle.replace(/ /g, '\u00a0') }).first();
}

async function waitForText(locator, predicate, what, timeout = STEP_TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = plain(await locator.textContent({ timeout: Math.max(1, deadline - Date.now()) }).catch(() => ''));
    if (predicate(last)) return last;
    await locator.page().waitForTimeout(250); // polling a condition, not waiting for readiness
  }
  throw new Error(`${what}: timed out after ${timeout} ms; last text: ${JSON.stringify(last)}`);
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

async function goToLine(page, line) {
  await page.keyboard.press('Control+g');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(`:${line}`);
  await page.keyboard.press('Enter');
}

/** Opens a workspace file with Quick Open and waits for a line of it. */
async function openFile(page, name, needle) {
  await page.keyboard.press('Control+p');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout: 10_000 });
  await input.fill(name);
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await viewLine(page, needle).waitFor({ timeout: STEP_TIMEOUT });
  await page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 300, y: 10 } });
}

/** Types `width` over the two digits of `width=16` in ResNetSmall's signature, as a person would. */
async function setWidth(page, source, width) {
  await page.locator('.editor-instance .monaco-editor textarea').first().focus();
  await goToLine(page, source.split('\n').findIndex((l) => l.includes('width=16):')) + 1);
  await page.keyboard.press('End');
  for (let i = 0; i < 2; i++) await page.keyboard.press('ArrowLeft');
  for (let i = 0; i < 2; i++) await page.keyboard.press('Backspace');
  await page.keyboard.type(width);
  await viewLine(page, `width=${width}):`).waitFor({ timeout: 10_000 });
}

// ---- the run ----------------------------------------------------------------------------------

async function main() {
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const tools = ensureToolchain();
  log('toolchain ready');

  let vsix = process.env.MEMLENS_E2E_VSIX;
  if (!vsix) {
    const { packageVsix } = require(path.join(ROOT, 'scripts', 'package.js'));
    vsix = packageVsix({ target: 'linux-x64', out: path.join(RESULTS, 'memlens-linux-x64.vsix') });
  }
  log(`VSIX ${vsix} (${(fs.statSync(vsix).size / 2 ** 20).toFixed(1)} MiB)`);

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-e2e-'));
  const workspace = path.join(tmp, 'workspace');
  fs.mkdirSync(workspace);
  const file = path.join(workspace, FIXTURE);
  fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', FIXTURE), file);
  // Folder settings, empty until the invalid-setting check writes a bad budget into them.
  const folderSettings = path.join(workspace, '.vscode', 'settings.json');
  fs.mkdirSync(path.dirname(folderSettings));
  fs.writeFileSync(folderSettings, '{}\n');
  for (const [name, text] of Object.entries(PROJECT)) fs.writeFileSync(path.join(workspace, name), text);
  const source = fs.readFileSync(file, 'utf8');
  const before = expectations(file);
  // The parts file's hint: DoubleConv's forward line as TinyUNet uses it (its body's subtree).
  const unet = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'bin', 'memlens.js'), 'report', path.join(workspace, 'tiny_unet.py'), '--budget', BUDGET, '--json'], { encoding: 'utf8' }));
  const { formatBytes } = require(path.join(ROOT, 'out', 'common', 'units.js'));
  const body = unet.layers.filter((l) => l.path.startsWith('a.body.'));
  const partsHint = `saved ${formatBytes(body.reduce((t, l) => t + l.savedBytes, 0))} · weights ${formatBytes(body.reduce((t, l) => t + l.paramBytes + l.gradBytes + l.optimizerBytes, 0))}`;
  const widened = path.join(tmp, 'widened.py');
  fs.writeFileSync(widened, source.replace('num_classes=10, width=16', 'num_classes=10, width=32'));
  const after = expectations(widened);
  // The quick fix "Checkpoint this call" on `out = self.layer2(out)` writes exactly this fixture
  // (test/unit/fixes.test.ts checks the text; here: the real editor applies it and shows its numbers).
  const checkpointed = path.join(tmp, 'checkpointed.py');
  fs.copyFileSync(path.join(ROOT, 'test', 'fixtures', 'fixes', 'resnet_small_ckpt.py'), checkpointed);
  const fixed = expectations(checkpointed);
  log(`expected: ${JSON.stringify({ before, after })}`);

  const results = [];
  let workbench;
  let browser;
  let page;
  const check = async (name, fn) => {
    const t0 = Date.now();
    try {
      const detail = await fn();
      results.push({ name, ok: true });
      log(`PASS ${name} (${Date.now() - t0} ms)${detail ? `: ${detail}` : ''}`);
      return true;
    } catch (e) {
      results.push({ name, ok: false });
      log(`FAIL ${name} (${Date.now() - t0} ms): ${e instanceof Error ? e.message : String(e)}`);
      if (page) await page.screenshot({ path: path.join(RESULTS, `failed-${results.length}.png`) }).catch(() => undefined);
      return false;
    }
  };

  try {
    workbench = await startWorkbench({ tools, vsix, root: tmp, workspace, log });
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({
      executablePath: tools.chromium,
      headless: process.env.MEMLENS_E2E_HEADED !== '1',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    await page.goto(workbench.url);

    const opened = await check('open the file from the Explorer', async () => {
      const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: FIXTURE });
      await row.waitFor({ timeout: 60_000 });
      await row.click();
      await viewLine(page, 'class BasicBlock').waitFor({ timeout: STEP_TIMEOUT });
      await page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 300, y: 10 } });
    });
    if (!opened) throw new Error('the file did not open; later checks need it');

    await check('inlay hint on BasicBlock\'s conv1 line shows per-run bytes, ×4 written out', async () => {
      const text = await waitForText(viewLine(page, BLOCK_CONV_LINE), (t) => t.includes('weights'), 'inlay hint');
      const hint = text.slice(text.indexOf('saved ')).trim();
      if (!/^saved 4 × \d+(\.\d+)? (B|KiB|MiB|GiB) · weights 4 × \d+(\.\d+)? (B|KiB|MiB|GiB)$/.test(hint)) throw new Error(`hint ${JSON.stringify(hint)} is not "saved 4 × N unit · weights 4 × N unit"`);
      if (hint !== before.hint) throw new Error(`hint ${JSON.stringify(hint)}, the engine says ${JSON.stringify(before.hint)}`);
      return JSON.stringify(hint);
    });

    await check('code lens on ResNetSmall shows the peak', async () => {
      await goToLine(page, source.split('\n').findIndex((l) => l.startsWith('class ResNetSmall')) + 1);
      const lens = page.locator('.editor-instance .codelens-decoration', { hasText: 'Peak' }).first();
      const text = await waitForText(lens, (t) => t.includes(before.lens), 'code lens');
      return JSON.stringify(text.trim());
    });
    await page.screenshot({ path: path.join(RESULTS, 'hints-and-lens.png') });

    await check('status bar shows the file\'s peak, precision and batch; clicking it opens the report', async () => {
      const item = page.locator('.statusbar-item', { hasText: ' · B=' }).first();
      const text = await waitForText(item, (t) => t.trim() === before.status, 'status bar item');
      await page.screenshot({ path: path.join(RESULTS, 'status-bar.png') });
      await item.click();
      const report = page.locator('.part.panel .monaco-editor .view-lines', { hasText: 'peak' }).first();
      const peakLine = /peak \d+(\.\d+)? \w+ during (forward|backward|optimizer)/;
      const reportText = await waitForText(report, (t) => peakLine.test(t), 'the report opened from the status bar');
      await page.screenshot({ path: path.join(RESULTS, 'status-bar-report.png') });
      return `${JSON.stringify(text.trim())}; report: ${JSON.stringify(reportText.match(peakLine)[0])}`;
    });
    await page.locator('.editor-instance .monaco-editor').first().click({ position: { x: 300, y: 10 } });
    await goToLine(page, source.split('\n').findIndex((l) => l.includes(BLOCK_CONV_LINE)) + 1);

    await check('hover on a layer line shows its table', async () => {
      // The first span holding "conv1" is the code token (the inlay hint comes after it).
      const token = viewLine(page, BLOCK_CONV_LINE).locator('span', { hasText: /conv1/ }).last();
      const box = await token.boundingBox();
      if (!box) throw new Error('the conv1 token is not on screen');
      await page.mouse.move(box.x + box.width - 6, box.y + box.height / 2);
      await page.mouse.move(box.x + box.width - 4, box.y + box.height / 2);
      const hover = page.locator('.monaco-hover .hover-contents, .monaco-hover .rendered-markdown', { hasText: 'saved for backward' }).first();
      await hover.waitFor({ state: 'visible', timeout: STEP_TIMEOUT });
      const table = hover.locator('table').first();
      await table.waitFor({ timeout: 5_000 });
      const text = plain(await table.innerText());
      for (const row of ['Conv2d', 'parameters', 'gradient memory', 'optimizer state', 'saved for backward', 'share of peak', '×4 (each)']) {
        if (!text.includes(row)) throw new Error(`hover table lacks "${row}": ${JSON.stringify(text)}`);
      }
      const heading = plain(await hover.innerText()).split('\n')[0];
      if (!heading.includes(before.hint)) throw new Error(`hover heading ${JSON.stringify(heading)} lacks ${JSON.stringify(before.hint)}`);
      await page.screenshot({ path: path.join(RESULTS, 'hover.png') });
      return `${JSON.stringify(heading)}; rows: ${text.split('\n').filter(Boolean).slice(0, 4).join(' | ')} …`;
    });
    await page.keyboard.press('Escape');

    await check('Problems panel shows the budget diagnostic', async () => {
      await runCommand(page, 'Problems: Focus on Problems View');
      const row = page.locator('.markers-panel .monaco-list-row', { hasText: 'exceeds the memory budget' }).first();
      const text = await waitForText(row, (t) => t.includes(before.diagnostic), 'diagnostic');
      await page.screenshot({ path: path.join(RESULTS, 'problems.png') });
      return JSON.stringify(text.trim());
    });

    await check('the extension host loaded ONNX Runtime and logged its execution providers', async () => {
      const logs = path.join(workbench.userDataDir, 'logs');
      const found = findInFiles(logs, /\[onnxruntime\].*/);
      if (!found) throw new Error(`no [onnxruntime] line under ${logs}`);
      if (!/execution providers: cpu/.test(found)) throw new Error(found);
      return JSON.stringify(found.replace(/^.*\[onnxruntime\]/, '[onnxruntime]'));
    });

    await check('editing width=16 → 32 updates the hint and the lens', async () => {
      await setWidth(page, source, '32');
      const lens = page.locator('.editor-instance .codelens-decoration', { hasText: 'Peak' }).first();
      const lensText = await waitForText(lens, (t) => t.includes(after.lens), 'code lens after the edit');
      await goToLine(page, source.split('\n').findIndex((l) => l.includes(BLOCK_CONV_LINE)) + 1);
      const hint = await waitForText(viewLine(page, BLOCK_CONV_LINE), (t) => t.includes(after.hint), 'inlay hint after the edit');
      const status = await waitForText(page.locator('.statusbar-item', { hasText: ' · B=' }).first(), (t) => t.trim() === after.status, 'status bar after the edit');
      return `lens ${JSON.stringify(lensText.trim())}; hint ${JSON.stringify(hint.slice(hint.indexOf('saved ')).trim())}; status bar ${JSON.stringify(status.trim())}`;
    });

    await check('a killed language server is restarted by the client', async () => {
      const pids = languageServerPids(workbench.extensionsDir);
      if (pids.length !== 1) throw new Error(`expected one language server, found ${JSON.stringify(pids)}`);
      process.kill(pids[0], 'SIGKILL');
      const deadline = Date.now() + STEP_TIMEOUT;
      let restarted = [];
      while (Date.now() < deadline) {
        restarted = languageServerPids(workbench.extensionsDir).filter((p) => p !== pids[0]);
        if (restarted.length) break;
        await page.waitForTimeout(250); // polling the process table
      }
      if (!restarted.length) throw new Error(`no new language server within ${STEP_TIMEOUT} ms after killing ${pids[0]}`);
      // The new server knows nothing of the old one: it must analyze the open (edited) document
      // and serve hints again; then an edit back to width=16 must show the original numbers.
      const line = viewLine(page, BLOCK_CONV_LINE);
      await waitForText(line, (t) => t.includes(after.hint), 'inlay hint after the restart');
      await setWidth(page, source, '16');
      await goToLine(page, source.split('\n').findIndex((l) => l.includes(BLOCK_CONV_LINE)) + 1);
      const hint = await waitForText(line, (t) => t.includes(before.hint), 'inlay hint after width=16 on the new server');
      return `killed pid ${pids[0]}, new pid ${restarted[0]}; width=16 again: hint ${JSON.stringify(hint.slice(hint.indexOf('saved ')).trim())}`;
    });

    await check('the quick fix "Checkpoint this call" on self.layer2(out) rewrites it; the lens follows; undo restores', async () => {
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await editor.click({ position: { x: 300, y: 10 } });
      await goToLine(page, source.split('\n').findIndex((l) => l.includes('out = self.layer2(out)')) + 1);
      await page.keyboard.press('Control+.');
      const item = page.locator('.action-widget .monaco-list-row, .context-view .monaco-list-row', { hasText: 'Checkpoint this call' }).first();
      await item.waitFor({ timeout: STEP_TIMEOUT });
      const title = plain(await item.innerText()).trim();
      if (!/^Checkpoint this call — saves \d+(\.\d+)? (B|KiB|MiB|GiB) of peak, recomputes \d+% of forward$/.test(title)) throw new Error(`action title ${JSON.stringify(title)}`);
      await page.screenshot({ path: path.join(RESULTS, 'quick-fix.png') });
      await item.click();
      await viewLine(page, 'out = checkpoint(self.layer2, out, use_reentrant=False)').waitFor({ timeout: STEP_TIMEOUT });
      const fixedText = fs.readFileSync(checkpointed, 'utf8');
      await goToLine(page, 1);
      await viewLine(page, 'from torch.utils.checkpoint import checkpoint').waitFor({ timeout: STEP_TIMEOUT });
      await goToLine(page, fixedText.split('\n').findIndex((l) => l.startsWith('class ResNetSmall')) + 1);
      const lens = page.locator('.editor-instance .codelens-decoration', { hasText: 'Peak' }).first();
      const fixedLens = await waitForText(lens, (t) => t.includes(fixed.lens), 'code lens after the quick fix');
      await page.screenshot({ path: path.join(RESULTS, 'quick-fix-applied.png') });
      // One edit, one undo: the file as it was, and its numbers.
      await viewLine(page, 'class ResNetSmall').click();
      await page.keyboard.press('Control+z');
      await goToLine(page, source.split('\n').findIndex((l) => l.startsWith('class ResNetSmall')) + 1);
      const restored = await waitForText(lens, (t) => t.includes(before.lens), 'code lens after undo');
      await goToLine(page, source.split('\n').findIndex((l) => l.includes('out = self.layer2(out)')) + 1);
      await viewLine(page, 'out = self.layer2(out)').waitFor({ timeout: STEP_TIMEOUT });
      await goToLine(page, 1);
      await viewLine(page, 'import torch.nn.functional as F').waitFor({ timeout: STEP_TIMEOUT });
      const imports = await editor.locator('.view-line', { hasText: 'torch.utils.checkpoint' }).count();
      if (imports) throw new Error('the import is still there after one undo');
      return `${JSON.stringify(title)}; lens ${JSON.stringify(fixedLens.trim())} → after undo ${JSON.stringify(restored.trim())}`;
    });

    await check('a utility module gets no diagnostic, no lens and no hint', async () => {
      await openFile(page, 'utils.py', 'def seed_everything');
      // Long enough for its analysis to land (the status bar says the model file's figures until then).
      await page.waitForTimeout(5_000); // absence cannot be awaited: give the analysis its time
      const editor = page.locator('.editor-instance .monaco-editor').first();
      const squiggles = await editor.locator('.squiggly-info, .squiggly-warning, .squiggly-error').count();
      const lenses = await editor.locator('.codelens-decoration').count();
      const hints = await editor.locator('.view-lines').innerText();
      if (squiggles || lenses || /saved \d|weights \d/.test(plain(hints))) throw new Error(`utils.py shows ${squiggles} squiggles, ${lenses} lenses, hints: ${/saved|weights/.test(hints)}`);
      return 'quiet';
    });

    await check('a file of layer parts shows its layers\' costs as the model that imports it uses them', async () => {
      await openFile(page, 'tiny_unet.py', 'class TinyUNet');
      await openFile(page, 'parts.py', 'class DoubleConv');
      const text = await waitForText(viewLine(page, PARTS_CALL_LINE), (t) => t.includes(partsHint), 'parts-file hint');
      await page.screenshot({ path: path.join(RESULTS, 'parts-file.png') });
      return JSON.stringify(text.slice(text.indexOf('saved ')).trim());
    });

    await check('"Analyze this model…" on a model that cannot be chosen inserts a filled-in directive', async () => {
      await openFile(page, 'ffn_model.py', 'class Net');
      await goToLine(page, PROJECT['ffn_model.py'].split('\n').findIndex((l) => l.startsWith('class Net')) + 1);
      await page.locator('.editor-instance .squiggly-info').first().waitFor({ state: 'attached', timeout: STEP_TIMEOUT });
      await page.keyboard.press('Control+.');
      const item = page.locator('.action-widget .monaco-list-row, .context-view .monaco-list-row', { hasText: 'Analyze this model' }).first();
      await item.waitFor({ timeout: STEP_TIMEOUT });
      await page.screenshot({ path: path.join(RESULTS, 'code-action.png') });
      await item.click();
      const line = viewLine(page, '# memlens: entry=Net(');
      const text = await waitForText(line, (t) => t.includes('# memlens: entry=Net(in_dim=...) input=x:float32[B,...] batch=1'), 'the inserted directive');
      return JSON.stringify(text.trim());
    });

    await check('an invalid memlens.budget in the folder\'s settings.json: a warning naming it and the accepted forms', async () => {
      fs.writeFileSync(folderSettings, JSON.stringify({ 'memlens.budget': BAD_BUDGET }, null, 2) + '\n');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'memlens.budget' }).first();
      const text = await waitForText(toast.locator('.notification-list-item-message'), (t) => t.includes(`memlens.budget: "${BAD_BUDGET}" is not a size; use 24GiB, 80GB, 512MiB`), 'settings warning');
      if (!(await toast.locator('.notification-list-item-icon[class*="warning"]').count())) throw new Error(`the notification is not a warning: ${JSON.stringify(text)}`);
      await page.screenshot({ path: path.join(RESULTS, 'settings-warning.png') });
      return JSON.stringify(text.trim());
    });

    await check('"Show Memory Timeline" opens the view beside the editor: the report\'s peak; a click on the chart moves the editor to that line; light, dark and high contrast; it comes back after a reload', async () => {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Hide Panel');
      fs.writeFileSync(folderSettings, '{}\n');
      await page.locator('.tabs-container .tab', { hasText: FIXTURE }).first().click();
      await page.locator('.tabs-container .tab.active', { hasText: FIXTURE }).first().waitFor({ timeout: STEP_TIMEOUT });
      // The cursor on line 1, so that the click's line (never 1) shows the editor moved.
      await goToLine(page, 1);
      await runCommand(page, 'Memlens: Show Memory Timeline');
      const view = () => page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const wantPeak = `peak ${before.peakBytes} (${before.peakPhase}`;
      const peak = await waitForText(view().locator('#peak-label'), (t) => t.startsWith(wantPeak), 'the view\'s peak label');
      // Hover the forward part of the chart: the tooltip names the op's line; a click reveals it.
      const plot = view().locator('#chart .u-over');
      await plot.waitFor({ timeout: STEP_TIMEOUT });
      const box = await plot.boundingBox();
      if (!box) throw new Error('the chart is not on screen');
      let line = 0;
      for (const f of [0.12, 0.18, 0.24, 0.3, 0.08]) {
        await page.mouse.move(box.x + box.width * f, box.y + box.height * 0.6);
        const tip = view().locator('#tooltip');
        await tip.waitFor({ state: 'visible', timeout: 5_000 });
        line = Number(await tip.getAttribute('data-line'));
        if (line > 0 && line !== 1) {
          await page.mouse.click(box.x + box.width * f, box.y + box.height * 0.6);
          break;
        }
      }
      if (!(line > 0)) throw new Error('no point with a source line under the forward part of the chart');
      const cursor = page.locator('.statusbar-item', { hasText: /^Ln \d+, Col \d+/ }).first();
      const position = await waitForText(cursor, (t) => t.trim().startsWith(`Ln ${line},`), `the editor at line ${line} after the click`);
      await page.screenshot({ path: path.join(RESULTS, 'timeline-dark.png') });
      fs.writeFileSync(folderSettings, JSON.stringify({ 'workbench.colorTheme': 'Default Light Modern' }, null, 2) + '\n');
      await page.locator('.monaco-workbench.vs').first().waitFor({ timeout: STEP_TIMEOUT });
      await waitForText(view().locator('#peak-label'), (t) => t.startsWith(wantPeak), 'the peak label in the light theme');
      await page.waitForTimeout(1000); // the view redraws its canvas in the new colours
      await page.screenshot({ path: path.join(RESULTS, 'timeline-light.png') });
      fs.writeFileSync(folderSettings, JSON.stringify({ 'workbench.colorTheme': 'Default High Contrast' }, null, 2) + '\n');
      await page.locator('.monaco-workbench.hc-black').first().waitFor({ timeout: STEP_TIMEOUT });
      await waitForText(view().locator('#peak-label'), (t) => t.startsWith(wantPeak), 'the peak label in high contrast');
      await page.waitForTimeout(1000); // the view redraws its canvas in the new colours
      await page.screenshot({ path: path.join(RESULTS, 'timeline-high-contrast.png') });
      fs.writeFileSync(folderSettings, '{}\n');
      await page.locator('.monaco-workbench.vs-dark').first().waitFor({ timeout: STEP_TIMEOUT });
      // A window reload restores the view (its serializer) with its numbers.
      await page.reload();
      const again = await waitForText(view().locator('#peak-label'), (t) => t.startsWith(wantPeak), 'the view after a window reload', 90_000);
      return `${JSON.stringify(peak.trim())}; clicked line ${line}: ${JSON.stringify(position.trim())}; after reload ${JSON.stringify(again.trim())}`;
    });

    await check('"Profile with ONNX Runtime" runs the model\'s forward for real: the message compares it with the estimate, the timeline draws the measured series', async () => {
      await page.locator('.tabs-container .tab', { hasText: FIXTURE }).first().click();
      await page.locator('.tabs-container .tab.active', { hasText: FIXTURE }).first().waitFor({ timeout: STEP_TIMEOUT });
      await runCommand(page, 'Memlens: Profile with ONNX Runtime');
      const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'profiled resnet_small.py' }).first();
      const text = await waitForText(toast.locator('.notification-list-item-message'), (t) => /measured output bytes equal the estimate on all \d+ layers/.test(t), 'the profiling message', 90_000);
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const legend = await waitForText(view.locator('#legend'), (t) => /measured \(onnxruntime \S+ cpu\)/.test(t), 'the measured series in the timeline');
      await page.screenshot({ path: path.join(RESULTS, 'timeline-measured.png') });
      return `${JSON.stringify(text.trim())}; legend ${JSON.stringify(legend.match(/measured \([^)]*\)/)[0])}`;
    });
  } catch (e) {
    results.push({ name: 'setup', ok: false });
    log(`FAIL setup: ${e instanceof Error ? e.stack : String(e)}`);
    if (page) await page.screenshot({ path: path.join(RESULTS, 'failed-setup.png') }).catch(() => undefined);
  } finally {
    await browser?.close().catch(() => undefined);
    await workbench?.stop();
    if (workbench) fs.copyFileSync(workbench.serverLog, path.join(RESULTS, 'code-server.log'));
    if (workbench) copyTree(path.join(workbench.userDataDir, 'logs'), path.join(RESULTS, 'logs'));
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  log(`screenshots and logs in ${path.relative(process.cwd(), RESULTS) || '.'}`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

/** The first line matching `pattern` in any file under `dir`, or null. */
function findInFiles(dir, pattern) {
  if (!fs.existsSync(dir)) return null;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const hit = entry.isDirectory() ? findInFiles(full, pattern) : (fs.readFileSync(full, 'utf8').match(pattern) || [null])[0];
    if (hit) return hit;
  }
  return null;
}

function copyTree(from, to) {
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true });
}

main().catch((e) => {
  console.error(e);
  console.log('0 passed, 1 failed');
  process.exitCode = 1;
});

// `npm run test:vscode`: the integration suite in suite/ inside a VS Code extension host.
//
// - Default: @vscode/test-electron downloads VS Code and runs the suite there. Where VS Code
//   cannot be downloaded (no access to update.code.visualstudio.com), the suite is skipped with
//   one line and exit code 0.
// - MEMLENS_VSCODE_SERVER=1: the same suite in the VS Code server inside the end-to-end test's
//   cached code-server (test/e2e/toolchain.js), with headless Chromium as the window that makes
//   the server start its extension host; the suite writes its counts to a file. EXPERIMENTAL: with
//   code-server 4.139.1 the extension host starts but the suite has not reported yet (time-boxed;
//   the end-to-end test covers the same features through the UI).
'use strict';

const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const TESTS = path.join(__dirname, 'suite', 'index.js');
const WORKSPACE = path.join(ROOT, 'test', 'fixtures');
const SETTINGS = { 'security.workspace.trust.enabled': false, 'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'telemetry.telemetryLevel': 'off' };

function build() {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
}

async function viaElectron() {
  const { downloadAndUnzipVSCode, runTests } = require('@vscode/test-electron');
  let vscodeExecutablePath;
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version: process.env.MEMLENS_VSCODE_VERSION || 'stable', timeout: 30_000 });
  } catch (e) {
    const reason = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    console.log(`test:vscode skipped: VS Code could not be downloaded (${reason}); run it where it can be, or with MEMLENS_VSCODE_SERVER=1 in code-server's VS Code server`);
    return 0;
  }
  build();
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-vscode-'));
  fs.mkdirSync(path.join(userDataDir, 'User'));
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(SETTINGS));
  return runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: TESTS,
    launchArgs: [WORKSPACE, '--disable-extensions', `--user-data-dir=${userDataDir}`],
  }).then(() => 0, () => 1);
}

async function viaServer() {
  const { ensureToolchain } = require('../e2e/toolchain');
  const tools = ensureToolchain();
  build();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-vscode-server-'));
  const results = path.join(tmp, 'results.json');
  fs.mkdirSync(path.join(tmp, 'data', 'User'), { recursive: true });
  fs.writeFileSync(path.join(tmp, 'data', 'User', 'settings.json'), JSON.stringify(SETTINGS));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = spawn(tools.node, [
    tools.vscodeServerMain, '--host', '127.0.0.1', '--port', String(port), '--without-connection-token', '--accept-server-license-terms',
    '--user-data-dir', path.join(tmp, 'data'), '--server-data-dir', path.join(tmp, 'server-data'), '--extensions-dir', path.join(tmp, 'extensions'),
  ], { env: { ...process.env, MEMLENS_VSCODE_RESULTS: results }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  server.stdout.on('data', (d) => { log += d; });
  server.stderr.on('data', (d) => { log += d; });
  let browser;
  try {
    await waitFor(() => /Extension host agent listening|Web UI available/.test(log), 60_000, 'the VS Code server to listen');
    const { chromium } = require('playwright-core');
    browser = await chromium.launch({ executablePath: tools.chromium, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    const page = await browser.newPage();
    // The server ignores --extensionDevelopmentPath/--extensionTestsPath; the web workbench takes
    // them from its URL (`payload`) and passes them to the server's extension host.
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    const payload = JSON.stringify([['extensionDevelopmentPath', remote(ROOT)], ['extensionTestsPath', remote(TESTS)]]);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}&payload=${encodeURIComponent(payload)}`);
    await waitFor(() => fs.existsSync(results), 120_000, 'the suite to report');
    const { passed, failed } = JSON.parse(fs.readFileSync(results, 'utf8'));
    console.log(`${passed} passed, ${failed} failed`);
    return failed ? 1 : 0;
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}\n--- server log ---\n${log.slice(-4000)}`);
    return 1;
  } finally {
    await browser?.close().catch(() => undefined);
    try { process.kill(-server.pid, 'SIGTERM'); } catch { /* gone */ }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Polls a condition (process output, a file) until it holds. */
async function waitFor(condition, timeout, what) {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

(process.env.MEMLENS_VSCODE_SERVER === '1' ? viaServer() : viaElectron()).then(
  (code) => { process.exitCode = code; },
  (e) => { console.error(e); process.exitCode = 1; },
);

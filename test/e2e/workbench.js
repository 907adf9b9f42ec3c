// A code-server instance with the Memlens VSIX installed, in throwaway folders: the extensions
// folder, the user data (settings) and a workspace holding copies of the fixtures.
'use strict';

const { execFileSync, spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');

/** User settings: trust off (no Restricted Mode), a 1 MiB budget so the over-budget diagnostic shows. */
const SETTINGS = {
  'security.workspace.trust.enabled': false,
  'memlens.budget': '1MiB',
  'editor.inlayHints.enabled': 'on',
  'editor.codeLens': true,
  'editor.minimap.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'python.languageServer': 'None',
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Installs `vsix`, then starts code-server on 127.0.0.1 with `workspace` open; resolves once it
 * prints that it listens. Returns { url, stop(), serverLog, extensionsDir, userDataDir }.
 */
async function startWorkbench({ tools, vsix, root, workspace, log }) {
  const extensionsDir = path.join(root, 'extensions');
  const userDataDir = path.join(root, 'user-data');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(SETTINGS, null, 2));
  const common = ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir];

  const started = Date.now();
  execFileSync(tools.node, [tools.codeServerMain, ...common, '--install-extension', vsix], { stdio: 'pipe' });
  const installed = fs.readdirSync(extensionsDir).filter((d) => d.startsWith('memlens.memlens-'));
  if (installed.length !== 1) throw new Error(`--install-extension left ${JSON.stringify(fs.readdirSync(extensionsDir))}`);
  log(`installed ${installed[0]} in ${Date.now() - started} ms`);

  const port = await freePort();
  const serverLog = path.join(root, 'code-server.log');
  const out = fs.openSync(serverLog, 'w');
  const child = spawn(
    tools.node,
    [tools.codeServerMain, ...common, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none', '--disable-telemetry',
      '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', workspace],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not listen within 60 s (see ${serverLog})`)), 60_000);
    // Match on the accumulated output: the line may arrive split across chunks.
    let seen = '';
    const onData = (chunk) => {
      fs.writeSync(out, chunk);
      seen = (seen + chunk.toString()).slice(-4096);
      if (/HTTP server listening on/.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => fs.writeSync(out, chunk));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`code-server exited with ${code} (see ${serverLog})`));
    });
  });
  child.removeAllListeners('exit');
  log(`code-server ${port} ready in ${Date.now() - started} ms`);

  return {
    url,
    pid: child.pid,
    serverLog,
    extensionsDir,
    userDataDir,
    /** Stops code-server and its children (extension host, language server); resolves once it exited. */
    stop() {
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', resolve));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killAfter = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, 10_000);
      return exited.then(() => {
        clearTimeout(killAfter);
        fs.closeSync(out);
      });
    },
  };
}

/** pids of the Memlens language servers (`dist/server.js lsp --stdio`) started from `extensionsDir`. */
function languageServerPids(extensionsDir) {
  const ps = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return ps
    .split('\n')
    .map((line) => line.trim().match(/^(\d+)\s+(.*)$/))
    .filter((m) => m && m[2].includes(extensionsDir) && /dist\/server\.js\b.*\blsp\b.*--stdio/.test(m[2]))
    .map((m) => Number(m[1]));
}

module.exports = { startWorkbench, languageServerPids };

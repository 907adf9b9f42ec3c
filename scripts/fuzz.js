// `npm run test:fuzz`: a short seeded fuzz run of the language server (lsp-fuzz.mjs: crashes, hangs,
// timeouts, invalid answers, RSS growth, the final state against the CLI and a fresh server).
// The harness is not part of this repository: it is run from MEMLENS_FUZZ, else from the shared
// tools folder beside the checkout (../shared/tools), and skipped, saying so, where neither exists.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const harness = process.env.MEMLENS_FUZZ || path.join(root, '..', 'shared', 'tools', 'lsp-fuzz.mjs');
if (!fs.existsSync(harness)) {
  console.log(`fuzz: skipped (no harness at ${harness}; set MEMLENS_FUZZ to its path)`);
  process.exit(0);
}
if (!fs.existsSync(path.join(root, 'dist', 'server.js'))) {
  console.error('fuzz: dist/server.js is missing (npm run build first)');
  process.exit(2);
}
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-fuzz-'));
const args = process.argv.slice(2).length ? process.argv.slice(2) : ['--seed', '2', '--edits', '1500'];
const r = spawnSync(process.execPath, [harness, ...args, '--out', out], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);

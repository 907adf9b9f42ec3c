#!/usr/bin/env node
// The `memlens` command (package.json "bin"): the bundled server exports the CLI's main().
'use strict';
const path = require('path');

let cli;
try {
  cli = require('../dist/server.js');
} catch (err) {
  const missing = err && err.code === 'MODULE_NOT_FOUND' && String(err.message).includes('server.js');
  process.stderr.write(missing
    ? `memlens: ${path.join(__dirname, '..', 'dist', 'server.js')} is missing; build it with npm run build\n`
    : `memlens: cannot load the engine: ${err && err.message}\n`);
  process.exit(2);
}
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`memlens: internal error: ${err && err.message}\n`); process.exitCode = 2; },
);

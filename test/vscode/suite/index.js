// Mocha inside the extension host (the --extensionTestsPath entry): runs every *.test.js here.
// When MEMLENS_VSCODE_RESULTS names a file, the counts are also written there, for runners that
// cannot read the extension host's exit code (VS Code's server started from code-server).
'use strict';

const fs = require('fs');
const path = require('path');
const Mocha = require('mocha');

async function run() {
  const mocha = new Mocha({ ui: 'bdd', color: false, timeout: 60_000 });
  for (const file of fs.readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(path.join(__dirname, file));
  const failures = await new Promise((resolve) => {
    const runner = mocha.run(resolve);
    runner.on('end', () => {
      const { passes, failures: failed } = runner.stats;
      if (process.env.MEMLENS_VSCODE_RESULTS) fs.writeFileSync(process.env.MEMLENS_VSCODE_RESULTS, JSON.stringify({ passed: passes, failed }));
    });
  });
  if (failures > 0) throw new Error(`${failures} test(s) failed`);
}

module.exports = { run };

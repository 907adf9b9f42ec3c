// `npm run package [-- --target linux-x64|linux-arm64|darwin-arm64|win32-x64|win32-arm64]`:
// builds a platform-specific VSIX that carries ONNX Runtime's native binaries for that one
// platform only (onnxruntime-node ships all five, 288 MB). The committed .vscodeignore is the
// allowlist for everything else; this script appends the target's binaries to a copy of it and
// hands that to vsce as --ignoreFile, then checks what the VSIX holds.
//
// README images resolve inside the VSIX: they live in media/ (shipped) and stay relative
// (--no-rewrite-relative-links; vsce would otherwise point them at the repository's raw files),
// and every other link in the README is absolute. The check below holds the README to that.
'use strict';

const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { listZip } = require('./zipListing');

const ROOT = path.join(__dirname, '..');
const ORT_BIN = 'node_modules/onnxruntime-node/bin/napi-v6';

/**
 * The onnxruntime-node files each target needs (under bin/napi-v6/<os>/<arch>/). darwin ships
 * the dylib twice under two names; the binding links @rpath/libonnxruntime.1.dylib only.
 * Windows needs DirectML and the DirectX shader compiler (WebGPU) next to onnxruntime.dll.
 */
const TARGETS = {
  'linux-x64': { dir: 'linux/x64', files: ['onnxruntime_binding.node', 'libonnxruntime.so.1'], maxBytes: 25 * 2 ** 20 },
  'linux-arm64': { dir: 'linux/arm64', files: ['onnxruntime_binding.node', 'libonnxruntime.so.1'] },
  'darwin-arm64': { dir: 'darwin/arm64', files: ['onnxruntime_binding.node', 'libonnxruntime.1.dylib'] },
  'win32-x64': { dir: 'win32/x64', files: ['onnxruntime_binding.node', 'onnxruntime.dll', 'DirectML.dll', 'dxcompiler.dll', 'dxil.dll'] },
  'win32-arm64': { dir: 'win32/arm64', files: ['onnxruntime_binding.node', 'onnxruntime.dll', 'DirectML.dll', 'dxcompiler.dll', 'dxil.dll'] },
};

function parseArgs(argv) {
  const args = { target: `${process.platform}-${process.arch}`, build: true, out: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--target') args.target = argv[++i];
    else if (a.startsWith('--target=')) args.target = a.slice('--target='.length);
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--no-build') args.build = false;
    else throw new Error(`unknown argument ${a} (use --target <${Object.keys(TARGETS).join('|')}> [--out file.vsix] [--no-build])`);
  }
  if (!TARGETS[args.target]) throw new Error(`unsupported target ${args.target}; one of ${Object.keys(TARGETS).join(', ')}`);
  return args;
}

function mib(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Builds the VSIX for `target`; returns its absolute path. Throws when a check fails. */
function packageVsix({ target, build = true, out } = {}) {
  const spec = TARGETS[target];
  if (!spec) throw new Error(`unsupported target ${target}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const vsix = path.resolve(ROOT, out || `${manifest.name}-${manifest.version}-${target}.vsix`);

  for (const file of spec.files) {
    const binary = path.join(ROOT, ORT_BIN, spec.dir, file);
    if (!fs.existsSync(binary)) throw new Error(`missing ${path.relative(ROOT, binary)}: run npm ci first`);
  }
  if (build) execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });

  const ignoreFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-vsix-')), '.vscodeignore');
  const allowlist = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8');
  const binaries = spec.files.map((f) => `!${ORT_BIN}/${spec.dir}/${f}`);
  fs.writeFileSync(ignoreFile, `${allowlist.trimEnd()}\n# ${target} (scripts/package.js)\n${binaries.join('\n')}\n`);

  const vsce = path.join(path.dirname(require.resolve('@vscode/vsce/package.json')), 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--target', target, '--ignoreFile', ignoreFile, '--no-rewrite-relative-links', '--out', vsix], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  fs.rmSync(path.dirname(ignoreFile), { recursive: true, force: true });

  // What the VSIX holds: the one platform's binaries, the bundles, and nothing from elsewhere.
  const entries = listZip(vsix).map((e) => e.name);
  const problems = [];
  const carried = entries.filter((n) => n.includes('/onnxruntime-node/bin/'));
  const expected = spec.files.map((f) => `extension/${ORT_BIN}/${spec.dir}/${f}`);
  for (const e of expected) if (!carried.includes(e)) problems.push(`missing ${e}`);
  for (const c of carried) if (!expected.includes(c)) problems.push(`other platform's binary ${c}`);
  for (const must of ['extension/package.json', 'extension/dist/client.js', 'extension/dist/server.js', 'extension/dist/analysisWorker.js', 'extension/dist/tree-sitter-python.wasm', 'extension/media/icon.png', 'extension/node_modules/onnxruntime-common/dist/cjs/index.js', 'extension/node_modules/onnxruntime-common/dist/cjs/package.json']) {
    if (!entries.includes(must)) problems.push(`missing ${must}`);
  }
  problems.push(...readmeLinkProblems(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), entries));
  const size = fs.statSync(vsix).size;
  console.log(`${path.relative(process.cwd(), vsix)}: ${mib(size)} (${size} bytes), ${entries.length} files, target ${target}`);
  if (spec.maxBytes && size > spec.maxBytes) problems.push(`${mib(size)} exceeds the ${mib(spec.maxBytes)} limit for ${target}`);
  if (problems.length) throw new Error(`VSIX check failed:\n  ${problems.join('\n  ')}`);
  return vsix;
}

/**
 * Relative links and images of the README that would be broken in the VSIX (the marketplace page
 * and VS Code's extension view show the packaged README): each must name a file the VSIX holds.
 */
function readmeLinkProblems(readme, entries) {
  const problems = [];
  const links = [...readme.matchAll(/(!?)\[[^\]]*\]\(([^)\s]+)[^)]*\)/g)].map((m) => ({ image: m[1] === '!', link: m[2] }));
  links.push(...[...readme.matchAll(/<img[^>]+src=["']([^"']+)["']/g)].map((m) => ({ image: true, link: m[1] })));
  for (const { image, link } of links) {
    if (/^[a-z][\w+.-]*:/i.test(link) || link.startsWith('#')) continue;
    const file = path.posix.normalize(decodeURI(link.split('#')[0]));
    if (!entries.includes(`extension/${file}`)) problems.push(`README ${image ? 'image' : 'link'} ${link} is not in the VSIX${image ? '' : ' (link to the repository instead)'}`);
  }
  return problems;
}

module.exports = { packageVsix, readmeLinkProblems, TARGETS };

if (require.main === module) {
  try {
    packageVsix(parseArgs(process.argv.slice(2)));
  } catch (e) {
    console.error(`package: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}

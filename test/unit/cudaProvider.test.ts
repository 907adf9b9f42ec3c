// What "Install the CUDA Provider" relies on, checked without the network or a GPU: reading named
// entries out of a ZIP (a NuGet package: stored, deflated, nested paths, a damaged archive), and the
// profiler loading an onnxruntime-node package from another folder (the CUDA-capable copy).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { readZipEntries, ZipError } from '../../client/src/unzip';
import { encodeModel } from '../../kernels/src/onnx/proto';
import { runProfiler } from '../../server/src/profile/run';
import { ROOT } from '../fixtures';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-cuda-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('the CUDA provider install, offline', { timeout: 120_000 }, () => {
  test('named entries of a ZIP: deflated and stored, nested names, the rest left alone', () => {
    const zip = path.join(tmp, 'pkg.nupkg');
    const big = 'x'.repeat(100_000) + 'end';
    execFileSync('python3', ['-c', `
import zipfile, sys
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr(zipfile.ZipInfo('runtimes/linux-x64/native/libonnxruntime_providers_cuda.so'), b'${'\\x7fELF'}' + b'cuda' * 1000, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('runtimes/linux-x64/native/libonnxruntime_providers_shared.so', b'shared', compress_type=zipfile.ZIP_STORED)
    z.writestr('big.txt', sys.argv[2], compress_type=zipfile.ZIP_DEFLATED)
`, zip, big]);
    const wanted = ['runtimes/linux-x64/native/libonnxruntime_providers_cuda.so', 'runtimes/linux-x64/native/libonnxruntime_providers_shared.so', 'missing.so'];
    const got = readZipEntries(zip, wanted);
    assert.deepEqual([...got.keys()].sort(), wanted.slice(0, 2).sort());
    assert.equal(got.get(wanted[0])!.length, 4 + 4000);
    assert.equal(got.get(wanted[0])!.subarray(0, 4).toString('latin1'), '\x7fELF');
    assert.equal(got.get(wanted[1])!.toString(), 'shared');
    assert.equal(readZipEntries(zip, ['big.txt']).get('big.txt')!.toString(), big);
  });

  test('a damaged archive: a ZipError, not a crash', () => {
    const bad = path.join(tmp, 'bad.nupkg');
    fs.writeFileSync(bad, Buffer.from('PK\x03\x04 this is not really a zip file at all'));
    assert.throws(() => readZipEntries(bad, ['x']), ZipError);
    const zip = path.join(tmp, 'pkg.nupkg');
    const cut = path.join(tmp, 'cut.nupkg');
    fs.writeFileSync(cut, fs.readFileSync(zip).subarray(0, 200));
    assert.throws(() => readZipEntries(cut, ['runtimes/linux-x64/native/libonnxruntime_providers_cuda.so']), ZipError);
  });

  test('the profiler loads onnxruntime-node from another folder when told to (the installed copy)', async () => {
    const modules = path.join(tmp, 'runtime', 'node_modules');
    fs.cpSync(path.join(ROOT, 'node_modules', 'onnxruntime-node'), path.join(modules, 'onnxruntime-node'), { recursive: true, dereference: true });
    fs.cpSync(path.join(ROOT, 'node_modules', 'onnxruntime-common'), path.join(modules, 'onnxruntime-common'), { recursive: true, dereference: true });
    // Marked, so the run says which copy it loaded.
    const version = path.join(modules, 'onnxruntime-node', 'dist', 'version.js');
    fs.writeFileSync(version, fs.readFileSync(version, 'utf8').replace(/exports\.version = '[^']+'/, "exports.version = '1.30.0-memlens-copy'"));
    const model = path.join(tmp, 'relu.onnx');
    fs.writeFileSync(model, encodeModel({
      irVersion: 8, producer: 'test', opsets: [{ domain: '', version: 17 }],
      graph: { name: 'g', nodes: [{ name: 'r', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] }], initializers: [], inputs: [{ name: 'x', elemType: 1, shape: [4, 4] }], outputs: [{ name: 'y', elemType: 1, shape: [4, 4] }], valueInfo: [] },
    }));
    const o = await runProfiler({ model, ep: 'cpu', inputs: [{ name: 'x', dtype: 'float32', shape: [4, 4] }], runtime: path.join(modules, 'onnxruntime-node') });
    assert.ok(o.ok, JSON.stringify(o));
    assert.deepEqual(o.nodes.map((n) => [n.name, n.outputBytes]), [['r', 64]]);
    assert.equal(o.ok && o.version, '1.30.0-memlens-copy');
    // A folder that is not a package: the bundled one is used.
    const fallback = await runProfiler({ model, ep: 'cpu', inputs: [{ name: 'x', dtype: 'float32', shape: [4, 4] }], runtime: path.join(tmp, 'nowhere') });
    assert.ok(fallback.ok && fallback.version === '1.30.0');
  });
});

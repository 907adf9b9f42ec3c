// memlens/profile over LSP: in a trusted workspace the document's forward runs in ONNX Runtime
// (a child process), hovers then show measured vs estimated, the timeline view's data carries the
// measured forward; an untrusted workspace gets a refusal, never a run.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodeModel } from '../../kernels/src/onnx/proto';
import { after, before, describe, test } from 'node:test';
import type { OnnxResult, ProfileResult, TimelineData } from '../../protocol/messages';
import type { Report } from '../../server/src/report/types';
import { formatBytes } from '../../server/src/report/units';
import { TRUTH_SETTINGS } from '../fixtures';
import { fixtureUri, LspSession, markdown } from './session';

const NAME = 'lenet.py';

describe('profiling over LSP (memlens/profile)', { timeout: 120_000 }, () => {
  const uri = fixtureUri(NAME);
  let trusted: LspSession;
  let untrusted: LspSession;

  before(async () => {
    trusted = await LspSession.start({ settings: { ...TRUTH_SETTINGS }, initialization: { trusted: true } });
    untrusted = await LspSession.start({ settings: { ...TRUTH_SETTINGS }, initialization: { trusted: false } });
    await trusted.openFixture(NAME);
    await untrusted.openFixture(NAME);
  });
  after(async () => {
    await trusted.stop();
    await untrusted.stop();
  });

  test('an untrusted workspace: refused, nothing runs', async () => {
    const r = await untrusted.connection.sendRequest<ProfileResult>('memlens/profile', { uri, ep: 'cpu' });
    assert.deepEqual([r.ok, r.kind], [false, 'untrusted']);
    assert.match(r.message, /only in trusted workspaces/);
  });

  test('trusted: measured output bytes equal the estimate on every layer; hovers and the timeline show the measurement', async () => {
    const r = await trusted.connection.sendRequest<ProfileResult>('memlens/profile', { uri, ep: 'cpu' });
    assert.equal(r.ok, true, r.message);
    assert.deepEqual(r.providers, ['CPUExecutionProvider']);
    assert.deepEqual(r.mismatches, []);
    assert.ok(r.compared! >= 8, `${r.compared} layers compared`);
    assert.match(r.message, new RegExp(`^Memlens: profiled lenet\\.py with ONNX Runtime \\S+ on CPU: measured output bytes equal the estimate on all ${r.compared} layers; forward \\d+\\.\\d ms; measured forward peak \\(arena in use\\) \\S+ \\S+ vs estimated \\S+ \\S+ \\([+-]?\\d+\\.\\d%\\)\\.$`));
    // The hover on conv1's call: measured vs estimated.
    const report = (await trusted.report<Report>(uri))!;
    const conv1 = report.layers.find((l) => l.path === 'conv1')!;
    const hover = markdown(await trusted.hover(uri, conv1.callLine! - 1));
    assert.match(hover, new RegExp(`\\| output, measured vs estimated \\| ${formatBytes(conv1.outputBytes).replace('.', '\\.')} vs ${formatBytes(conv1.outputBytes).replace('.', '\\.')} \\(equal\\) \\|`));
    // The timeline view's data: the measured forward, on forward points.
    const data = await trusted.connection.sendRequest<TimelineData>('memlens/timeline', { uri });
    assert.ok(data.measured && data.measured.points.length > 5);
    assert.match(data.measured.source, /^onnxruntime \S+ cpu$/);
    for (const p of data.measured.points) assert.equal(data.report.timeline[p.x].phase, 'forward');
    assert.ok(data.report.layers.find((l) => l.path === 'conv1')!.measured);
  });

  test('an .onnx file opened in the editor: its per-node report; profiled when trusted; a hostile file: one line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-onnx-lsp-'));
    const file = path.join(dir, 'tiny.onnx');
    const weights = new Uint8Array(new Float32Array(8 * 4).buffer);
    fs.writeFileSync(file, encodeModel({
      irVersion: 8, producer: 'test', opsets: [{ domain: '', version: 17 }],
      graph: {
        name: 'g',
        nodes: [
          { name: 'fc', opType: 'MatMul', domain: '', inputs: ['x', 'w'], outputs: ['h'], attributes: [] },
          { name: 'act', opType: 'Relu', domain: '', inputs: ['h'], outputs: ['y'], attributes: [] },
        ],
        initializers: [{ name: 'w', dims: [4, 8], dataType: 1, raw: weights }],
        inputs: [{ name: 'x', elemType: 1, shape: [2, 4] }], outputs: [{ name: 'y', elemType: 1, shape: [2, 8] }], valueInfo: [],
      },
    }));
    const read = await trusted.connection.sendRequest<OnnxResult>('memlens/onnx', { file });
    assert.equal(read.ok, true, read.text);
    assert.equal(read.nodes, 2);
    assert.match(read.text, /^fc +MatMul +\[2, 8\] +64 B$/m);
    const run = await trusted.connection.sendRequest<OnnxResult>('memlens/onnx', { file, profile: true, ep: 'cpu' });
    assert.equal(run.ok, true, run.text);
    assert.match(run.text, /measured output bytes equal the estimate on every node \(2\)/);
    const refused = await untrusted.connection.sendRequest<OnnxResult>('memlens/onnx', { file, profile: true, ep: 'cpu' });
    assert.deepEqual([refused.ok, /trusted workspaces/.test(refused.text)], [false, true]);
    fs.writeFileSync(path.join(dir, 'noise.onnx'), Buffer.from('this is not a model at all, just text'));
    const bad = await trusted.connection.sendRequest<OnnxResult>('memlens/onnx', { file: path.join(dir, 'noise.onnx') });
    assert.equal(bad.ok, false);
    assert.equal(bad.text.split('\n').length, 1);
    assert.match(bad.text, /not a valid ONNX file/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

// The training-step simulator (server/src/memory/simulate.ts) on a tiny hand-traceable model:
// Linear(16, 32) → ReLU → Linear(32, 8) on x:float32[4, 16]. Numbers by hand:
//   parameters 16·32+32 + 32·8+8 = 808 → 3,232 bytes fp32 (4 tensors: 2048 + 128 + 1024 + 32 bytes)
//   saved: ReLU's output [4,32] (memory-model.md: ReLU saves its output; fc2 saves the same
//   storage; fc1's input needs no grad) = 512 bytes.
import * as assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeSource } from '../../server/src/analysis';
import { allocated } from '../../server/src/memory/simulate';
import { loadPythonParser } from '../../server/src/python/parser';
import { AnalysisSettings, DEFAULT_SETTINGS, Report } from '../../server/src/report/types';
import { FIXTURES } from '../fixtures';

const SRC = `import torch
import torch.nn as nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(32, 8)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))

# memlens: entry=Net() input=x:float32[4,16]
`;

const PARAM_TENSOR_BYTES = [16 * 32 * 4, 32 * 4, 32 * 8 * 4, 8 * 4];
const PARAM_BYTES = 3232;
const SAVED = 4 * 32 * 4;

function report(settings: Partial<AnalysisSettings> = {}): Report {
  const a = analyzeSource('/virtual/net.py', SRC, { ...DEFAULT_SETTINGS, device: 'cpu', torch: '1.13', optimizer: 'sgd', ...settings }, { readFile: () => undefined });
  assert.equal(a.error, null, a.error?.reason);
  assert.deepEqual(a.report.unknowns, []);
  return a.report;
}

const sum = (c: Record<string, number>) => Object.values(c).reduce((s, x) => s + x, 0);

before(async () => {
  await loadPythonParser();
});

describe('simulate: optimizer state', () => {
  // memory-model.md: SGD none; momentum 1×; Adam/AdamW 2× (exp_avg, exp_avg_sq). Adam's scalar
  // `step` lives on the CPU unless the optimizer is fused/capturable (torch/optim/adam.py).
  const cases: { optimizer: AnalysisSettings['optimizer']; device: 'cpu' | 'cuda'; optimizerBytes: number }[] = [
    { optimizer: 'none', device: 'cpu', optimizerBytes: 0 },
    { optimizer: 'sgd', device: 'cpu', optimizerBytes: 0 },
    { optimizer: 'momentum', device: 'cpu', optimizerBytes: PARAM_BYTES },
    // On the CPU each parameter's `step` is a float32 scalar tensor (4 bytes): 4 parameters.
    { optimizer: 'adam', device: 'cpu', optimizerBytes: 2 * PARAM_BYTES + 4 * 4 },
    { optimizer: 'adamw', device: 'cpu', optimizerBytes: 2 * PARAM_BYTES + 4 * 4 },
    // cuda: each gradient rounds to 512: 2048 + 512 + 1024 + 512 = 4096.
    { optimizer: 'momentum', device: 'cuda', optimizerBytes: 4096 },
    { optimizer: 'adam', device: 'cuda', optimizerBytes: 2 * 4096 },
  ];
  for (const c of cases) {
    it(`${c.optimizer} on ${c.device}: ${c.optimizerBytes} bytes`, () => {
      const r = report({ optimizer: c.optimizer, device: c.device });
      assert.equal(r.totals.gradBytes, c.device === 'cpu' ? PARAM_BYTES : 4096);
      assert.equal(r.totals.optimizerBytes, c.optimizerBytes);
      assert.equal(r.totals.paramBytes, c.device === 'cpu' ? PARAM_BYTES : 4096);
      // Optimizer state is kept forever (memory-model.md): it is live at every point.
      for (const p of r.timeline) assert.equal(p.bytes.optimizer, c.optimizerBytes, `optimizer bytes at ${p.phase} ${p.op}`);
    });
  }
});

describe('simulate: the timeline', () => {
  for (const optimizer of ['none', 'sgd', 'adam'] as const) {
    it(`phases in order forward → backward → optimizer (${optimizer})`, () => {
      const r = report({ optimizer });
      const phases = r.timeline.map((p) => p.phase);
      const firstOf = (ph: string) => phases.indexOf(ph as never);
      const lastOf = (ph: string) => phases.lastIndexOf(ph as never);
      assert.ok(firstOf('forward') === 0);
      assert.ok(lastOf('forward') < firstOf('backward'), 'backward after forward');
      assert.ok(lastOf('backward') < firstOf('optimizer'), 'optimizer after backward');
      assert.equal(phases[phases.length - 1], 'optimizer');
      assert.deepEqual(r.timeline.map((p) => p.i), r.timeline.map((_, i) => i));
      // The steps of the optimizer phase: the update (unless none) and zero_grad.
      assert.deepEqual(r.timeline.filter((p) => p.phase === 'optimizer').map((p) => p.op), optimizer === 'none' ? ['zero_grad'] : [`${optimizer}.step`, 'zero_grad']);
    });
  }

  it('peakComposition sums to peakBytes, which is the largest timeline point', () => {
    for (const device of ['cpu', 'cuda'] as const) {
      for (const optimizer of ['sgd', 'momentum', 'adam'] as const) {
        const r = report({ device, optimizer });
        assert.equal(sum(r.totals.peakComposition as unknown as Record<string, number>), r.totals.peakBytes);
        assert.equal(Math.max(...r.timeline.map((p) => sum(p.bytes as unknown as Record<string, number>))), r.totals.peakBytes);
      }
    }
  });

  it('peak ≥ params + optimizer state + saved activations alive at the end of forward', () => {
    for (const optimizer of ['none', 'sgd', 'momentum', 'adam'] as const) {
      const r = report({ optimizer });
      assert.equal(r.totals.savedActivationBytes, SAVED);
      assert.ok(r.totals.peakBytes >= r.totals.paramBytes + r.totals.optimizerBytes + SAVED, `${optimizer}: peak ${r.totals.peakBytes}`);
      const lastForward = r.timeline.filter((p) => p.phase === 'forward').pop()!;
      assert.equal(lastForward.bytes.activations, SAVED, 'saved activations alive at the end of forward');
      assert.equal(lastForward.bytes.params, PARAM_BYTES);
      assert.equal(lastForward.bytes.grads, 0, 'no gradients in forward');
    }
  });

  it('gradients appear in backward and live through the optimizer step, then zero_grad frees them', () => {
    const r = report({ optimizer: 'adam' });
    const step = r.timeline.find((p) => p.op === 'adam.step')!;
    assert.equal(step.bytes.grads, PARAM_BYTES);
    assert.equal(step.bytes.activations, 0, 'saved activations are freed by the end of backward');
    assert.equal(r.timeline[r.timeline.length - 1].bytes.grads, 0);
    const backward = r.timeline.filter((p) => p.phase === 'backward');
    assert.equal(backward[backward.length - 1].bytes.grads, PARAM_BYTES, 'all parameter grads reached');
  });
});

describe('simulate: the optimizer step', () => {
  it("Adam's update scratch: all parameters at once on CUDA (foreach), twice the largest parameter elsewhere (per-tensor loop)", () => {
    for (const device of ['cpu', 'cuda'] as const) {
      const r = report({ device, optimizer: 'adam' });
      const step = r.timeline.find((p) => p.op === 'adam.step')!;
      const rounded = PARAM_TENSOR_BYTES.map((b) => allocated(b, device));
      const scratch = device === 'cuda' ? rounded.reduce((a, b) => a + b, 0) : 2 * Math.max(...rounded);
      const zeroGrad = r.timeline.find((p) => p.op === 'zero_grad')!;
      // Everything alive at the step (params, grads, states, inputs) plus the scratch.
      const sum = (b: typeof step.bytes) => b.params + b.grads + b.optimizer + b.activations + b.temporaries;
      assert.equal(sum(step.bytes), sum(zeroGrad.bytes) + step.bytes.grads + scratch, device);
      assert.equal(step.bytes.temporaries - zeroGrad.bytes.temporaries, scratch, device);
    }
  });
});

describe('simulate: device and precision', () => {
  it('cuda rounds every allocation to 512 bytes, so its peak is at least the cpu peak', () => {
    for (const optimizer of ['sgd', 'adam'] as const) {
      const cuda = report({ device: 'cuda', optimizer });
      const cpu = report({ device: 'cpu', optimizer });
      for (const p of cuda.timeline) {
        for (const [k, v] of Object.entries(p.bytes)) assert.equal(v % 512, 0, `${k} at ${p.phase} ${p.op}: ${v}`);
      }
      assert.ok(cuda.totals.peakBytes >= cpu.totals.peakBytes);
      // The input [4,16] fp32 is 256 bytes: one 512-byte block on cuda.
      assert.equal(cpu.totals.inputBytes, 256);
      assert.equal(cuda.totals.inputBytes, 512);
      assert.equal(cuda.totals.paramBytes, PARAM_TENSOR_BYTES.reduce((s, b) => s + allocated(b, 'cuda'), 0));
    }
  });

  it('allocated() rounds up to multiples of 512 on cuda only', () => {
    const rows: [number, number, number][] = [[0, 0, 0], [1, 512, 1], [512, 512, 512], [513, 1024, 513], [4096, 4096, 4096]];
    for (const [bytes, cuda, cpu] of rows) {
      assert.equal(allocated(bytes, 'cuda'), cuda);
      assert.equal(allocated(bytes, 'cpu'), cpu);
    }
  });

  it('bf16 halves parameter, gradient and activation bytes', () => {
    const fp32 = report({ optimizer: 'momentum' });
    const bf16 = report({ optimizer: 'momentum', precision: 'bf16' });
    assert.equal(bf16.totals.params, 808);
    assert.equal(bf16.totals.paramBytes, 808 * 2);
    assert.equal(bf16.totals.gradBytes, 808 * 2);
    assert.equal(bf16.totals.optimizerBytes, 808 * 2);
    assert.equal(bf16.totals.inputBytes, fp32.totals.inputBytes / 2);
    assert.equal(bf16.totals.savedActivationBytes, SAVED / 2);
  });

  it('amp-fp16 (cuda) keeps fp32 parameters and saves fp16 copies', () => {
    const fp32 = report({ device: 'cuda' });
    const amp = report({ device: 'cuda', precision: 'amp-fp16' });
    assert.equal(amp.totals.paramBytes, fp32.totals.paramBytes, 'fp32 master weights');
    assert.equal(amp.totals.paramBytes, 4096);
    assert.equal(amp.totals.gradBytes, 4096);
    const saved = (r: Report, path: string) => r.layers.find((l) => l.path === path)!.savedBytes;
    // ReLU runs on fc1's fp16 output: its saved output [4,32] halves exactly.
    assert.equal(saved(fp32, 'act'), 512);
    assert.equal(saved(amp, 'act'), 4 * 32 * 2);
    // memory-model.md: under autocast an fp16 op saves the low-precision copies of its inputs.
    // fc1 saves the fp16 copy of x [4,16] (its weight needs grad); fc2 saves the fp16 copy of its
    // weight [8,32] (its input needs grad) besides ReLU's output.
    assert.equal(saved(amp, 'fc1'), 4 * 16 * 2);
    assert.equal(saved(amp, 'fc2'), 8 * 32 * 2);
    assert.equal(amp.totals.savedActivationBytes, 4 * 16 * 2 + 4 * 32 * 2 + 8 * 32 * 2);
  });
});

describe('simulate: what each layer has alive at the peak (its share of the peak)', () => {
  // With SGD (no state) on the CPU (no rounding), the layers' bytes alive at the peak add up to the
  // peak's parameters, gradients and saved activations, whatever phase the peak is in.
  for (const name of ['resnet_small.py', 'gpt_nano.py', 'llama_block.py', 'rnn_tagger.py', 'unet_small.py']) {
    it(`${name}: the layers' shares add up to the peak's composition, none over 100%`, () => {
      const file = path.join(FIXTURES, name);
      const a = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', torch: '2.14', optimizer: 'sgd' });
      assert.equal(a.error, null, a.error?.reason);
      const r = a.report;
      const c = r.totals.peakComposition;
      assert.equal(r.layers.reduce((t, l) => t + l.atPeakBytes, 0), r.totals.paramBytes + c.grads + c.activations);
      assert.ok(r.layers.every((l) => l.atPeakBytes >= l.paramBytes && l.atPeakBytes <= r.totals.peakBytes));
    });
  }
});

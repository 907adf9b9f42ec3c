// `memlens report --snapshot OUT.pickle`: the simulated step as a PyTorch memory snapshot. Python's
// own pickle loads it; replaying its device trace as memory_viz does (alloc adds a block,
// free_completed removes it) gives the report's peak and ends with what outlives the step.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { analyzeSource } from '../../server/src/analysis';
import { loadPythonParser } from '../../server/src/python/parser';
import { memorySnapshot, pickle } from '../../server/src/report/snapshot';
import { DEFAULT_SETTINGS } from '../../server/src/report/types';
import { FIXTURES } from '../fixtures';

const REPLAY = `
import json, pickle, sys
d = pickle.load(open(sys.argv[1], 'rb'))
assert set(d) >= {'segments', 'device_traces'}, d.keys()
trace = d['device_traces'][0]
live, peak, active = 0, 0, {}
for e in trace:
    assert {'action', 'addr', 'size', 'frames', 'stream'} <= set(e), e
    assert all({'filename', 'line', 'name'} <= set(f) for f in e['frames']), e
    if e['action'] == 'alloc':
        assert e['addr'] not in active, 'an address allocated twice'
        active[e['addr']] = e['size']
        live += e['size']
    elif e['action'] == 'free_completed':
        live -= active.pop(e['addr'])
    peak = max(peak, live)
print(json.dumps({'events': len(trace), 'peak': peak, 'end': live, 'names': sorted({f['name'].split(' [')[1] for e in trace for f in e['frames']})[:3]}))
`;

before(async () => {
  await loadPythonParser();
});

describe('memory snapshot export', () => {
  it('Python loads it, and its trace replays to the peak of the report', (t) => {
    const python = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' });
    if (python.status !== 0) return t.skip('no python3 here');
    for (const name of ['resnet_small.py', 'fixes/resnet_small_ckpt.py', 'fixes/gpt_nano_micro.py']) {
      const file = path.join(FIXTURES, name);
      const r = analyzeSource(file, fs.readFileSync(file, 'utf8'), { ...DEFAULT_SETTINGS, device: 'cpu', optimizer: 'adamw' }).report;
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-snapshot-')), 'snapshot.pickle');
      fs.writeFileSync(out, pickle(memorySnapshot(r)));
      const res = spawnSync('python3', ['-c', REPLAY, out], { encoding: 'utf8' });
      assert.equal(res.status, 0, res.stderr);
      const got = JSON.parse(res.stdout) as { events: number; peak: number; end: number };
      assert.equal(got.peak, r.totals.peakBytes, `${name}: replayed peak`);
      const last = r.timeline[r.timeline.length - 1].bytes;
      assert.equal(got.end, last.params + last.grads + last.optimizer + last.activations + last.temporaries, `${name}: what outlives the step`);
      assert.ok(got.events > r.timeline.length / 2, `${name}: ${got.events} events`);
    }
  });

  it('pickles what Python reads back exactly', (t) => {
    const python = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' });
    if (python.status !== 0) return t.skip('no python3 here');
    const value = { n: -5, big: 2 ** 40 + 3, neg: -(2 ** 40), f: 1.5, s: 'ünïcode', l: [true, false, null, [1, 2]], e: {} };
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'memlens-pickle-')), 'v.pickle');
    fs.writeFileSync(out, pickle(value));
    const res = spawnSync('python3', ['-c', 'import pickle, json, sys; print(json.dumps(pickle.load(open(sys.argv[1], "rb")), ensure_ascii=False))', out], { encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    assert.deepEqual(JSON.parse(res.stdout), value);
  });
});

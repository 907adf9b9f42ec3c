// `npm run probes [-- RELEASE [NAME_REGEX] [--all]]`: the measured per-op probes
// (test/fixtures/ops/probes-<release>.json) through the engine (test/probes.ts): cases that pass,
// fail, hit an unmodelled name, or cannot be written as Python; then the failures grouped by
// reason (with --all, every case that does not pass, one line each).
import { loadPythonParser } from '../server/src/python/parser';
import { RELEASES } from '../test/fixtures';
import { CaseResult, runRelease } from '../test/probes';

async function main(): Promise<void> {
  await loadPythonParser();
  const args = process.argv.slice(2);
  const all = args.includes('--all');
  const [release, pattern] = args.filter((a) => !a.startsWith('--'));
  const releases = release ? [release] : [...RELEASES];
  const rx = pattern ? new RegExp(pattern) : null;
  for (const r of releases) {
    const t0 = Date.now();
    const results = runRelease(r, rx ? (n) => rx.test(n) : undefined);
    const count = (v: CaseResult['verdict']) => results.filter((x) => x.verdict === v).length;
    console.log(`\nPyTorch ${r}: ${results.length} cases, ${count('pass')} pass, ${count('fail')} fail, ${count('not modelled')} not modelled, ${count('unsupported')} not expressible (${Date.now() - t0} ms)`);
    if (all) {
      for (const x of results) if (x.verdict !== 'pass') console.log(`  ${x.verdict.padEnd(12)} ${x.name}#${x.index}: ${x.why}`);
      continue;
    }
    const groups = new Map<string, string[]>();
    for (const x of results.filter((y) => y.verdict === 'fail')) {
      const key = x.why.replace(/\d+/g, 'N').slice(0, 100);
      groups.set(key, [...(groups.get(key) ?? []), `${x.name}#${x.index}`]);
    }
    for (const [why, names] of [...groups].sort((a, b) => b[1].length - a[1].length)) console.log(`${String(names.length).padStart(5)}  ${why}  | ${names.slice(0, 6).join(' ')}`);
  }
}

void main();

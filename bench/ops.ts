// `npm run ops`: how much of each catalogued PyTorch release the op table models, and the
// unmodelled names that real model code calls most (counted in the fixtures and, when
// installed, torchvision's model files).
import * as fs from 'fs';
import * as path from 'path';
import { catalogFor } from '../kernels/src';
import { coverageOf, coverageReport } from '../kernels/src/coverage';

const ROOT = path.resolve(__dirname, '..', '..');
const CORPUS = [path.join(ROOT, 'test', 'fixtures'), process.env.MEMLENS_TORCHVISION_DIR ?? '/usr/lib/python3/dist-packages/torchvision/models', path.join(process.env.HOME ?? '', '.cache', 'memlens-libs')];

function pythonFiles(dir: string, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) pythonFiles(p, out);
    else if (e.name.endsWith('.py')) out.push(p);
  }
  return out;
}

/** How often each `torch.x(`, `F.x(`, `nn.X(` and `.x(` call appears in the corpus. */
function callCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  const bump = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const file of CORPUS.flatMap((d) => pythonFiles(d))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b(torch|F|nn)\.([A-Za-z_][A-Za-z0-9_]*)\s*\(/g)) bump(`${m[1]}.${m[2]}`);
    for (const m of text.matchAll(/\.([a-z_][a-z0-9_]*)\s*\(/g)) bump(`Tensor.${m[1]}`);
  }
  return counts;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

function main(): void {
  const counts = callCounts();
  for (const release of [[1, 13], [2, 13], [2, 14]] as const) {
    const c = catalogFor(release);
    console.log(`\nPyTorch ${c.torch}: ${Object.keys(c.python).length} catalogued names, ${Object.keys(c.aten).length} aten overloads`);
    console.log(`${'group'.padEnd(32)}${pad('names', 7)}${pad('modelled', 10)}${pad('partly', 8)}${pad('%', 6)}`);
    for (const g of coverageReport(c)) {
      console.log(`${g.group.padEnd(32)}${pad(g.total, 7)}${pad(g.modelled, 10)}${pad(g.partly, 8)}${pad(((100 * (g.modelled + g.partly)) / Math.max(g.total, 1)).toFixed(0), 6)}`);
    }
    const missing = Object.entries(c.python)
      .filter(([name, e]) => coverageOf(name, e) === 'not modelled')
      .map(([name]) => [name, counts.get(name.replace(/^torch\.nn\./, 'nn.')) ?? 0] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25);
    console.log(`most called unmodelled names: ${missing.map(([n, k]) => `${n} (${k})`).join(', ') || 'none'}`);
  }
}

main();

// One library fixture's analysis times in a fresh process (`node out/bench/libs.js FILE`, run by
// bench/run.ts): the first analysis reads and parses the library's files (cold), later ones reuse
// the parsed files (cached). Prints one JSON line: cold and cached ms, files parsed, heap and rss.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { analyzeSource } from '../server/src/analysis';
import { loadPythonParser } from '../server/src/python/parser';
import { DEFAULT_SETTINGS } from '../server/src/report/types';

export const LIBS_SITE = process.env.MEMLENS_LIBS_SITE ?? path.join(os.homedir(), '.cache', 'memlens-libs', 'site-2.14');

async function main(): Promise<void> {
  const file = process.argv[2];
  await loadPythonParser();
  let reads = 0;
  const host = {
    readFile: (p: string) => {
      try {
        const text = fs.readFileSync(p, 'utf8');
        reads++;
        return text;
      } catch {
        return undefined;
      }
    },
    libraryPaths: [LIBS_SITE],
  };
  const text = fs.readFileSync(file, 'utf8');
  const times: number[] = [];
  let files = 0;
  for (let i = 0; i < 6; i++) {
    reads = 0;
    const t0 = performance.now();
    const a = analyzeSource(file, text, { ...DEFAULT_SETTINGS, torch: '2.14', budgetBytes: 24 * 2 ** 30 }, host);
    times.push(performance.now() - t0);
    if (a.error) throw new Error(`${path.basename(file)}: ${a.error.reason}`);
    if (i === 0) files = reads;
  }
  const cached = [...times.slice(1)].sort((x, y) => x - y);
  const mem = process.memoryUsage();
  console.log(JSON.stringify({ cold: times[0], cached: cached[Math.floor(cached.length / 2)], files, heapMiB: mem.heapUsed / 2 ** 20, rssMiB: mem.rss / 2 ** 20 }));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`bench libs failed: ${(e as Error).message}`);
    process.exitCode = 1;
  });
}

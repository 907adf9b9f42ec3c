// tsc compiles kernels/src to out/kernels/src, where the catalogs are `require`d as
// ../catalog/*.json; copy them next to it (webpack bundles them itself). They are plain JSON
// loaded at run time rather than typed imports: type-checking a 1 MB JSON costs tsc ~10 s.
'use strict';
const fs = require('fs');
const path = require('path');

const from = path.join(__dirname, '..', 'kernels', 'catalog');
const to = path.join(__dirname, '..', 'out', 'kernels', 'catalog');
fs.mkdirSync(to, { recursive: true });
for (const f of fs.readdirSync(from)) if (f.endsWith('.json')) fs.copyFileSync(path.join(from, f), path.join(to, f));

// The entries of a zip file (a VSIX) from its central directory: name, compressed and
// uncompressed size. Enough to check what a package holds without an unzip dependency.
'use strict';

const fs = require('fs');

/** @returns {{ name: string, compressedBytes: number, bytes: number }[]} */
function listZip(file) {
  const buf = fs.readFileSync(file);
  // End of central directory record: signature 0x06054b50, within the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory entry ${i}`);
    const compressedBytes = buf.readUInt32LE(at + 20);
    const bytes = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    entries.push({ name: buf.toString('utf8', at + 46, at + 46 + nameLength), compressedBytes, bytes });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

module.exports = { listZip };

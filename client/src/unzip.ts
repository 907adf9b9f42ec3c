// Reads named entries out of a ZIP archive (a NuGet package) without extracting the rest: the
// central directory at the end of the file, each entry's local header, stored or deflated data.
// The archive comes from the network: sizes and offsets are checked against the file.

import * as fs from 'fs';
import * as zlib from 'zlib';

export class ZipError extends Error {}

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  if (n !== length) throw new ZipError('truncated archive');
  return buf;
}

function centralDirectory(fd: number, fileSize: number): Entry[] {
  // The end-of-central-directory record: in the last 64 KiB + 22 bytes.
  const tail = Math.min(fileSize, 65_557);
  const end = readAt(fd, fileSize - tail, tail);
  let at = -1;
  for (let i = end.length - 22; i >= 0; i--) if (end.readUInt32LE(i) === 0x06054b50) { at = i; break; }
  if (at < 0) throw new ZipError('not a ZIP archive (no end of central directory)');
  let count = end.readUInt16LE(at + 10);
  let size = end.readUInt32LE(at + 12);
  let offset = end.readUInt32LE(at + 16);
  // ZIP64: the counts and offsets live in the ZIP64 end record.
  if (offset === 0xffffffff || count === 0xffff) {
    const locator = at - 20;
    if (locator < 0 || end.readUInt32LE(locator) !== 0x07064b50) throw new ZipError('a ZIP64 archive without its locator');
    const recordAt = Number(end.readBigUInt64LE(locator + 8));
    const record = readAt(fd, recordAt, 56);
    if (record.readUInt32LE(0) !== 0x06064b50) throw new ZipError('a broken ZIP64 end record');
    count = Number(record.readBigUInt64LE(32));
    size = Number(record.readBigUInt64LE(40));
    offset = Number(record.readBigUInt64LE(48));
  }
  if (offset + size > fileSize) throw new ZipError('a central directory past the end of the archive');
  const dir = readAt(fd, offset, size);
  const entries: Entry[] = [];
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > dir.length || dir.readUInt32LE(p) !== 0x02014b50) throw new ZipError('a broken central directory');
    const method = dir.readUInt16LE(p + 10);
    let compressedSize = dir.readUInt32LE(p + 20);
    let entrySize = dir.readUInt32LE(p + 24);
    const nameLen = dir.readUInt16LE(p + 28);
    const extraLen = dir.readUInt16LE(p + 30);
    const commentLen = dir.readUInt16LE(p + 32);
    let localOffset = dir.readUInt32LE(p + 42);
    const name = dir.toString('utf8', p + 46, p + 46 + nameLen);
    // ZIP64 extra field: the 64-bit sizes and offset that do not fit.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = dir.readUInt16LE(e);
      const len = dir.readUInt16LE(e + 2);
      if (id === 0x0001) {
        let q = e + 4;
        if (entrySize === 0xffffffff) { entrySize = Number(dir.readBigUInt64LE(q)); q += 8; }
        if (compressedSize === 0xffffffff) { compressedSize = Number(dir.readBigUInt64LE(q)); q += 8; }
        if (localOffset === 0xffffffff) localOffset = Number(dir.readBigUInt64LE(q));
      }
      e += 4 + len;
    }
    entries.push({ name, method, compressedSize, size: entrySize, localOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

/** The named entries' contents (entries missing from the archive are missing from the map). */
export function readZipEntries(file: string, names: readonly string[], maxBytes = 2 ** 30): Map<string, Buffer> {
  const fd = fs.openSync(file, 'r');
  try {
    return readEntries(fd, names, maxBytes);
  } catch (e) {
    // Anything a damaged archive makes go wrong (a field read past its record) is a ZipError.
    if (e instanceof ZipError) throw e;
    throw new ZipError(`a damaged archive: ${(e as Error).message}`);
  } finally {
    fs.closeSync(fd);
  }
}

/** The named entries, each at most `maxBytes` once inflated, all of them at most 4× that. */
function readEntries(fd: number, names: readonly string[], maxBytes: number): Map<string, Buffer> {
  let total = 0;
  {
    const fileSize = fs.fstatSync(fd).size;
    const out = new Map<string, Buffer>();
    for (const entry of centralDirectory(fd, fileSize)) {
      if (!names.includes(entry.name)) continue;
      if (entry.size > maxBytes || entry.compressedSize > fileSize) throw new ZipError(`${entry.name} claims ${entry.size} bytes`);
      const local = readAt(fd, entry.localOffset, 30);
      if (local.readUInt32LE(0) !== 0x04034b50) throw new ZipError(`a broken local header for ${entry.name}`);
      const dataAt = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const raw = readAt(fd, dataAt, entry.compressedSize);
      const data = entry.method === 0 ? raw : entry.method === 8 ? zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.size) }) : null;
      if (!data) throw new ZipError(`${entry.name} uses compression method ${entry.method}`);
      if (data.length !== entry.size) throw new ZipError(`${entry.name}: ${data.length} bytes, the directory says ${entry.size}`);
      total += data.length;
      if (total > 4 * maxBytes) throw new ZipError('the entries together are too large');
      out.set(entry.name, data);
    }
    return out;
  }
}

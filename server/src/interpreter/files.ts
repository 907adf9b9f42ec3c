// Reading a file the analysis was pointed at (an import, `open()`, a config.json) without trusting
// it: a cloned repository may hold `evil.py -> /dev/zero`, a FIFO, or a symlink to a huge file.

import * as fs from 'fs';

/** Largest file read as source or data: 16 MB, past any real model file or config. */
export const MAX_READ_BYTES = 16_000_000;

/**
 * The UTF-8 text of a regular file of at most `maxBytes`, else undefined. Opened non-blocking, so a
 * FIFO or a terminal never blocks the open; checked on the open descriptor (no race with a swap
 * of the path); read up to its size only, so a device that never ends cannot fill memory.
 */
export function readRegularFile(file: string, maxBytes = MAX_READ_BYTES): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes) return undefined;
    const buffer = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = fs.readSync(fd, buffer, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buffer.toString('utf8', 0, read);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Whether `file` is a regular file within the size bound (what readRegularFile would read). */
export function isReadableFile(file: string, maxBytes = MAX_READ_BYTES): boolean {
  try {
    const st = fs.statSync(file);
    return st.isFile() && st.size <= maxBytes;
  } catch {
    return false;
  }
}

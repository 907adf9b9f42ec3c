// Draws media/icon.png (128×128): a stacked memory bar chart on a rounded dark tile, the peak bar
// in the accent colour. Plain Node (zlib), no image libraries: `node scripts/make-icon.js`.
'use strict';

const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const SIZE = 128;
const BACKGROUND = [0x1e, 0x29, 0x3b];
const LAYERS = [[0x38, 0xbd, 0xf8], [0x81, 0x8c, 0xf8], [0x34, 0xd3, 0x99]];
const PEAK = [0xf9, 0x73, 0x16];

/** Rounded-square coverage with one pixel of antialiasing. */
function tileAlpha(x, y) {
  const r = 24;
  const cx = Math.min(Math.max(x + 0.5, r), SIZE - r);
  const cy = Math.min(Math.max(y + 0.5, r), SIZE - r);
  const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
  return Math.max(0, Math.min(1, r - d + 0.5));
}

function pixel(x, y) {
  const a = tileAlpha(x, y);
  if (a === 0) return [0, 0, 0, 0];
  let rgb = BACKGROUND;
  // Five bars (bytes over the training step), each stacked from three categories.
  const heights = [34, 56, 80, 96, 62];
  const barWidth = 14, gap = 6, left = 19, base = 108;
  const i = Math.floor((x - left) / (barWidth + gap));
  const inBar = i >= 0 && i < heights.length && (x - left) % (barWidth + gap) < barWidth;
  if (inBar && y < base && y >= base - heights[i]) {
    const h = base - y;
    const layer = Math.min(2, Math.floor((h / heights[i]) * 3));
    rgb = i === 3 && layer === 2 ? PEAK : LAYERS[layer];
  }
  // The budget line across the chart.
  if (y >= 30 && y < 33 && x >= 14 && x < 114 && (x >> 2) % 2 === 0) rgb = [0xe2, 0xe8, 0xf0];
  return [...rgb, Math.round(a * 255)];
}

function crc32(buf) {
  let c, crc = 0xffffffff;
  for (let n = 0; n < buf.length; n++) {
    c = (crc ^ buf[n]) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function png() {
  const rows = [];
  for (let y = 0; y < SIZE; y++) {
    rows.push(Buffer.from([0])); // filter: none
    const row = Buffer.alloc(SIZE * 4);
    for (let x = 0; x < SIZE; x++) Buffer.from(pixel(x, y)).copy(row, x * 4);
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(SIZE, 0);
  header.writeUInt32BE(SIZE, 4);
  header.set([8, 6, 0, 0, 0], 8); // 8-bit RGBA, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const target = path.join(__dirname, '..', 'media', 'icon.png');
fs.writeFileSync(target, png());
console.log(`wrote ${path.relative(process.cwd(), target)}`);

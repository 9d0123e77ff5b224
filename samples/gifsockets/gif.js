'use strict';

// Minimal GIF89a text renderer: a built-in 5x7 bitmap font, a text
// rasteriser and a real GIF encoder (variable-width LZW, clear/EOI codes,
// dictionary reset at 4096 entries, 255-byte data sub-blocks).
//
// Module-level state is read-only: only frozen constant tables live here;
// every buffer is allocated per call.

const GLYPH_WIDTH = 5;
const GLYPH_HEIGHT = 7;
const GLYPH_ADVANCE = GLYPH_WIDTH + 1; // one column of spacing
const FIRST_CHAR = 32;
const LAST_CHAR = 126;
const FALLBACK_CHAR = 63; // '?'

// 5 bytes per glyph, column-major, least significant bit = top row.
// Glyphs for ASCII 32 (' ') .. 126 ('~').
const FONT = Object.freeze([
  0x00, 0x00, 0x00, 0x00, 0x00, // ' '
  0x00, 0x00, 0x5f, 0x00, 0x00, // !
  0x00, 0x07, 0x00, 0x07, 0x00, // "
  0x14, 0x7f, 0x14, 0x7f, 0x14, // #
  0x24, 0x2a, 0x7f, 0x2a, 0x12, // $
  0x23, 0x13, 0x08, 0x64, 0x62, // %
  0x36, 0x49, 0x55, 0x22, 0x50, // &
  0x00, 0x05, 0x03, 0x00, 0x00, // '
  0x00, 0x1c, 0x22, 0x41, 0x00, // (
  0x00, 0x41, 0x22, 0x1c, 0x00, // )
  0x08, 0x2a, 0x1c, 0x2a, 0x08, // *
  0x08, 0x08, 0x3e, 0x08, 0x08, // +
  0x00, 0x50, 0x30, 0x00, 0x00, // ,
  0x08, 0x08, 0x08, 0x08, 0x08, // -
  0x00, 0x60, 0x60, 0x00, 0x00, // .
  0x20, 0x10, 0x08, 0x04, 0x02, // /
  0x3e, 0x51, 0x49, 0x45, 0x3e, // 0
  0x00, 0x42, 0x7f, 0x40, 0x00, // 1
  0x42, 0x61, 0x51, 0x49, 0x46, // 2
  0x21, 0x41, 0x45, 0x4b, 0x31, // 3
  0x18, 0x14, 0x12, 0x7f, 0x10, // 4
  0x27, 0x45, 0x45, 0x45, 0x39, // 5
  0x3c, 0x4a, 0x49, 0x49, 0x30, // 6
  0x01, 0x71, 0x09, 0x05, 0x03, // 7
  0x36, 0x49, 0x49, 0x49, 0x36, // 8
  0x06, 0x49, 0x49, 0x29, 0x1e, // 9
  0x00, 0x36, 0x36, 0x00, 0x00, // :
  0x00, 0x56, 0x36, 0x00, 0x00, // ;
  0x08, 0x14, 0x22, 0x41, 0x00, // <
  0x14, 0x14, 0x14, 0x14, 0x14, // =
  0x00, 0x41, 0x22, 0x14, 0x08, // >
  0x02, 0x01, 0x51, 0x09, 0x06, // ?
  0x32, 0x49, 0x79, 0x41, 0x3e, // @
  0x7e, 0x11, 0x11, 0x11, 0x7e, // A
  0x7f, 0x49, 0x49, 0x49, 0x36, // B
  0x3e, 0x41, 0x41, 0x41, 0x22, // C
  0x7f, 0x41, 0x41, 0x22, 0x1c, // D
  0x7f, 0x49, 0x49, 0x49, 0x41, // E
  0x7f, 0x09, 0x09, 0x09, 0x01, // F
  0x3e, 0x41, 0x49, 0x49, 0x7a, // G
  0x7f, 0x08, 0x08, 0x08, 0x7f, // H
  0x00, 0x41, 0x7f, 0x41, 0x00, // I
  0x20, 0x40, 0x41, 0x3f, 0x01, // J
  0x7f, 0x08, 0x14, 0x22, 0x41, // K
  0x7f, 0x40, 0x40, 0x40, 0x40, // L
  0x7f, 0x02, 0x0c, 0x02, 0x7f, // M
  0x7f, 0x04, 0x08, 0x10, 0x7f, // N
  0x3e, 0x41, 0x41, 0x41, 0x3e, // O
  0x7f, 0x09, 0x09, 0x09, 0x06, // P
  0x3e, 0x41, 0x51, 0x21, 0x5e, // Q
  0x7f, 0x09, 0x19, 0x29, 0x46, // R
  0x46, 0x49, 0x49, 0x49, 0x31, // S
  0x01, 0x01, 0x7f, 0x01, 0x01, // T
  0x3f, 0x40, 0x40, 0x40, 0x3f, // U
  0x1f, 0x20, 0x40, 0x20, 0x1f, // V
  0x3f, 0x40, 0x38, 0x40, 0x3f, // W
  0x63, 0x14, 0x08, 0x14, 0x63, // X
  0x07, 0x08, 0x70, 0x08, 0x07, // Y
  0x61, 0x51, 0x49, 0x45, 0x43, // Z
  0x00, 0x7f, 0x41, 0x41, 0x00, // [
  0x02, 0x04, 0x08, 0x10, 0x20, // backslash
  0x00, 0x41, 0x41, 0x7f, 0x00, // ]
  0x04, 0x02, 0x01, 0x02, 0x04, // ^
  0x40, 0x40, 0x40, 0x40, 0x40, // _
  0x00, 0x01, 0x02, 0x04, 0x00, // `
  0x20, 0x54, 0x54, 0x54, 0x78, // a
  0x7f, 0x48, 0x44, 0x44, 0x38, // b
  0x38, 0x44, 0x44, 0x44, 0x20, // c
  0x38, 0x44, 0x44, 0x48, 0x7f, // d
  0x38, 0x54, 0x54, 0x54, 0x18, // e
  0x08, 0x7e, 0x09, 0x01, 0x02, // f
  0x0c, 0x52, 0x52, 0x52, 0x3e, // g
  0x7f, 0x08, 0x04, 0x04, 0x78, // h
  0x00, 0x44, 0x7d, 0x40, 0x00, // i
  0x20, 0x40, 0x44, 0x3d, 0x00, // j
  0x7f, 0x10, 0x28, 0x44, 0x00, // k
  0x00, 0x41, 0x7f, 0x40, 0x00, // l
  0x7c, 0x04, 0x18, 0x04, 0x78, // m
  0x7c, 0x08, 0x04, 0x04, 0x78, // n
  0x38, 0x44, 0x44, 0x44, 0x38, // o
  0x7c, 0x14, 0x14, 0x14, 0x08, // p
  0x08, 0x14, 0x14, 0x18, 0x7c, // q
  0x7c, 0x08, 0x04, 0x04, 0x08, // r
  0x48, 0x54, 0x54, 0x54, 0x20, // s
  0x04, 0x3f, 0x44, 0x40, 0x20, // t
  0x3c, 0x40, 0x40, 0x20, 0x7c, // u
  0x1c, 0x20, 0x40, 0x20, 0x1c, // v
  0x3c, 0x40, 0x30, 0x40, 0x3c, // w
  0x44, 0x28, 0x10, 0x28, 0x44, // x
  0x0c, 0x50, 0x50, 0x50, 0x3c, // y
  0x44, 0x64, 0x54, 0x4c, 0x44, // z
  0x00, 0x08, 0x36, 0x41, 0x00, // {
  0x00, 0x00, 0x7f, 0x00, 0x00, // |
  0x00, 0x41, 0x36, 0x08, 0x00, // }
  0x08, 0x04, 0x08, 0x10, 0x08, // ~
]);

const DEFAULT_FOREGROUND = Object.freeze([0, 0, 0]);
const DEFAULT_BACKGROUND = Object.freeze([255, 255, 255]);

// LZW constants.
const MAX_CODES = 4096; // 12-bit code space
const MAX_CODE_SIZE = 12;
const HASH_SIZE = 8192; // power of two, load factor <= 0.5
const HASH_MASK = HASH_SIZE - 1;
const HASH_SHIFT = 19; // 32 - log2(HASH_SIZE)

function checkInt(name, value, min, max) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(name + ' must be an integer in [' + min + ', ' + max + '], got ' + value);
  }
  return value;
}

function checkColour(name, colour) {
  if (!Array.isArray(colour) || colour.length !== 3) {
    throw new TypeError(name + ' must be an [r, g, b] array');
  }
  checkInt(name + '[0]', colour[0], 0, 255);
  checkInt(name + '[1]', colour[1], 0, 255);
  checkInt(name + '[2]', colour[2], 0, 255);
  return colour;
}

// Number of glyphs `text` renders to (one per code point).
function glyphCount(text) {
  const len = text.length;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is one (non-ASCII) character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Rasterise `text` with the built-in 5x7 font.
 * Returns { width, height, pixels } where pixels is a Uint8Array of palette
 * indices (0 = background, 1 = foreground), row-major.
 */
function renderText(text, options) {
  const str = String(text === undefined || text === null ? '' : text);
  const opts = options || {};
  const scale = checkInt('scale', opts.scale === undefined ? 2 : opts.scale, 1, 256);
  const padding = checkInt('padding', opts.padding === undefined ? 2 : opts.padding, 0, 4096);

  const count = glyphCount(str);
  const advance = GLYPH_ADVANCE * scale;
  let width = 2 * padding + (count > 0 ? count * advance - scale : 0);
  let height = 2 * padding + GLYPH_HEIGHT * scale;
  if (width < 1) width = 1;
  if (height < 1) height = 1;
  if (width > 65535 || height > 65535) {
    throw new RangeError('rendered image too large: ' + width + 'x' + height);
  }

  const pixels = new Uint8Array(width * height);
  const len = str.length;
  let x0 = padding;
  for (let i = 0; i < len; i++) {
    let c = str.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
      const d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    if (c < FIRST_CHAR || c > LAST_CHAR) c = FALLBACK_CHAR;
    const base = (c - FIRST_CHAR) * GLYPH_WIDTH;
    for (let col = 0; col < GLYPH_WIDTH; col++) {
      const bits = FONT[base + col];
      if (bits === 0) continue;
      const px = x0 + col * scale;
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        if (((bits >> row) & 1) === 0) continue;
        const py = padding + row * scale;
        for (let sy = 0; sy < scale; sy++) {
          const off = (py + sy) * width + px;
          pixels.fill(1, off, off + scale);
        }
      }
    }
    x0 += advance;
  }
  return { width, height, pixels };
}

/**
 * Encode an indexed image as a GIF89a file.
 * width, height: 1..65535; pixels: Uint8Array of width*height palette
 * indices; palette: array of 1..256 [r, g, b] entries.
 * Returns a Buffer.
 */
function encodeGif(width, height, pixels, palette) {
  checkInt('width', width, 1, 65535);
  checkInt('height', height, 1, 65535);
  if (!(pixels instanceof Uint8Array)) throw new TypeError('pixels must be a Uint8Array');
  const count = width * height;
  if (pixels.length !== count) {
    throw new RangeError('pixels.length must be width*height (' + count + '), got ' + pixels.length);
  }
  if (!Array.isArray(palette) || palette.length < 1 || palette.length > 256) {
    throw new RangeError('palette must have 1..256 entries');
  }

  // Colour table size: a power of two >= 2 holding the palette.
  let tableBits = 1;
  while ((1 << tableBits) < palette.length) tableBits++;
  const tableSize = 1 << tableBits;
  for (let i = 0; i < count; i++) {
    if (pixels[i] >= palette.length) {
      throw new RangeError('pixel ' + i + ' indexes past the palette (' + pixels[i] + ')');
    }
  }

  const minCodeSize = tableBits < 2 ? 2 : tableBits;
  const firstFree = (1 << minCodeSize) + 2;

  // Upper bound on the code count: one per pixel, plus the leading clear,
  // EOI and one clear per dictionary reset (at most every 4096-firstFree codes).
  const maxCodes = count + 3 + Math.ceil(count / (MAX_CODES - firstFree));
  const maxDataBytes = Math.ceil((maxCodes * MAX_CODE_SIZE) / 8);
  const maxBlocks = Math.ceil(maxDataBytes / 255);
  const headerBytes = 6 + 7 + 3 * tableSize + 10 + 1;
  const out = Buffer.allocUnsafe(headerBytes + maxDataBytes + maxBlocks + 1 + 1);

  // Header + logical screen descriptor.
  let p = out.write('GIF89a', 0, 'latin1');
  out[p++] = width & 0xff;
  out[p++] = width >>> 8;
  out[p++] = height & 0xff;
  out[p++] = height >>> 8;
  out[p++] = 0x80 | ((tableBits - 1) << 4) | (tableBits - 1); // GCT, colour resolution, size
  out[p++] = 0; // background colour index
  out[p++] = 0; // pixel aspect ratio
  // Global colour table (unused entries black).
  for (let i = 0; i < tableSize; i++) {
    if (i < palette.length) {
      const colour = checkColour('palette[' + i + ']', palette[i]);
      out[p++] = colour[0];
      out[p++] = colour[1];
      out[p++] = colour[2];
    } else {
      out[p++] = 0;
      out[p++] = 0;
      out[p++] = 0;
    }
  }
  // Image descriptor: at (0, 0), full size, no local table, not interlaced.
  out[p++] = 0x2c;
  out[p++] = 0;
  out[p++] = 0;
  out[p++] = 0;
  out[p++] = 0;
  out[p++] = width & 0xff;
  out[p++] = width >>> 8;
  out[p++] = height & 0xff;
  out[p++] = height >>> 8;
  out[p++] = 0;
  out[p++] = minCodeSize;

  return writeLzwData(out, p, pixels, count, minCodeSize);
}

// Writes LZW-compressed, sub-blocked image data (plus block terminator and
// trailer) into `out` from position `start`; returns the finished Buffer.
function writeLzwData(out, start, pixels, count, minCodeSize) {
  const clearCode = 1 << minCodeSize;
  const eoiCode = clearCode + 1;
  const firstFree = clearCode + 2;

  // LZW dictionary: open-addressing hash of key = prefix << 8 | suffix.
  const hashKeys = new Int32Array(HASH_SIZE).fill(-1);
  const hashCodes = new Int16Array(HASH_SIZE);
  const w = new BlockWriter(out, start);

  let codeSize = minCodeSize + 1;
  let nextCode = firstFree;

  w.writeCode(clearCode, codeSize);
  if (count > 0) {
    let prefix = pixels[0];
    for (let i = 1; i < count; i++) {
      const k = pixels[i];
      const key = (prefix << 8) | k;
      let h = Math.imul(key, 0x9e3779b1) >>> HASH_SHIFT;
      let found = -1;
      for (;;) {
        const stored = hashKeys[h];
        if (stored === key) {
          found = hashCodes[h];
          break;
        }
        if (stored === -1) break;
        h = (h + 1) & HASH_MASK;
      }
      if (found !== -1) {
        prefix = found;
        continue;
      }
      w.writeCode(prefix, codeSize);
      // The decoder widens its codes as soon as its next free code needs
      // another bit (it adds entries one code later than we do); mirror it.
      if (nextCode >= (1 << codeSize) && codeSize < MAX_CODE_SIZE) codeSize++;
      if (nextCode < MAX_CODES) {
        hashKeys[h] = key;
        hashCodes[h] = nextCode;
        nextCode++;
      } else {
        // Dictionary full: emit a clear code and start over.
        w.writeCode(clearCode, codeSize);
        hashKeys.fill(-1);
        codeSize = minCodeSize + 1;
        nextCode = firstFree;
      }
      prefix = k;
    }
    w.writeCode(prefix, codeSize);
    if (nextCode >= (1 << codeSize) && codeSize < MAX_CODE_SIZE) codeSize++;
  }
  w.writeCode(eoiCode, codeSize);
  let p = w.finish();
  out[p++] = 0x3b; // trailer
  return out.subarray(0, p);
}

// LSB-first bit packer writing into GIF data sub-blocks of <= 255 bytes.
class BlockWriter {
  constructor(out, start) {
    this.out = out;
    this.blockStart = start; // position of the current block's length byte
    this.pos = start + 1;
    this.bitBuf = 0;
    this.bitCount = 0;
  }

  writeCode(code, size) {
    let bitBuf = this.bitBuf | (code << this.bitCount);
    let bitCount = this.bitCount + size;
    while (bitCount >= 8) {
      this.writeByte(bitBuf & 0xff);
      bitBuf >>>= 8;
      bitCount -= 8;
    }
    this.bitBuf = bitBuf;
    this.bitCount = bitCount;
  }

  writeByte(b) {
    const out = this.out;
    out[this.pos++] = b;
    if (this.pos - this.blockStart === 256) {
      out[this.blockStart] = 255;
      this.blockStart = this.pos;
      this.pos++;
    }
  }

  // Flushes pending bits, closes the last sub-block and writes the block
  // terminator; returns the position after it.
  finish() {
    if (this.bitCount > 0) {
      this.writeByte(this.bitBuf & 0xff);
      this.bitBuf = 0;
      this.bitCount = 0;
    }
    const out = this.out;
    const len = this.pos - this.blockStart - 1;
    if (len === 0) {
      // Reuse the empty block's length byte as the terminator.
      out[this.blockStart] = 0;
      return this.blockStart + 1;
    }
    out[this.blockStart] = len;
    out[this.pos] = 0;
    return this.pos + 1;
  }
}

/**
 * Render `text` and encode it as a GIF89a Buffer.
 * options: { scale = 2, padding = 2, foreground = [0,0,0], background = [255,255,255] }
 */
function textToGif(text, options) {
  const opts = options || {};
  const foreground = checkColour('foreground', opts.foreground === undefined ? DEFAULT_FOREGROUND : opts.foreground);
  const background = checkColour('background', opts.background === undefined ? DEFAULT_BACKGROUND : opts.background);
  const img = renderText(text, opts);
  return encodeGif(img.width, img.height, img.pixels, [background, foreground]);
}

module.exports = { textToGif, encodeGif, renderText };

'use strict';

// Tests for samples/gifsockets/gif.js, checked against a small, strict GIF
// decoder written independently below.

const t = require('tap');
const path = require('node:path');
const { textToGif, encodeGif, renderText } = require(path.join(__dirname, '..', 'samples', 'gifsockets', 'gif.js'));

// ---------------------------------------------------------------------------
// Independent GIF decoder (single image, no interlace support needed).

function u16(buf, off) {
  return buf[off] | (buf[off + 1] << 8);
}

// Reads a chain of data sub-blocks starting at `pos`; returns the
// concatenated data, the position after the terminator and the block sizes.
function readSubBlocks(buf, pos) {
  const parts = [];
  const sizes = [];
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated sub-block chain');
    const size = buf[pos++];
    if (size === 0) break;
    if (pos + size > buf.length) throw new Error('truncated sub-block');
    parts.push(buf.subarray(pos, pos + size));
    sizes.push(size);
    pos += size;
  }
  return { data: Buffer.concat(parts), end: pos, sizes };
}

// Plain-array LZW decoder. Returns the pixel indices and statistics about
// the code stream (number of clear codes, maximum code width seen).
function lzwDecode(data, minCodeSize, pixelCount) {
  if (minCodeSize < 2 || minCodeSize > 8) throw new Error('bad LZW minimum code size ' + minCodeSize);
  const clear = 1 << minCodeSize;
  const eoi = clear + 1;
  let table = null;
  let codeSize = 0;
  let prev = null;
  const reset = () => {
    table = [];
    for (let i = 0; i < clear; i++) table.push([i]);
    table.push(null, null); // clear, eoi
    codeSize = minCodeSize + 1;
    prev = null;
  };
  reset();

  const out = [];
  let bitPos = 0;
  const totalBits = data.length * 8;
  const readCode = () => {
    if (bitPos + codeSize > totalBits) throw new Error('LZW data ended before EOI');
    let code = 0;
    for (let i = 0; i < codeSize; i++, bitPos++) {
      if (data[bitPos >> 3] & (1 << (bitPos & 7))) code |= 1 << i;
    }
    return code;
  };

  let clears = 0;
  let maxCodeSize = codeSize;
  let first = true;
  for (;;) {
    const code = readCode();
    if (first && code !== clear) throw new Error('LZW stream does not start with a clear code');
    first = false;
    if (code === clear) {
      clears++;
      reset();
      continue;
    }
    if (code === eoi) break;
    let entry;
    if (code < table.length && table[code]) {
      entry = table[code];
    } else if (code === table.length && prev !== null) {
      entry = prev.concat([prev[0]]); // the KwKwK case
    } else {
      throw new Error('invalid LZW code ' + code + ' (table size ' + table.length + ')');
    }
    for (const v of entry) out.push(v);
    if (prev !== null && table.length < 4096) {
      table.push(prev.concat([entry[0]]));
    }
    if (table.length === 1 << codeSize && codeSize < 12) codeSize++;
    if (codeSize > maxCodeSize) maxCodeSize = codeSize;
    prev = entry;
  }
  // Only padding (zero bits, less than a byte) may follow the EOI code.
  const trailingBits = totalBits - bitPos;
  if (trailingBits >= 8) throw new Error(trailingBits + ' bits of data after EOI');
  for (; bitPos < totalBits; bitPos++) {
    if (data[bitPos >> 3] & (1 << (bitPos & 7))) throw new Error('non-zero padding after EOI');
  }
  if (out.length !== pixelCount) {
    throw new Error('decoded ' + out.length + ' pixels, expected ' + pixelCount);
  }
  return { pixels: Uint8Array.from(out), clears, maxCodeSize };
}

function decodeGif(buf) {
  if (!Buffer.isBuffer(buf)) throw new Error('not a Buffer');
  const signature = buf.toString('latin1', 0, 6);
  const width = u16(buf, 6);
  const height = u16(buf, 8);
  const packed = buf[10];
  let pos = 13;
  let globalPalette = null;
  if (packed & 0x80) {
    const size = 1 << ((packed & 7) + 1);
    globalPalette = [];
    for (let i = 0; i < size; i++, pos += 3) globalPalette.push([buf[pos], buf[pos + 1], buf[pos + 2]]);
  }
  const images = [];
  let sawTrailer = false;
  while (pos < buf.length) {
    const intro = buf[pos++];
    if (intro === 0x3b) {
      sawTrailer = true;
      break;
    } else if (intro === 0x21) {
      pos++; // label
      pos = readSubBlocks(buf, pos).end;
    } else if (intro === 0x2c) {
      const img = {
        left: u16(buf, pos),
        top: u16(buf, pos + 2),
        width: u16(buf, pos + 4),
        height: u16(buf, pos + 6),
        packed: buf[pos + 8],
      };
      pos += 9;
      if (img.packed & 0x80) throw new Error('local colour tables not expected');
      if (img.packed & 0x40) throw new Error('interlacing not expected');
      img.minCodeSize = buf[pos++];
      const blocks = readSubBlocks(buf, pos);
      pos = blocks.end;
      img.blockSizes = blocks.sizes;
      const decoded = lzwDecode(blocks.data, img.minCodeSize, img.width * img.height);
      img.pixels = decoded.pixels;
      img.clears = decoded.clears;
      img.maxCodeSize = decoded.maxCodeSize;
      images.push(img);
    } else {
      throw new Error('unknown block 0x' + intro.toString(16) + ' at ' + (pos - 1));
    }
  }
  if (!sawTrailer) throw new Error('missing trailer');
  if (pos !== buf.length) throw new Error((buf.length - pos) + ' bytes after the trailer');
  return { signature, width, height, packed, globalPalette, images };
}

// ---------------------------------------------------------------------------

function longText() {
  let s = '';
  for (let i = 0; i < 200; i++) s += String.fromCharCode(32 + ((i * 37) % 95));
  return s;
}

function checkRoundTrip(t, text, options) {
  const expected = renderText(text, options);
  const gif = textToGif(text, options);
  const d = decodeGif(gif);
  t.equal(d.signature, 'GIF89a', 'GIF89a header');
  t.equal(d.width, expected.width, 'screen width matches renderText');
  t.equal(d.height, expected.height, 'screen height matches renderText');
  t.ok(d.packed & 0x80, 'has a global colour table');
  const opts = options || {};
  t.same(d.globalPalette.slice(0, 2), [opts.background || [255, 255, 255], opts.foreground || [0, 0, 0]], 'palette is [background, foreground]');
  t.equal(d.images.length, 1, 'one image');
  const img = d.images[0];
  t.same([img.left, img.top, img.width, img.height], [0, 0, expected.width, expected.height], 'image descriptor');
  t.ok(img.blockSizes.every((n) => n >= 1 && n <= 255), 'sub-blocks of 1..255 bytes');
  t.ok(Buffer.compare(Buffer.from(img.pixels), Buffer.from(expected.pixels)) === 0, 'decoded pixels equal renderText pixels');
  t.equal(gif[gif.length - 1], 0x3b, 'ends with the trailer');
  return { expected, gif, img };
}

t.test('module shape', async (t) => {
  t.type(textToGif, 'function');
  t.type(encodeGif, 'function');
  t.type(renderText, 'function');
});

t.test('round-trips short text', async (t) => {
  const { expected } = checkRoundTrip(t, 'Hello, World! 0123456789 ~{}[]');
  t.ok(expected.pixels.includes(1), 'some foreground pixels');
  t.ok(expected.pixels.includes(0), 'some background pixels');
  t.equal(expected.height, 2 * 2 + 7 * 2, 'default height: padding 2, scale 2');
});

t.test('empty string', async (t) => {
  const { expected } = checkRoundTrip(t, '');
  t.equal(expected.width, 4, 'width is just the padding');
  t.notOk(expected.pixels.includes(1), 'all background');
  const bare = renderText('', { padding: 0 });
  t.ok(bare.width >= 1 && bare.height >= 1, 'never a zero-sized image');
  checkRoundTrip(t, '', { padding: 0 });
});

t.test('long string forces a dictionary reset', async (t) => {
  const text = longText();
  t.equal(text.length, 200);
  // With the default options a 200-glyph image needs ~2000 codes: no reset.
  checkRoundTrip(t, text);
  checkRoundTrip(t, text, { scale: 1, padding: 0 });
  // At scale 4 it needs ~5000 codes, at scale 6 ~9000: the 4096-entry
  // dictionary fills and is reset once, then twice.
  const { img } = checkRoundTrip(t, text, { scale: 4 });
  t.ok(img.clears >= 2, 'a clear code after the leading one (got ' + img.clears + ')');
  t.equal(img.maxCodeSize, 12, 'codes grew to 12 bits');
  t.ok(img.blockSizes.length > 1, 'data spans several sub-blocks');
  const six = checkRoundTrip(t, text, { scale: 6 }).img;
  t.ok(six.clears >= 3, 'two resets at scale 6 (clears: ' + six.clears + ')');
  checkRoundTrip(t, text, { scale: 3, padding: 5, foreground: [200, 10, 20], background: [1, 2, 3] });
});

t.test('non-ASCII characters render as ?', async (t) => {
  const text = 'héllo wörld → 😀 \t\n';
  checkRoundTrip(t, text);
  const a = renderText(text);
  const b = renderText('h?llo w?rld ? ? ??');
  t.equal(a.width, b.width, 'one glyph per code point');
  t.same(a.pixels, b.pixels, 'same pixels as with ? substituted');
});

t.test('upper and lower case', async (t) => {
  checkRoundTrip(t, 'The Quick Brown Fox Jumps Over The Lazy Dog');
  checkRoundTrip(t, 'the quick brown fox jumps over the lazy dog');
  const upper = renderText('ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  const lower = renderText('abcdefghijklmnopqrstuvwxyz');
  t.notSame(upper.pixels, lower.pixels, 'cases differ');
});

t.test("'A' and 'B' render differently", async (t) => {
  const a = renderText('A');
  const b = renderText('B');
  t.equal(a.width, b.width);
  t.equal(a.height, b.height);
  t.notSame(a.pixels, b.pixels, 'different pixels');
  t.notSame(textToGif('A'), textToGif('B'), 'different GIFs');
});

t.test('every printable glyph is distinct and non-blank except space', async (t) => {
  const seen = new Map();
  for (let c = 33; c <= 126; c++) {
    const ch = String.fromCharCode(c);
    const key = Buffer.from(renderText(ch, { scale: 1, padding: 0 }).pixels).toString('hex');
    t.notOk(seen.has(key), ch + ' differs from ' + seen.get(key));
    seen.set(key, ch);
  }
  t.notOk(renderText(' ').pixels.includes(1), 'space is blank');
});

t.test('scale and padding', async (t) => {
  const r = renderText('AB', { scale: 3, padding: 4 });
  t.equal(r.width, 2 * 4 + 2 * 6 * 3 - 3);
  t.equal(r.height, 2 * 4 + 7 * 3);
  checkRoundTrip(t, 'AB', { scale: 3, padding: 4 });
});

t.test('encodeGif round-trips random images over several palette sizes', async (t) => {
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 16;
  };
  for (const paletteSize of [1, 2, 3, 4, 5, 16, 17, 200, 256]) {
    const palette = [];
    for (let i = 0; i < paletteSize; i++) palette.push([(i * 7) & 255, (i * 13) & 255, (i * 29) & 255]);
    // Every length up to 150 hits the code-width boundaries at the end of
    // the stream; the big ones fill and reset the dictionary repeatedly.
    const sizes = [];
    for (let n = 1; n <= 150; n++) sizes.push([n, 1]);
    sizes.push([97, 103], [300, 200]);
    let failures = 0;
    for (const [w, h] of sizes) {
      const pixels = new Uint8Array(w * h);
      // Mix runs and noise so both long and short dictionary strings occur.
      for (let i = 0; i < pixels.length; i++) pixels[i] = (rnd() & 3) === 0 ? pixels[i - 1] || 0 : rnd() % paletteSize;
      let ok = false;
      try {
        const d = decodeGif(encodeGif(w, h, pixels, palette));
        const img = d.images[0];
        ok = d.signature === 'GIF89a' && d.width === w && d.height === h &&
          Buffer.compare(Buffer.from(img.pixels), Buffer.from(pixels)) === 0 &&
          d.globalPalette.length >= paletteSize && d.globalPalette.length >= 2 &&
          (d.globalPalette.length & (d.globalPalette.length - 1)) === 0 &&
          palette.every((c, i) => c.join() === d.globalPalette[i].join());
      } catch (err) {
        t.fail(paletteSize + ' colours, ' + w + 'x' + h + ': ' + err.message);
      }
      if (!ok) failures++;
    }
    t.equal(failures, 0, paletteSize + '-colour palette: all ' + sizes.length + ' images round-trip');
  }
});

t.test('input validation', async (t) => {
  t.throws(() => encodeGif(2, 2, new Uint8Array(3), [[0, 0, 0], [1, 1, 1]]), RangeError);
  t.throws(() => encodeGif(1, 1, new Uint8Array([2]), [[0, 0, 0], [1, 1, 1]]), RangeError);
  t.throws(() => encodeGif(0, 1, new Uint8Array(0), [[0, 0, 0]]), RangeError);
  t.throws(() => textToGif('x', { scale: 0 }), RangeError);
  t.throws(() => textToGif('x', { foreground: [0, 0] }), TypeError);
});

t.test('the decoder used here rejects corrupted data', async (t) => {
  const gif = Buffer.from(textToGif('Hello'));
  t.throws(() => decodeGif(gif.subarray(0, gif.length - 1)), /trailer/);
  const bad = Buffer.from(gif);
  bad[bad.length - 4] ^= 0xff; // inside the LZW data
  let differs;
  try {
    const d = decodeGif(bad);
    differs = Buffer.compare(Buffer.from(d.images[0].pixels), Buffer.from(renderText('Hello').pixels)) !== 0;
  } catch {
    differs = true;
  }
  t.ok(differs, 'flipping LZW bits is detected');
});

'use strict';
// What crosses event loops: values go through encode → structured clone (a real MessageChannel) → decode.
const t = require('tap');
const { MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { encode, decode, NotTransferable } = require('../dist/runtime/serialize.js');

function travel(value) {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(encode(value, 'value'));
  const { message } = receiveMessageOnPort(port2);
  port1.close();
  return decode(message);
}

t.test('Buffers, typed arrays, Maps, Sets, Dates, RegExps and nested data come back intact', async (t) => {
  const shared = { n: 1 };
  const value = {
    buf: Buffer.from('héllo'),
    f64: new Float64Array([1.5, -2]),
    map: new Map([['k', { deep: [1, 2, Buffer.from([7])] }]]),
    set: new Set([1, 'two']),
    date: new Date('2026-11-26T05:00:00Z'),
    re: /fl(u)x/gi,
    nil: null,
    list: [shared, shared],
  };
  const back = travel(value);
  t.ok(Buffer.isBuffer(back.buf), 'a Buffer stays a Buffer');
  t.equal(back.buf.toString(), 'héllo');
  t.ok(back.f64 instanceof Float64Array);
  t.same([...back.f64], [1.5, -2]);
  t.ok(Buffer.isBuffer(back.map.get('k').deep[2]), 'also deep inside a Map');
  t.same([...back.set], [1, 'two']);
  t.equal(back.date.toISOString(), '2026-11-26T05:00:00.000Z');
  t.equal(back.re.source, 'fl(u)x');
  t.equal(back.re.flags, 'gi');
  t.equal(back.list[0], back.list[1], 'shared references stay shared');
});

t.test('a Buffer comes back as its bytes, whatever memory it sits in, and never shares it with the sender', async (t) => {
  const pooled = Buffer.from('small'); // a slice of Node's pool: only its own bytes travel
  const own = Buffer.alloc(64 * 1024, 7); // its ArrayBuffer to itself
  const slice = own.subarray(10, 20);
  const sab = Buffer.from(new SharedArrayBuffer(16));
  sab.fill(3);
  const back = travel({ pooled, own, slice, sab });
  t.equal(back.pooled.toString(), 'small');
  t.equal(back.pooled.buffer.byteLength, 5, 'not the whole pool');
  t.equal(back.own.length, 64 * 1024);
  t.ok(back.own.every((b) => b === 7));
  t.same([...back.slice], new Array(10).fill(7));
  t.equal(back.slice.buffer.byteLength, 10, 'a slice travels alone');
  t.ok(Buffer.isBuffer(back.sab));
  t.notOk(back.sab.buffer instanceof SharedArrayBuffer, 'shared memory is copied, not shared');
  own[0] = 1;
  sab[0] = 1;
  t.equal(back.own[0], 7, 'a copy: the sender changing its Buffer later changes nothing here');
  t.equal(back.sab[0], 3);
});

t.test("an array's named properties come back (express 3's req.params is an array with names)", async (t) => {
  const params = ['7'];
  params.id = '7';
  const back = travel({ params, plain: [1, 2] });
  t.ok(Array.isArray(back.params));
  t.same([...back.params], ['7']);
  t.equal(back.params.id, '7');
  t.same(back.plain, [1, 2], 'a plain array stays a plain array');
});

t.test('Errors keep name, message, stack, code and their own properties', async (t) => {
  const error = Object.assign(new TypeError('bad input'), { code: 'E_BAD', status: 400, details: { field: 'name' } });
  const back = travel(error);
  t.ok(back instanceof Error);
  t.equal(back.name, 'TypeError');
  t.equal(back.message, 'bad input');
  t.equal(back.stack, error.stack);
  t.equal(back.code, 'E_BAD');
  t.equal(back.status, 400);
  t.same(back.details, { field: 'name' });
  t.ok(back instanceof TypeError, "a built-in error's class: `instanceof TypeError` holds");
  t.notOk(Object.prototype.hasOwnProperty.call(back, 'name'), 'its name comes from its class');
  t.match(require('node:util').inspect(back), /^TypeError: bad input\n/, "printed as Node prints it (not `Error [TypeError]`)");
  class ValidationError extends Error {}
  ValidationError.prototype.name = 'ValidationError';
  const own = travel(new ValidationError('no email'));
  t.ok(own instanceof Error);
  t.equal(own.name, 'ValidationError');
  t.equal(own.constructor.name, 'ValidationError', "an app's error class: a class of its name (loggers print constructor.name)");
  t.match(require('node:util').inspect(own), /^ValidationError: no email\n/);
  t.equal(travel(new ValidationError('again')).constructor, own.constructor, 'one class per name');
  // a class a module exports: the other side takes that module's class, as it loaded it
  const { NotFoundError } = require('./apps/threads/problems');
  const found = travel(Object.assign(new NotFoundError('page'), { status: 404 }));
  t.ok(found instanceof NotFoundError, "`err instanceof NotFoundError` holds (an error handler's 404)");
  t.equal(found.message, 'page not found');
  t.equal(found.status, 404);
  t.ok(require('node:util').types.isNativeError(found), 'a real Error, its constructor not run again');
  const createError = require('http-errors');
  const http = travel(createError(404, 'no such page'));
  t.ok(http instanceof createError.HttpError, "a package's class too (http-errors' NotFound, exported as a property of its function)");
  t.equal(http.status, 404);
  // own properties it does not enumerate: `cause`, a field a class defines so, a getter of its own
  const caused = new Error('outer', { cause: new RangeError('inner') });
  Object.defineProperty(caused, 'issues', { value: [{ code: 'too_small' }], enumerable: false, writable: true, configurable: true });
  Object.defineProperty(caused, 'count', { get: () => caused.issues.length, enumerable: false, configurable: true });
  const deep = travel(caused);
  t.ok(deep.cause instanceof RangeError, 'its cause, an error of its own class');
  t.equal(deep.cause.message, 'inner');
  t.same(deep.issues, [{ code: 'too_small' }]);
  t.equal(deep.count, 1, 'a getter of its own: the value it read');
  t.same(Object.keys(deep), [], 'not enumerable on this side either');
  const withFunction = Object.assign(new Error('zod-like'), { issues: [], flatten: () => ({}) });
  t.throws(() => encode(withFunction, 'error'), { path: 'error.flatten', what: 'a function (flatten)' }, 'a function of its own cannot travel: the message runs again where it can');
  const throwing = Object.defineProperty(new Error('odd'), 'info', { get() { throw new Error('not here'); }, enumerable: false });
  t.throws(() => encode(throwing, 'error'), { path: 'error.info', what: 'a getter that throws here' }, 'a getter of its own that throws: cannot travel (not a throw into the app)');
});

t.test("zod's error, whose constructor puts functions on it, is made again by zod's constructor on the other side", async (t) => {
  const { z } = require('zod');
  const Query = z.object({ n: z.coerce.number().int(), name: z.string().min(2) });
  let error;
  try {
    Query.parse({ n: 'x', name: 'a' });
  } catch (e) {
    error = e;
  }
  error.status = 400;
  t.ok(Object.getOwnPropertyNames(error).some((k) => typeof Object.getOwnPropertyDescriptor(error, k).value === 'function' || k === '_zod'), 'it holds what cannot travel (zod 4: `_zod`, made with its constructor)');
  const back = travel(error);
  t.ok(back instanceof z.ZodError, '`instanceof z.ZodError` holds (zod 4 reads `_zod`, which its constructor made again)');
  t.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(error), 'the same class');
  t.same(back.flatten(), error.flatten(), "its functions, made again: `flatten()` gives what the original's does");
  t.same(back.issues, error.issues);
  t.equal(back.message, error.message);
  t.equal(back.stack, error.stack, 'the stack of where it was thrown');
  t.equal(back.status, 400, 'a field the code added after');
  t.notOk(Object.keys(back).includes('stack'), 'its stack is not enumerated, as it is not on the original');
  error.context = new (class Context {})();
  t.throws(() => encode(error, 'error'), { path: 'error.context', what: 'an instance of Context' }, "a field the code added that cannot travel still cannot (zod's constructor would not put it back)");
});

t.test('what cannot travel is named by its path', async (t) => {
  t.throws(() => encode({ options: { describe() {} } }, 'env'), new NotTransferable('env.options.describe', 'a function (describe)'));
  t.throws(() => encode([1, new (class Model {})()], 'argument 2'), { path: 'argument 2[1]', message: /an instance of Model/ });
  t.throws(() => encode(new Map([['s', Symbol('x')]]), 'x'), { path: 'x.get(s)' });
});

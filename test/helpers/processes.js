'use strict';
// Real processes for runtime tests: spawn an app on a loopback port, send real HTTP requests.
const { spawn, spawnSync } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'bin', 'fluxion.js');

/** Runs `fluxion <args>` and returns { status, stdout, stderr }. */
function fluxion(args, options = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: options.cwd || ROOT, encoding: 'utf8', timeout: 60000, env: options.env ? { ...process.env, ...options.env } : undefined });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Starts `node [nodeArgs] file` with PORT=0 and waits for its "listening on http://127.0.0.1:<port>" line.
 * Resolves { port, child, output(), stop() }. Fails after `timeoutMs`.
 */
function startApp(file, { nodeArgs = [], env = {}, timeoutMs = 15000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, file], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not listen within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    const stop = () =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      });
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), child, stop, output: () => ({ stdout, stderr }) });
      }
    });
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${code ?? signal}) before listening\nstdout: ${stdout}\nstderr: ${stderr}`));
    });
  });
}

/** One HTTP request to 127.0.0.1:port. Resolves { status, headers, body (Buffer) }. */
function request(port, { method = 'GET', path: urlPath = '/', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, headers, agent: false, timeout: 10000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, statusMessage: res.statusMessage, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Starts an app, sends `requests` one after the other, stops it; resolves the responses. */
async function serve(file, nodeArgs, env, requests) {
  const app = await startApp(file, { nodeArgs, env });
  try {
    const out = [];
    for (const r of requests) out.push(await request(app.port, r));
    return out;
  } finally {
    await app.stop();
  }
}

/**
 * A copy of test/apps/<name> in test/apps/.<name>-<alias>, beside a node_modules/express that is the given
 * alias (express3, express4), so the same app runs on another major version. Returns the app.js path.
 */
function withExpress(name, alias) {
  const fs = require('node:fs');
  const dir = path.join(ROOT, 'test', 'apps', `.${name}-${alias}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(ROOT, 'test', 'apps', name), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(ROOT, 'node_modules', alias), path.join(dir, 'node_modules', 'express'), 'dir');
  return path.relative(ROOT, path.join(dir, 'app.js'));
}

/**
 * `serve` with no transform cache (every start compiles afresh), each response reduced to what the placement tests
 * compare: status, content type, the `x-thread` header the test apps set (the thread that ran the work), body.
 */
async function session(file, nodeArgs, env, steps) {
  const responses = await serve(file, nodeArgs, { FLUXION_DISABLE_CACHE: '1', ...env }, steps);
  return responses.map((r) => ({ status: r.status, type: r.headers['content-type'], thread: r.headers['x-thread'], body: r.body.toString() }));
}

module.exports = { ROOT, CLI, fluxion, startApp, request, serve, session, withExpress };

// A TypeScript app shipped compiled, with source maps (test/hook.test.js): minified onto one line, so every
// insertion fluxion makes moves the columns after it, and only a chained source map puts frames back.
// Regenerate with:
//   npx esbuild test/apps/mapped/src/app.ts --format=cjs --platform=node --minify-whitespace --sourcemap --outfile=test/apps/mapped/app.js
//   npx esbuild test/apps/mapped/src/app.ts --format=cjs --platform=node --minify-whitespace --sourcemap=inline --outfile=test/apps/mapped/inline.js
import express, { type NextFunction, type Request, type Response } from 'express';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';

interface ParseError extends Error {
  code?: string;
}

function parse(text: string): number {
  const error: ParseError = new Error(`cannot parse ${text.length} bytes`);
  error.code = 'E_PARSE';
  throw error;
}

const app = express();

app.get('/sync', function syncRoute(_req: Request, _res: Response) {
  parse('sync');
});

app.get('/async', function asyncRoute(_req: Request, _res: Response, next: NextFunction) {
  fs.readFile(__filename, 'utf8', function onRead(_err, text) {
    try {
      parse(text);
    } catch (e) {
      next(e);
    }
  });
});

app.get('/arrow', (_req: Request, res: Response) => {
  setImmediate(() => res.type('text').send(new Error('made in an arrow').stack));
});

app.use(function onError(err: Error, _req: Request, res: Response, _next: NextFunction) {
  res.status(500).type('text').send(err.stack);
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log(`mapped listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});

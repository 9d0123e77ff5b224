import type { Readable } from 'node:stream';

/** The stream methods a handler reading a request's body calls (graphql-http: setEncoding, on('data'), on('end')). */
const STREAM_METHODS = ['setEncoding', 'on', 'once', 'addListener', 'prependListener', 'off', 'removeListener', 'removeAllListeners', 'pipe', 'unpipe', 'read', 'resume', 'pause', 'isPaused', Symbol.asyncIterator] as const;

/**
 * Makes `target` (a request, or a view of one) give `text` as its body, as the socket gave it: its stream methods
 * (not enumerable: no field of the request's) go to a stream of that text, made on the first call. A handler a
 * known package made (graphql-http's, factories.ts HANDLER_FACTORIES) whose body the main loop read first: on the
 * main loop when its message runs there after all (registry.ts readBack), and on a worker (worker.ts, the request
 * marker's `stream`), where graphql-http's plain-http handler reads it from the stream as it would from the socket.
 */
export function streamsText(target: object, text: string): void {
  let replay: Readable | null = null;
  const stream = (): Readable => {
    if (!replay) {
      // (required here: the runtime loads nothing it may not need at start-up)
      const { PassThrough } = require('node:stream') as typeof import('node:stream');
      const made = new PassThrough();
      made.end(text);
      replay = made;
    }
    return replay;
  };
  for (const key of STREAM_METHODS) {
    Object.defineProperty(target, key, {
      value: (...a: unknown[]) => {
        const source = stream();
        const out = (source as unknown as Record<string | symbol, (...b: unknown[]) => unknown>)[key]!.apply(source, a);
        return out === source ? target : out;
      },
      writable: true,
      configurable: true,
    });
  }
}

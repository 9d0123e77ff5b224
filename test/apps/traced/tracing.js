'use strict';
// OpenTelemetry as its docs set it up (`node -r ./tracing.js app.js`): a tracer provider with the http and express
// instrumentations. The exporter appends each finished span to $SPANS_FILE, with the thread that ended it.
const fs = require('node:fs');
const { threadId } = require('node:worker_threads');
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');

const file = process.env.SPANS_FILE;
const exporter = {
  export(spans, done) {
    if (file) {
      const lines = spans.map((s) => JSON.stringify({
        name: s.name,
        kind: s.kind,
        trace: s.spanContext().traceId,
        id: s.spanContext().spanId,
        parent: (s.parentSpanContext && s.parentSpanContext.spanId) || s.parentSpanId || null,
        attributes: Object.fromEntries(Object.entries(s.attributes).filter(([k]) => k.startsWith('app.'))),
        thread: threadId,
      }) + '\n');
      fs.appendFileSync(file, lines.join(''));
    }
    done({ code: 0 });
  },
  shutdown: () => Promise.resolve(),
};
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();
registerInstrumentations({ instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()] });

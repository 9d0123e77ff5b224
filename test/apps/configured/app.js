'use strict';
// Objects packages make at start-up and the file's top level then configures (a winston logger given its console
// transport under an `if`, as winston's README does; an ajv instance given formats and a schema; a markdown-it
// renderer given a plugin and a rule): a worker makes each again and configures it as the top level did.
const express = require('express');
const winston = require('winston');
const Ajv = require('ajv');
const addFormats = require('ajv-formats');
const markdownit = require('markdown-it');
const { threadId } = require('node:worker_threads');

const level = process.env.LOG_LEVEL || 'info';
const dev = process.env.NODE_ENV !== 'production';
const logger = winston.createLogger({ level, format: winston.format.printf((info) => `${info.level}: ${info.message}`), transports: [] });
if (dev) {
  logger.add(new winston.transports.Console());
}
logger.level = dev ? 'debug' : level;

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'name', type: 'string', minLength: 2 });
const validateSignup = ajv.compile({
  type: 'object',
  properties: { email: { type: 'string', format: 'email' }, name: { $ref: 'name' } },
  required: ['email', 'name'],
});

function shout(md) {
  md.core.ruler.push('shout', (state) => {
    for (const token of state.tokens) if (token.type === 'inline') for (const child of token.children) if (child.type === 'text') child.content = child.content.replace(/!/g, '!!');
  });
}
const md = markdownit({ html: false }).use(shout);
md.renderer.rules.code_inline = (tokens, idx) => `<kbd>${md.utils.escapeHtml(tokens[idx].content)}</kbd>`;

// configured with what only the main loop has (a variable of the module): not made again, it cannot travel
const label = ['audit', process.pid].join('-').replace(/-\d+$/, '');
const audit = winston.createLogger({ transports: [] });
audit.add(new winston.transports.Console({ format: winston.format.printf((info) => `[${label}] ${info.message}`) }));

const app = express();
app.use(express.json());
app.get('/log', (req, res) => {
  logger.info(`hello ${req.query.name}`);
  logger.debug(`debug ${req.query.name}`);
  res.json({ ok: true, thread: threadId });
});
app.post('/signup', (req, res) => {
  const ok = validateSignup(req.body);
  res.json({ ok, errors: ok ? [] : validateSignup.errors.map((e) => `${e.instancePath} ${e.message}`), thread: threadId });
});
app.get('/md', (req, res) => {
  res.json({ html: md.render(String(req.query.src)), thread: threadId });
});
app.get('/audit', (req, res) => {
  audit.info(`seen ${req.query.name}`);
  res.json({ ok: true, thread: threadId });
});

const fileLogger = require('./logger');
app.get('/items/:id', (req, res) => {
  fileLogger.debug(`item ${req.params.id}`);
  fileLogger.stream.write(`GET /items/${req.params.id}\n`);
  res.json({ id: Number(req.params.id), thread: threadId });
});

// module memory two routes share, one of them reading a closure made at start-up (it cannot travel): that one stays
// on the main loop, the other moves with the memory
const seenNames = [];
const tag = ((prefix) => (s) => `${prefix}:${s}`)('seen');
app.get('/seen', (req, res) => {
  seenNames.push(tag(req.query.name));
  res.json({ seen: seenNames, thread: threadId });
});
app.get('/seen-count', (req, res) => res.json({ n: seenNames.length, thread: threadId }));

// a handler whose schema throws (zod 3's ZodError has functions of its own, `addIssue`), and an error handler reading it
const { z } = require('zod');
const Query = z.object({ n: z.coerce.number().int() });
const zodApp = express.Router();
zodApp.get('/parse', async (req, res) => {
  res.json({ n: Query.parse(req.query).n, thread: threadId });
});
zodApp.use((err, req, res, next) => {
  res.status(400).json({ name: err.name, zod: err instanceof z.ZodError, issues: err.issues.map((i) => i.code), fields: Object.keys(err.flatten().fieldErrors), thread: threadId });
});
app.use('/zod', zodApp);

// a stateful handler's error with a function of its own (it cannot travel, and the message cannot run twice: the
// error goes without it) and a cause (not enumerable: it goes too)
let failures = 0;
app.get('/fail-stateful', (req, res) => {
  failures++;
  const error = new Error(`failure ${failures}`, { cause: new Error('the cause') });
  error.status = 409;
  error.retry = () => failures;
  throw error;
});
app.use((err, req, res, next) => {
  res.status(err.status || 500).json({ message: err.message, cause: err.cause && err.cause.message, causeHidden: !Object.keys(err).includes('cause'), retry: typeof err.retry });
});

// a logger writing to a file, used by two handlers: on a worker, one logger and one file handle for both, as here
const fileLogPath = process.env.FILE_LOG || 'configured-app.log';
const fileLog = winston.createLogger({ format: winston.format.printf((info) => info.message), transports: [new winston.transports.File({ filename: fileLogPath })] });
app.get('/file-log/a', (req, res) => {
  fileLog.info(`a ${req.query.n}`);
  res.json({ thread: threadId });
});
app.get('/file-log/b', (req, res) => {
  fileLog.info(`b ${req.query.n}`);
  res.json({ thread: threadId });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});

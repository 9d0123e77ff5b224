'use strict';
// An API logging with pino-http (`req.log`, a child logger per request) and an audit trail of its own that a
// middleware hangs on the request (`req.audit`): handlers call their methods as statements.
const express = require('express');
const pinoHttp = require('pino-http');
const { threadId } = require('node:worker_threads');

const app = express();
app.use(pinoHttp({ autoLogging: false, base: null, timestamp: false }));

// the app's own: one trail, in module memory, whatever thread a handler ran on
const trail = [];
const audit = {
  record(entry) {
    if (entry.fail) throw new Error('audit refused ' + entry.what);
    trail.push(entry.what);
  },
  recordThen(entry, done) {
    trail.push(entry.what);
    done();
  },
};
app.use((req, res, next) => {
  req.audit = audit;
  next();
});

// connect-flash over express-session
app.use(require('express-session')({ secret: 'logged', resave: false, saveUninitialized: false }));
app.use(require('connect-flash')());

function work(n) {
  let h = 0;
  for (let i = 0; i < n * 20000; i++) h = (h * 31 + i) | 0;
  return h >>> 0;
}

app.get('/work', (req, res) => {
  const h = work(Number(req.query.n || 10));
  req.log.info({ h }, 'worked');
  res.json({ h, thread: threadId });
});

// calls before and after the response's, an Error as pino's `err`
app.get('/steps', (req, res) => {
  req.log.warn('first');
  res.status(202);
  req.log.error(new Error('boom'), 'second');
  req.audit.record({ what: 'steps ' + work(1) });
  res.json({ thread: threadId });
  req.log.info({ after: true }, 'third');
});

// the logger read, not only called: its data travels, with what its getters compute (`level`)
app.get('/level', (req, res) => {
  res.json({ level: req.log.level, thread: threadId });
});

// a call whose result is used (a child logger): the same
app.get('/child', (req, res) => {
  const log = req.log.child({ part: 'child' });
  log.info('from a child');
  res.json({ thread: threadId });
});

// a callback among the arguments cannot come back: the message runs again on the main loop
// (one the code does not show to be a function: an object's field here)
app.get('/callback', (req, res) => {
  const on = { done: () => res.json({ thread: threadId }) };
  req.audit.recordThen({ what: 'callback' }, on.done);
});
// …and one written there keeps the message home from the start: this handler is stateful (its own count), its
// message could not run again
let callbacks = 0;
app.get('/counted-callback', (req, res) => {
  callbacks++;
  req.audit.recordThen({ what: 'counted' }, () => res.json({ callbacks, thread: threadId }));
});
// …or passed by its name (a const bound to an arrow, a function declaration)
let named = 0;
app.get('/counted-named', (req, res) => {
  named++;
  const answer = () => res.json({ named, thread: threadId });
  req.audit.recordThen({ what: 'named' }, answer);
});
app.get('/counted-declared', (req, res) => {
  named++;
  function answer() {
    res.json({ named, thread: threadId });
  }
  req.audit.recordThen({ what: 'declared' }, answer);
});

// a recorded call that throws on the main loop: Express's error handler, as without fluxion
app.get('/refused', (req, res) => {
  req.audit.record({ what: 'refused', fail: true });
  res.json({ thread: threadId });
});

// `req.flash(type, message)` as a statement: the call is made on the main loop, on the request's real session
app.get('/save', (req, res) => {
  const h = work(5);
  req.flash('info', 'saved ' + h);
  req.flash('warning', 'twice');
  res.set('x-thread', String(threadId));
  res.redirect('/flashed');
});

// `req.flash(type)` read: the main loop
app.get('/flashed', (req, res) => {
  res.json({ info: req.flash('info'), warning: req.flash('warning'), thread: threadId });
});

// an app model on the request: what its getters compute travels as data; a getter whose value cannot (another
// model) keeps the message on the main loop
class Account {
  constructor(first, last) {
    this.first = first;
    this.last = last;
  }
  get fullName() {
    return this.first + ' ' + this.last;
  }
}
class Guest {
  get fullName() {
    return 'guest';
  }
  get sponsor() {
    return new Account('Charles', 'Babbage');
  }
}
// …and one that says how it prints: `res.json(req.account)` prints its toJSON, which a copy of its data has not
class Member extends Account {
  toJSON() {
    return { member: this.fullName };
  }
}
app.get('/account', (req, res, next) => {
  req.account = req.query.guest ? new Guest() : req.query.member ? new Member('Grace', 'Hopper') : new Account('Ada', 'Lovelace');
  next();
}, (req, res) => {
  // (a Member renamed on a worker: what its toJSON prints then is the main loop's to compute)
  if (req.query.rename) req.account.first = 'Amazing';
  if (req.query.member || req.query.print) return res.json({ account: req.account, keys: Object.keys(req.account), thread: threadId });
  res.json({ name: req.account.fullName, first: req.account.first || null, thread: threadId });
});

// …and one printed by the app's own JSON.stringify after a change: the message runs again on the main loop
app.get('/stringified', (req, res, next) => {
  req.account = new Member('Grace', 'Hopper');
  next();
}, (req, res) => {
  req.account.first = 'Amazing';
  res.type('json').send(JSON.stringify({ account: req.account, thread: threadId }));
});

// a stateful handler (its own count, module memory) printing such a model after changing it: its message cannot run
// again on the main loop, so it does not leave it
let printed = 0;
app.get('/counted', (req, res, next) => {
  req.account = new Member('Grace', 'Hopper');
  next();
}, (req, res) => {
  printed++;
  req.account.first = 'G' + printed;
  res.json({ account: req.account, printed, thread: threadId });
});

// a model with a setter, changed by a middleware on a worker: the real one gets the change, its setter is not
// called again for what did not change
class Profile {
  constructor(email) {
    this._email = email;
    this.sets = 0;
  }
  get email() {
    return this._email;
  }
  set email(value) {
    this.sets++;
    this._email = value;
  }
}
app.get('/profile', (req, res, next) => {
  req.profile = new Profile('ada@example.com');
  next();
}, (req, res, next) => {
  req.profile.nick = 'ada' + work(1);
  if (req.query.email) req.profile.email = req.query.email;
  next();
}, (req, res) => {
  res.json({ email: req.profile.email, nick: req.profile.nick, sets: req.profile.sets, thread: threadId });
});

// a logout on a worker: what it deletes from express-session's session is deleted from the real one
app.get('/login', (req, res) => {
  req.session.user = 'ada';
  req.session.role = 'admin';
  res.json({ user: req.session.user, thread: threadId });
});
app.get('/logout', (req, res) => {
  delete req.session.role;
  req.session.user = null;
  res.json({ user: req.session.user, thread: threadId });
});
// "remember me": an instance inside the session (its Cookie) changed on a worker, through its setter
app.get('/remember', (req, res) => {
  req.session.cookie.maxAge = 60 * 1000;
  res.json({ seconds: Math.round(req.session.cookie.maxAge / 1000), thread: threadId });
});
app.get('/cookie', (req, res) => {
  res.json({ seconds: Math.round(req.session.cookie.maxAge / 10000) * 10, thread: threadId });
});
// express-session's session printed: its Cookie prints as its toJSON does (the app's replacer keeps runs comparable:
// `expires` is a date, and `originalMaxAge` is recomputed from it when the session is loaded, 59999 one run in many)
app.set('json replacer', (key, value) => (key === 'expires' && value ? 'set' : key === 'originalMaxAge' && typeof value === 'number' ? Math.round(value / 1000) * 1000 : value));
app.get('/session', (req, res) => {
  res.json({ session: req.session, thread: threadId });
});
app.get('/me', (req, res) => {
  res.json({ user: req.session.user, role: req.session.role || null, thread: threadId });
});

app.get('/trail', (req, res) => {
  res.json({ trail });
});

app.use((err, req, res, next) => {
  res.status(500).json({ error: err.message });
});

const server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', () => {
  console.log('listening on http://127.0.0.1:' + server.address().port);
});

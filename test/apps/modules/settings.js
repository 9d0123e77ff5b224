// Configuration that the app sets at start-up (app.js: settings.mode = …, settings.db.replicas.push(…)): a worker
// requiring this file again reads the defaults, unless it is given what app.js wrote.
var db = { host: 'localhost', replicas: [] };
module.exports = {
  mode: 'default',
  greeting: 'hello',
  db: db,
  flags: new Map(),
  legacy: true,
  limits: null,
  // reads the object it made (app.js writes its fields: this sees them on every thread)
  url: function url() {
    return 'pg://' + db.host + '/' + db.replicas.length;
  },
};

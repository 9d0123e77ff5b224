'use strict';
// configures a package for the process, and starts a timer: a worker must not load this file (its timer would
// run there too), so the code calling into that package stays on the main loop
require('prefixer').set('>> ');
setInterval(function heartbeat() { return Date.now(); }, 60000).unref();

// Start-up of an Express app: startup-app/ (routers, sessions, templates; a frozen copy of the test suite app) and the GIF encoder, up to the
// moment it listens. The harness measures the time until "ready", then ends the process.
process.env.PORT = '0';
require('../../samples/gifsockets/gif.js');
require('../../samples/figure5/db.js');
const log = console.log;
console.log = (line, ...rest) => {
  if (/listening on/.test(String(line))) {
    const cpu = process.cpuUsage();
    log(`ready ${(cpu.user + cpu.system) / 1000}`); // CPU ms of the whole process so far (every thread)
    // STARTUP_LINGER_MS: the harness's warming start lives on as a server does (fluxion completes its require
    // hook's code cache a second after a start: compile-cache.ts), the measured ones end here
    const linger = Number(process.env.STARTUP_LINGER_MS || 0);
    if (linger > 0) setTimeout(() => process.exit(0), linger);
    else process.exit(0);
  }
  return log(line, ...rest);
};
require('./startup-app/app.js'); // a copy of test/apps/suite as it was on 2026-11-26: tests keep growing theirs

// Start-up of an Express app: the suite app (routers, sessions, templates) and the GIF encoder, up to the
// moment it listens. The harness measures the time until "ready", then ends the process.
process.env.PORT = '0';
require('../../samples/gifsockets/gif.js');
require('../../samples/figure5/db.js');
const log = console.log;
console.log = (line, ...rest) => {
  if (/listening on/.test(String(line))) {
    const cpu = process.cpuUsage();
    log(`ready ${(cpu.user + cpu.system) / 1000}`); // CPU ms of the whole process so far (every thread)
    process.exit(0);
  }
  return log(line, ...rest);
};
require('../../test/apps/suite/app.js');

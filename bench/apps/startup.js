// Start-up of an Express app: the suite app (routers, sessions, templates) and the GIF encoder, then exit.
process.env.PORT = '0';
require('../../test/apps/suite/app.js');
require('../../samples/gifsockets/gif.js');
require('../../samples/figure5/db.js');
setImmediate(() => process.exit(0));

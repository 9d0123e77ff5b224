// No functions: fluxion leaves this file as it is; the runtime reads its requires from its text.
var ms = require('ms');
module.exports = { session: ms('2h') };

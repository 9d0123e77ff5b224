// Sets globals at start-up (as some apps do with their configuration): each thread has globals of its own, so a
// worker is given them (a string, a Map); an emitter cannot be copied there.
var EventEmitter = require('events');
globalThis.APP_REGION = process.env.APP_REGION || 'eu-west';
global.REGION_CODES = new Map([['eu-west', 'EW'], ['us-east', 'UE']]);
global.regionBus = new EventEmitter();
global.regionBus.on('moved', function () {});

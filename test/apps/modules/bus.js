// One EventEmitter for the app: app.js registers its listener at start-up, a route emits.
var EventEmitter = require('events');
module.exports = new EventEmitter();

'use strict';
module.exports = require('kvclient').createClient();

'use strict';
module.exports = require('kvclient').createMailer();

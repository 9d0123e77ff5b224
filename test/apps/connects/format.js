'use strict';
const fmt = require('fmtlib');
module.exports = (text) => fmt.format(text);

'use strict';
const db = require('minidb');
module.exports = db.model('User');

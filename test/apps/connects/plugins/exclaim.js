'use strict';
module.exports = (text) => text + '!';

'use strict';
require('./setup');
const tagger = require('tagger');
module.exports = (text) => tagger.tag(text);

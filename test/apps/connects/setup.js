'use strict';
// configures a package for the process, from a file that is not the entry
require('tagger').use('app');

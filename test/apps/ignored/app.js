/* fluxion ignore */
var fs = require('fs');
fs.readFile(__filename, function done(err, data) {
  console.log(String(data).split('\n')[0]);
});

// Closures made at run time carry their static identity and the values they captured.
function bodyParser(limit, encoding) {
  var calls = 0;
  return function saveBody(req, res, next) {
    calls += 1;
    next(limit, encoding, calls);
  };
}

var parsers = [bodyParser(1024, 'utf8'), bodyParser(2048, 'latin1')];
parsers[1](null, null, function () {});
module.exports = parsers;

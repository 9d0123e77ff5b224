// A service made once at load time (module.exports = new Hasher(…)): its constructor sets its fields, its methods
// only read them and call one another. Not state: a worker's copy is the same service.
var crypto = require('crypto');

class Hasher {
  constructor(salt) {
    this.salt = salt;
    this.algorithm = 'sha256';
  }
  digest(text) {
    return crypto.createHash(this.algorithm).update(this.salt + text).digest('hex').slice(0, 12);
  }
  describe(text) {
    return { text: text, digest: this.digest(text) };
  }
}

module.exports = new Hasher('pepper');

// A service as a class's one instance (`module.exports = new AccountService()`): its fields are its state (a Map
// of accounts, a counter), which `open` and `get` use; `hash`, `handle` and `fingerprint` (which calls the other
// two on `this`) use none of it: code calling only those may move, a worker's copy of this file answers them.
var SALT = 'accounts';
function mix(text, rounds) {
  var h = 0;
  for (var r = 0; r < rounds; r++) for (var i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i) + r) | 0;
  return (h >>> 0).toString(16);
}
class AccountService {
  constructor() {
    this.accounts = new Map();
    this.opened = 0;
  }
  open(name) {
    var account = { id: ++this.opened, handle: this.handle(name) };
    this.accounts.set(account.id, account);
    return account;
  }
  get(id) {
    return this.accounts.get(id) || null;
  }
  hash(password, rounds) {
    return mix(SALT + password, rounds);
  }
  handle(name) {
    return '@' + String(name).toLowerCase().replace(/[^a-z0-9]+/g, '');
  }
  fingerprint(name) {
    return this.handle(name) + ':' + this.hash(name, 10);
  }
}
module.exports = new AccountService();

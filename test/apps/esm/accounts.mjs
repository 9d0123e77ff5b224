// A class's one instance as the default export: its methods using no field move with their callers.
class Accounts {
  constructor() {
    this.byId = new Map();
  }
  open(name) {
    this.byId.set(this.byId.size + 1, name);
    return this.byId.size;
  }
  handle(name) {
    return '@' + String(name).toLowerCase();
  }
}
export default new Accounts();

// A class of the app: a template calls its method and reads its getter, a header is its toString: its instances
// mean more than their data.
class Visitor {
  constructor(name, visit) {
    this.name = name;
    this.visit = visit;
  }
  get label() {
    return `visit #${this.visit}`;
  }
  greeting() {
    return `Hello, ${this.name}`;
  }
  toString() {
    return `${this.name}@${this.visit}`;
  }
}
module.exports = Visitor;

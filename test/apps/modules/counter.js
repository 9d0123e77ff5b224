// State in an object made at load time, written by its methods.
class Counter {
  constructor() {
    this.n = 0;
  }
  next() {
    this.n += 1;
    return this.n;
  }
}
module.exports = new Counter();

// A class of the app whose instances a handler sends as JSON: its toJSON decides what the client reads.
class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }
  toJSON() {
    return { point: [this.x, this.y] };
  }
}
module.exports = Point;

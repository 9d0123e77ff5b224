// A service module whose default export is an object with a store and pure helpers: code calling only the
// helpers (`service.price(x)` on the default import) may move, code reaching `orders` stays.
let orders = [];
function round(n) {
  return Math.round(n * 100) / 100;
}
export default {
  place(amount) {
    orders.push(amount);
    return orders.length;
  },
  price(amount) {
    return round(amount * 1.2);
  },
  count: () => orders.length,
};

// The GraphQL benchmark's server, as graphql.org's guide writes one (graphql-http's handler, no body parser) with
// a resolver that does real work per query: a report over a catalogue the module builds at start-up (filter, sort,
// group), a few milliseconds of JavaScript; `{ ping }` is the cheap query.
var express = require('express');
var { createHandler } = require('graphql-http/lib/use/express');
var { buildSchema } = require('graphql');

var schema = buildSchema(`
  type Group { key: String!, count: Int!, total: Float!, top: [String!]! }
  type Query { report(minPrice: Float!, by: String!): [Group!]!, ping: String! }
`);

var CATALOGUE = [];
for (var i = 0; i < 20000; i++) {
  CATALOGUE.push({ id: 'p' + i, name: 'product ' + ((i * 7919) % 20000), price: ((i * 104729) % 10000) / 100, brand: 'brand ' + (i % 37), color: ['red', 'green', 'blue', 'black', 'white'][i % 5] });
}

var root = {
  report: function ({ minPrice, by }) {
    var groups = new Map();
    for (var item of CATALOGUE) {
      if (item.price < minPrice) continue;
      var key = item[by] || 'none';
      var group = groups.get(key);
      if (!group) groups.set(key, (group = { key: key, count: 0, total: 0, items: [] }));
      group.count++;
      group.total += item.price;
      group.items.push(item);
    }
    return [...groups.values()]
      .sort(function (a, b) {
        return b.total - a.total;
      })
      .map(function (g) {
        var top = g.items
          .sort(function (a, b) {
            return b.price - a.price || a.name.localeCompare(b.name);
          })
          .slice(0, 3)
          .map(function (item) {
            return item.name;
          });
        return { key: g.key, count: g.count, total: Math.round(g.total * 100) / 100, top: top };
      });
  },
  ping: function () {
    return 'pong';
  },
};

var app = express();
app.all('/graphql', createHandler({ schema: schema, rootValue: root }));

var server = app.listen(Number(process.env.PORT || 3000), '127.0.0.1', function () {
  console.log('graphql listening on http://127.0.0.1:' + server.address().port);
});

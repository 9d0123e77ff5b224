'use strict';
// The wrappers apps write themselves (Express 4 does not catch a rejected handler's promise).
exports.catchAsync = (fn) => (req, res, next) => Promise.resolve(fn(req, res, next)).catch(next);
exports.asyncRoute = function asyncRoute(handler) {
  return async function (...args) {
    try {
      return await handler(...args);
    } catch (error) {
      args[2](error);
    }
  };
};
// not a wrapper of a handler: it calls `format` with arguments of its own and uses what it returns
exports.logger = (format) => (req, res, next) => {
  res.set('x-log', format('GET', req, res));
  next();
};
// it hands its arguments on, but to a synchronous function whose return value it uses
exports.page = (render) => (req, res, next) => res.send('<p>' + render(req, res, next) + '</p>');

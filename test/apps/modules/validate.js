'use strict';
// a validation middleware factory, as apps write it: the closure it returns captures the schema, which cannot
// travel (a schema's methods are its class's) and which the worker cannot make again (it is a value given at run time)
module.exports = function validate(schema) {
  return function validated(req, res, next) {
    const result = schema.safeParse(req.query);
    if (!result.success) return res.status(400).json({ issues: result.error.issues.map((i) => i.path.join('.')) });
    req.valid = result.data;
    next();
  };
};

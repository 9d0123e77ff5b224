// Simulates a Node that cannot honour fluxion's ES module hooks: module.register refuses fluxion's (and
// only fluxion's: the test runner's own loaders still register).
const Module = require('node:module');
const register = Module.register;
Module.register = function (specifier, ...rest) {
  if (String(specifier).includes('esm-hooks')) throw new Error('module hooks are not available here');
  return register.call(this, specifier, ...rest);
};

// Lint: eslint's recommended rules and typescript-eslint's for lib/; the tests and samples are CommonJS.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  // test/apps/bad-syntax, test/apps/esm/bad.mjs and test/apps/eval are wrong on purpose (syntax errors, `with`);
  // test/apps/tiers/app.js uses V8's natives syntax (`%GetOptimizationStatus`, run with --allow-natives-syntax).
  { ignores: ['dist/**', 'node_modules/**', 'test/fixtures/**', '.tap/**', 'test/apps/bad-syntax/**', 'test/apps/eval/**', 'test/apps/esm/bad.mjs', 'test/apps/mapped/*.js', 'test/apps/tiers/app.js'] },
  js.configs.recommended,
  {
    files: ['lib/**/*.ts'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    // express tells handlers apart by their arity: unused (req, res, next) parameters are meaningful
    rules: { 'no-unused-vars': ['error', { args: 'none' }] },
  },
  {
    files: ['**/*.mjs', 'test/apps/esm-type/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
);

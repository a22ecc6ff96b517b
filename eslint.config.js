// ESLint for the whole repository (flat config), run by `npm test` (tools/test.mjs) and by
// `npm run lint`: JavaScript's recommended rules and typescript-eslint's recommended set
// (syntax only, no type information, so it stays fast; `tsc` does the type checking), with the
// few choices below, each for a reason of this codebase.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'device/sim/lua-out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // Unused names are mistakes, except a deliberate `_name` and a catch binding: the firmware
      // is ES5, which has no optional catch binding, so chip code must write `catch (e)`.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `const self = this` is how a prom-client collect() callback (whose `this` is the metric)
      // or a simulated module's methods reach their owner; any other alias is a mistake.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      // A function longer than a screen does more than one thing: name its parts. Blank lines and
      // comments do not count; an IIFE is a module's scope (plain JS for the interpreter), not a
      // function to split, and its inner functions are still checked.
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // A source file over 400 lines holds more than one thing: split it, or say at its top why
    // it stays whole (`/* eslint max-lines: ['error', N] -- why */`), where a split would hurt
    // reading more than the length does.
    files: ['**/src/**/*.ts', '**/src/**/*.js', '**/src/**/*.mjs'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    files: ['**/*.ts'],
    // The compiler already resolves every name (and knows the Espruino globals the chip
    // tsconfig declares), which this rule cannot: typescript-eslint's own advice.
    rules: { 'no-undef': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests feed deliberately malformed values (wrong types, missing fields) through typed APIs,
    // and the decision core reads state and events that arrive unvalidated (from flash, a unit
    // or a legacy ESPHome update) and checks every field itself before use.
    files: [
      '**/*.test.ts',
      '**/test/**/*.ts',
      'shared/src/decision.ts',
      'shared/src/decision-subjects.ts',
      'shared/src/machine-state.ts',
      'shared/src/machine-outputs.ts',
      'shared/src/legacy-update.ts',
    ],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Code that runs on Espruino: it loads the interpreter's built-in modules (Wifi, http,
    // Storage, neopixel) with require().
    files: ['device/src/hal-espruino.ts', 'device/bench/tap-steps-entry.ts', 'device/test/interp/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Plain JavaScript the interpreter runs as it is: Espruino's globals.
    files: ['device/test/interp/**/*.js'],
    languageOptions: { globals: { E: 'readonly', I2C1: 'readonly', Modules: 'readonly', getTime: 'readonly', print: 'readonly', require: 'readonly' } },
  },
);

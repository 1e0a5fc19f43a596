// Tests run in band: they share one Temporal dev server and one Postgres database, and the
// machine has two cores. ts-jest only transpiles (type checking is `npm run typecheck`).
// content-disposition (under @fastify/static, under the /docs UI) ships ESM only; Node loads it
// with require(esm) but jest cannot, so that one package is transpiled to CommonJS here.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '/node_modules/content-disposition/.+\\.js$': ['ts-jest', { diagnostics: false, tsconfig: { allowJs: true, module: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

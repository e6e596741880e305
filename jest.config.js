// One `npx jest` runs every project. TypeScript is transformed by swc; `npm run typecheck` type-checks.
const swc = ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }];

const moduleNameMapper = {
  '^@spur/(sdk|collector|journeys|cli)$': '<rootDir>/packages/$1/src/index.ts',
  // The collector's settings table: a light entry of its own (`spur --help` loads nothing else).
  '^@spur/collector/settings$': '<rootDir>/packages/collector/src/settings.ts',
};

const base = (name, extra) => ({
  displayName: name,
  rootDir: __dirname,
  transform: { '^.+\\.(t|j)sx?$': swc },
  transformIgnorePatterns: ['/node_modules/(?!(idb-keyval)/)'],
  moduleNameMapper,
  testEnvironment: 'node',
  ...extra,
});

module.exports = {
  // One PostgreSQL server for the whole run (fsync off), stopped at the end; each test file that
  // needs it makes a database of its own (packages/collector/test/postgres/server.ts).
  globalSetup: '<rootDir>/packages/collector/test/postgres/global-setup.js',
  globalTeardown: '<rootDir>/packages/collector/test/postgres/global-teardown.js',
  projects: [
    base('sdk', {
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/packages/sdk/test'],
      // Chromium tests of the SDK run in the e2e project.
      testPathIgnorePatterns: ['/node_modules/', '/packages/sdk/test/chromium/'],
      setupFiles: ['<rootDir>/packages/sdk/test/setup.ts'],
    }),
    base('collector', {
      roots: ['<rootDir>/packages/collector/test'],
      // Browser clients run in the e2e project.
      testPathIgnorePatterns: ['/node_modules/', '\\.browser\\.test\\.ts$'],
    }),
    base('journeys', { roots: ['<rootDir>/packages/journeys/test'] }),
    base('cli', { roots: ['<rootDir>/packages/cli/test'] }),
    // The dashboard's modules without a browser; its tests in Chromium run in the e2e project.
    base('dashboard', { roots: ['<rootDir>/packages/dashboard/test'], testPathIgnorePatterns: ['/node_modules/', '\\.e2e\\.test\\.ts$'] }),
    base('e2e', {
      roots: ['<rootDir>/examples/shop/test', '<rootDir>/packages/sdk/test', '<rootDir>/packages/collector/test/clients', '<rootDir>/packages/dashboard/test'],
      testMatch: [
        '<rootDir>/examples/shop/test/**/*.test.ts',
        '<rootDir>/packages/dashboard/test/**/*.e2e.test.ts',
        '<rootDir>/packages/sdk/test/chromium/**/*.test.ts',
        '<rootDir>/packages/collector/test/clients/*.browser.test.ts',
      ],
      setupFilesAfterEnv: ['<rootDir>/scripts/jest-browser-timeout.js'],
    }),
  ],
  reporters: ['default', ['<rootDir>/scripts/jest-summary-reporter.js', { outputFile: 'test-results.json' }]],
};

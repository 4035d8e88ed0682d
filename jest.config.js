// Tests run from TypeScript sources (ts-jest, transpile only: `npm run build` is the type check),
// and @coxswain/* imports resolve to the packages' src so no build is needed before a test.
// Transpile-only comes from `isolatedModules` in tsconfig.jest.json (ts-jest 29.3+ deprecates the option here).
//
// Three projects, told apart by file name:
//   unit         packages/*/src/**/*.test.ts       no etcd, no Docker (startEtcd refuses to run here)
//   integration  packages/*/src/**/*.etcd.test.ts  a real etcd started by the harness; no Docker
//   e2e          e2e/src/**/*.test.ts              etcd and a Docker engine
const common = {
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  moduleNameMapper: { '^@coxswain/([a-z0-9-]+)$': '<rootDir>/packages/$1/src' },
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.etcd\\.test\\.ts$'],
      setupFiles: ['<rootDir>/packages/testing/src/unit-project-setup.ts'],
    },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/packages/*/src/**/*.etcd.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/e2e/src/**/*.test.ts'] },
  ],
};

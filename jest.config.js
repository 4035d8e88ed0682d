// Tests run from TypeScript sources (ts-jest, transpile only: `npm run build` is the type check),
// and @coxswain/* imports resolve to the packages' src so no build is needed before a test.
// Transpile-only comes from `isolatedModules` in tsconfig.jest.json (ts-jest 29.3+ deprecates the option here).
const common = {
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] },
  moduleNameMapper: { '^@coxswain/([a-z0-9-]+)$': '<rootDir>/packages/$1/src' },
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/e2e/src/**/*.test.ts'] },
  ],
};

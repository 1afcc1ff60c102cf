/** @type {import('jest').Config} */
const base = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", {}] },
};
module.exports = {
  projects: [
    {
      ...base,
      displayName: "fast",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/{unit,emulator,integration}/**/*.test.ts"],
    },
    {
      // Drive the real CLI, two suites at a time (see scripts/test.js). Each
      // stack has its own backend, PULUMI_HOME (so journal) and emulator port;
      // the one user project is installed before the workers start.
      ...base,
      displayName: "e2e",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/{e2e,reliability}/**/*.test.ts"],
      globalSetup: "<rootDir>/test/e2e/global-setup.ts",
    },
  ],
  testTimeout: 120_000,
};

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
      // Drive the real CLI; run in band (see scripts/test.js).
      ...base,
      displayName: "e2e",
      roots: ["<rootDir>/test"],
      testMatch: ["<rootDir>/test/{e2e,reliability}/**/*.test.ts"],
    },
  ],
  testTimeout: 120_000,
};

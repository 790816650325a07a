// Tests run through @swc/jest (TypeScript 7 has no JS API for ts-jest).
// `npm test` sets CDK_VALIDATION=false: the built-in policy validator costs
// seconds per synth; cdk-nag still runs in the synth-with-nag tests.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest'],
  },
  setupFilesAfterEnv: ['aws-cdk-lib/testhelpers/jest-autoclean'],
};

// The e2e project's tests drive real Chromium: 120 s per test and hook, not Jest's 5 s default.
// Jest reads `testTimeout` only from the root configuration, never from a project's, so the
// project sets it here (a test or hook may still give its own).
jest.setTimeout(120_000);

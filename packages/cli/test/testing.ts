// What daemon-level tests outside this package (integration/) import as @convoy/cli/testing:
// the in-process CLI and a real daemon. Resolved from source only (the @convoy/source condition);
// never built or published.
export * from './cli-harness.js';
export * from './daemon-process.js';

// Scratch directories live in @convoy/core/testing, so core's own tests need no other package;
// every other package's tests take them from here, beside the rest of the shared test support.
export { tempDir, tempDirFactory } from '@convoy/core/testing';

// What tests of schedules need: a clock that moves only when the test says.
export * from './fake-clock.js';

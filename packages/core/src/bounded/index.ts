/** The bounded parsers: every duration, size, count and span a user gives, each with its range (ranges.ts). */
export * from './ranges.js';
export * from './duration.js';
export * from './size.js';
export * from './count.js';
export * from './calendar-span.js';

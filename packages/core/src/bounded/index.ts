/** The bounded inputs: every duration, size, count, percentage and span a user gives, each with its range (ranges.ts), and files read from user-supplied paths with a size bound (file.ts). */

export * from './calendar-span.js';
export * from './count.js';
export * from './duration.js';
export * from './file.js';
export * from './percent.js';
export * from './ranges.js';
export * from './size.js';

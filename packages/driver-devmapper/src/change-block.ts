/**
 * The granularity of what this driver reports: changed extents (from thin_delta), restore and
 * standby writes, and volume sizes are multiples of it. 2 MiB is Go Convoy's devmapper backup
 * block, so Go Convoy's stores and the engine's default block size line up with it; the engine
 * accepts any backup block size that divides it (64 KiB to 2 MiB). The driver's own rule, kept
 * here so the driver needs nothing but `@convoy/core` to install.
 */
export const CHANGE_BLOCK_SIZE = 2 * 1024 * 1024;

/** The volume verbs sit at the top level (`convoy create`, not `convoy volume create`), as in Go Convoy; in help order. */
import type { Command } from '../command-module.js';
import { create } from './create.js';
import { deleteVolumes } from './delete.js';
import { inspect } from './inspect.js';
import { list } from './list.js';
import { mount } from './mount.js';
import { resize } from './resize.js';
import { umount } from './umount.js';

export const volumeCommands: readonly Command[] = [create, deleteVolumes, resize, mount, umount, list, inspect];

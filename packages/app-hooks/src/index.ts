/** Container hooks around Convoy snapshots: labels, the Docker Engine client they need, and the runner the manager is given. */

export { ContainerHookRunner, type ContainerHookRunnerOptions } from './container-hooks.js';
export { type ContainerMount, DockerEngine, type ExecResult, ExecTimeout, type RunningContainer } from './docker-engine.js';
export { type ContainerHookSpec, HOOK_LABELS, type HookDefaults, hookSpecOf, type OnHookError } from './hook-labels.js';
export { MAX_HOOK_TEXT, MAX_HOOK_WORDS, splitHookWords } from './hook-words.js';

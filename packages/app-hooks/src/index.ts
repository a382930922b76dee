/** Container hooks around Convoy snapshots: labels, the Docker Engine client they need, and the runner the manager is given. */
export { DockerEngine, ExecTimeout, type ContainerMount, type RunningContainer, type ExecResult } from './docker-engine.js';
export { HOOK_LABELS, hookSpecOf, type ContainerHookSpec, type HookDefaults, type OnHookError } from './hook-labels.js';
export { splitHookWords, MAX_HOOK_TEXT, MAX_HOOK_WORDS } from './hook-words.js';
export { ContainerHookRunner, type ContainerHookRunnerOptions } from './container-hooks.js';

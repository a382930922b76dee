import { ConvoyError, parseDuration } from '@convoy/core';
import { splitHookWords } from './hook-words.js';

/**
 * The container labels that declare snapshot hooks (as Velero's pod annotations do), and the
 * one place that reads them. A container with neither hook label takes no part.
 */
export const HOOK_LABELS = {
  pre: 'io.convoy.hooks.pre-snapshot',
  post: 'io.convoy.hooks.post-snapshot',
  timeout: 'io.convoy.hooks.timeout',
  onError: 'io.convoy.hooks.on-error',
} as const;

export type OnHookError = 'fail' | 'continue';

export interface ContainerHookSpec {
  pre?: string[];
  post?: string[];
  /** Per hook. */
  timeoutMs: number;
  onError: OnHookError;
}

export interface HookDefaults {
  timeoutMs: number;
  onError: OnHookError;
}

/** undefined when the container declares no hook; INVALID_ARGUMENT naming the label for a malformed one. `defaults`: the daemon's. */
export function hookSpecOf(labels: Readonly<Record<string, string>>, defaults: HookDefaults): ContainerHookSpec | undefined {
  const preText = labels[HOOK_LABELS.pre];
  const postText = labels[HOOK_LABELS.post];
  if (preText === undefined && postText === undefined) return undefined;
  const timeoutText = labels[HOOK_LABELS.timeout];
  const onErrorText = labels[HOOK_LABELS.onError];
  if (onErrorText !== undefined && onErrorText !== 'fail' && onErrorText !== 'continue') {
    throw new ConvoyError('INVALID_ARGUMENT', `label ${HOOK_LABELS.onError} is ${JSON.stringify(onErrorText.slice(0, 64))}; write fail or continue`, {
      details: { label: HOOK_LABELS.onError },
    });
  }
  return {
    ...(preText === undefined ? {} : { pre: splitHookWords(preText, HOOK_LABELS.pre) }),
    ...(postText === undefined ? {} : { post: splitHookWords(postText, HOOK_LABELS.post) }),
    timeoutMs: timeoutText === undefined ? defaults.timeoutMs : parseDuration(timeoutText, `label ${HOOK_LABELS.timeout}`, 'hookTimeout'),
    onError: onErrorText ?? defaults.onError,
  };
}

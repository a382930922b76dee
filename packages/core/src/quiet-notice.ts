/**
 * Runs `work` with Node's process warnings whose text starts with `notice` left unprinted, the
 * rest printed as usual. For a dependency's one-time notice, emitted synchronously, that a user of
 * Convoy cannot act on (an experimental loader flag the release executable sets on purpose, the
 * SDK's Node version plans for releases Convoy's lockfile does not use). The process's settings
 * are left as they were: nothing global is switched off.
 */
export function withoutNotice<T>(notice: string, work: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    if (!String(warning instanceof Error ? warning.message : warning).startsWith(notice))
      (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    return work();
  } finally {
    process.emitWarning = emitWarning;
  }
}

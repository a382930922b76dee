import { ConvoyError } from '@convoy/core/lite';

/**
 * The CLI always asks for Go's verbose answer (the record, not the bare name) and prints the
 * bare name itself when Go's client would have; a daemon that answers bare anyway is a bug.
 */
export function verboseAnswer<T extends object>(answer: string | T | void): T {
  if (typeof answer !== 'object') throw new ConvoyError('INTERNAL', `the daemon answered ${JSON.stringify(answer)} where a verbose record was asked for`);
  return answer;
}

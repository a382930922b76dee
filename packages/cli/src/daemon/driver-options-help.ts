import { type DriverDefinition, describeOptions } from '@convoy/core';
import devmapper from '@convoy/driver-devmapper';
import vfs from '@convoy/driver-vfs';

/**
 * The built-in drivers' `--driver-opts`, from their definitions (third-party ones: `convoy info`).
 * Its own module, imported only for `convoy daemon --help`: it loads the drivers, which client
 * commands must never pay for.
 */
export function driverOptionsHelp(definitions: readonly DriverDefinition[] = [vfs, devmapper]): string {
  return definitions
    .map((def) => [`Driver ${def.name} (--drivers ${def.name}) reads:`, ...describeOptions(def.options).map((line) => `  ${line}`)].join('\n'))
    .join('\n\n');
}

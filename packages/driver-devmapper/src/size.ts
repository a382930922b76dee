const BINARY_UNITS = ['', 'k', 'm', 'g', 't', 'p'];

/** `2 MiB`, `100 GiB`, `512 B`: for messages, exact when the size is a whole unit. */
export function describeBytes(bytes: number): string {
  let exponent = 0;
  while (exponent < BINARY_UNITS.length - 1 && bytes >= 1024 ** (exponent + 1) && bytes % 1024 ** (exponent + 1) === 0) exponent++;
  return exponent === 0 ? `${bytes} B` : `${bytes / 1024 ** exponent} ${BINARY_UNITS[exponent]?.toUpperCase()}iB`;
}

import path from 'node:path';
import { invalidArgument } from './status.js';

/**
 * Staging and target paths come from the kubelet, always under its directory
 * (/var/lib/kubelet/plugins/... and /var/lib/kubelet/pods/...). Anything else (a relative
 * path, `..`, /etc) is refused before a mount can land there.
 */
export function requireKubeletPath(kubeletDir: string, value: string | undefined | null, field: string): string {
  if (!value) throw invalidArgument(`${field} is required`);
  if (!path.isAbsolute(value) || value.includes('\0') || path.normalize(value) !== value.replace(/\/+$/, '')) {
    throw invalidArgument(`${field} ${JSON.stringify(value)} must be an absolute, normalised path`);
  }
  const normalized = path.normalize(value).replace(/\/+$/, '');
  if (!normalized.startsWith(kubeletDir.replace(/\/+$/, '') + '/')) {
    throw invalidArgument(`${field} ${JSON.stringify(value)} is outside the kubelet directory ${kubeletDir} (see --csi-kubelet-dir)`);
  }
  return normalized;
}

import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { extractTarSafely } from '../archive/extract-tar.js';
import { packDirectory } from '../archive/pack-directory.js';
import type { SingleFileBackupOps } from '../driver.js';

/**
 * Directory volumes with the real archive helpers, as a vfs-like driver uses them: snapshots are
 * `<base>/snapshots/<name>`, restored volumes land in `<base>/volumes/<name>` (via `incoming/`,
 * removed when an import fails). `exportOverride` replaces the exported archive (fault tests).
 */
export function directoryOps(base: string, exportOverride?: () => Readable): SingleFileBackupOps {
  return {
    mode: 'single-file',
    exportSnapshot: async (_volume, snapshot) => exportOverride?.() ?? packDirectory(path.join(base, 'snapshots', snapshot)),
    importVolume: async (req, archive) => {
      const incoming = path.join(base, 'incoming', req.name);
      try {
        await extractTarSafely(archive, incoming);
      } catch (err) {
        await rm(incoming, { recursive: true, force: true });
        throw err;
      }
      await mkdir(path.join(base, 'volumes'), { recursive: true });
      await rename(incoming, path.join(base, 'volumes', req.name));
      return { name: req.name, driver: 'dir', size: 0, createdAt: new Date().toISOString(), snapshots: [], driverInfo: {} };
    },
  };
}

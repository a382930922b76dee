import { describe, expect, it } from 'vitest';
import { createParamsFromDockerOpts } from './docker-opts.js';

describe('docker -o options', () => {
  it('maps a restore of a backup URL, leaving the key to the daemon', () => {
    expect(createParamsFromDockerOpts('db', { backup: 'vfs:///b?backup=backup-0123456789abcdef&volume=db', size: '1g' })).toEqual({
      name: 'db',
      backupUrl: 'vfs:///b?backup=backup-0123456789abcdef&volume=db',
      size: 1024 ** 3,
    });
  });

  it('maps standby=true onto a standby restore, and refuses anything but true or false', () => {
    expect(createParamsFromDockerOpts('dr', { backup: 'vfs:///b?backup=backup-0123456789abcdef&volume=db', standby: 'true' })).toMatchObject({ standby: true });
    expect(createParamsFromDockerOpts('dr', { standby: 'false' })).toEqual({ name: 'dr' });
    expect(() => createParamsFromDockerOpts('dr', { standby: 'yes' })).toThrow(/option standby must be true or false/);
  });

  it('refuses a key or passphrase as an option, which docker volume inspect would show', () => {
    for (const key of ['encryption-key', 'encryption-passphrase', 'passphrase', 'encryption-key-file']) {
      expect(() => createParamsFromDockerOpts('db', { [key]: 'secret' })).toThrow(/--encryption-key-file/);
    }
  });
});

#!/usr/bin/env python3
"""Writes a small backup store in Convoy v0.5's exact format, independently of the TypeScript code.

It mirrors what Convoy's Go code wrote (objectstore/*.go, util/util.go in rancher/convoy v0.5):
- layout convoy-objectstore/volumes/<n[0:2]>/<n[2:4]>/<n>/ (names under 4 characters padded with '!');
- volume.cfg and backups/backup_<b>.cfg as compact json.Marshal output, Go field order, no
  CompressionMethod (so gzip), RubyDate timestamps in the writer's local zone;
- 2 MiB blocks named by SHA-512 hex cut to 64 characters, each gzip-compressed as Go's
  compress/gzip writes it (no name, mtime 0, OS byte 255);
- every backup record holding the whole block map (merged by offset with the previous one);
- vfs single-file backups: BackupFiles/<b>.bak, a tar.gz of the volume directory (`tar cf -C dir .`).

Run it from anywhere: python3 generate.py. It rewrites store/ and expected.json beside it, byte
for byte the same on every run.
"""
import hashlib
import io
import json
import os
import shutil
import struct
import tarfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
STORE = os.path.join(HERE, 'store')
BLOCK = 2 * 1024 * 1024
MiB = 1024 * 1024


def go_json(value):
    return json.dumps(value, separators=(',', ':'), ensure_ascii=False).encode()


def go_gzip(data):
    deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = deflate.compress(data) + deflate.flush()
    header = b'\x1f\x8b\x08\x00' + b'\x00\x00\x00\x00' + b'\x00\xff'
    return header + body + struct.pack('<II', zlib.crc32(data) & 0xffffffff, len(data) & 0xffffffff)


def checksum(data):
    return hashlib.sha512(data).hexdigest()[:64]


def volume_dir(name):
    padded = name.ljust(4, '!')
    return os.path.join('convoy-objectstore', 'volumes', padded[0:2], padded[2:4], padded)


def write(key, data):
    path = os.path.join(STORE, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)


def block(label):
    """2 MiB that compress well, different for every label (a pattern plus sprinkled digests)."""
    pattern = (f'convoy fixture block {label} '.encode() * 64)[:4096]
    data = bytearray((pattern * (BLOCK // len(pattern) + 1))[:BLOCK])
    seed = hashlib.sha256(label.encode()).digest()
    for i in range(0, BLOCK, 65536):
        seed = hashlib.sha256(seed).digest()
        data[i:i + 32] = seed
    return bytes(data)


def delta_volume(name, driver, size, created, backups):
    """backups: list of (backup name, snapshot, snapshot time, backup time, {offset: label}) in order."""
    vdir = volume_dir(name)
    image = bytearray(size)
    block_map = {}
    expected = []
    for backup_name, snapshot, snap_time, created_time, changes in backups:
        for offset, label in sorted(changes.items()):
            data = block(label) if label else bytes(BLOCK)
            c = checksum(data)
            write(os.path.join(vdir, 'blocks', c[0:2], c[2:4], c + '.blk'), go_gzip(data))
            block_map[offset] = c
            image[offset:offset + BLOCK] = data
        record = {
            'Name': backup_name, 'Driver': '', 'VolumeName': name, 'SnapshotName': snapshot,
            'SnapshotCreatedAt': snap_time, 'CreatedTime': created_time,
            'Blocks': [{'Offset': o, 'BlockChecksum': block_map[o]} for o in sorted(block_map)],
            'SingleFile': {'FilePath': ''},
        }
        write(os.path.join(vdir, 'backups', f'backup_{backup_name}.cfg'), go_json(record))
        expected.append({'volume': name, 'backup': backup_name, 'driver': driver, 'size': size,
                         'blocks': len(block_map), 'sha256': hashlib.sha256(bytes(image)).hexdigest()})
    write(os.path.join(vdir, 'volume.cfg'), go_json({
        'Name': name, 'Driver': driver, 'Size': size, 'CreatedTime': created, 'LastBackupName': backups[-1][0]}))
    return expected


def single_file_volume(name, backup_name, snapshot, snap_time, created_time, files):
    vdir = volume_dir(name)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode='w', format=tarfile.GNU_FORMAT) as tar:
        def add(member, content=None):
            member.mtime = 1136239445
            member.uname = member.gname = 'root'
            tar.addfile(member, io.BytesIO(content) if content is not None else None)
        root = tarfile.TarInfo('./')
        root.type, root.mode = tarfile.DIRTYPE, 0o755
        add(root)
        for path, content in files.items():
            parent = os.path.dirname(path)
            if parent and parent + '/' not in tar.getnames():
                d = tarfile.TarInfo('./' + parent + '/')
                d.type, d.mode = tarfile.DIRTYPE, 0o755
                add(d)
            f = tarfile.TarInfo('./' + path)
            f.size, f.mode = len(content), 0o644
            add(f, content)
    file_path = os.path.join(vdir, 'BackupFiles', backup_name + '.bak')
    write(file_path, go_gzip(raw.getvalue()))
    write(os.path.join(vdir, 'backups', f'backup_{backup_name}.cfg'), go_json({
        'Name': backup_name, 'Driver': '', 'VolumeName': name, 'SnapshotName': snapshot,
        'SnapshotCreatedAt': snap_time, 'CreatedTime': created_time, 'SingleFile': {'FilePath': file_path}}))
    write(os.path.join(vdir, 'volume.cfg'), go_json({
        'Name': name, 'Driver': 'vfs', 'Size': 0, 'CreatedTime': created_time, 'LastBackupName': ''}))
    return {'volume': name, 'backup': backup_name, 'driver': 'vfs',
            'files': {p: hashlib.sha256(c).hexdigest() for p, c in files.items()}}


def main():
    shutil.rmtree(STORE, ignore_errors=True)
    delta = []
    # An incremental chain: block 2 changes and block 6 appears; backup 2's record holds all three.
    delta += delta_volume('vol1', 'devicemapper', 8 * MiB, 'Mon Jan 02 15:04:05 -0700 2006', [
        ('backup-5f0c1e2d3a4b5c6d', 'snap-a', 'Mon Jan 02 15:10:00 -0700 2006', 'Mon Jan 02 15:10:07 -0700 2006',
         {0: 'vol1-a0', 2 * MiB: 'vol1-a2'}),
        ('backup-7e8f9a0b1c2d3e4f', 'snap-b', 'Tue Jan 03 09:00:00 -0700 2006', 'Tue Jan 03 09:00:03 -0700 2006',
         {2 * MiB: 'vol1-b2', 6 * MiB: 'vol1-b6'}),
    ])
    # A short name (padded to db!!), a block stored once for two offsets, and a zero block.
    delta += delta_volume('db', 'devicemapper', 6 * MiB, 'Wed Jan 04 08:00:00 +0100 2006', [
        ('backup-0011223344556677', 'db-snap', 'Wed Jan 04 08:30:00 +0100 2006', 'Wed Jan 04 08:30:02 +0100 2006',
         {0: 'db-same', 2 * MiB: 'db-same', 4 * MiB: None}),
    ])
    single = [single_file_volume('web', 'backup-8899aabbccddeeff', 'web-snap', 'Thu Jan 05 10:00:00 +0000 2006',
                                 'Thu Jan 05 10:00:01 +0000 2006',
                                 {'index.html': b'<h1>restored from Convoy v0.5</h1>\n', 'assets/app.js': b'console.log("convoy");\n'})]
    with open(os.path.join(HERE, 'expected.json'), 'w') as f:
        json.dump({'deltaBlock': delta, 'singleFile': single}, f, indent=2)
        f.write('\n')


if __name__ == '__main__':
    main()

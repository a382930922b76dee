// One s3rver, the S3 server both Convoy and restic store into, run as its own process so its
// CPU and memory are not counted against either client. It listens on 127.0.0.1 over https
// (restic needs TLS to s3rver: over http minio-go's streaming signature framing gets stored as
// object data; Convoy uses https too, so both pay the same TLS work). It counts the requests it
// serves, by method, and the bytes on the wire (TLS included: what a client sends and receives
// over the network) at its TCP sockets, and answers `stats` / `reset` messages over IPC. A
// client behind the latency proxy is counted the same way. Start it with
// --openssl-legacy-provider (s3rver encrypts list continuation tokens with DES).
import { readFileSync } from 'node:fs';
import S3rver from 's3rver';

const { directory, keyFile, certFile, bucket } = JSON.parse(process.argv[2]);
const [key, cert] = [readFileSync(keyFile), readFileSync(certFile)];
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, key, cert, configureBuckets: [{ name: bucket }] });
const httpsServer = await server.run().then(() => server.httpServer);

let counts = {};
const count = (req) => {
  counts[req.method] = (counts[req.method] ?? 0) + 1;
};
httpsServer.on('request', count);

// Wire bytes: those of closed connections, plus the open ones' so far, less what was counted
// at the last reset.
const open = new Set();
const closed = { received: 0, sent: 0 };
httpsServer.on('connection', (socket) => {
  open.add(socket);
  socket.once('close', () => {
    open.delete(socket);
    closed.received += socket.bytesRead;
    closed.sent += socket.bytesWritten;
  });
});
const wire = () => {
  const total = { ...closed };
  for (const socket of open) {
    total.received += socket.bytesRead;
    total.sent += socket.bytesWritten;
  }
  return total;
};
let base = wire();

process.on('message', (msg) => {
  if (msg === 'stats') {
    const now = wire();
    process.send({ stats: counts, bytes: { received: now.received - base.received, sent: now.sent - base.sent } });
  }
  if (msg === 'reset') {
    counts = {};
    base = wire();
    process.send({ reset: true });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true, httpsPort: httpsServer.address().port });

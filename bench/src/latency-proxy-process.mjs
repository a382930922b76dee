// The latency proxy of the bench's remote-S3 case, as its own process so its CPU is counted
// against neither client: a TCP proxy on 127.0.0.1 in front of s3rver that holds every chunk
// `delayMs` before passing it on, in each direction, so a request and its response each pay the
// one-way delay, as over a network to a remote S3 (a 20 ms each way default is a round trip of
// 40 ms). It forwards bytes as they are (both tools speak TLS to s3rver through it), so it cannot
// count requests; s3rver does. Memory is bounded: a direction holding more than HIGH_WATER
// bytes pauses its source until the delayed bytes have gone out. It exits when the bench
// disconnects, ending every connection.
import net from 'node:net';

const HIGH_WATER = 16 * 1024 * 1024;
const { targetPort, delayMs } = JSON.parse(process.argv[2]);
const sockets = new Set();

/** Bytes from `from` reach `to` `delayMs` after they arrived, in order. */
function delayed(from, to) {
  let queued = 0;
  from.on('data', (chunk) => {
    queued += chunk.length;
    if (queued > HIGH_WATER) from.pause();
    setTimeout(() => {
      queued -= chunk.length;
      if (!to.destroyed) to.write(chunk);
      if (queued <= HIGH_WATER && from.isPaused()) from.resume();
    }, delayMs);
  });
  // The end (FIN) follows the last bytes, after the same delay.
  from.on('end', () => setTimeout(() => to.end(), delayMs));
}

const server = net.createServer((client) => {
  const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
  for (const s of [client, upstream]) {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  }
  delayed(client, upstream);
  delayed(upstream, client);
  const fail = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', fail);
  upstream.on('error', fail);
});

server.listen(0, '127.0.0.1', () => process.send({ ready: true, port: server.address().port }));
process.on('disconnect', () => {
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
});

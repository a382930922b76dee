// A real gRPC client for the CSI services, for the tests of any package that serves or drives
// CSI (this one, the daemon's, a third-party driver's): exported as @convoy/csi-server/testing.
import * as grpc from '@grpc/grpc-js';
import { loadCsiServices } from '../proto.js';

type Call = (request: Record<string, unknown>) => Promise<any>;

/** A real gRPC client for one CSI service, with each call as a promise. */
export type CsiServiceClient = Record<string, Call> & { close(): void };

export interface CsiClients {
  identity: CsiServiceClient;
  controller: CsiServiceClient;
  node: CsiServiceClient;
  snapshotMetadata: grpc.Client & Record<string, (req: Record<string, unknown>) => grpc.ClientReadableStream<any>>;
  close(): void;
}

/** Clients for the CSI services on a unix socket, built from the same vendored csi.proto. */
export function csiClients(socketPath: string): CsiClients {
  const services = loadCsiServices();
  const address = `unix://${socketPath}`;
  const credentials = grpc.credentials.createInsecure();
  const promisified = (Ctor: grpc.ServiceClientConstructor): CsiServiceClient => {
    const client = new Ctor(address, credentials) as unknown as Record<string, Function> & grpc.Client;
    const out: Record<string, unknown> = { close: () => client.close() };
    for (const name of Object.keys(Ctor.service)) {
      out[name] = (request: Record<string, unknown>) =>
        new Promise((resolve, reject) => client[name]!.call(client, request, (err: unknown, response: unknown) => (err ? reject(err) : resolve(response))));
    }
    return out as CsiServiceClient;
  };
  const identity = promisified(services.Identity);
  const controller = promisified(services.Controller);
  const node = promisified(services.Node);
  const snapshotMetadata = new services.SnapshotMetadata(address, credentials) as CsiClients['snapshotMetadata'];
  return {
    identity,
    controller,
    node,
    snapshotMetadata,
    close: () => {
      identity.close();
      controller.close();
      node.close();
      snapshotMetadata.close();
    },
  };
}

/** The gRPC status code a rejected call carried. */
export function grpcCode(err: unknown): number | undefined {
  return (err as { code?: number }).code;
}

/** Every message of a server stream, or the stream's error. */
export function collectStream<T>(stream: grpc.ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const messages: T[] = [];
    stream.on('data', (m: T) => messages.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(messages));
  });
}

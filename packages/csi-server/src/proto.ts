import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The vendored CSI v1.10.0 spec (see proto/ORIGIN.md); beside this module in src/ and in dist/. */
export const CSI_PROTO_PATH = path.join(import.meta.dirname, 'proto', 'csi.proto');

/**
 * Loader settings shared by the server and the test clients: field names as the spec writes
 * them (`volume_id`), 64-bit integers as JS numbers (every size Convoy handles is below 2^53),
 * enums as their names, absent fields filled with defaults, and `oneofs` so a capability says
 * which access type it carries.
 */
export const CSI_LOADER_OPTIONS: protoLoader.Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

/**
 * The server decodes 64-bit integers as decimal strings instead: a size beyond 2^53 must be
 * refused naming the exact number asked for, which a float has already rounded (see int64.ts).
 */
const CSI_SERVER_LOADER_OPTIONS: protoLoader.Options = { ...CSI_LOADER_OPTIONS, longs: String };

type ServiceConstructor = grpc.ServiceClientConstructor;

export interface CsiServices {
  Identity: ServiceConstructor;
  Controller: ServiceConstructor;
  Node: ServiceConstructor;
  SnapshotMetadata: ServiceConstructor;
}

const loaded = new Map<'client' | 'server', CsiServices>();

/** The four CSI services' definitions (and client constructors), loaded once per process and side. */
export function loadCsiServices(side: 'client' | 'server' = 'client'): CsiServices {
  const known = loaded.get(side);
  if (known) return known;
  const definition = protoLoader.loadSync(CSI_PROTO_PATH, side === 'server' ? CSI_SERVER_LOADER_OPTIONS : CSI_LOADER_OPTIONS);
  const root = grpc.loadPackageDefinition(definition) as unknown as { csi: { v1: Record<string, ServiceConstructor> } };
  const v1 = root.csi.v1;
  const pick = (name: string): ServiceConstructor => {
    const service = v1[name];
    if (!service) throw new Error(`csi.proto defines no service ${name}`);
    return service;
  };
  const services = { Identity: pick('Identity'), Controller: pick('Controller'), Node: pick('Node'), SnapshotMetadata: pick('SnapshotMetadata') };
  loaded.set(side, services);
  return services;
}

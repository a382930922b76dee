import type * as grpc from '@grpc/grpc-js';

/**
 * How this plugin writes a CSI service: a table with every RPC the generated service types name
 * (src/generated, from the vendored csi.proto), each a promise-returning handler of the request
 * as proto-loader delivers it, or NOT_IMPLEMENTED. A missing or misspelt RPC, or a handler whose
 * request or answer does not match csi.proto, fails to compile instead of surfacing at run time
 * as UNIMPLEMENTED.
 */
export const NOT_IMPLEMENTED = Symbol('not implemented');

/** A unary RPC as a promise: the request as delivered (`__Output`), the answer as sent. */
export type UnaryHandler<H> = H extends grpc.handleUnaryCall<infer Request, infer Response> ? (request: Request) => Promise<Response> : never;

/** Every named RPC of a generated `…Handlers` interface (its string index signature left out). */
export type HandlerTable<S> = { [K in keyof S as string extends K ? never : K]: UnaryHandler<S[K]> | typeof NOT_IMPLEMENTED };

/** Some RPCs of a service, for the modules that each implement a part of one (volumes, snapshots). */
export type PartialHandlerTable<S> = Partial<HandlerTable<S>>;

// Why this exists: an https request handed a Buffer body whole is sealed whole. Node's TLS layer
// encrypts the entire body at once and holds the ciphertext (16 MiB per pack) in native memory
// until the socket has taken it, besides the plaintext: the largest share of the S3 store's
// peak RSS. Sent as a stream of slices under the socket's back-pressure, about one slice is
// sealed at a time. Done per attempt in the handler, after signing, so the SDK's retries send
// the same bytes again.
import { Readable } from 'node:stream';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** Bytes of a request body handed to the socket at once. */
export const BODY_SLICE_BYTES = 1024 * 1024;

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];

/** A readable stream of `body`'s bytes, `sliceBytes` at a time, as the consumer asks for them. */
export function slicedBody(body: Uint8Array, sliceBytes = BODY_SLICE_BYTES): Readable {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let at = 0;
  return new Readable({
    read() {
      if (at >= bytes.length) {
        this.push(null);
        return;
      }
      const end = Math.min(at + sliceBytes, bytes.length);
      this.push(bytes.subarray(at, end));
      at = end;
    },
  });
}

/** NodeHttpHandler sending every body larger than a slice as slices; everything else as it does. */
export class SlicedBodyHttpHandler extends NodeHttpHandler {
  override handle(request: HttpRequest, options?: Parameters<NodeHttpHandler['handle']>[1]): ReturnType<NodeHttpHandler['handle']> {
    const { body } = request;
    if (!(body instanceof Uint8Array) || body.byteLength <= BODY_SLICE_BYTES) return super.handle(request, options);
    // A copy of the request for this attempt only: the SDK retries with the original, Buffer and all.
    return super.handle({ ...request, body: slicedBody(body) } as HttpRequest, options);
  }
}

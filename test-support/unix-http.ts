import http from 'node:http';

export interface RawResponse {
  status: number;
  contentType: string;
  text: string;
  json(): unknown;
}

/**
 * One HTTP request over a unix socket with exactly the bytes given: no Content-Type unless
 * asked for, as dockerd sends it. Tests use it to speak to the server the way real clients do.
 */
export function rawRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath,
        method,
        path,
        headers: { ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A Docker plugin call: POST, JSON body, no Content-Type, parsed answer. */
export async function dockerCall(socketPath: string, endpoint: string, body: unknown = {}): Promise<Record<string, unknown>> {
  const res = await rawRequest(socketPath, 'POST', endpoint, JSON.stringify(body) + '\n', { accept: 'application/vnd.docker.plugins.v1.2+json' });
  if (res.status !== 200) throw new Error(`${endpoint} answered HTTP ${res.status}: ${res.text}`);
  return res.json() as Record<string, unknown>;
}

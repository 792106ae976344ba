// Socket-facing helpers of the API server: reading a request body under a size cap, decoding it
// by content type (JSON or YAML), and writing JSON or Status responses. Nothing here decides
// what a request means.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORE_SCHEMA, load as loadYaml } from 'js-yaml';
import { ApiError, badRequest, StatusReason, unsupportedMediaType } from './errors';
import { decodeProtobufObject } from './protobuf';

/** Request bodies larger than this are refused with 413 (Kubernetes allows 3 MiB). */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const tooLarge = (): ApiError =>
  new ApiError(413, StatusReason.RequestEntityTooLarge, `the request body is larger than ${MAX_BODY_BYTES} bytes`);

/** Reads the whole body; refuses (without buffering further) once it passes `limit` bytes. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: ApiError): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      if (err) { req.resume(); reject(err); } else resolve(Buffer.concat(chunks, size));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) finish(tooLarge());
      else chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => finish());
    req.once('error', () => finish(badRequest('the request body could not be read')));
    req.once('close', () => finish(badRequest('the client closed the connection before sending the whole body')));
  });
}

/** The media type of a header value without parameters, lower-cased ('' when absent). */
export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

export type BodyFormat = 'json' | 'yaml' | 'protobuf';

/** How a create/update body of this media type is decoded, or a 415. */
export function objectBodyFormat(type: string): BodyFormat {
  if (type === '' || type === 'application/json' || type === '*/*') return 'json';
  if (type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml') return 'yaml';
  if (type === 'application/vnd.kubernetes.protobuf') return 'protobuf';
  throw unsupportedMediaType(`the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${JSON.stringify(type)})`);
}

/** Nesting and node-count limits on decoded bodies (YAML aliases can expand a small body). */
const MAX_DEPTH = 100;
const MAX_NODES = 1_000_000;

function checkShape(value: unknown): void {
  let nodes = 0;
  const stack: Array<{ v: unknown; depth: number }> = [{ v: value, depth: 0 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop() as { v: unknown; depth: number };
    if (++nodes > MAX_NODES) throw badRequest(`the request body has more than ${MAX_NODES} values`);
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= MAX_DEPTH) throw badRequest(`the request body is nested deeper than ${MAX_DEPTH} levels`);
    for (const child of Object.values(v)) stack.push({ v: child, depth: depth + 1 });
  }
}

/** Parses a body as JSON, YAML (a YAML document may also be JSON) or Kubernetes protobuf, or a 400. */
export function decodeBody(body: Buffer, format: BodyFormat): unknown {
  if (format === 'protobuf') {
    const decoded = decodeProtobufObject(body);
    checkShape(decoded);
    return decoded;
  }
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  let value: unknown;
  try {
    value = format === 'json' ? JSON.parse(text) : loadYaml(text, { schema: CORE_SCHEMA, json: true });
  } catch (err) {
    throw badRequest(`the request body could not be decoded as ${format.toUpperCase()}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  checkShape(value);
  return value;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': String(data.length), 'Cache-Control': 'no-cache, private' });
  res.end(data);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (err.code === 401) headers['WWW-Authenticate'] = 'Bearer realm="ambit"';
  if (err.code === 413) headers.Connection = 'close';
  sendJson(res, err.code, err.toStatus(), headers);
}

/** The `Warning` header values for warnings (RFC 7234 code 299, as Kubernetes sends them). */
export function warningHeaders(warnings: readonly string[]): string[] {
  return warnings.map((w) => `299 - ${JSON.stringify(w)}`);
}

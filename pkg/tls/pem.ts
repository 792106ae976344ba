// PEM helpers: split a bundle into single certificates, convert between PEM and DER.

import { ErrorCode, MeshError } from '../errors/mesh-error';

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n]+?)-----END \1-----/g;

export interface PemBlock {
  readonly label: string;
  readonly der: Buffer;
}

/** Every PEM block in `text`, in order. Text between blocks is ignored. */
export function pemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    out.push({ label: m[1] as string, der: Buffer.from((m[2] as string).replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

export function derToPem(der: Buffer | Uint8Array | ArrayBuffer, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Splits a certificate bundle into one PEM string per certificate (each ending in a newline). */
export function splitPemCertificates(text: string): string[] {
  return pemBlocks(text).filter((b) => b.label === 'CERTIFICATE').map((b) => derToPem(b.der));
}

/** The DER of the single block with `label`; throws InvalidArgument when there is not exactly one. */
export function pemToDer(pem: string, label = 'CERTIFICATE'): Buffer {
  const blocks = pemBlocks(pem).filter((b) => b.label === label);
  if (blocks.length !== 1) {
    throw new MeshError(ErrorCode.InvalidArgument, `expected exactly one PEM "${label}" block, found ${blocks.length}`);
  }
  return (blocks[0] as PemBlock).der;
}

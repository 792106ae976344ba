// Tests for the API server PKI: certificates node:tls serves and clients trust via the CA only.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createServer, request, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCa, issueClientCert, issueServerCert, type PemPair } from './pki';

interface Served { port: number; close: () => Promise<void>; clientCn: () => string | undefined }

async function serve(cert: PemPair, clientCa?: string): Promise<Served> {
  let clientCn: string | undefined;
  const server = createServer(
    { key: cert.keyPem, cert: cert.certPem, ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}) },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      clientCn = peer && typeof peer.subject?.CN === 'string' ? peer.subject.CN : undefined;
      res.end('ok');
    });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    clientCn: () => clientCn,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

function get(options: RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ method: 'GET', path: '/', agent: false, ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

test('a server certificate is trusted through its CA only, with its IP and DNS SANs', async () => {
  const ca = await createCa('ambit-local-ca', 30);
  const otherCa = await createCa('someone-else', 30);
  const serverCert = await issueServerCert(ca, {
    commonName: 'kube-apiserver', dnsNames: ['kubernetes.default.svc', 'localhost'], ipAddresses: ['127.0.0.1', '198.18.0.1'], days: 10,
  });
  assert.match(serverCert.keyPem, /^-----BEGIN PRIVATE KEY-----/);
  const parsed = new X509Certificate(serverCert.certPem);
  assert.ok(parsed.checkIssued(new X509Certificate(ca.certPem)));
  assert.ok(parsed.subjectAltName?.includes('IP Address:198.18.0.1'));
  assert.equal(parsed.ca, false);
  assert.equal(new X509Certificate(ca.certPem).ca, true);

  const server = await serve(serverCert);
  try {
    assert.equal(await get({ host: '127.0.0.1', port: server.port, ca: ca.certPem }), 'ok');
    assert.equal(await get({ host: '127.0.0.1', port: server.port, ca: ca.certPem, servername: 'localhost' }), 'ok');
    await assert.rejects(get({ host: '127.0.0.1', port: server.port, ca: otherCa.certPem }), /self[- ]signed|unable to verify|certificate/i);
    await assert.rejects(get({ host: '127.0.0.1', port: server.port }), /self[- ]signed|unable to verify|certificate/i);
  } finally {
    await server.close();
  }
});

test('a server certificate without the IP SAN is refused for that IP', async () => {
  const ca = await createCa('ambit-local-ca', 1);
  const cert = await issueServerCert(ca, { commonName: 'x', dnsNames: ['localhost'], ipAddresses: [], days: 1 });
  const server = await serve(cert);
  try {
    await assert.rejects(get({ host: '127.0.0.1', port: server.port, ca: ca.certPem }), /IP|altnames/i);
  } finally {
    await server.close();
  }
});

test('a client certificate authenticates to a server that trusts the CA', async () => {
  const ca = await createCa('ambit-local-ca', 1);
  const serverCert = await issueServerCert(ca, { commonName: 'api', dnsNames: [], ipAddresses: ['127.0.0.1'], days: 1 });
  const client = await issueClientCert(ca, { commonName: 'ambit-admin', organizations: ['system:masters'], days: 1 });
  const subject = new X509Certificate(client.certPem).subject;
  assert.match(subject, /O=system:masters/);
  assert.match(subject, /CN=ambit-admin/);
  const server = await serve(serverCert, ca.certPem);
  try {
    assert.equal(await get({ host: '127.0.0.1', port: server.port, ca: ca.certPem, key: client.keyPem, cert: client.certPem }), 'ok');
    assert.equal(server.clientCn(), 'ambit-admin');
    await assert.rejects(get({ host: '127.0.0.1', port: server.port, ca: ca.certPem }));
  } finally {
    await server.close();
  }
});

test('bad inputs are refused', async () => {
  const ca = await createCa('ca', 1);
  await assert.rejects(issueServerCert(ca, { commonName: 'x', dnsNames: [], ipAddresses: ['not-an-ip'], days: 1 }), /not-an-ip/);
  await assert.rejects(createCa('ca', 0), /positive/);
});

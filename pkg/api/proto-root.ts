// Loads the project's .proto files (pkg/api/proto) into one protobufjs Root, once. The files are
// found relative to this module, from the sources or from the compiled dist/ tree alike.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import * as protobuf from 'protobufjs';

let root: protobuf.Root | undefined;

function protoDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'pkg', 'api', 'proto');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`pkg/api/proto not found above ${__dirname}`);
  }
}

/** Every message and service of pkg/api/proto, with Google's well-known types. */
export function protoRoot(): protobuf.Root {
  if (root) return root;
  const dir = protoDir();
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => {
    if (target.startsWith('google/protobuf/')) return target; // bundled with protobufjs (common)
    return resolve(dir, target);
  };
  r.loadSync(
    [
      'istio/v1/auth/ca.proto',
      'istio/workload/workload.proto',
      'istio/security/authorization.proto',
      'envoy/service/discovery/v3/discovery.proto',
      'ambit/waypoint/v1/waypoint.proto',
    ],
    { keepCase: false },
  );
  r.resolveAll();
  root = r;
  return r;
}

export function messageType(name: string): protobuf.Type {
  return protoRoot().lookupType(name);
}

// The `ambit/grpc-echo` sample app: a gRPC server (grpc-js, HTTP/2, PORT default 9090) with one
// unary method `/ambit.echo.Echo/Echo` that answers with JSON naming the pod, version and node —
// the target for the "gRPC calls spread across pods" example. The same program is the client:
// `grpc-echo client <host:port> <calls>` makes that many calls over ONE channel and prints how many
// each pod answered, as JSON. Messages are raw bytes (no .proto needed on either side).

import * as grpc from '@grpc/grpc-js';
import { exitOnTerminationSignal, exitWithConfigError } from './run-until-signal';
import { identityFromEnv, portFromEnv, type PodIdentity } from './sample-app-env';

export const ECHO_METHOD = '/ambit.echo.Echo/Echo';
const raw = (b: Buffer): Buffer => b;
const METHOD = {
  path: ECHO_METHOD, requestStream: false, responseStream: false,
  requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw,
} as const;

export interface RunningGrpcEcho { port: number; close(): Promise<void> }

export async function startGrpcEcho(port: number, identity: PodIdentity, host = '0.0.0.0'): Promise<RunningGrpcEcho> {
  const server = new grpc.Server();
  const reply = Buffer.from(JSON.stringify({ pod: identity.pod, version: identity.version, node: identity.node, namespace: identity.namespace }));
  server.addService({ Echo: METHOD }, {
    Echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, reply),
  });
  const bound = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p)));
  });
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => {
      const force = setTimeout(() => { server.forceShutdown(); resolve(); }, 5_000);
      server.tryShutdown(() => { clearTimeout(force); resolve(); });
    }),
  };
}

/** `calls` unary calls over one channel; returns answers per pod (and failures by gRPC code). */
export async function callGrpcEcho(target: string, calls: number, deadlineMs = 5_000): Promise<Record<string, number>> {
  const Client = grpc.makeGenericClientConstructor({ Echo: METHOD }, 'Echo');
  const client = new Client(target, grpc.credentials.createInsecure());
  const counts: Record<string, number> = {};
  try {
    for (let i = 0; i < calls; i++) {
      const answer = await new Promise<string>((resolve) => {
        client.makeUnaryRequest(ECHO_METHOD, raw, raw, Buffer.alloc(0), { deadline: Date.now() + deadlineMs },
          (err: grpc.ServiceError | null, value?: Buffer) => {
            if (err) resolve(`error:${grpc.status[err.code] ?? err.code}`);
            else resolve((JSON.parse(String(value)) as { pod: string }).pod);
          });
      });
      counts[answer] = (counts[answer] ?? 0) + 1;
    }
  } finally {
    client.close();
  }
  return counts;
}

async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === 'client') {
    const target = argv[1];
    const calls = Number(argv[2] ?? '10');
    if (!target || !Number.isInteger(calls) || calls < 1 || calls > 100_000) exitWithConfigError('usage: grpc-echo client <host:port> <calls 1-100000>');
    process.stdout.write(`${JSON.stringify(await callGrpcEcho(target, calls))}\n`);
    return;
  }
  const port = portFromEnv(process.env.PORT, 9090);
  if (typeof port === 'string') exitWithConfigError(port);
  const identity = identityFromEnv(process.env);
  const server = await startGrpcEcho(port, identity);
  exitOnTerminationSignal(() => server.close());
  console.log(`grpc-echo ${identity.version} (pod ${identity.pod}) listening on port ${server.port}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => exitWithConfigError(`grpc-echo: ${err instanceof Error ? err.message : String(err)}`));
}

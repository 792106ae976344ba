// The connect-rate load agent, one Node program with two modes (arguments: harness/connect-load-args):
//   server: a TCP echo server — echoes what arrives and ends its side once the peer half-closes;
//           prints `READY <port>`, exits 0 on SIGTERM/SIGINT;
//   client: C closed loops of connect → write the payload → read it back in full → end → wait for
//           close → next, for warm-up + duration seconds (and never past a hard stop); prints ONE
//           JSON line (harness/connect-load-result) and exits 0, or 2 on bad arguments.
// The client stays cheap, as it shares a core with what it measures: one payload buffer, listeners
// bound once per loop (no closures per connection), one sweep timer for per-connection timeouts.

import { connect, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { hardStopMs, parseConnectLoadArgs, type ClientConfig, type ServerConfig } from '../harness/connect-load-args';
import { buildResult, ERROR_KIND, ErrorCounts, errorKind, LatencyRecorder, phaseAt, type ConnectLoadResult, type Phase } from '../harness/connect-load-result';

const SWEEP_MS = 100;
/** Pause after a failed connection, so a refused target is not hammered in a tight loop. */
const ERROR_BACKOFF_MS = 10;
const MAX_LOGGED_ERRORS = 10;

function ignore(): void {
  // late errors of a socket that is already accounted for
}

class RunState {
  readonly payload: Buffer;
  readonly started = performance.now();
  readonly endAt: number;
  readonly completed: Record<Phase, number> = { warmup: 0, measured: 0, tail: 0 };
  readonly errors: Record<Phase, ErrorCounts> = { warmup: new ErrorCounts(), measured: new ErrorCounts(), tail: new ErrorCounts() };
  readonly latencies = new LatencyRecorder();
  stopping = false;
  logged = 0;

  constructor(readonly config: ClientConfig) {
    this.payload = Buffer.alloc(config.payloadBytes);
    for (let i = 0; i < this.payload.length; i++) this.payload[i] = 97 + (i % 26);
    this.endAt = this.started + (config.warmupSeconds + config.durationSeconds) * 1000;
  }

  phase(now: number): Phase {
    return phaseAt(now - this.started, this.config.warmupSeconds, this.config.durationSeconds);
  }
}

/** One closed loop: at most one connection at a time. */
class Loop {
  private socket: Socket | undefined;
  private startedAt = 0;
  private echoedAt = 0;
  private received = 0;
  private failure: string | undefined;
  private finished!: () => void;
  readonly done = new Promise<void>((resolve) => {
    this.finished = resolve;
  });
  private readonly onConnect = (): void => {
    this.socket?.write(this.run.payload);
  };
  private readonly onData = (chunk: Buffer): void => {
    const payload = this.run.payload;
    if (this.failure !== undefined) return;
    if (this.received + chunk.length > payload.length || payload.compare(chunk, 0, chunk.length, this.received, this.received + chunk.length) !== 0) {
      this.failure = ERROR_KIND.badEcho;
      this.socket?.destroy();
      return;
    }
    this.received += chunk.length;
    if (this.received === payload.length) {
      this.echoedAt = performance.now();
      this.socket?.end();
    }
  };
  private readonly onError = (err: Error): void => {
    this.failure ??= errorKind(err);
    if (this.run.logged++ < MAX_LOGGED_ERRORS) process.stderr.write(`connect-load: ${err.message}\n`);
  };
  private readonly onClose = (): void => {
    const now = performance.now();
    const ok = this.failure === undefined && this.echoedAt > 0;
    this.detach();
    const phase = this.run.phase(now);
    if (ok) {
      this.run.completed[phase]++;
      if (phase === 'measured') this.run.latencies.add(this.echoedAt - this.startedAt);
      this.next();
    } else {
      this.run.errors[phase].add(this.failure ?? ERROR_KIND.shortEcho);
      setTimeout(this.next, ERROR_BACKOFF_MS);
    }
  };
  private readonly next = (): void => {
    if (this.run.stopping || performance.now() >= this.run.endAt) {
      this.finished();
      return;
    }
    this.received = 0;
    this.echoedAt = 0;
    this.failure = undefined;
    this.startedAt = performance.now();
    const { host, port } = this.run.config.target;
    const socket = connect({ host, port, noDelay: true });
    this.socket = socket;
    socket.on('connect', this.onConnect);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  };

  constructor(private readonly run: RunState) {}

  start(): void {
    this.next();
  }

  private detach(): void {
    const s = this.socket;
    if (!s) return;
    this.socket = undefined;
    s.off('connect', this.onConnect);
    s.off('data', this.onData);
    s.off('error', this.onError);
    s.off('close', this.onClose);
    s.on('error', ignore);
    if (!s.destroyed) s.destroy();
  }

  /** Fails the connection in flight if it is older than the timeout (or unconditionally, with a kind). */
  expire(now: number, timeoutMs: number, kind: string = ERROR_KIND.timeout): void {
    if (this.socket === undefined || (kind === ERROR_KIND.timeout && now - this.startedAt < timeoutMs)) return;
    this.failure = kind;
    this.socket.destroy(); // 'close' follows and counts it
  }
}

/** Runs the client to completion and returns its result (also used in-process by tests). */
export async function runClient(config: ClientConfig): Promise<ConnectLoadResult> {
  const run = new RunState(config);
  const loops = Array.from({ length: config.concurrency }, () => new Loop(run));
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const l of loops) l.expire(now, config.timeoutMs);
  }, SWEEP_MS);
  let hardStopped = false;
  const hardStop = setTimeout(() => {
    hardStopped = true;
    run.stopping = true;
    for (const l of loops) l.expire(performance.now(), config.timeoutMs, ERROR_KIND.hardStop);
  }, hardStopMs(config));
  try {
    for (const l of loops) l.start();
    await Promise.all(loops.map((l) => l.done));
  } finally {
    clearInterval(sweep);
    clearTimeout(hardStop);
  }
  return buildResult({
    target: `${config.target.host}:${config.target.port}`,
    concurrency: config.concurrency,
    payloadBytes: config.payloadBytes,
    warmupSeconds: config.warmupSeconds,
    durationSeconds: config.durationSeconds,
    completed: run.completed,
    errors: run.errors,
    latencies: run.latencies.values(),
    hardStopped,
  });
}

function onEchoConnection(socket: Socket): void {
  socket.on('error', ignore);
  socket.pipe(socket); // echo; when the peer half-closes, pipe ends our side too
}

/** Starts the echo server; resolves with the server once it listens. */
export async function startEchoServer(config: Pick<ServerConfig, 'host' | 'port'>): Promise<Server> {
  const server = createServer({ allowHalfOpen: true, noDelay: true }, onEchoConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: config.host, port: config.port, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function serve(config: ServerConfig): Promise<void> {
  const server = await startEchoServer(config);
  const open = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  const address = server.address();
  process.stdout.write(`READY ${typeof address === 'object' && address ? address.port : config.port}\n`);
  const stop = (): void => {
    server.close(() => process.exit(0));
    for (const s of open) s.destroy();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function main(argv: readonly string[]): Promise<void> {
  const config = parseConnectLoadArgs(argv);
  if (typeof config === 'string') {
    process.stderr.write(`connect-load: ${config}\n`);
    process.exitCode = 2;
    return;
  }
  if (config.mode === 'server') {
    await serve(config);
    return;
  }
  const result = await runClient(config);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`connect-load: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}

// When the waypoint is ready (/healthz/ready 200): every subscribed xDS type (Address,
// WaypointConfig, Authorization) has had a response applied, and the waypoint's own certificate
// is loaded. The decision is pure (readinessProblem); ReadinessGate latches the first "ready" and
// turns not-ready again only when shutting down.

export interface ReadinessInputs {
  readonly xdsSynced: boolean;
  readonly certificateLoaded: boolean;
  /** The last certificate fetch failure, if any. */
  readonly certificateError?: string;
  /** The identity being waited for. */
  readonly identity: string;
}

/** Why the waypoint is not ready (one line), or undefined when it is. */
export function readinessProblem(input: ReadinessInputs & { readonly shuttingDown: boolean }): string | undefined {
  if (input.shuttingDown) return 'shutting down';
  if (!input.xdsSynced) return 'waiting for the first xDS configuration from istiod (Address, WaypointConfig and Authorization)';
  if (!input.certificateLoaded) {
    const why = input.certificateError ? ` (last error: ${input.certificateError.replace(/[\r\n]+/g, ' ')})` : '';
    return `waiting for the waypoint certificate ${input.identity}${why}`;
  }
  return undefined;
}

export class ReadinessGate {
  private latched = false;
  private stopping = false;
  private resolveReady!: () => void;
  /** Resolves the first time every condition holds. */
  readonly ready: Promise<void>;

  constructor(private readonly inputs: () => ReadinessInputs) {
    this.ready = new Promise<void>((resolve) => {
      this.resolveReady = resolve;
    });
  }

  /** Re-evaluates the conditions (call when any of them may have changed). */
  check(): void {
    if (this.latched || this.stopping) return;
    if (readinessProblem({ ...this.inputs(), shuttingDown: false }) === undefined) {
      this.latched = true;
      this.resolveReady();
    }
  }

  /** Why not ready (undefined = ready). */
  problem(): string | undefined {
    if (this.stopping) return 'shutting down';
    this.check();
    return this.latched ? undefined : readinessProblem({ ...this.inputs(), shuttingDown: false });
  }

  /** Not ready from now on. */
  shutdown(): void {
    this.stopping = true;
  }
}

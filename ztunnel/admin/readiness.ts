// When ztunnel is ready: the first xDS response has been applied, the capture rules are in place
// (or capture is off), and every local ambient workload's certificate is loaded. The decision is
// pure (readinessProblem); ReadinessGate latches the first "ready" (a pod appearing later does not
// take the node agent out of readiness) and turns not-ready again only when shutting down.

export interface ReadinessInputs {
  readonly shuttingDown: boolean;
  readonly xdsSynced: boolean;
  /** 'off' when there is no capture (CAPTURE=none). */
  readonly capture: 'ready' | 'pending' | 'off';
  readonly captureError?: string;
  /** Identities of local ambient workloads without a usable certificate yet. */
  readonly missingCertificates: readonly string[];
}

const MAX_LISTED = 3;

/** Why ztunnel is not ready (one line), or undefined when it is. */
export function readinessProblem(input: ReadinessInputs): string | undefined {
  if (input.shuttingDown) return 'shutting down';
  if (!input.xdsSynced) return 'waiting for the first xDS configuration from istiod';
  if (input.capture === 'pending') {
    return `waiting for the traffic capture rules to be applied${input.captureError ? ` (last error: ${input.captureError.replace(/[\r\n]+/g, ' ')})` : ''}`;
  }
  const missing = input.missingCertificates;
  if (missing.length > 0) {
    const shown = missing.slice(0, MAX_LISTED).join(', ');
    const more = missing.length > MAX_LISTED ? ` and ${missing.length - MAX_LISTED} more` : '';
    return `waiting for certificates of local workloads: ${shown}${more}`;
  }
  return undefined;
}

export class ReadinessGate {
  private latched = false;
  private stopping = false;
  private resolveReady!: () => void;
  /** Resolves the first time every condition holds. */
  readonly ready: Promise<void>;

  constructor(private readonly inputs: () => Omit<ReadinessInputs, 'shuttingDown'>) {
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

  get isReady(): boolean {
    return this.latched && !this.stopping;
  }
}

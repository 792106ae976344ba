// The narrow view of the Kubernetes API that istiod's CA needs (`CaKube`), in plain data types, so
// the CA code never sees client-node's classes and tests could substitute an implementation.

export interface KubeSecret {
  readonly namespace: string;
  readonly name: string;
  readonly type?: string;
  /** Values decoded from base64 as UTF-8 (the CA only stores PEM text). */
  readonly data: Readonly<Record<string, string>>;
  readonly labels?: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
}

export interface KubeConfigMap {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly data: Readonly<Record<string, string>>;
  readonly resourceVersion?: string;
}

export interface KubeNamespace {
  readonly name: string;
  /** `Active` or `Terminating`. */
  readonly phase?: string;
}

export interface KubePod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** `spec.serviceAccountName`, `default` when unset. */
  readonly serviceAccountName: string;
  /** `spec.nodeName`; undefined while unscheduled. */
  readonly nodeName?: string;
  /** `status.phase` (Pending, Running, Succeeded, Failed, Unknown). */
  readonly phase?: string;
  /** Whether a deletion has been requested (deletionTimestamp set). */
  readonly deleting: boolean;
}

/** The outcome of a TokenReview, whatever the API server said. */
export interface TokenReviewOutcome {
  readonly authenticated: boolean;
  readonly username?: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra: Readonly<Record<string, readonly string[]>>;
  /** Audiences the token was found valid for (may be empty when the server does not say). */
  readonly audiences: readonly string[];
  /** The server's reason when not authenticated. */
  readonly error?: string;
}

/** A write that lost a race or found nothing is an expected outcome, not an exception. */
export type WriteResult<T> =
  | { readonly ok: true; readonly object: T }
  | { readonly ok: false; readonly reason: 'AlreadyExists' | 'Conflict' | 'NotFound'; readonly message: string };

export interface WatchHandlers<T> {
  /** The full current set after every (re)list; objects seen before but absent now were deleted. */
  readonly synced?: (items: readonly T[]) => void;
  readonly added?: (item: T) => void;
  readonly modified?: (item: T) => void;
  readonly deleted?: (item: T) => void;
}

export interface Watcher {
  /** Resolves after the first successful list (and its `synced` call). */
  readonly synced: Promise<void>;
  /** Stops watching; no handler is called after it resolves. */
  stop(): Promise<void>;
}

export interface CaKube {
  getSecret(namespace: string, name: string): Promise<KubeSecret | undefined>;
  createSecret(secret: KubeSecret): Promise<WriteResult<KubeSecret>>;
  /** Replaces data, type and labels; `resourceVersion`, when set, must still be current. */
  replaceSecret(secret: KubeSecret): Promise<WriteResult<KubeSecret>>;

  getConfigMap(namespace: string, name: string): Promise<KubeConfigMap | undefined>;
  createConfigMap(configMap: KubeConfigMap): Promise<WriteResult<KubeConfigMap>>;
  replaceConfigMap(configMap: KubeConfigMap): Promise<WriteResult<KubeConfigMap>>;

  /** List then watch every namespace; relists after 410 Gone or errors, with backoff. */
  watchNamespaces(handlers: WatchHandlers<KubeNamespace>): Watcher;
  /** List then watch ConfigMaps in all namespaces matching `fieldSelector`. */
  watchConfigMaps(fieldSelector: string, handlers: WatchHandlers<KubeConfigMap>): Watcher;

  getPod(namespace: string, name: string): Promise<KubePod | undefined>;
  listPods(namespace: string, fieldSelector?: string): Promise<KubePod[]>;

  reviewToken(token: string, audiences: readonly string[]): Promise<TokenReviewOutcome>;
}

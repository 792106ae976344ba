// `security.istio.io/v1` PeerAuthentication read strictly into the plain view the ambient
// conversion needs (peer-authentication-index.ts): scope (mesh = root namespace without selector,
// namespace, workload selector), workload mode and port-level modes. What ambient cannot do is
// reported: DISABLE (HBONE is always mTLS: treated as PERMISSIVE) and selector policies in the
// root namespace (ignored, as Istio's ambient mode does). Pure.

import type { ConversionOptions } from './authorization-policy';
import {
  checkKnownFields, fieldPath, type FieldProblem, FieldReport, isObject, type JsonObject, own, readObject, readString, show,
} from './field-report';
import { readMetadata } from './metadata';
import { portValue } from './network-forms';
import { readSelector, type Labels } from './selector';

export const MTLS_MODES = ['UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT'] as const;
export type MtlsMode = (typeof MTLS_MODES)[number];

/** The name prefix of the Authorization a port-level PeerAuthentication becomes (Istio's). */
export const CONVERTED_PEER_AUTHENTICATION_PREFIX = 'converted_peer_authentication_';
/** At most this many port-level entries. */
export const MAX_PORT_LEVEL_ENTRIES = 128;

export interface PortMode {
  readonly port: number;
  readonly mode: MtlsMode;
}

export interface PeerAuthenticationView {
  readonly name: string;
  readonly namespace: string;
  /** creationTimestamp (ms); policies without one count as the newest. */
  readonly createdAt?: number;
  /** Non-empty matchLabels; undefined for a namespace-wide (or, in the root namespace, mesh-wide) policy. */
  readonly selector?: Labels;
  readonly mode: MtlsMode;
  /** Sorted by port. */
  readonly portModes: readonly PortMode[];
}

export interface PeerAuthenticationResult {
  readonly name: string;
  readonly namespace: string;
  /** Absent when the policy has problems (it is then ignored whole). */
  readonly view?: PeerAuthenticationView;
  readonly problems: readonly FieldProblem[];
  readonly warnings: readonly FieldProblem[];
}

const API_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'];
const DISABLE_NOTE = 'DISABLE is not supported in ambient (HBONE is always mTLS): treated as PERMISSIVE';

function readMode(value: unknown, path: string, report: FieldReport): MtlsMode {
  const obj = readObject(value, path, report);
  if (!obj) return 'UNSET';
  checkKnownFields(obj, ['mode'], path, report);
  const mode = readString(own(obj, 'mode'), `${path}.mode`, report);
  if (mode === undefined) return 'UNSET';
  if (!(MTLS_MODES as readonly string[]).includes(mode)) {
    report.problem(`${path}.mode`, `${show(mode)} is not one of ${MTLS_MODES.join(', ')}`);
    return 'UNSET';
  }
  if (mode === 'DISABLE') report.warn(`${path}.mode`, DISABLE_NOTE);
  return mode as MtlsMode;
}

function readPortModes(value: unknown, report: FieldReport): PortMode[] {
  const path = 'spec.portLevelMtls';
  const obj = readObject(value, path, report);
  if (!obj) return [];
  const keys = Object.keys(obj);
  if (keys.length > MAX_PORT_LEVEL_ENTRIES) {
    report.problem(path, `${keys.length} entries (at most ${MAX_PORT_LEVEL_ENTRIES})`);
    return [];
  }
  const out: PortMode[] = [];
  for (const key of keys) {
    const keyPath = fieldPath(path, key);
    const port = portValue(key);
    if (!port.ok) report.problem(keyPath, port.reason);
    const entry = obj[key];
    if (entry === null || entry === undefined) report.problem(keyPath, 'must be an object with a mode');
    const mode = readMode(entry, keyPath, report);
    if (port.ok && isObject(entry)) out.push({ port: port.value, mode });
  }
  return out.sort((a, b) => a.port - b.port);
}

/** Reads and checks one PeerAuthentication object. Never throws. */
export function readPeerAuthentication(obj: unknown, opts: ConversionOptions): PeerAuthenticationResult {
  const report = new FieldReport();
  const top: JsonObject = isObject(obj) ? obj : {};
  if (!isObject(obj)) report.problem('', 'a PeerAuthentication must be an object');
  const meta = readMetadata(top, 'PeerAuthentication', API_VERSIONS, report);
  const spec = readObject(own(top, 'spec'), 'spec', report) ?? {};
  checkKnownFields(spec, ['selector', 'mtls', 'portLevelMtls'], 'spec', report);
  const selectorLabels = readSelector(own(spec, 'selector'), 'spec.selector', report);
  const selector = selectorLabels !== undefined && Object.keys(selectorLabels).length > 0 ? selectorLabels : undefined;
  const mode = readMode(own(spec, 'mtls'), 'spec.mtls', report);
  const portModes = readPortModes(own(spec, 'portLevelMtls'), report);

  if (selectorLabels !== undefined && selector === undefined) {
    report.warn('spec.selector', 'an empty selector makes this a namespace-wide policy');
  }
  if (portModes.length > 0 && selector === undefined) {
    report.problem('spec.portLevelMtls', 'port-level modes need a selector with at least one label');
  }
  if (selector !== undefined && meta.namespace === opts.rootNamespace) {
    report.warn('spec.selector', `a PeerAuthentication with a selector in the root namespace ${show(opts.rootNamespace)} `
      + 'is ignored in ambient mode; a mesh-wide policy has no selector');
  }
  const convertedName = `${CONVERTED_PEER_AUTHENTICATION_PREFIX}${meta.name}`;
  if (portModes.length > 0 && convertedName.length > 253) {
    report.problem('metadata.name', `too long for the converted policy name ${show(convertedName)} (at most 253 characters)`);
  }
  const problems = report.problems();
  const view: PeerAuthenticationView | undefined = problems.length > 0 ? undefined : {
    name: meta.name, namespace: meta.namespace,
    ...(meta.createdAt !== undefined ? { createdAt: meta.createdAt } : {}),
    ...(selector !== undefined ? { selector } : {}),
    mode, portModes,
  };
  return { name: meta.name, namespace: meta.namespace, ...(view ? { view } : {}), problems, warnings: report.warnings() };
}

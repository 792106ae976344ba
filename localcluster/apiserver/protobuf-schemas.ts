// The kinds whose protobuf request bodies the API server decodes, by `apiVersion/kind`, with the
// field tables of their top-level messages (core/v1, apps/v1, autoscaling/v1, authentication/v1,
// meta/v1 DeleteOptions). Adding a kind is adding an entry here.

import { deleteOptions, labelSelector, metadata } from './protobuf-meta-schemas';
import { podSpec, podStatus, podTemplateSpec } from './protobuf-pod-schemas';
import {
  bool, int, labels, list, map, Message, one, opt, str, strings,
} from './protobuf-schema';

const intOrStringPtr = (name: string): ReturnType<typeof opt> => opt(name, 'intOrString');

// --- core/v1 ---------------------------------------------------------------------------------

const servicePort: Message = {
  1: str('name'), 2: str('protocol'), 6: opt('appProtocol', 'string'), 3: int('port'),
  4: one('targetPort', 'intOrString'), 5: int('nodePort'),
};

const serviceSpec: Message = {
  1: list('ports', servicePort), 2: labels('selector'), 3: str('clusterIP'), 18: strings('clusterIPs'),
  4: str('type'), 5: strings('externalIPs'), 7: str('sessionAffinity'), 8: str('loadBalancerIP'),
  9: strings('loadBalancerSourceRanges'), 10: str('externalName'), 11: str('externalTrafficPolicy'),
  12: int('healthCheckNodePort'), 13: bool('publishNotReadyAddresses'),
  14: opt('sessionAffinityConfig', { 1: opt('clientIP', { 1: opt('timeoutSeconds', 'int') }) }),
  19: strings('ipFamilies'), 17: opt('ipFamilyPolicy', 'string'), 20: opt('allocateLoadBalancerNodePorts', 'bool'),
  21: opt('loadBalancerClass', 'string'), 22: opt('internalTrafficPolicy', 'string'),
  23: opt('trafficDistribution', 'string'),
};

const portStatus: Message = { 1: int('port'), 2: str('protocol'), 3: opt('error', 'string') };
const serviceStatus: Message = {
  1: one('loadBalancer', {
    1: list('ingress', { 1: str('ip'), 2: str('hostname'), 3: opt('ipMode', 'string'), 4: list('ports', portStatus) }),
  }),
};

// --- apps/v1 ---------------------------------------------------------------------------------

const rollingUpdate: Message = { 1: intOrStringPtr('maxUnavailable'), 2: intOrStringPtr('maxSurge') };

const deploymentSpec: Message = {
  1: opt('replicas', 'int'), 2: opt('selector', labelSelector), 3: one('template', podTemplateSpec),
  4: one('strategy', { 1: str('type'), 2: opt('rollingUpdate', rollingUpdate) }),
  5: int('minReadySeconds'), 6: opt('revisionHistoryLimit', 'int'), 7: bool('paused'),
  9: opt('progressDeadlineSeconds', 'int'), 10: opt('podReplacementPolicy', 'string'),
};

const deploymentStatus: Message = {
  1: int('observedGeneration'), 2: int('replicas'), 3: int('updatedReplicas'), 7: int('readyReplicas'),
  4: int('availableReplicas'), 5: int('unavailableReplicas'), 8: opt('collisionCount', 'int'),
  6: list('conditions', {
    1: str('type'), 2: str('status'), 6: one('lastUpdateTime', 'time'), 7: one('lastTransitionTime', 'time'),
    4: str('reason'), 5: str('message'),
  }),
};

const daemonSetSpec: Message = {
  1: opt('selector', labelSelector), 2: one('template', podTemplateSpec),
  3: one('updateStrategy', { 1: str('type'), 2: opt('rollingUpdate', rollingUpdate) }),
  4: int('minReadySeconds'), 6: opt('revisionHistoryLimit', 'int'),
};

const daemonSetStatus: Message = {
  1: int('currentNumberScheduled'), 2: int('numberMisscheduled'), 3: int('desiredNumberScheduled'),
  4: int('numberReady'), 5: int('observedGeneration'), 6: int('updatedNumberScheduled'),
  7: int('numberAvailable'), 8: int('numberUnavailable'), 9: opt('collisionCount', 'int'),
  10: list('conditions', {
    1: str('type'), 2: str('status'), 3: one('lastTransitionTime', 'time'), 4: str('reason'), 5: str('message'),
  }),
};

// --- the table -------------------------------------------------------------------------------

/** Field tables by `apiVersion/kind` (`v1/Pod`, `apps/v1/Deployment`, ...). */
export const PROTOBUF_KINDS: Readonly<Record<string, Message>> = {
  'v1/Namespace': { 1: metadata, 2: one('spec', { 1: strings('finalizers') }), 3: one('status', { 1: str('phase') }) },
  'v1/ConfigMap': { 1: metadata, 2: labels('data'), 3: map('binaryData', 'bytes'), 4: opt('immutable', 'bool') },
  'v1/Secret': { 1: metadata, 2: map('data', 'bytes'), 3: str('type'), 4: labels('stringData'), 5: opt('immutable', 'bool') },
  'v1/ServiceAccount': {
    1: metadata, 3: list('imagePullSecrets', { 1: str('name') }), 4: opt('automountServiceAccountToken', 'bool'),
  },
  'v1/Service': { 1: metadata, 2: one('spec', serviceSpec), 3: one('status', serviceStatus) },
  'v1/Pod': { 1: metadata, 2: one('spec', podSpec), 3: one('status', podStatus) },
  'apps/v1/Deployment': { 1: metadata, 2: one('spec', deploymentSpec), 3: one('status', deploymentStatus) },
  'apps/v1/DaemonSet': { 1: metadata, 2: one('spec', daemonSetSpec), 3: one('status', daemonSetStatus) },
  'autoscaling/v1/Scale': {
    1: metadata, 2: one('spec', { 1: int('replicas') }), 3: one('status', { 1: int('replicas'), 2: str('selector') }),
  },
  'authentication.k8s.io/v1/TokenRequest': {
    1: metadata,
    2: one('spec', {
      1: strings('audiences'), 4: opt('expirationSeconds', 'int'),
      3: opt('boundObjectRef', { 1: str('kind'), 2: str('apiVersion'), 3: str('name'), 4: str('uid') }),
    }),
  },
  'v1/DeleteOptions': deleteOptions,
  'meta.k8s.io/v1/DeleteOptions': deleteOptions,
};

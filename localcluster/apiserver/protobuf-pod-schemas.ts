// Protobuf field tables of core/v1 PodSpec and everything it contains (containers, probes, env,
// volumes, security contexts, affinity), and of PodTemplateSpec, which Deployments and
// DaemonSets embed. Field numbers are those of k8s.io/api core/v1 generated.proto; fields not
// listed (rare or alpha) are skipped by the decoder.

import { labelSelector, localRef, metadata, localObjectReference } from './protobuf-meta-schemas';
import {
  bool, inline, int, labels, list, map, Message, one, opt, str, strings,
} from './protobuf-schema';

// --- env ------------------------------------------------------------------------------------

const objectFieldSelector: Message = { 1: str('apiVersion'), 2: str('fieldPath') };
const resourceFieldSelector: Message = { 1: str('containerName'), 2: str('resource'), 3: opt('divisor', 'quantity') };
const keySelector: Message = { 1: localRef, 2: str('key'), 3: opt('optional', 'bool') };
const fileKeySelector: Message = { 1: str('volumeName'), 2: str('path'), 3: str('key'), 4: opt('optional', 'bool') };

const envVarSource: Message = {
  1: opt('fieldRef', objectFieldSelector), 2: opt('resourceFieldRef', resourceFieldSelector),
  3: opt('configMapKeyRef', keySelector), 4: opt('secretKeyRef', keySelector), 5: opt('fileKeyRef', fileKeySelector),
};
const envVar: Message = { 1: str('name'), 2: str('value'), 3: opt('valueFrom', envVarSource) };
const envSource: Message = { 1: localRef, 2: opt('optional', 'bool') };
const envFromSource: Message = { 1: str('prefix'), 2: opt('configMapRef', envSource), 3: opt('secretRef', envSource) };

// --- probes and lifecycle hooks ------------------------------------------------------------------

const execAction: Message = { 1: strings('command') };
const httpGetAction: Message = {
  1: str('path'), 2: one('port', 'intOrString'), 3: str('host'), 4: str('scheme'),
  5: list('httpHeaders', { 1: str('name'), 2: str('value') }),
};
const tcpSocketAction: Message = { 1: one('port', 'intOrString'), 2: str('host') };
const grpcAction: Message = { 1: int('port'), 2: opt('service', 'string') };

const probeHandler: Message = {
  1: opt('exec', execAction), 2: opt('httpGet', httpGetAction), 3: opt('tcpSocket', tcpSocketAction), 4: opt('grpc', grpcAction),
};
const probe: Message = {
  1: inline(probeHandler), 2: int('initialDelaySeconds'), 3: int('timeoutSeconds'), 4: int('periodSeconds'),
  5: int('successThreshold'), 6: int('failureThreshold'), 7: opt('terminationGracePeriodSeconds', 'int'),
};
const lifecycleHandler: Message = {
  1: opt('exec', execAction), 2: opt('httpGet', httpGetAction), 3: opt('tcpSocket', tcpSocketAction),
  4: opt('sleep', { 1: int('seconds') }),
};
const lifecycle: Message = {
  1: opt('postStart', lifecycleHandler), 2: opt('preStop', lifecycleHandler), 3: opt('stopSignal', 'string'),
};

// --- security --------------------------------------------------------------------------------

const seLinuxOptions: Message = { 1: str('user'), 2: str('role'), 3: str('type'), 4: str('level') };
const seccompProfile: Message = { 1: str('type'), 2: opt('localhostProfile', 'string') };
const windowsOptions: Message = {
  1: opt('gmsaCredentialSpecName', 'string'), 2: opt('gmsaCredentialSpec', 'string'),
  3: opt('runAsUserName', 'string'), 4: opt('hostProcess', 'bool'),
};

const securityContext: Message = {
  1: opt('capabilities', { 1: strings('add'), 2: strings('drop') }), 2: opt('privileged', 'bool'),
  3: opt('seLinuxOptions', seLinuxOptions), 10: opt('windowsOptions', windowsOptions),
  4: opt('runAsUser', 'int'), 8: opt('runAsGroup', 'int'), 5: opt('runAsNonRoot', 'bool'),
  6: opt('readOnlyRootFilesystem', 'bool'), 7: opt('allowPrivilegeEscalation', 'bool'),
  9: opt('procMount', 'string'), 11: opt('seccompProfile', seccompProfile),
};

const podSecurityContext: Message = {
  1: opt('seLinuxOptions', seLinuxOptions), 8: opt('windowsOptions', windowsOptions),
  2: opt('runAsUser', 'int'), 6: opt('runAsGroup', 'int'), 3: opt('runAsNonRoot', 'bool'),
  4: list('supplementalGroups', 'int'), 5: opt('fsGroup', 'int'),
  7: list('sysctls', { 1: str('name'), 2: str('value') }), 9: opt('fsGroupChangePolicy', 'string'),
  10: opt('seccompProfile', seccompProfile),
};

// --- containers ------------------------------------------------------------------------------

const containerPort: Message = {
  1: str('name'), 2: int('hostPort'), 3: int('containerPort'), 4: str('protocol'), 5: str('hostIP'),
};
const resourceRequirements: Message = { 1: map('limits', 'quantity'), 2: map('requests', 'quantity') };
const volumeMount: Message = {
  1: str('name'), 2: bool('readOnly'), 3: str('mountPath'), 4: str('subPath'),
  5: opt('mountPropagation', 'string'), 6: str('subPathExpr'),
};

const container: Message = {
  1: str('name'), 2: str('image'), 3: strings('command'), 4: strings('args'), 5: str('workingDir'),
  6: list('ports', containerPort), 19: list('envFrom', envFromSource), 7: list('env', envVar),
  8: one('resources', resourceRequirements),
  23: list('resizePolicy', { 1: str('resourceName'), 2: str('restartPolicy') }), 24: opt('restartPolicy', 'string'),
  9: list('volumeMounts', volumeMount), 21: list('volumeDevices', { 1: str('name'), 2: str('devicePath') }),
  10: opt('livenessProbe', probe), 11: opt('readinessProbe', probe), 22: opt('startupProbe', probe),
  12: opt('lifecycle', lifecycle), 13: str('terminationMessagePath'), 20: str('terminationMessagePolicy'),
  14: str('imagePullPolicy'), 15: opt('securityContext', securityContext),
  16: bool('stdin'), 17: bool('stdinOnce'), 18: bool('tty'),
};

// --- volumes ---------------------------------------------------------------------------------

const keyToPath: Message = { 1: str('key'), 2: str('path'), 3: opt('mode', 'int') };
const downwardAPIFile: Message = {
  1: str('path'), 2: opt('fieldRef', objectFieldSelector), 3: opt('resourceFieldRef', resourceFieldSelector), 4: opt('mode', 'int'),
};
const refProjection: Message = { 1: localRef, 2: list('items', keyToPath), 4: opt('optional', 'bool') };
const volumeProjection: Message = {
  1: opt('secret', refProjection), 2: opt('downwardAPI', { 1: list('items', downwardAPIFile) }),
  3: opt('configMap', refProjection),
  4: opt('serviceAccountToken', { 1: str('audience'), 2: opt('expirationSeconds', 'int'), 3: str('path') }),
};

const volumeSource: Message = {
  1: opt('hostPath', { 1: str('path'), 2: opt('type', 'string') }),
  2: opt('emptyDir', { 1: str('medium'), 2: opt('sizeLimit', 'quantity') }),
  6: opt('secret', { 1: str('secretName'), 2: list('items', keyToPath), 3: opt('defaultMode', 'int'), 4: opt('optional', 'bool') }),
  7: opt('nfs', { 1: str('server'), 2: str('path'), 3: bool('readOnly') }),
  10: opt('persistentVolumeClaim', { 1: str('claimName'), 2: bool('readOnly') }),
  16: opt('downwardAPI', { 1: list('items', downwardAPIFile), 2: opt('defaultMode', 'int') }),
  19: opt('configMap', { 1: localRef, 2: list('items', keyToPath), 3: opt('defaultMode', 'int'), 4: opt('optional', 'bool') }),
  26: opt('projected', { 1: list('sources', volumeProjection), 2: opt('defaultMode', 'int') }),
  28: opt('csi', {
    1: str('driver'), 2: opt('readOnly', 'bool'), 3: opt('fsType', 'string'), 4: labels('volumeAttributes'),
    5: opt('nodePublishSecretRef', localObjectReference),
  }),
  30: opt('image', { 1: str('reference'), 2: str('pullPolicy') }),
};
const volume: Message = { 1: str('name'), 2: inline(volumeSource) };

// --- scheduling ------------------------------------------------------------------------------

const nodeSelectorRequirement: Message = { 1: str('key'), 2: str('operator'), 3: strings('values') };
const nodeSelectorTerm: Message = {
  1: list('matchExpressions', nodeSelectorRequirement), 2: list('matchFields', nodeSelectorRequirement),
};
const podAffinityTerm: Message = {
  1: opt('labelSelector', labelSelector), 2: strings('namespaces'), 3: str('topologyKey'),
  4: opt('namespaceSelector', labelSelector),
};
const podAffinity: Message = {
  1: list('requiredDuringSchedulingIgnoredDuringExecution', podAffinityTerm),
  2: list('preferredDuringSchedulingIgnoredDuringExecution', { 1: int('weight'), 2: one('podAffinityTerm', podAffinityTerm) }),
};
const affinity: Message = {
  1: opt('nodeAffinity', {
    1: opt('requiredDuringSchedulingIgnoredDuringExecution', { 1: list('nodeSelectorTerms', nodeSelectorTerm) }),
    2: list('preferredDuringSchedulingIgnoredDuringExecution', { 1: int('weight'), 2: one('preference', nodeSelectorTerm) }),
  }),
  2: opt('podAffinity', podAffinity), 3: opt('podAntiAffinity', podAffinity),
};
const toleration: Message = {
  1: str('key'), 2: str('operator'), 3: str('value'), 4: str('effect'), 5: opt('tolerationSeconds', 'int'),
};
const topologySpreadConstraint: Message = {
  1: int('maxSkew'), 2: str('topologyKey'), 3: str('whenUnsatisfiable'), 4: opt('labelSelector', labelSelector),
};

// --- the pod ---------------------------------------------------------------------------------

export const podSpec: Message = {
  1: list('volumes', volume), 20: list('initContainers', container), 2: list('containers', container),
  3: str('restartPolicy'), 4: opt('terminationGracePeriodSeconds', 'int'), 5: opt('activeDeadlineSeconds', 'int'),
  6: str('dnsPolicy'), 7: labels('nodeSelector'), 8: str('serviceAccountName'), 9: str('serviceAccount'),
  21: opt('automountServiceAccountToken', 'bool'), 10: str('nodeName'), 11: bool('hostNetwork'),
  12: bool('hostPID'), 13: bool('hostIPC'), 27: opt('shareProcessNamespace', 'bool'),
  14: opt('securityContext', podSecurityContext), 15: list('imagePullSecrets', localObjectReference),
  16: str('hostname'), 17: str('subdomain'), 18: opt('affinity', affinity), 19: str('schedulerName'),
  22: list('tolerations', toleration), 23: list('hostAliases', { 1: str('ip'), 2: strings('hostnames') }),
  24: str('priorityClassName'), 25: opt('priority', 'int'),
  26: opt('dnsConfig', { 1: strings('nameservers'), 2: strings('searches'), 3: list('options', { 1: str('name'), 2: opt('value', 'string') }) }),
  28: list('readinessGates', { 1: str('conditionType') }), 29: opt('runtimeClassName', 'string'),
  30: opt('enableServiceLinks', 'bool'), 31: opt('preemptionPolicy', 'string'), 32: map('overhead', 'quantity'),
  33: list('topologySpreadConstraints', topologySpreadConstraint), 35: opt('setHostnameAsFQDN', 'bool'),
  36: opt('os', { 1: str('name') }), 37: opt('hostUsers', 'bool'), 40: opt('resources', resourceRequirements),
  41: opt('hostnameOverride', 'string'),
};

export const podTemplateSpec: Message = { 1: metadata, 2: opt('spec', podSpec) };

/** The parts of PodStatus a client might send (kubectl sends an empty one). */
export const podStatus: Message = {
  1: str('phase'), 3: str('message'), 4: str('reason'), 11: str('nominatedNodeName'), 5: str('hostIP'),
  6: str('podIP'), 12: list('podIPs', { 1: str('ip') }), 7: opt('startTime', 'time'), 9: str('qosClass'),
};

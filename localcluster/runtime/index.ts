// Public surface of the local cluster's node-and-pod runtime (used by the kubelet stand-in and
// `ambit local`): networks, Service rules, DNS files, container processes, teardown, recovery.

export { ClusterRuntime, type HostsWriteTarget, type RuntimeConfig } from './cluster-runtime';
export {
  allocatePodIP,
  isPodIPOf,
  MAX_NODES_PER_BLOCK,
  nodeAddresses,
  planAddresses,
  type AddressPlan,
  type ClusterBlock,
  type NodeAddresses,
} from './address-plan';
export { RestartBackoff, type RestartPolicy } from './backoff';
export { checkPrerequisites, CommandError } from './exec';
export { CLUSTER_DOMAIN, renderHostsFile, renderResolvConf, type HostsTarget, type ServiceName } from './hosts-file';
export { findLeftovers, tearDownCluster } from './leftovers';
export { bridgeName, hostVethName, nodeNetnsName, podNetnsName, podVethName, validateClusterName } from './names';
export { killRecordedLeftovers } from './pid-records';
export type { PodNetwork, PodNetworkRequest } from './pod-network';
export { DEFAULT_STOP_GRACE_MS, type ContainerStart, type ContainerState, type ContainerTermination, type RunningContainer } from './processes';
export { SERVICE_ACCOUNT_MOUNT } from './sa-mountpoint';
export {
  Chain,
  MASQUERADE_MARK,
  renderServiceRules,
  type ServiceEndpoint,
  type ServicePortRule,
  type ServiceRule,
} from './service-rules';

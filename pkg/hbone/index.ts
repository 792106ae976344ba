// The public surface of pkg/hbone: the HBONE server, the client pool, splice, and the pure
// helpers for authorities and CONNECT metadata headers.

export * from './types';
export { formatAuthority, parseAuthority, unmapIpv4, isIpLiteral, MAX_AUTHORITY_LENGTH } from './authority';
export {
  buildBaggage,
  buildForwarded,
  isValidTraceparent,
  newTraceparent,
  parseBaggage,
  parseForwarded,
  MAX_BAGGAGE_ENTRIES,
  MAX_BAGGAGE_LENGTH,
} from './headers';
export { HboneConnectError, isHboneConnectError, codeForStatus } from './errors';
export { createHboneServer } from './server';
export { DEFAULT_SERVER_LIMITS } from './server-limits';
export { HbonePool, DEFAULT_POOL_OPTIONS, poolKey } from './pool';
export { splice, abortDuplex, type SpliceOptions, type SpliceResult } from './splice';
export { guardEmptyWrites } from './empty-write-guard';

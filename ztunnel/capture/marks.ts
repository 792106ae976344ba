// The packet and socket marks the capture rules and the transparent socket factory agree on.

/** Captured packets and replies for ztunnel's transparent sockets: routed to local delivery. */
export const CAPTURE_MARK = '0x100/0x100';
/** SO_MARK of ztunnel's outgoing transparent sockets; their connections get CAPTURE_MARK as connmark. */
export const SOCKET_MARK = 0x200;
export const SOCKET_MARK_MATCH = '0x200/0x200';

/* port.h - is a TCP port listening on this host?
 *
 * For the status ops of the in-tree modules: reads the kernel's socket
 * tables (/proc/net/tcp and /proc/net/tcp6) of the current network
 * namespace, so it needs no privileges and runs no program. No pointers
 * cross this interface. */
#ifndef WS_PORT_H
#define WS_PORT_H

/* 1 when some socket listens on port (any address, IPv4 or IPv6), 0 when
 * none does, -errno when neither table can be read. */
int ws_port_listening(unsigned port);

#endif

// The low-level socket helpers winmux exports as `winsock`, beside the networking classes
// (net/): enough to make, connect and drive non-blocking sockets that the reactor waits on.
export * from './winsock.ts';
export {
  AF_INET, AF_INET6, SOCK_STREAM, SOCK_DGRAM, IPPROTO_TCP, IPPROTO_UDP, SOL_SOCKET,
  SO_SNDBUF, SO_RCVBUF, SO_ERROR, SO_TYPE, SO_KEEPALIVE, SO_LINGER, TCP_NODELAY, TCP_KEEPALIVE, SD_RECEIVE, SD_SEND, SD_BOTH,
} from './ws2_32.ts';

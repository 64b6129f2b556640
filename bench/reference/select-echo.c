/*
 * The reference point for `npm run bench -- echo`: the classic single-threaded select() echo
 * server in C, Winsock only, no event-loop library. Same protocol and command line as
 * examples/echo-server.ts: `select-echo.exe [port=0]`, prints `listening <port>`.
 *
 * Built by bench/reference/build.mjs with MinGW-w64 when it is installed.
 */
#include <winsock2.h>
#include <stdio.h>
#include <stdlib.h>

#define MAX_CONNECTIONS 4096

/* A Winsock fd_set is a count and an array: any size works if the struct is big enough. */
typedef struct {
  u_int count;
  SOCKET sockets[MAX_CONNECTIONS + 1];
} socket_set;

static SOCKET connections[MAX_CONNECTIONS];
static int connection_count;
static socket_set readable;
static char buffer[65536];

static void drop(SOCKET s) {
  closesocket(s);
  for (int i = 0; i < connection_count; i++) {
    if (connections[i] == s) {
      connections[i] = connections[--connection_count];
      return;
    }
  }
}

/* Sends all of buffer[0..n); waits in select() for room when the kernel's buffer is full. */
static int send_all(SOCKET s, int n) {
  for (int sent = 0; sent < n;) {
    int m = send(s, buffer + sent, n - sent, 0);
    if (m > 0) {
      sent += m;
    } else if (WSAGetLastError() == WSAEWOULDBLOCK) {
      socket_set writable = {1, {s}};
      select(0, NULL, (fd_set *)&writable, NULL, NULL);
    } else {
      return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv) {
  WSADATA wsa;
  if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) return 1;
  SOCKET listener = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(argc > 1 ? (u_short)atoi(argv[1]) : 0);
  int length = sizeof address;
  u_long on = 1;
  if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 1024) != 0 ||
      getsockname(listener, (struct sockaddr *)&address, &length) != 0 || ioctlsocket(listener, FIONBIO, &on) != 0) {
    fprintf(stderr, "select-echo: cannot listen (WSA error %d)\n", WSAGetLastError());
    return 1;
  }
  printf("listening %d\n", ntohs(address.sin_port));
  fflush(stdout);
  for (;;) {
    readable.count = 0;
    readable.sockets[readable.count++] = listener;
    for (int i = 0; i < connection_count; i++) readable.sockets[readable.count++] = connections[i];
    if (select(0, (fd_set *)&readable, NULL, NULL, NULL) == SOCKET_ERROR) {
      fprintf(stderr, "select-echo: select failed (WSA error %d)\n", WSAGetLastError());
      return 1;
    }
    for (u_int k = 0; k < readable.count; k++) {
      SOCKET s = readable.sockets[k];
      if (s == listener) {
        for (SOCKET c; (c = accept(listener, NULL, NULL)) != INVALID_SOCKET;) {
          int one = 1;
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
          ioctlsocket(c, FIONBIO, &on);
          if (connection_count < MAX_CONNECTIONS) connections[connection_count++] = c;
          else closesocket(c);
        }
        continue;
      }
      int n = recv(s, buffer, sizeof buffer, 0);
      if (n > 0) {
        if (send_all(s, n) != 0) drop(s);
      } else if (n == 0 || WSAGetLastError() != WSAEWOULDBLOCK) {
        drop(s);
      }
    }
  }
}

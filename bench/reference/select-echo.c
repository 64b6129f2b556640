/*
 * The reference point for `npm run bench -- echo`: the classic single-threaded select() echo
 * server in C, Winsock only, no event-loop library. Same protocol and command line as
 * examples/echo-server.ts: `select-echo.exe [port=0]`, prints `listening <port>`.
 *
 * `select-echo.exe <port> times` (for `npm run bench -- round-trip`) also times its select, recv
 * and send calls (QueryPerformanceCounter around each) and, when a connection ends, prints
 * `times roundTrips=N select=… recv=… send=…`: microseconds per round trip spent in each, over
 * every connection so far. A round trip is a recv that got bytes and the send_all that echoed them.
 *
 * Built by bench/reference/build.mjs with MinGW-w64 when it is installed.
 */
#include <winsock2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int timing;
static LARGE_INTEGER frequency;
static double select_us, recv_us, send_us;
static long round_trips;

static double now_us(void) {
  LARGE_INTEGER counter;
  QueryPerformanceCounter(&counter);
  return (double)counter.QuadPart * 1e6 / (double)frequency.QuadPart;
}

static void drop(SOCKET s) {
  if (timing && round_trips > 0) {
    printf("times roundTrips=%ld select=%.1f recv=%.1f send=%.1f\n", round_trips, select_us / round_trips, recv_us / round_trips, send_us / round_trips);
    fflush(stdout);
  }
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
  timing = argc > 2 && strcmp(argv[2], "times") == 0;
  QueryPerformanceFrequency(&frequency);
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
    double before = timing ? now_us() : 0;
    int selected = select(0, (fd_set *)&readable, NULL, NULL, NULL);
    if (timing) select_us += now_us() - before;
    if (selected == SOCKET_ERROR) {
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
      double t0 = timing ? now_us() : 0;
      int n = recv(s, buffer, sizeof buffer, 0);
      double t1 = timing ? now_us() : 0;
      if (timing) recv_us += t1 - t0;
      if (n > 0) {
        int failed = send_all(s, n);
        if (timing) {
          send_us += now_us() - t1;
          round_trips++;
        }
        if (failed != 0) drop(s);
      } else if (n == 0 || WSAGetLastError() != WSAEWOULDBLOCK) {
        drop(s);
      }
    }
  }
}

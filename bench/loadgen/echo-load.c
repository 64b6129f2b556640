/*
 * The echo benchmark's load client on Linux: a native epoll program, so that the client does
 * not run under Wine beside the server it measures (a client under Wine shares the wineserver
 * with the server and skews the result). bench/launch.mjs builds and starts it; the benchmark,
 * running under Wine, drives it over loopback TCP.
 *
 *   echo-load serve
 *
 * Listens on 127.0.0.1, port 0, as a control server and prints `control <port>` on stdout. Then
 * it serves control connections one at a time. A control connection sends one line:
 *
 *   run <port> <connections> <seconds> [size=64]\n
 *       connect <connections> sockets to 127.0.0.1:<port> (all of them first, 10 s at most),
 *       then each one does ping-pong: send <size> bytes, wait until <size> bytes came back,
 *       repeat. First a warm-up, not measured: every connection sends its first ping at once,
 *       and the warm-up lasts until every connection has had its first echo (30 s at most; a
 *       server under Wine can take seconds to accept hundreds of connections, which is not the
 *       fairness of its loop). Then the measured phase, <seconds> long. Replies with one line of
 *       JSON (the figures, see reply_result) and closes the control connection and every load
 *       connection.
 *   quit\n
 *       replies {"quit":true} and exits.
 *
 * A line it cannot parse gets {"error":"…"}. The program exits when its stdin reaches EOF (the
 * parent that started it with a pipe has died), so it never outlives the benchmark.
 *
 * Build: cc -O2 -Wall -o echo-load echo-load.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 10.0
#define WARMUP_LIMIT_S 30.0
#define CONTROL_LINE_TIMEOUT_S 10.0
#define MAX_CONNECTIONS 100000
#define MAX_SECONDS 3600.0
#define MAX_SIZE (1 << 20)
#define MAX_EVENTS 1024

/* epoll tags for the descriptors that are not load connections (those carry their index). */
#define TAG_STDIN UINT64_MAX
#define TAG_CONTROL (UINT64_MAX - 1)
#define TAG_LISTEN (UINT64_MAX - 2)

static int stdin_watchable = 1; /* 0 when stdin cannot be polled (a regular file) */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* epoll_wait's timeout for `remaining` seconds: rounded up, so a wait never ends early. */
static int timeout_ms(double remaining) {
  if (remaining <= 0) return 0;
  double ms = ceil(remaining * 1000.0);
  return ms > 1e9 ? 1000000000 : (int)ms;
}

static void warn(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("echo-load: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
}

static void die(const char *what) {
  warn("%s: %s", what, strerror(errno));
  exit(1);
}

static int set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* Reads stdin after epoll reported it: exits at EOF (or an error); data is ignored. */
static void check_stdin(void) {
  char scratch[256];
  ssize_t n = read(STDIN_FILENO, scratch, sizeof scratch);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) exit(0);
}

static void watch_stdin(int ep) {
  if (!stdin_watchable) return;
  struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_STDIN};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev) < 0) die("epoll_ctl(stdin)");
}

/* Writes all of `text` to a blocking-enough socket, giving up after a few seconds. */
static void send_text(int fd, const char *text) {
  size_t length = strlen(text), sent = 0;
  double until = now_s() + 5.0;
  while (sent < length && now_s() < until) {
    ssize_t n = send(fd, text + sent, length - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += (size_t)n;
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      struct timespec pause = {0, 1000000};
      nanosleep(&pause, NULL);
    } else {
      return;
    }
  }
}

/* ---------- growable sample array and percentiles ---------- */

typedef struct {
  double *values;
  size_t count, capacity;
} samples;

static void samples_push(samples *s, double value) {
  if (s->count == s->capacity) {
    size_t capacity = s->capacity ? s->capacity * 2 : 4096;
    double *values = realloc(s->values, capacity * sizeof *values);
    if (values == NULL) return; /* out of memory: drop the sample rather than the run */
    s->values = values;
    s->capacity = capacity;
  }
  s->values[s->count++] = value;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* The nearest-rank percentile of sorted values (bench/stats.ts does the same); 0 when empty. */
static double percentile(const double *sorted, size_t count, double p) {
  if (count == 0) return 0;
  double rank = ceil(p / 100.0 * (double)count) - 1;
  size_t index = rank < 0 ? 0 : (size_t)rank;
  if (index >= count) index = count - 1;
  return sorted[index];
}

/* ---------- one run ---------- */

/*
 * The figures, as bench/load-client.ts computes them too:
 *   - warmupMs: from "every connect settled" to the last first echo, or the limit (30 s);
 *   - noFirstEcho: connections still open and without a first echo at the limit. They count as
 *     starved, their wait (the limit) counts in longestWaitMs, and they take no further part;
 *   - everything else covers the measured phase only: round trips (an echo counts when it is
 *     complete before the deadline), per-connection counts, p50/p99, longestWaitMs (a ping
 *     outstanding at the switch from warm-up waits from the switch; one still outstanding at the
 *     deadline counts with deadline − its send);
 *   - per-connection figures and `starved` are over the connections that connected;
 *   - errors: connections the server reset or closed, warm-up included.
 */

enum conn_state { CONNECTING, OPEN, DEAD, FAILED };

typedef struct {
  int fd;
  enum conn_state state;
  size_t to_send;     /* bytes of the current message not yet written */
  size_t received;    /* bytes of the current echo received */
  int waiting;        /* a message is out and its echo not complete */
  int want_write;     /* EPOLLOUT is armed */
  int first_echo;     /* its first echo came (during the warm-up) */
  int given_up;       /* no first echo by the warm-up limit: starved, out of the run */
  double sent_at;     /* when the current message's first byte was written (or the switch) */
  long round_trips;   /* in the measured phase */
} conn;

typedef struct {
  int port, connections, size;
  double seconds;
} run_params;

typedef struct {
  int connected;
  long round_trips;
  long per_min, per_median, per_max;
  int starved, no_first_echo;
  double warmup_ms, longest_wait_ms, p50us, p99us;
  int errors;
} run_result;

/* What the event handlers share during one run. */
typedef struct {
  int ep;
  const char *message;
  int size;
  int errors;
  int warming;          /* 1 during the warm-up, 0 in the measured phase */
  int awaiting_first;   /* open connections without their first echo (warm-up) */
  double last_first_echo;
  double deadline;      /* end of the measured phase (valid once warming is 0) */
  double longest_wait;  /* measured phase only, seconds */
  samples latencies;    /* measured phase only, µs */
} run_state;

static int compare_longs(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

static void arm(int ep, conn *c, long index, uint32_t events, int op) {
  struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)index};
  if (epoll_ctl(ep, op, c->fd, &ev) < 0) die("epoll_ctl(load)");
}

/* The load connection failed or the server closed it: it takes no further part. */
static void drop(run_state *st, conn *c, double at) {
  if (c->state == OPEN) {
    st->errors++;
    if (st->warming && !c->first_echo) st->awaiting_first--;
    if (!st->warming && c->waiting) {
      double until = at < st->deadline ? at : st->deadline;
      if (until - c->sent_at > st->longest_wait) st->longest_wait = until - c->sent_at;
    }
  }
  epoll_ctl(st->ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  c->fd = -1;
  c->state = c->state == CONNECTING ? FAILED : DEAD;
  c->waiting = 0;
}

/* Writes what is left of the current message; arms or disarms EPOLLOUT to match. 0: dropped. */
static int pump_write(run_state *st, conn *c, long index) {
  while (c->to_send > 0) {
    ssize_t n = send(c->fd, st->message + (st->size - (int)c->to_send), c->to_send, MSG_NOSIGNAL);
    if (n > 0) {
      c->to_send -= (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      drop(st, c, now_s());
      return 0;
    }
  }
  int want = c->to_send > 0;
  if (want != c->want_write) {
    arm(st->ep, c, index, EPOLLIN | (want ? EPOLLOUT : 0), EPOLL_CTL_MOD);
    c->want_write = want;
  }
  return 1;
}

static void start_message(run_state *st, conn *c, long index) {
  c->to_send = (size_t)st->size;
  c->received = 0;
  c->waiting = 1;
  c->sent_at = now_s();
  pump_write(st, c, index);
}

/* One readiness event of load connection `index`. */
static void on_load_event(run_state *st, conn *c, long index, uint32_t e, char *buffer) {
  if (c->state != OPEN) return;
  if ((e & EPOLLOUT) && c->to_send > 0) {
    if (!pump_write(st, c, index)) return;
  }
  if (!(e & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
  ssize_t got = recv(c->fd, buffer, 65536, 0);
  if (got < 0 && (errno == EAGAIN || errno == EINTR)) return;
  double at = now_s();
  if (got <= 0) {
    drop(st, c, at);
    return;
  }
  if (c->given_up) return; /* out of the run: its bytes are drained and ignored */
  c->received += (size_t)got;
  if (!c->waiting || c->received < (size_t)st->size || c->to_send != 0) return;
  c->waiting = 0;
  if (st->warming) {
    if (!c->first_echo) {
      c->first_echo = 1;
      st->awaiting_first--;
      st->last_first_echo = at;
    }
  } else {
    if (at > st->deadline) return; /* late: the run is over */
    double wait = at - c->sent_at;
    if (wait > st->longest_wait) st->longest_wait = wait;
    samples_push(&st->latencies, wait * 1e6);
    c->round_trips++;
  }
  start_message(st, c, index);
}

/*
 * Runs the load. Returns 0, or -1 when the controller went away during the run (the result is
 * then not wanted). Exits the process if stdin reaches EOF.
 */
/*
 * Serves the load connections' events until `until`, until (warm-up) every connection has had
 * its first echo, or until the controller hangs up. Returns 1 if it hung up (the run is aborted).
 */
static int serve_load(run_state *st, conn *conns, struct epoll_event *events, char *buffer, double until, int warmup) {
  for (;;) {
    double now = now_s();
    if (now >= until || (warmup && st->awaiting_first <= 0)) return 0;
    int n = epoll_wait(st->ep, events, MAX_EVENTS, timeout_ms(until - now));
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      uint64_t tag = events[k].data.u64;
      if (tag == TAG_STDIN) { check_stdin(); continue; }
      if (tag == TAG_CONTROL) return 1;
      on_load_event(st, &conns[tag], (long)tag, events[k].events, buffer);
    }
  }
}

static int run_load(const run_params *p, int control, run_result *out) {
  memset(out, 0, sizeof *out);
  conn *conns = calloc((size_t)p->connections, sizeof *conns);
  char *message = malloc((size_t)p->size);
  char *buffer = malloc(65536);
  struct epoll_event *events = malloc(MAX_EVENTS * sizeof *events);
  if (!conns || !message || !buffer || !events) die("malloc");
  memset(message, 7, (size_t)p->size);
  run_state st = {.message = message, .size = p->size, .warming = 1};
  st.ep = epoll_create1(EPOLL_CLOEXEC);
  if (st.ep < 0) die("epoll_create1");
  int ep = st.ep;
  watch_stdin(ep);
  struct epoll_event cev = {.events = EPOLLRDHUP, .data.u64 = TAG_CONTROL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, control, &cev) < 0) die("epoll_ctl(control)");

  struct sockaddr_in target = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->port)};
  target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int aborted = 0, connecting = 0, failed = 0, first_error = 0;

  /* Connect everything first. */
  for (long i = 0; i < p->connections; i++) {
    conn *c = &conns[i];
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
      if (!first_error) first_error = errno;
      c->state = FAILED;
      failed++;
      continue;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->state = CONNECTING;
    if (connect(c->fd, (struct sockaddr *)&target, sizeof target) < 0 && errno != EINPROGRESS) {
      if (!first_error) first_error = errno;
      close(c->fd);
      c->fd = -1;
      c->state = FAILED;
      failed++;
      continue;
    }
    /* A loopback connect that completed at once is still reported writable: one path for all. */
    arm(ep, c, i, EPOLLOUT, EPOLL_CTL_ADD);
    connecting++;
  }
  double connect_deadline = now_s() + CONNECT_TIMEOUT_S;
  while (connecting > 0 && !aborted) {
    double remaining = connect_deadline - now_s();
    if (remaining <= 0) break;
    int n = epoll_wait(ep, events, MAX_EVENTS, timeout_ms(remaining));
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      uint64_t tag = events[k].data.u64;
      if (tag == TAG_STDIN) { check_stdin(); continue; }
      if (tag == TAG_CONTROL) { aborted = 1; continue; }
      conn *c = &conns[tag];
      if (c->state != CONNECTING) continue;
      int error = 0;
      socklen_t length = sizeof error;
      if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &error, &length) < 0) error = errno;
      connecting--;
      if (error != 0) {
        if (!first_error) first_error = error;
        drop(&st, c, 0);
        failed++;
      } else {
        c->state = OPEN;
        out->connected++;
        arm(ep, c, (long)tag, EPOLLIN, EPOLL_CTL_MOD);
      }
    }
  }
  for (long i = 0; i < p->connections && connecting > 0; i++) {
    if (conns[i].state == CONNECTING) {
      drop(&st, &conns[i], 0);
      connecting--;
      failed++;
      if (!first_error) first_error = ETIMEDOUT;
    }
  }
  if (failed > 0) {
    warn("%d of %d connections to 127.0.0.1:%d failed (%s)", failed, p->connections, p->port, strerror(first_error));
  }

  /* Warm-up: every connection sends its first ping now; ping-pong goes on, not counted. */
  double connects_done = now_s(), warmup_limit = connects_done + WARMUP_LIMIT_S;
  st.last_first_echo = connects_done;
  for (long i = 0; i < p->connections; i++) {
    if (conns[i].state == OPEN) st.awaiting_first++;
  }
  for (long i = 0; i < p->connections; i++) {
    if (conns[i].state == OPEN) start_message(&st, &conns[i], i);
  }
  if (!aborted) aborted = serve_load(&st, conns, events, buffer, warmup_limit, 1);

  /* The switch: the measured phase starts now. */
  double start = now_s();
  st.warming = 0;
  st.deadline = start + p->seconds;
  if (st.awaiting_first > 0) {
    out->warmup_ms = WARMUP_LIMIT_S * 1000.0;
    for (long i = 0; i < p->connections; i++) {
      conn *c = &conns[i];
      if (c->state != OPEN || c->first_echo) continue;
      c->given_up = 1;
      c->waiting = 0;
      out->no_first_echo++;
    }
    st.longest_wait = WARMUP_LIMIT_S;
  } else {
    out->warmup_ms = (st.last_first_echo - connects_done) * 1000.0;
  }
  for (long i = 0; i < p->connections; i++) {
    if (conns[i].state == OPEN && conns[i].waiting) conns[i].sent_at = start;
  }

  /* Ping-pong until the deadline. */
  if (!aborted) aborted = serve_load(&st, conns, events, buffer, st.deadline, 0);

  /* Figures. A connection still waiting at the deadline has waited (deadline − send) so far. */
  long *counts = malloc(((size_t)out->connected + 1) * sizeof *counts);
  if (!counts) die("malloc");
  size_t counted = 0;
  for (long i = 0; i < p->connections; i++) {
    conn *c = &conns[i];
    if (c->state == OPEN && c->waiting && st.deadline - c->sent_at > st.longest_wait) st.longest_wait = st.deadline - c->sent_at;
    if (c->state == OPEN || c->state == DEAD) {
      counts[counted++] = c->round_trips;
      out->round_trips += c->round_trips;
      if (c->round_trips == 0) out->starved++; /* the given-up ones have none */
    }
    if (c->fd >= 0) close(c->fd);
  }
  qsort(counts, counted, sizeof *counts, compare_longs);
  if (counted > 0) {
    out->per_min = counts[0];
    out->per_max = counts[counted - 1];
    double rank = ceil(0.5 * (double)counted) - 1;
    out->per_median = counts[rank < 0 ? 0 : (size_t)rank];
  }
  samples *latencies = &st.latencies;
  qsort(latencies->values, latencies->count, sizeof(double), compare_doubles);
  out->p50us = percentile(latencies->values, latencies->count, 50);
  out->p99us = percentile(latencies->values, latencies->count, 99);
  out->longest_wait_ms = st.longest_wait * 1000.0;
  out->errors = st.errors;
  free(latencies->values);
  free(counts);
  free(conns);
  free(message);
  free(buffer);
  free(events);
  close(ep);
  return aborted ? -1 : 0;
}

static void reply_result(int control, const run_params *p, const run_result *r) {
  char line[1024];
  snprintf(line, sizeof line,
    "{\"connections\":%d,\"seconds\":%g,\"connected\":%d,\"roundTrips\":%ld,\"rate\":%.1f,"
    "\"perConnMin\":%ld,\"perConnMedian\":%ld,\"perConnMax\":%ld,\"starved\":%d,\"longestWaitMs\":%.1f,"
    "\"p50us\":%.1f,\"p99us\":%.1f,\"errors\":%d,\"warmupMs\":%.1f,\"noFirstEcho\":%d}\n",
    p->connections, p->seconds, r->connected, r->round_trips, (double)r->round_trips / p->seconds,
    r->per_min, r->per_median, r->per_max, r->starved, r->longest_wait_ms, r->p50us, r->p99us, r->errors,
    r->warmup_ms, r->no_first_echo);
  send_text(control, line);
}

static void reply_error(int control, const char *message) {
  char line[512];
  snprintf(line, sizeof line, "{\"error\":\"%s\"}\n", message);
  send_text(control, line);
}

/*
 * Reads one line from the control connection into `line` (NUL-terminated, '\n' and '\r'
 * removed), watching stdin meanwhile. Returns its length, or -1 (closed, too long, timed out).
 */
static int read_control_line(int control, char *line, size_t capacity) {
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  watch_stdin(ep);
  struct epoll_event cev = {.events = EPOLLIN, .data.u64 = TAG_CONTROL};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, control, &cev) < 0) die("epoll_ctl(control)");
  size_t length = 0;
  int result = -1;
  double deadline = now_s() + CONTROL_LINE_TIMEOUT_S;
  for (;;) {
    double remaining = deadline - now_s();
    if (remaining <= 0) break;
    struct epoll_event events[2];
    int n = epoll_wait(ep, events, 2, timeout_ms(remaining));
    if (n < 0 && errno != EINTR) die("epoll_wait");
    int done = 0;
    for (int k = 0; k < n && !done; k++) {
      if (events[k].data.u64 == TAG_STDIN) { check_stdin(); continue; }
      ssize_t got = recv(control, line + length, capacity - 1 - length, 0);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) { done = 1; break; }
      length += (size_t)got;
      char *newline = memchr(line, '\n', length);
      if (newline != NULL) {
        *newline = '\0';
        length = (size_t)(newline - line);
        if (length > 0 && line[length - 1] == '\r') line[--length] = '\0';
        result = (int)length;
        done = 1;
      } else if (length == capacity - 1) {
        done = 1; /* too long */
      }
    }
    if (done) break;
  }
  close(ep);
  return result;
}

/* Serves one control connection. Returns 1 when it asked the program to quit. */
static int serve_control(int control) {
  char line[256];
  if (read_control_line(control, line, sizeof line) < 0) return 0;
  if (strcmp(line, "quit") == 0) {
    send_text(control, "{\"quit\":true}\n");
    return 1;
  }
  run_params p = {.size = 64};
  char extra;
  int fields = sscanf(line, "run %d %d %lf %d %c", &p.port, &p.connections, &p.seconds, &p.size, &extra);
  if (fields < 3 || fields > 4) {
    reply_error(control, "expected: run <port> <connections> <seconds> [size] | quit");
    return 0;
  }
  if (p.port < 1 || p.port > 65535 || p.connections < 1 || p.connections > MAX_CONNECTIONS ||
      !(p.seconds > 0 && p.seconds <= MAX_SECONDS) || p.size < 1 || p.size > MAX_SIZE) {
    reply_error(control, "out of range: port 1-65535, connections 1-100000, seconds (0, 3600], size 1-1048576");
    return 0;
  }
  run_result r;
  if (run_load(&p, control, &r) == 0) reply_result(control, &p, &r);
  return 0;
}

static void raise_fd_limit(void) {
  struct rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) < 0) warn("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
  }
}

int main(int argc, char **argv) {
  if (argc != 2 || strcmp(argv[1], "serve") != 0) {
    fprintf(stderr, "usage: echo-load serve\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  /* Belt and braces beside the stdin EOF check: die with the parent. */
  pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 0;
  raise_fd_limit();

  /* stdin: watched for EOF. A regular file cannot be polled (EPERM): then only `quit` ends us. */
  int probe = epoll_create1(EPOLL_CLOEXEC);
  if (probe < 0) die("epoll_create1");
  struct epoll_event sev = {.events = EPOLLIN, .data.u64 = TAG_STDIN};
  if (epoll_ctl(probe, EPOLL_CTL_ADD, STDIN_FILENO, &sev) < 0) {
    if (errno != EPERM) die("epoll_ctl(stdin)");
    stdin_watchable = 0;
    warn("stdin cannot be polled; only a `quit` control line ends this process");
  }
  close(probe);
  if (stdin_watchable) set_nonblocking(STDIN_FILENO);

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = 0};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
  if (listen(listener, 16) < 0) die("listen");
  socklen_t length = sizeof address;
  if (getsockname(listener, (struct sockaddr *)&address, &length) < 0) die("getsockname");
  printf("control %d\n", ntohs(address.sin_port));
  fflush(stdout);

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  watch_stdin(ep);
  struct epoll_event lev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, listener, &lev) < 0) die("epoll_ctl(listener)");
  for (;;) {
    struct epoll_event events[2];
    /* No deadline needed here: stdin's EOF (or the parent-death signal) ends the wait. */
    int n = epoll_wait(ep, events, 2, -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int k = 0; k < n; k++) {
      if (events[k].data.u64 == TAG_STDIN) { check_stdin(); continue; }
      int control = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (control < 0) continue;
      int one = 1;
      setsockopt(control, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      int quit = serve_control(control);
      close(control);
      if (quit) return 0;
    }
  }
}

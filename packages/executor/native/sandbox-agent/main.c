/* baaaht-sandbox-agent: the in-sandbox agent. Runs as a hardened container's entry (PID 1), reads frames on
 * stdin, runs each RUN with fork + execve (no shell) in its own process group, and writes framed output and
 * exits on stdout. Protocol: PROTOCOL.md. Single-threaded; one poll() loop over stdin, every call's pipes and
 * a self-pipe for signals. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <dirent.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#define MAX_CALLS 64
#define CHUNK 65536u               /* largest STDOUT/STDERR body the agent sends */
#define STDIN_HIGH (1u << 20)      /* stop reading the host while a call has this much unwritten stdin */
#define DRAIN_MAX (2u << 20)       /* output read per stream after the leader exits (covers a full pipe) */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

extern char **environ;

/* One running call. The slot is free when used == 0; a call ends when its leader is reaped. */
typedef struct {
  int used;
  uint32_t id;
  pid_t pid; /* also the process group id */
  int in_fd, out_fd, err_fd; /* agent ends, non-blocking, -1 once closed */
  uint8_t *in_buf;           /* stdin the child has not read yet */
  size_t in_len, in_off;
  int in_eof;
  int64_t deadline, kill_at; /* CLOCK_MONOTONIC ms, 0: none */
  int timed_out, cancelled;
} call_t;

static call_t calls[MAX_CALLS];
static int sig_pipe[2] = {-1, -1};
static volatile sig_atomic_t got_term;
static int once_mode, once_ran;
static uint8_t obuf[HEADER_BYTES + CHUNK]; /* every frame the agent sends fits */
static uint8_t *ibuf;                      /* bytes read from the host, not yet parsed */
static size_t ilen, icap;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kill_all_and_exit(int status);

/* Writes everything, across partial writes, EINTR and a non-blocking stdout. The host is gone if it fails. */
static void write_all(int fd, const uint8_t *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w > 0) {
      p += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EAGAIN) {
      struct pollfd pf = {fd, POLLOUT, 0};
      (void)poll(&pf, 1, -1);
    } else if (!(w < 0 && errno == EINTR)) {
      kill_all_and_exit(1);
    }
  }
}

static void send_frame(uint8_t type, uint32_t id, const void *body, uint32_t len) {
  if (len > 0 && body != obuf + HEADER_BYTES) memmove(obuf + HEADER_BYTES, body, len);
  frame_header(obuf, type, id, len);
  write_all(STDOUT_FILENO, obuf, HEADER_BYTES + len);
}

static void send_error(uint32_t id, uint32_t code, int err, const char *msg) {
  uint8_t b[8 + 200];
  size_t n = strnlen(msg, 200);
  put_u32(b, code);
  put_u32(b + 4, (uint32_t)err);
  memcpy(b + 8, msg, n);
  send_frame(F_ERROR, id, b, (uint32_t)(8 + n));
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void free_call(call_t *c) {
  close_fd(&c->in_fd);
  close_fd(&c->out_fd);
  close_fd(&c->err_fd);
  free(c->in_buf);
  memset(c, 0, sizeof *c);
  c->in_fd = c->out_fd = c->err_fd = -1;
}

/* Host gone, SIGTERM or a protocol error: kill every call's process group, reap the leaders, exit. */
static void kill_all_and_exit(int status) {
  for (int i = 0; i < MAX_CALLS; i++)
    if (calls[i].used) kill(-calls[i].pid, SIGKILL);
  for (int i = 0; i < MAX_CALLS; i++)
    if (calls[i].used)
      while (waitpid(calls[i].pid, NULL, 0) < 0 && errno == EINTR) {
      }
  _exit(status);
}

static void protocol_error(const char *msg) {
  send_error(0, E_BAD_FRAME, 0, msg);
  kill_all_and_exit(2);
}

static call_t *find_call(uint32_t id) {
  for (int i = 0; i < MAX_CALLS; i++)
    if (calls[i].used && calls[i].id == id) return &calls[i];
  return NULL;
}

/* Reads one chunk of a call's stdout or stderr into a frame. 1: data sent; 0: EOF or error (fd closed); -1: none. */
static int pump(call_t *c, int *fd, uint8_t type) {
  ssize_t r;
  do r = read(*fd, obuf + HEADER_BYTES, CHUNK);
  while (r < 0 && errno == EINTR);
  if (r > 0) {
    send_frame(type, c->id, obuf + HEADER_BYTES, (uint32_t)r);
    return 1;
  }
  if (r < 0 && errno == EAGAIN) return -1;
  close_fd(fd);
  return 0;
}

/* Writes pending stdin to the child; closes its stdin after STDIN_EOF, or when it stopped reading (EPIPE). */
static void flush_stdin(call_t *c) {
  while (c->in_fd >= 0 && c->in_off < c->in_len) {
    ssize_t w = write(c->in_fd, c->in_buf + c->in_off, c->in_len - c->in_off);
    if (w > 0) {
      c->in_off += (size_t)w;
    } else if (w < 0 && errno == EAGAIN) {
      return;
    } else if (!(w < 0 && errno == EINTR)) {
      close_fd(&c->in_fd);
    }
  }
  c->in_len = c->in_off = 0;
  if (c->in_eof) close_fd(&c->in_fd);
}

/* The leader was reaped: deliver what it left in the pipes, then EXIT. Processes it left behind keep running
 * (they share the sandbox) but lose their stdout and stderr. */
static void end_call(call_t *c, int status) {
  size_t out = 0, err = 0;
  while (c->out_fd >= 0 && out < DRAIN_MAX && pump(c, &c->out_fd, F_STDOUT) == 1) out += CHUNK;
  while (c->err_fd >= 0 && err < DRAIN_MAX && pump(c, &c->err_fd, F_STDERR) == 1) err += CHUNK;
  uint8_t b[6];
  int signaled = WIFSIGNALED(status);
  b[0] = (uint8_t)signaled;
  put_u32(b + 1, (uint32_t)(signaled ? WTERMSIG(status) : WEXITSTATUS(status)));
  b[5] = (uint8_t)((c->timed_out ? 1 : 0) | (c->cancelled ? 2 : 0));
  send_frame(F_EXIT, c->id, b, sizeof b);
  free_call(c);
  if (once_mode) kill_all_and_exit(signaled ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0 || (pid < 0 && errno == EINTR)) {
    for (int i = 0; pid > 0 && i < MAX_CALLS; i++)
      if (calls[i].used && calls[i].pid == pid) end_call(&calls[i], status);
    /* any other pid: an orphan re-parented to us (PID 1 or subreaper), now reaped */
  }
}

/* The child's environment: the agent's own, with the RUN's pairs replacing or adding. */
static char **merge_env(char **add, uint32_t addc) {
  size_t n = 0;
  while (environ[n] != NULL) n++;
  char **env = calloc(n + addc + 1, sizeof *env);
  if (env == NULL) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    int replaced = 0;
    for (uint32_t j = 0; j < addc && !replaced; j++) {
      size_t nl = (size_t)(strchr(add[j], '=') - add[j]) + 1;
      replaced = strncmp(environ[i], add[j], nl) == 0;
    }
    if (!replaced) env[k++] = environ[i];
  }
  for (uint32_t j = 0; j < addc; j++) env[k++] = add[j];
  return env;
}

/* execve with an execvp-style PATH search (the child's PATH), but never a shell fallback. Returns on failure. */
static void exec_search(char **argv, char **envp) {
  const char *file = argv[0], *path = DEFAULT_PATH;
  if (strchr(file, '/') != NULL) {
    execve(file, argv, envp);
    return;
  }
  for (char **e = envp; *e != NULL; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  size_t fl = strlen(file);
  int eacces = 0;
  errno = ENOENT;
  for (const char *p = path; *p != '\0';) {
    const char *end = strchrnul(p, ':');
    size_t dl = (size_t)(end - p);
    char buf[4096];
    if (dl > 0 && dl + 1 + fl < sizeof buf) {
      memcpy(buf, p, dl);
      buf[dl] = '/';
      memcpy(buf + dl + 1, file, fl + 1);
      execve(buf, argv, envp);
      if (errno == EACCES) eacces = 1;
      else if (errno != ENOENT && errno != ENOTDIR) return;
    }
    p = *end == ':' ? end + 1 : end;
  }
  errno = eacces ? EACCES : ENOENT;
}

/* The fds /proc/self/fd lists from lowfd up, closed until a pass finds none (closing changes the listing).
 * getdents64 into a stack buffer: the child calls this between fork and execve. Returns -1 without /proc. */
static int close_listed(int lowfd) {
  int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return -1;
  char buf[2048] __attribute__((aligned(8)));
  for (int closed = 1; closed;) {
    closed = 0;
    if (lseek(dfd, 0, SEEK_SET) < 0) break;
    long n;
    while ((n = syscall(SYS_getdents64, dfd, buf, sizeof buf)) > 0) {
      for (long off = 0; off < n;) {
        struct dirent64 *d = (struct dirent64 *)(buf + off);
        off += d->d_reclen;
        int fd = 0;
        const char *c = d->d_name;
        if (*c < '0' || *c > '9') continue;
        for (; *c >= '0' && *c <= '9' && fd < 1 << 24; c++) fd = fd * 10 + (*c - '0');
        if (*c == '\0' && fd >= lowfd && fd != dfd && close(fd) == 0) closed = 1;
      }
    }
    if (n < 0) break;
  }
  close(dfd);
  return 0;
}

static void close_from(int lowfd) {
  if (close_range((unsigned)lowfd, ~0u, 0) == 0) return;
  /* No close_range (kernels before 5.9, gVisor before 2023): close what is open, not every number up to
   * RLIMIT_NOFILE: 20,000 close() calls take about 580 ms under gVisor's ptrace platform, 6 ms under runc. */
  if (close_listed(lowfd) == 0) return;
  struct rlimit rl;
  int max = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536 ? (int)rl.rlim_cur : 65536;
  for (int fd = lowfd; fd < max; fd++) close(fd);
}

/* In the forked child: own session and process group, pipes on 0/1/2, nothing else open, default signals. */
static void child(const run_req_t *r, char **envp, int in[2], int out[2], int err[2], int rep) {
  int e[2] = {0, 0};
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGPIPE, SIG_DFL); /* an ignored signal would stay ignored across execve */
  signal(SIGCHLD, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  setsid();
  if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) {
    e[0] = E_SPAWN_FAILED;
    e[1] = errno;
  } else {
    /* the report pipe moves down to fd 3 (still CLOEXEC) so that closing 4 and up keeps it */
    if (rep != 3) rep = dup3(rep, 3, O_CLOEXEC) == 3 ? 3 : -1;
    close_from(4);
    if (r->cwd != NULL && chdir(r->cwd) != 0) {
      e[0] = E_CHDIR_FAILED;
      e[1] = errno;
    } else {
      exec_search(r->argv, envp);
      e[0] = E_EXEC_FAILED;
      e[1] = errno;
    }
  }
  if (rep >= 0) {
    ssize_t w = write(rep, e, sizeof e);
    (void)w;
  }
  _exit(127);
}

static int pipe_pair(int p[2]) { return pipe2(p, O_CLOEXEC); }

static void start_call(const frame_t *f) {
  if (find_call(f->call_id) != NULL) protocol_error("RUN with a call id that is running");
  if (once_mode && once_ran) protocol_error("a second RUN in --once mode");
  call_t *c = NULL;
  for (int i = 0; i < MAX_CALLS && c == NULL; i++)
    if (!calls[i].used) c = &calls[i];
  if (c == NULL) {
    send_error(f->call_id, E_TOO_MANY_CALLS, 0, "too many concurrent calls");
    return;
  }
  run_req_t r;
  const char *why = "out of memory";
  int rc = frame_parse_run(f, &r, &why);
  if (rc != 0) {
    send_error(f->call_id, rc == -1 ? E_BAD_REQUEST : E_SPAWN_FAILED, rc == -1 ? 0 : ENOMEM, why);
    if (once_mode) kill_all_and_exit(127);
    return;
  }
  once_ran = 1;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1};
  char **envp = merge_env(r.env, r.envc);
  pid_t pid = -1;
  int e[2] = {E_SPAWN_FAILED, 0};
  if (envp == NULL || pipe_pair(in) || pipe_pair(out) || pipe_pair(err) || pipe_pair(rep) || (pid = fork()) < 0) {
    e[1] = errno;
  } else if (pid == 0) {
    child(&r, envp, in, out, err, rep[1]);
  }
  int *fds[] = {&in[0], &out[1], &err[1], &rep[1]};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) close_fd(fds[i]);
  if (pid > 0) { /* the child's setsid() precedes its execve, so once this read returns kill(-pid) reaches it */
    ssize_t got;
    do got = read(rep[0], e, sizeof e);
    while (got < 0 && errno == EINTR);
    if (got != (ssize_t)sizeof e) e[0] = 0; /* EOF: execve succeeded and closed the CLOEXEC report pipe */
  }
  close_fd(&rep[0]);
  free(envp);
  uint32_t timeout_ms = r.timeout_ms;
  run_req_free(&r);
  if (e[0] != 0) {
    if (pid > 0)
      while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
      }
    close_fd(&in[1]);
    close_fd(&out[0]);
    close_fd(&err[0]);
    const char *msg = e[0] == E_EXEC_FAILED ? "exec failed" : e[0] == E_CHDIR_FAILED ? "chdir failed" : "spawn failed";
    send_error(f->call_id, (uint32_t)e[0], e[1], msg);
    if (once_mode) kill_all_and_exit(127);
    return;
  }
  c->used = 1;
  c->id = f->call_id;
  c->pid = pid;
  c->in_fd = in[1];
  c->out_fd = out[0];
  c->err_fd = err[0];
  for (int i = 0; i < 3; i++) {
    int fd = i == 0 ? c->in_fd : i == 1 ? c->out_fd : c->err_fd;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  c->deadline = timeout_ms ? now_ms() + timeout_ms : 0;
  uint8_t b[4];
  put_u32(b, (uint32_t)pid);
  send_frame(F_STARTED, c->id, b, sizeof b);
}

static void handle_frame(const frame_t *f) {
  call_t *c = f->type == F_RUN || f->type == F_PING ? NULL : find_call(f->call_id);
  switch (f->type) {
    case F_RUN:
      start_call(f);
      break;
    case F_PING:
      send_frame(F_PONG, f->call_id, NULL, 0);
      break;
    case F_STDIN: /* for a call that already ended or closed its stdin: dropped (a normal race) */
      if (c == NULL || c->in_fd < 0 || c->in_eof || f->body_len == 0) break;
      if (c->in_off > 0) {
        memmove(c->in_buf, c->in_buf + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
      }
      uint8_t *nb = realloc(c->in_buf, c->in_len + f->body_len);
      if (nb == NULL) protocol_error("out of memory buffering stdin");
      c->in_buf = nb;
      memcpy(c->in_buf + c->in_len, f->body, f->body_len);
      c->in_len += f->body_len;
      flush_stdin(c);
      break;
    case F_STDIN_EOF:
      if (c == NULL) break;
      c->in_eof = 1;
      flush_stdin(c);
      break;
    case F_CANCEL:
      if (c == NULL) break;
      c->cancelled = 1;
      uint32_t grace = get_u32(f->body + 1);
      if (f->body[0] != 0 || grace == 0) {
        kill(-c->pid, SIGKILL);
      } else {
        kill(-c->pid, SIGTERM);
        int64_t at = now_ms() + grace;
        if (c->kill_at == 0 || at < c->kill_at) c->kill_at = at;
      }
      break;
  }
}

/* Reads what the host sent and handles every complete frame. */
static void read_host(void) {
  size_t need = ilen + CHUNK;
  if (ilen >= FRAME_LEN_BYTES) {
    uint32_t n = get_u32(ibuf);
    if (n <= FRAME_MAX && FRAME_LEN_BYTES + (size_t)n > need) need = FRAME_LEN_BYTES + n;
  }
  if (need > icap) {
    uint8_t *nb = realloc(ibuf, need);
    if (nb == NULL) protocol_error("out of memory reading frames");
    ibuf = nb;
    icap = need;
  }
  ssize_t r = read(STDIN_FILENO, ibuf + ilen, icap - ilen);
  if (r < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (r <= 0) kill_all_and_exit(0); /* the host is gone */
  ilen += (size_t)r;
  size_t off = 0, used;
  frame_t f;
  const char *why = "";
  int rc;
  while ((rc = frame_next(ibuf + off, ilen - off, &f, &used, &why)) == 1) {
    handle_frame(&f);
    off += used;
  }
  if (rc < 0) protocol_error(why);
  if (off > 0) memmove(ibuf, ibuf + off, ilen - off);
  ilen -= off;
}

static void on_signal(int sig) {
  int saved = errno;
  if (sig == SIGTERM || sig == SIGINT) got_term = 1;
  ssize_t w = write(sig_pipe[1], "s", 1);
  (void)w;
  errno = saved;
}

static void check_deadlines(int64_t now, int *timeout) {
  for (int i = 0; i < MAX_CALLS; i++) {
    call_t *c = &calls[i];
    if (!c->used) continue;
    if (c->deadline && now >= c->deadline && !c->timed_out) {
      c->timed_out = 1;
      kill(-c->pid, SIGKILL);
    }
    if (c->kill_at && now >= c->kill_at) {
      c->kill_at = 0;
      kill(-c->pid, SIGKILL);
    }
    int64_t next = c->kill_at;
    if (c->deadline && !c->timed_out && (next == 0 || c->deadline < next)) next = c->deadline;
    if (next && (*timeout < 0 || next - now < *timeout)) *timeout = (int)(next - now);
  }
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--once") == 0) {
      once_mode = 1;
    } else {
      fprintf(stderr, "usage: baaaht-sandbox-agent [--once]   (frames on stdin/stdout: see PROTOCOL.md)\n");
      return 2;
    }
  }
  for (int i = 0; i < MAX_CALLS; i++) calls[i].in_fd = calls[i].out_fd = calls[i].err_fd = -1;
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (getpid() != 1) prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); /* orphans come to us, as to PID 1 */
  for (int fd = 0; fd < 3; fd++)
    if (fcntl(fd, F_GETFD) >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigaction(SIGCHLD, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  uint8_t hello[16];
  put_u32(hello, PROTO_VERSION);
  put_u32(hello + 4, (uint32_t)getpid());
  put_u32(hello + 8, MAX_CALLS);
  put_u32(hello + 12, FRAME_MAX);
  send_frame(F_READY, 0, hello, sizeof hello);

  struct pollfd pfd[2 + 3 * MAX_CALLS];
  call_t *owner[2 + 3 * MAX_CALLS];
  for (;;) {
    int n = 0, paused = 0, timeout = -1;
    pfd[n++] = (struct pollfd){sig_pipe[0], POLLIN, 0};
    for (int i = 0; i < MAX_CALLS; i++) {
      call_t *c = &calls[i];
      if (!c->used) continue;
      if (c->in_len - c->in_off > STDIN_HIGH) paused = 1;
      if (c->out_fd >= 0) owner[n] = c, pfd[n++] = (struct pollfd){c->out_fd, POLLIN, 0};
      if (c->err_fd >= 0) owner[n] = c, pfd[n++] = (struct pollfd){c->err_fd, POLLIN, 0};
      if (c->in_fd >= 0 && c->in_off < c->in_len) owner[n] = c, pfd[n++] = (struct pollfd){c->in_fd, POLLOUT, 0};
    }
    int host = paused ? -1 : n;
    if (!paused) pfd[n++] = (struct pollfd){STDIN_FILENO, POLLIN, 0};
    check_deadlines(now_ms(), &timeout);
    if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR) return 1;
    for (int i = 1; i < n; i++) {
      call_t *c = owner[i];
      if (i == host || pfd[i].revents == 0 || !c->used) continue;
      if (pfd[i].fd == c->out_fd) pump(c, &c->out_fd, F_STDOUT);
      else if (pfd[i].fd == c->err_fd) pump(c, &c->err_fd, F_STDERR);
      else if (pfd[i].fd == c->in_fd) flush_stdin(c);
    }
    if (pfd[0].revents) {
      char drain[64];
      while (read(sig_pipe[0], drain, sizeof drain) > 0) {
      }
      if (got_term) kill_all_and_exit(143);
      reap();
    }
    if (host >= 0 && pfd[host].revents) read_host();
    check_deadlines(now_ms(), &timeout);
  }
}

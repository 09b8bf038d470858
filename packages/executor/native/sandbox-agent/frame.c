/* Frame splitting and RUN decoding: everything that reads bytes the host sent. Fuzzed by fuzz.c. */
#include "frame.h"

#include <stdlib.h>
#include <string.h>

uint32_t get_u32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

void frame_header(uint8_t *out, uint8_t type, uint32_t call_id, uint32_t body_len) {
  put_u32(out, FRAME_MIN + body_len);
  out[4] = type;
  put_u32(out + 5, call_id);
}

int frame_next(const uint8_t *buf, size_t len, frame_t *f, size_t *used, const char **err) {
  *used = 0;
  if (len < FRAME_LEN_BYTES) return 0;
  uint32_t n = get_u32(buf);
  if (n < FRAME_MIN) {
    *err = "frame shorter than its type and call id";
    return -1;
  }
  if (n > FRAME_MAX) {
    *err = "frame longer than 16 MiB";
    return -1;
  }
  if (len < FRAME_LEN_BYTES + (size_t)n) {
    *used = FRAME_LEN_BYTES + (size_t)n;
    return 0;
  }
  f->type = buf[4];
  f->call_id = get_u32(buf + 5);
  f->body = buf + HEADER_BYTES;
  f->body_len = n - FRAME_MIN;
  switch (f->type) {
    case F_RUN:
    case F_STDIN:
      break;
    case F_STDIN_EOF:
      if (f->body_len != 0) {
        *err = "STDIN_EOF has a body";
        return -1;
      }
      break;
    case F_CANCEL:
      if (f->body_len != 5) {
        *err = "CANCEL body is not 5 bytes";
        return -1;
      }
      break;
    case F_PING:
      if (f->body_len != 0) {
        *err = "PING has a body";
        return -1;
      }
      *used = FRAME_LEN_BYTES + (size_t)n; /* any call id: it is an echoed token */
      return 1;
    default:
      *err = "unknown frame type";
      return -1;
  }
  if (f->call_id == 0) {
    *err = "call id 0 is reserved";
    return -1;
  }
  *used = FRAME_LEN_BYTES + (size_t)n;
  return 1;
}

/* A bounded reader over a frame body. */
typedef struct {
  const uint8_t *p;
  uint32_t left;
} cursor_t;

static int take_u32(cursor_t *c, uint32_t *v) {
  if (c->left < 4) return -1;
  *v = get_u32(c->p);
  c->p += 4;
  c->left -= 4;
  return 0;
}

/* A length-prefixed string without NUL bytes, copied NUL-terminated to *out (advanced past it). */
static int take_str(cursor_t *c, char **out, uint32_t *n) {
  if (take_u32(c, n) != 0 || *n > c->left || memchr(c->p, 0, *n) != NULL) return -1;
  memcpy(*out, c->p, *n);
  (*out)[*n] = '\0';
  c->p += *n;
  c->left -= *n;
  return 0;
}

static int env_name_ok(const char *s, uint32_t n) {
  if (n == 0 || n > MAX_ENV_NAME || (s[0] >= '0' && s[0] <= '9')) return 0;
  for (uint32_t i = 0; i < n; i++) {
    char ch = s[i];
    if (!(ch == '_' || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) return 0;
  }
  return 1;
}

void run_req_free(run_req_t *r) {
  free(r->argv);
  free(r->env);
  free(r->arena);
  memset(r, 0, sizeof *r);
}

#define BAD(msg) \
  do {           \
    *err = msg;  \
    goto bad;    \
  } while (0)

int frame_parse_run(const frame_t *f, run_req_t *r, const char **err) {
  cursor_t c = {f->body, f->body_len};
  memset(r, 0, sizeof *r);
  if (take_u32(&c, &r->timeout_ms) != 0 || take_u32(&c, &r->argc) != 0) {
    *err = "RUN body truncated";
    return -1;
  }
  if (r->argc == 0 || r->argc > MAX_ARGS || r->argc > c.left / 4) {
    *err = "RUN argc out of range";
    return -1;
  }
  /* Every string carries a 4-byte length prefix and needs one NUL (two for NAME=VALUE, whose two prefixes
   * are 8 bytes), so the body length bounds the arena. */
  r->arena = malloc((size_t)f->body_len + 1);
  r->argv = calloc((size_t)r->argc + 1, sizeof *r->argv);
  if (r->arena == NULL || r->argv == NULL) {
    run_req_free(r);
    return -2;
  }
  char *w = r->arena;
  for (uint32_t i = 0; i < r->argc; i++) {
    uint32_t n;
    r->argv[i] = w;
    if (take_str(&c, &w, &n) != 0) BAD("RUN argument truncated or contains NUL");
    if (i == 0 && n == 0) BAD("RUN argv[0] is empty");
    w += n + 1;
  }
  if (take_u32(&c, &r->envc) != 0 || r->envc > MAX_ENV || r->envc > c.left / 8) BAD("RUN envc out of range");
  r->env = calloc((size_t)r->envc + 1, sizeof *r->env);
  if (r->env == NULL) {
    run_req_free(r);
    return -2;
  }
  for (uint32_t i = 0; i < r->envc; i++) {
    uint32_t n, v;
    r->env[i] = w;
    if (take_str(&c, &w, &n) != 0) BAD("RUN env name truncated or contains NUL");
    if (!env_name_ok(w, n)) BAD("RUN env name is not [A-Za-z_][A-Za-z0-9_]{0,254}");
    w[n] = '=';
    char *value = w + n + 1;
    if (take_str(&c, &value, &v) != 0) BAD("RUN env value truncated or contains NUL");
    w = value + v + 1;
  }
  uint32_t n;
  char *cwd = w;
  if (take_str(&c, &w, &n) != 0) BAD("RUN cwd truncated or contains NUL");
  r->cwd = n == 0 ? NULL : cwd;
  if (c.left != 0) BAD("RUN body has trailing bytes");
  return 0;
bad:
  run_req_free(r);
  return -1;
}

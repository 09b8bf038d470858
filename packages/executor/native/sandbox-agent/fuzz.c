/* Deterministic fuzz harness for the frame parser (frame.c), built with ASan and UBSan by
 * `node scripts/build-native.mjs --fuzz <out>` (gcc only: no libFuzzer here). Feeds random byte streams,
 * mutated valid RUN frames and randomly re-chunked valid streams, each copied into an exact-size heap buffer so
 * any overread is caught, and checks the parser's invariants. Usage: fuzz [cases] [seed]. Exit 0: all held. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frame.h"

static uint64_t rng;
static uint32_t rnd(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}
static uint32_t below(uint32_t n) { return n == 0 ? 0 : rnd() % n; }

#define CHECK(cond)                                                                    \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      fprintf(stderr, "fuzz: invariant failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
      abort();                                                                         \
    }                                                                                  \
  } while (0)

static size_t frames_seen, runs_ok, runs_bad;

/* Checks a decoded RUN against the body it came from. */
static void check_run(const frame_t *f) {
  run_req_t r;
  const char *err = NULL;
  int rc = frame_parse_run(f, &r, &err);
  CHECK(rc == 0 || rc == -1);
  if (rc == -1) {
    CHECK(err != NULL && strlen(err) < 200);
    runs_bad++;
    return;
  }
  runs_ok++;
  CHECK(r.argc >= 1 && r.argc <= MAX_ARGS && r.argv[r.argc] == NULL && r.argv[0][0] != '\0');
  size_t total = 0;
  for (uint32_t i = 0; i < r.argc; i++) total += strlen(r.argv[i]) + 1;
  CHECK(r.envc <= MAX_ENV && r.env[r.envc] == NULL);
  for (uint32_t i = 0; i < r.envc; i++) {
    char *eq = strchr(r.env[i], '=');
    CHECK(eq != NULL && eq != r.env[i] && eq - r.env[i] <= (long)MAX_ENV_NAME);
    for (char *p = r.env[i]; p < eq; p++) CHECK(*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'));
    total += strlen(r.env[i]) + 1;
  }
  CHECK(r.cwd == NULL || r.cwd[0] != '\0');
  if (r.cwd != NULL) total += strlen(r.cwd) + 1;
  CHECK(total <= f->body_len);
  run_req_free(&r);
}

/* Splits every frame off a buffer the way the agent does; returns bytes consumed (stops at incomplete/bad). */
static size_t split_all(const uint8_t *buf, size_t len, int *bad) {
  size_t off = 0, used;
  frame_t f;
  const char *err = NULL;
  int rc;
  while ((rc = frame_next(buf + off, len - off, &f, &used, &err)) == 1) {
    CHECK(used >= HEADER_BYTES && used <= len - off && used == HEADER_BYTES + (size_t)f.body_len);
    CHECK(f.body == buf + off + HEADER_BYTES);
    frames_seen++;
    if (f.type == F_RUN) check_run(&f);
    off += used;
  }
  CHECK(rc == 0 || rc == -1);
  if (rc == 0) CHECK(used == 0 || used > len - off);
  if (rc == -1) CHECK(err != NULL);
  *bad = rc == -1;
  return off;
}

/* Feeds bytes through an exact-size heap copy, so ASan sees one byte past the end. */
static void feed(const uint8_t *data, size_t len) {
  uint8_t *copy = malloc(len ? len : 1);
  CHECK(copy != NULL);
  if (len) memcpy(copy, data, len);
  int bad;
  split_all(copy, len, &bad);
  free(copy);
}

static size_t put_str(uint8_t *p, const char *s, size_t n) {
  put_u32(p, (uint32_t)n);
  memcpy(p + 4, s, n);
  return 4 + n;
}

/* A valid RUN frame with random argv, env and cwd; returns its size. */
static size_t make_run(uint8_t *buf, size_t cap) {
  static const char alpha[] = "abcXYZ_09 '\"\n\t$;|&*?~\x01\xff";
  static const char name_chars[] = "ABCxyz_019";
  uint8_t *p = buf + HEADER_BYTES;
  put_u32(p, rnd());
  uint32_t argc = 1 + below(6), envc = below(4);
  put_u32(p + 4, argc);
  p += 8;
  char s[64];
  for (uint32_t i = 0; i < argc; i++) {
    size_t n = (i == 0 ? 1 : 0) + below(40);
    for (size_t k = 0; k < n; k++) s[k] = alpha[below(sizeof alpha - 1)];
    p += put_str(p, s, n);
  }
  put_u32(p, envc);
  p += 4;
  for (uint32_t i = 0; i < envc; i++) {
    size_t n = 1 + below(12);
    s[0] = 'A' + (char)below(26);
    for (size_t k = 1; k < n; k++) s[k] = name_chars[below(sizeof name_chars - 1)];
    p += put_str(p, s, n);
    n = below(30);
    for (size_t k = 0; k < n; k++) s[k] = alpha[below(sizeof alpha - 1)];
    p += put_str(p, s, n);
  }
  size_t n = below(3) == 0 ? 0 : 1 + below(20);
  for (size_t k = 0; k < n; k++) s[k] = 'a' + (char)below(26);
  p += put_str(p, s, n);
  size_t len = (size_t)(p - buf);
  CHECK(len <= cap);
  frame_header(buf, F_RUN, 1 + below(1000), (uint32_t)(len - HEADER_BYTES));
  return len;
}

/* One of the other host frames, valid. */
static size_t make_other(uint8_t *buf) {
  uint32_t id = 1 + below(1000);
  switch (below(4)) {
    case 0: {
      uint32_t n = below(100);
      for (uint32_t i = 0; i < n; i++) buf[HEADER_BYTES + i] = (uint8_t)rnd();
      frame_header(buf, F_STDIN, id, n);
      return HEADER_BYTES + n;
    }
    case 1:
      frame_header(buf, F_STDIN_EOF, id, 0);
      return HEADER_BYTES;
    case 2:
      buf[HEADER_BYTES] = (uint8_t)below(2);
      put_u32(buf + HEADER_BYTES + 1, rnd());
      frame_header(buf, F_CANCEL, id, 5);
      return HEADER_BYTES + 5;
    default:
      frame_header(buf, F_PING, rnd(), 0);
      return HEADER_BYTES;
  }
}

static void mutate(uint8_t *buf, size_t *len, size_t cap) {
  for (uint32_t m = 1 + below(4); m > 0; m--) {
    switch (below(6)) {
      case 0: if (*len) buf[below((uint32_t)*len)] ^= (uint8_t)(1u << below(8)); break;
      case 1: if (*len) buf[below((uint32_t)*len)] = (uint8_t)rnd(); break;
      case 2: *len = below((uint32_t)*len + 1); break; /* truncate */
      case 3: if (*len < cap) { size_t at = below((uint32_t)*len + 1); memmove(buf + at + 1, buf + at, *len - at); buf[at] = (uint8_t)rnd(); (*len)++; } break;
      case 4: if (*len > HEADER_BYTES) { size_t at = HEADER_BYTES + below((uint32_t)(*len - HEADER_BYTES)); memmove(buf + at, buf + at + 1, *len - at - 1); (*len)--; } break;
      default: if (*len >= HEADER_BYTES + 12) put_u32(buf + HEADER_BYTES + 4 * below(3), rnd() % 8 == 0 ? rnd() : below(8)); break; /* counts */
    }
  }
}

int main(int argc, char **argv) {
  long cases = argc > 1 ? atol(argv[1]) : 200000;
  rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9e3779b97f4a7c15ull;
  time_t started = time(NULL);
  static uint8_t buf[1 << 16], stream[1 << 16];
  for (long i = 0; i < cases; i++) {
    size_t len;
    switch (i % 3) {
      case 0: /* random bytes, sometimes behind a plausible header */
        len = below(600);
        for (size_t k = 0; k < len; k++) buf[k] = (uint8_t)rnd();
        if (len >= HEADER_BYTES && below(2)) {
          put_u32(buf, (uint32_t)(len - 4 + below(3)) - 1);
          buf[4] = (uint8_t)(1 + below(6));
        }
        feed(buf, len);
        break;
      case 1: /* a valid RUN, mutated */
        len = make_run(buf, sizeof buf - 64);
        mutate(buf, &len, sizeof buf);
        feed(buf, len);
        break;
      default: { /* a valid stream, re-chunked: the same frames come out whatever the split */
        size_t slen = 0;
        while (slen < sizeof stream - 8192) {
          slen += below(3) == 0 ? make_run(stream + slen, sizeof stream - slen) : make_other(stream + slen);
          if (below(4) == 0) break;
        }
        size_t whole_frames = frames_seen, have = 0, at = 0;
        int bad;
        CHECK(split_all(stream, slen, &bad) == slen && !bad);
        whole_frames = frames_seen - whole_frames;
        size_t before = frames_seen;
        uint8_t *acc = malloc(slen);
        CHECK(acc != NULL);
        while (at < slen) { /* append a chunk, split what is complete, keep the rest, as read_host does */
          size_t n = 1 + below((uint32_t)(slen - at < 300 ? slen - at : 300));
          memcpy(acc + have, stream + at, n);
          at += n;
          have += n;
          size_t used = split_all(acc, have, &bad);
          CHECK(!bad);
          memmove(acc, acc + used, have - used);
          have -= used;
        }
        CHECK(have == 0 && frames_seen - before == whole_frames);
        free(acc);
      }
    }
    if ((i & 4095) == 0 && time(NULL) - started > 120) {
      fprintf(stderr, "fuzz: stopped after %ld cases (time bound)\n", i);
      break;
    }
  }
  /* Oversize and undersize lengths are rejected without reading the body. */
  uint8_t hdr[HEADER_BYTES];
  frame_header(hdr, F_STDIN, 1, FRAME_MAX);
  frame_t f;
  size_t used;
  const char *err = NULL;
  CHECK(frame_next(hdr, sizeof hdr, &f, &used, &err) == -1);
  put_u32(hdr, 4);
  CHECK(frame_next(hdr, sizeof hdr, &f, &used, &err) == -1);
  printf("fuzz: %ld cases, %zu frames split, %zu RUN decoded, %zu RUN rejected\n", cases, frames_seen, runs_ok, runs_bad);
  return 0;
}

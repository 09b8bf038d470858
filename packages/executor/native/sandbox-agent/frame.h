/* Frame format of the baaaht in-sandbox agent (see PROTOCOL.md). Pure parsing and encoding, no I/O, so the
 * fuzz harness (fuzz.c) links exactly the code the agent runs. */
#ifndef BAAAHT_FRAME_H
#define BAAAHT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#define PROTO_VERSION 1u
#define FRAME_LEN_BYTES 4u      /* u32 big-endian length of everything after it */
#define FRAME_MIN 5u            /* type byte + u32 call id */
#define FRAME_MAX (16u << 20)   /* 16 MiB: a larger length is a protocol error */
#define HEADER_BYTES 9u         /* length + type + call id */
#define MAX_ARGS 4096u
#define MAX_ENV 1024u
#define MAX_ENV_NAME 255u

/* Host to agent. */
enum { F_RUN = 0x01, F_STDIN = 0x02, F_STDIN_EOF = 0x03, F_CANCEL = 0x04, F_PING = 0x05 };
/* Agent to host. */
enum { F_READY = 0x81, F_STARTED = 0x82, F_STDOUT = 0x83, F_STDERR = 0x84, F_EXIT = 0x85, F_ERROR = 0x86, F_PONG = 0x87 };
/* ERROR codes. */
enum {
  E_BAD_FRAME = 1,      /* call id 0: the stream is unusable; the agent exits after sending it */
  E_BAD_REQUEST = 2,    /* a RUN body failed validation */
  E_TOO_MANY_CALLS = 3, /* MAX_CALLS calls already running */
  E_SPAWN_FAILED = 4,   /* pipe or fork failed */
  E_CHDIR_FAILED = 5,   /* the child could not enter cwd */
  E_EXEC_FAILED = 6     /* execve failed (errno says why: ENOENT, EACCES...) */
};

typedef struct {
  uint8_t type;
  uint32_t call_id;
  const uint8_t *body; /* points into the caller's buffer */
  uint32_t body_len;
} frame_t;

/* A decoded RUN. All strings are NUL-terminated copies; env entries are "NAME=VALUE". */
typedef struct {
  uint32_t timeout_ms; /* 0: none */
  uint32_t argc, envc;
  char **argv; /* argc entries + NULL */
  char **env;  /* envc entries + NULL */
  char *cwd;   /* NULL: the agent's own */
  char *arena;
} run_req_t;

uint32_t get_u32(const uint8_t *p);
void put_u32(uint8_t *p, uint32_t v);

/* Splits one frame off buf[0..len). Returns 1 (frame in *f, *used bytes consumed), 0 (incomplete: need more
 * bytes, *used = bytes needed in total when the length is known, else 0) or -1 (*err says why: the stream
 * cannot be trusted any further). Checks only what keeps the stream in sync: length bounds, known host types,
 * fixed body sizes and call id 0 where it is not allowed. */
int frame_next(const uint8_t *buf, size_t len, frame_t *f, size_t *used, const char **err);

/* Decodes a RUN body. 0: ok (free with run_req_free); -1: invalid (*err), nothing to free; -2: out of memory. */
int frame_parse_run(const frame_t *f, run_req_t *r, const char **err);
void run_req_free(run_req_t *r);

/* Writes the 9-byte header of a frame with a body of body_len bytes (which must be <= FRAME_MAX - 5). */
void frame_header(uint8_t *out, uint8_t type, uint32_t call_id, uint32_t body_len);

#endif

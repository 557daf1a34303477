/*
 * Reference for the token-cost benchmark: the cost of a first SPNEGO token straight from
 * libgssapi_krb5, with nothing between the caller and gss_init_sec_context.
 *
 *   gss-token <target> <iterations> [warmup] [flags] [creds]
 *
 * target     a host-based service name, e.g. HTTP@localhost (RFC 2743 section 4.1)
 * iterations tokens to time
 * warmup     tokens made first and not timed (default 50): the first one fetches the service
 *            ticket into the ccache, so the timed ones all use a cached ticket
 * flags      GSS request flags as a number (default 8 = GSS_C_SEQUENCE_FLAG, what createFetch
 *            asks for with mutual authentication disabled, its default)
 * creds      "acquire" (default): gss_acquire_cred for SPNEGO and Kerberos once, as
 *            Credentials.acquire() does; "none": GSS_C_NO_CREDENTIAL on every call
 *
 * Each iteration is one fresh context: init_sec_context with GSS_C_NO_CONTEXT, the token
 * released, the context deleted; the same shape as `new SecurityContext(); await step();
 * dispose()` in the Node loop it is compared with. Prints one JSON object on stdout.
 *
 * Build: gcc -O2 -o gss-token gss-token.c -lgssapi_krb5
 */
#define _POSIX_C_SOURCE 200809L
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_krb5.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* SPNEGO, 1.3.6.1.5.5.2 (RFC 4178), and Kerberos V5, 1.2.840.113554.1.2.2 (RFC 4121). */
static gss_OID_desc spnego_oid = {6, (void *)"\x2b\x06\x01\x05\x05\x02"};
static gss_OID_desc krb5_oid = {9, (void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02"};

static void report(const char *what, OM_uint32 major, OM_uint32 minor) {
  OM_uint32 ctx = 0, min2;
  gss_buffer_desc msg;
  fprintf(stderr, "%s failed: major 0x%08x minor %u\n", what, major, minor);
  do {
    gss_display_status(&min2, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx, &msg);
    fprintf(stderr, "  %.*s\n", (int)msg.length, (char *)msg.value);
    gss_release_buffer(&min2, &msg);
  } while (ctx != 0);
  ctx = 0;
  do {
    gss_display_status(&min2, minor, GSS_C_MECH_CODE, &krb5_oid, &ctx, &msg);
    fprintf(stderr, "  %.*s\n", (int)msg.length, (char *)msg.value);
    gss_release_buffer(&min2, &msg);
  } while (ctx != 0);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* One token from a fresh context; returns its length, or -1 on failure. */
static long one_token(gss_cred_id_t cred, gss_name_t target, OM_uint32 flags) {
  OM_uint32 major, minor, ret_flags, time_rec;
  gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
  gss_OID actual_mech = GSS_C_NO_OID;
  gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
  long length;
  major = gss_init_sec_context(&minor, cred, &ctx, target, &spnego_oid, flags, 0,
                               GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, &actual_mech, &out,
                               &ret_flags, &time_rec);
  if (GSS_ERROR(major)) {
    report("gss_init_sec_context", major, minor);
    if (ctx != GSS_C_NO_CONTEXT) gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
    return -1;
  }
  length = (long)out.length;
  gss_release_buffer(&minor, &out);
  gss_delete_sec_context(&minor, &ctx, GSS_C_NO_BUFFER);
  return length;
}

int main(int argc, char **argv) {
  OM_uint32 major, minor;
  gss_name_t target = GSS_C_NO_NAME;
  gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
  gss_buffer_desc name_buf;
  long iterations, warmup = 50, token_length = 0;
  OM_uint32 flags = GSS_C_SEQUENCE_FLAG;
  int acquire = 1;
  int64_t *samples, started, total;

  if (argc < 3) {
    fprintf(stderr, "usage: %s <target> <iterations> [warmup] [flags] [acquire|none]\n", argv[0]);
    return 2;
  }
  iterations = strtol(argv[2], NULL, 10);
  if (argc > 3) warmup = strtol(argv[3], NULL, 10);
  if (argc > 4) flags = (OM_uint32)strtoul(argv[4], NULL, 10);
  if (argc > 5) acquire = strcmp(argv[5], "none") != 0;
  if (iterations <= 0 || warmup < 1) {
    fprintf(stderr, "iterations must be > 0 and warmup >= 1\n");
    return 2;
  }

  name_buf.value = argv[1];
  name_buf.length = strlen(argv[1]);
  major = gss_import_name(&minor, &name_buf, GSS_C_NT_HOSTBASED_SERVICE, &target);
  if (GSS_ERROR(major)) {
    report("gss_import_name", major, minor);
    return 1;
  }

  if (acquire) {
    /* The ccache's default principal, for SPNEGO and Kerberos: what Credentials.acquire() asks for. */
    gss_OID_desc elements[2];
    gss_OID_set_desc mechs = {2, elements};
    elements[0] = spnego_oid;
    elements[1] = krb5_oid;
    major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE, &cred,
                             NULL, NULL);
    if (GSS_ERROR(major)) {
      report("gss_acquire_cred", major, minor);
      return 1;
    }
  }

  for (long i = 0; i < warmup; i++) {
    token_length = one_token(cred, target, flags);
    if (token_length < 0) return 1;
  }

  samples = malloc(sizeof(int64_t) * (size_t)iterations);
  if (!samples) return 1;
  started = now_ns();
  for (long i = 0; i < iterations; i++) {
    int64_t t0 = now_ns();
    if (one_token(cred, target, flags) < 0) return 1;
    samples[i] = now_ns() - t0;
  }
  total = now_ns() - started;
  qsort(samples, (size_t)iterations, sizeof(int64_t), cmp_i64);

  printf("{\"iterations\":%ld,\"totalNs\":%lld,\"meanNs\":%.1f,\"p50Ns\":%lld,\"p99Ns\":%lld,"
         "\"tokenBytes\":%ld,\"creds\":\"%s\",\"flags\":%u}\n",
         iterations, (long long)total, (double)total / (double)iterations,
         (long long)samples[iterations / 2], (long long)samples[(iterations * 99) / 100],
         token_length, acquire ? "acquire" : "none", flags);

  free(samples);
  if (cred != GSS_C_NO_CREDENTIAL) gss_release_cred(&minor, &cred);
  gss_release_name(&minor, &target);
  return 0;
}

/* LD_PRELOAD shim for wrk (bench/dataplane/run.py): wrk 4.x cannot present a TLS client
 * certificate nor choose the SNI apart from the URL host. Loaded into wrk only, it
 *   - loads TG_BENCH_CERT / TG_BENCH_KEY (PEM) into every SSL_CTX wrk creates, and
 *   - sends TG_BENCH_SNI as the server name on every connection.
 * Nothing else changes: wrk's TLS connections go straight to the measured NGINX (no proxy hop).
 * Built by run.py with `cc -shared -fPIC -O2 -o shim.so shim.c -ldl`; no OpenSSL headers needed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_method_st SSL_METHOD;

#define TG_SSL_CTRL_SET_TLSEXT_HOSTNAME 55
#define TG_TLSEXT_NAMETYPE_host_name 0
#define TG_SSL_FILETYPE_PEM 1

static void *next(const char *name) {
    void *f = dlsym(RTLD_NEXT, name);
    if (!f) { fprintf(stderr, "tollgate bench shim: %s not found\n", name); abort(); }
    return f;
}

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method) {
    SSL_CTX *(*real)(const SSL_METHOD *) = next("SSL_CTX_new");
    SSL_CTX *ctx = real(method);
    const char *cert = getenv("TG_BENCH_CERT"), *key = getenv("TG_BENCH_KEY");
    if (ctx && cert && key) {
        int (*use_chain)(SSL_CTX *, const char *) = next("SSL_CTX_use_certificate_chain_file");
        int (*use_key)(SSL_CTX *, const char *, int) = next("SSL_CTX_use_PrivateKey_file");
        if (use_chain(ctx, cert) != 1 || use_key(ctx, key, TG_SSL_FILETYPE_PEM) != 1) {
            fprintf(stderr, "tollgate bench shim: cannot load %s / %s\n", cert, key);
            abort();
        }
    }
    return ctx;
}

long SSL_ctrl(SSL *ssl, int cmd, long larg, void *parg) {
    long (*real)(SSL *, int, long, void *) = next("SSL_ctrl");
    const char *sni = getenv("TG_BENCH_SNI");
    if (cmd == TG_SSL_CTRL_SET_TLSEXT_HOSTNAME && sni) parg = (void *)sni;
    return real(ssl, cmd, larg, parg);
}

int SSL_set_fd(SSL *ssl, int fd) {
    int (*real)(SSL *, int) = next("SSL_set_fd");
    int r = real(ssl, fd);
    const char *sni = getenv("TG_BENCH_SNI");
    if (sni) {
        long (*ctrl)(SSL *, int, long, void *) = next("SSL_ctrl");
        ctrl(ssl, TG_SSL_CTRL_SET_TLSEXT_HOSTNAME, TG_TLSEXT_NAMETYPE_host_name, (void *)sni);
    }
    return r;
}

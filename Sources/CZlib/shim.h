#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

/* zlib's deflateInit2/inflateInit2 are macros that Swift does not import: these wrappers fix the
   parameters RegistryProtocol uses (raw deflate, no zlib/gzip header, 32 KiB window). */
static inline int czlib_deflate_init_raw(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}

static inline int czlib_inflate_init_raw(z_streamp stream) {
    return inflateInit2(stream, -15);
}
#endif

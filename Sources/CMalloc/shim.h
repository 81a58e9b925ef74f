#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H
/* glibc's malloc_trim is in <malloc.h>, which Swift's Glibc module does not import. On a C library
   without it (musl) this returns 0 and does nothing. */
#if defined(__GLIBC__)
#include <malloc.h>
static inline int cmalloc_trim(void) { return malloc_trim(0); }
#else
static inline int cmalloc_trim(void) { return 0; }
#endif
#endif

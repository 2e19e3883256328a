/* strutil.h: string helpers defined in strutil.c, a second translation unit
   that slugify.c links with (// sealexec: --source strutil.c). */
#ifndef STRUTIL_H
#define STRUTIL_H

#include <stddef.h>

/* Writes a lower-case, dash-separated slug of IN into OUT (at most SIZE bytes
   with the NUL); returns its length. */
size_t slugify(const char *in, char *out, size_t size);

/* Reverses S in place and returns it. */
char *reverse(char *s);

/* How many times the helper's functions were called. */
extern int strutil_calls;

#endif

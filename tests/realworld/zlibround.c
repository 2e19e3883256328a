// zlibround: compresses a repetitive text with zlib, uncompresses it again
// and checks the round trip; prints the CRC-32 and Adler-32 of the text (the
// same on every zlib) and only zlib's major version, not its exact one.
// realworld: needs the new directive word --pkg (not in sealexec yet).
// sealexec: -std=c11 -Wall -Wextra -Werror -pedantic
// sealexec: --pkg zlib
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(void) {
  char text[4096];
  size_t len = 0;
  for (int i = 0; i < 60; i++)
    len += (size_t)snprintf(text + len, sizeof text - len, "line %02d: all work and no play\n", i);

  unsigned char packed[8192];
  uLongf packed_len = sizeof packed;
  int rc = compress2(packed, &packed_len, (const Bytef *)text, (uLong)len, Z_BEST_COMPRESSION);
  if (rc != Z_OK) {
    fprintf(stderr, "zlibround: compress2 failed: %d\n", rc);
    return 1;
  }
  char unpacked[4096];
  uLongf unpacked_len = sizeof unpacked;
  rc = uncompress((Bytef *)unpacked, &unpacked_len, packed, packed_len);
  if (rc != Z_OK) {
    fprintf(stderr, "zlibround: uncompress failed: %d\n", rc);
    return 1;
  }
  printf("zlib major version %d\n", ZLIB_VER_MAJOR);
  printf("runtime major version matches: %s\n", zlibVersion()[0] == ZLIB_VERSION[0] ? "yes" : "no");
  printf("original %zu bytes, compressed to less than a quarter: %s\n", len,
         packed_len * 4 < len ? "yes" : "no");
  printf("round trip: %s\n",
         unpacked_len == len && memcmp(unpacked, text, len) == 0 ? "identical" : "DIFFERENT");
  printf("crc32   %08lx\n", crc32(0L, (const Bytef *)text, (uInt)len));
  printf("adler32 %08lx\n", adler32(1L, (const Bytef *)text, (uInt)len));

  /* A corrupted stream must be refused. */
  packed[packed_len / 2] ^= 0x55;
  unpacked_len = sizeof unpacked;
  rc = uncompress((Bytef *)unpacked, &unpacked_len, packed, packed_len);
  printf("corrupted stream: %s\n", rc == Z_OK ? "accepted" : "refused");
  return 0;
}

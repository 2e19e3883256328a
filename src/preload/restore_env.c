/*
 * Preloaded by ld.so into a program that sealexec runs with an
 * LD_LIBRARY_PATH of its own, which keeps $ORIGIN working for a program
 * exec'd from a memfd (exec/origin.h). ld.so reads LD_LIBRARY_PATH once, at
 * start-up, so once this constructor runs the variable has done its work:
 * it puts LD_LIBRARY_PATH and LD_PRELOAD back as the caller had them, set
 * or unset, so that nothing sealexec added reaches the program's own
 * children (a bundled lib/libz.so.1 in front of every curl they start).
 *
 * sealexec passes what to restore in SEALEXEC_RESTORE_LD_LIBRARY_PATH and
 * SEALEXEC_RESTORE_LD_PRELOAD: "-" for unset, or "+" and the old value.
 * setenv replaces a variable where it stands, so the environment's order is
 * the caller's too. Plain C, needing only libc, and exporting nothing.
 */
#include <stdlib.h>

static void put_back(const char* name, const char* saved_name) {
  const char* saved = getenv(saved_name);
  if (saved == NULL) {
    return;
  }
  if (saved[0] == '+') {
    setenv(name, saved + 1, 1);
  } else {
    unsetenv(name);
  }
  unsetenv(saved_name);
}

__attribute__((constructor)) static void restore_environment(void) {
  put_back("LD_LIBRARY_PATH", "SEALEXEC_RESTORE_LD_LIBRARY_PATH");
  put_back("LD_PRELOAD", "SEALEXEC_RESTORE_LD_PRELOAD");
}

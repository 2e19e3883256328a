/*
 * sealexec.h: the stable C API of libsealexec (C99; also valid C++).
 *
 * Run code from sealed memory: copy a program, a script or a code blob into
 * an anonymous memory file (memfd) sealed so that nobody, including
 * sealexec, can change its bytes again; then run it, spawn it, dlopen it, map
 * it, or keep it in a crash-safe cache. docs/c-api.md is the guide; this
 * file is the reference.
 *
 * Conventions, the same for every function:
 *
 *  - Functions that can fail return a sealexec_status: SEALEXEC_OK (0) or an
 *    error code. Their last parameter is `sealexec_error **error`: when it is
 *    not NULL and the call fails, *error receives an error the caller reads
 *    (code, message, path, errno) and frees with sealexec_error_free. On
 *    success *error is left alone. Pass NULL to get the code only.
 *  - Out-parameters are written only on success (a cache miss is a success
 *    whose result is NULL).
 *  - Handles are opaque and owned by the caller, who frees each with its
 *    _free function; every _free function accepts NULL. A handle may be used
 *    from any thread, but not from two threads at once.
 *  - Strings are NUL-terminated; names and paths are bytes, not necessarily
 *    UTF-8. Strings returned through `const char *` belong to the handle
 *    and live as long as it does; `char *` results are the caller's, freed
 *    with sealexec_free.
 *  - Every descriptor sealexec creates is close-on-exec. A descriptor the
 *    caller passes in stays the caller's and is never closed by sealexec.
 *  - No function calls exit(), prints, or installs signal handlers. Nothing
 *    here is async-signal-safe.
 *
 * Versions: SEALEXEC_API_VERSION is the version of this header;
 * sealexec_api_version() is the library's. Within one major version the
 * library only adds functions and codes, and any program built against an
 * older header of that major version keeps working (the exported symbol list
 * is checked in CI against a committed list). The shared library's SONAME
 * carries the major version: libsealexec.so.1.
 */
#ifndef SEALEXEC_H
#define SEALEXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SEALEXEC_API_VERSION_MAJOR 1
#define SEALEXEC_API_VERSION_MINOR 0
/* major * 10000 + minor: 10000 for 1.0. */
#define SEALEXEC_API_VERSION (SEALEXEC_API_VERSION_MAJOR * 10000 + SEALEXEC_API_VERSION_MINOR)

#if defined(__GNUC__)
#define SEALEXEC_EXPORT __attribute__((visibility("default")))
#else
#define SEALEXEC_EXPORT
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef enum sealexec_status {
  SEALEXEC_OK = 0,
  SEALEXEC_E_SYSTEM = 1,           /* an operating-system call failed (see errno) */
  SEALEXEC_E_INVALID_ARGUMENT = 2, /* the caller passed something unusable */
  SEALEXEC_E_NOT_FOUND = 3,        /* a named file, symbol or cache entry does not exist */
  SEALEXEC_E_NOT_RUNNABLE = 4,     /* it exists but cannot run: format, machine, interpreter */
  SEALEXEC_E_DIGEST_MISMATCH = 5,  /* the bytes do not have the pinned SHA-256 */
  SEALEXEC_E_POLICY = 6,           /* refused by a system or sealexec policy */
  SEALEXEC_E_CHANGED = 7,          /* the source kept changing while it was copied */
  SEALEXEC_E_MALFORMED = 8,        /* hostile or damaged input that a parser rejected */
  SEALEXEC_E_TOO_LARGE = 9,        /* over a size limit */
  SEALEXEC_E_TIMED_OUT = 10,       /* a bounded wait ran out */
  SEALEXEC_E_NO_MEMORY = 11,       /* out of memory */
  SEALEXEC_E_INTERNAL = 12,        /* a bug in sealexec; please report it */
  /* Never returned: it makes every non-negative int a valid value of the
   * type, so that a newer code read by an older caller (or C++) is defined. */
  SEALEXEC_STATUS_RESERVED_ = 0x7fffffff
} sealexec_status;

typedef struct sealexec_error sealexec_error;

/* The code of `error` (never SEALEXEC_OK). */
SEALEXEC_EXPORT sealexec_status sealexec_error_code(const sealexec_error *error);
/* One line for people: "<path>: <what failed>: <call>: <strerror>", the
 * empty parts left out. Names in it are raw bytes: escape them before
 * showing them on a terminal. */
SEALEXEC_EXPORT const char *sealexec_error_message(const sealexec_error *error);
/* The file concerned, or what stands for a source without one ("<memory>",
 * "<fd N>", "<stdin>"), or "" when none. */
SEALEXEC_EXPORT const char *sealexec_error_path(const sealexec_error *error);
/* The errno of the failing system call, or 0 when none failed. */
SEALEXEC_EXPORT int sealexec_error_errno(const sealexec_error *error);
SEALEXEC_EXPORT void sealexec_error_free(sealexec_error *error);

/* A short constant name for `status`: "SEALEXEC_E_NOT_FOUND". */
SEALEXEC_EXPORT const char *sealexec_status_name(sealexec_status status);

/* Frees a `char *` that sealexec returned. */
SEALEXEC_EXPORT void sealexec_free(void *pointer);

/* ---------------------------------------------------------------- version */

/* The library's SEALEXEC_API_VERSION. */
SEALEXEC_EXPORT int sealexec_api_version(void);
/* The release, "0.1.0". */
SEALEXEC_EXPORT const char *sealexec_version(void);

/* ---------------------------------------------------------------- images */

/* Sealed bytes in a memfd. Once made, its bytes can never change: every
 * write, resize or seal removal fails for everyone, whatever the descriptor. */
typedef struct sealexec_image sealexec_image;

/* sealexec_image_* flags. */
/* Data, never code: the memfd is made with MFD_NOEXEC_SEAL where the kernel
 * has it (Linux 6.3+), so that the kernel refuses to execve it, and sealexec
 * refuses to exec, spawn, dlopen or map it executable on every kernel
 * (SEALEXEC_E_POLICY). The kernel does not stop a caller that maps its
 * descriptor with PROT_EXEC itself. */
#define SEALEXEC_IMAGE_NOEXEC 0x1u

/* Copies `size` bytes at `data` into a sealed image.
 *   name:   the memfd's name is "sealexec:<name>:<12 hex digits of XXH3>",
 *           which /proc/PID/exe, ps and perf show; NULL: "memory".
 *   sha256: NULL, or 32 bytes: the image is refused with
 *           SEALEXEC_E_DIGEST_MISMATCH unless its SHA-256 is this.
 *   flags:  0 or SEALEXEC_IMAGE_NOEXEC.
 * Larger than 4 GiB: SEALEXEC_E_TOO_LARGE. */
SEALEXEC_EXPORT sealexec_status sealexec_image_from_bytes(const void *data, size_t size,
                                                          const char *name,
                                                          const uint8_t *sha256, uint32_t flags,
                                                          sealexec_image **image,
                                                          sealexec_error **error);
/* Copies what `fd` holds: all of a regular file (from offset 0, without
 * moving the descriptor's offset), or a pipe or socket read to its end. The
 * descriptor stays the caller's. name NULL: "fd". */
SEALEXEC_EXPORT sealexec_status sealexec_image_from_fd(int fd, const char *name,
                                                       const uint8_t *sha256, uint32_t flags,
                                                       sealexec_image **image,
                                                       sealexec_error **error);
/* Copies the regular file at `path` (SEALEXEC_E_NOT_FOUND when there is
 * none). name NULL: the file's basename. The directory of the file is the
 * image's origin: a program run from it finds its $ORIGIN libraries there.
 * Set-user-ID bits and file capabilities are not carried into memory. */
SEALEXEC_EXPORT sealexec_status sealexec_image_from_path(const char *path, const char *name,
                                                         const uint8_t *sha256, uint32_t flags,
                                                         sealexec_image **image,
                                                         sealexec_error **error);
SEALEXEC_EXPORT void sealexec_image_free(sealexec_image *image);

/* The sealed memfd (close-on-exec), owned by the image. */
SEALEXEC_EXPORT int sealexec_image_fd(const sealexec_image *image);
SEALEXEC_EXPORT uint64_t sealexec_image_size(const sealexec_image *image);
/* "sealexec:<name>:<12 hex digits>". */
SEALEXEC_EXPORT const char *sealexec_image_memfd_name(const sealexec_image *image);
/* Writes the SHA-256 of the sealed bytes (32 bytes) to `digest`, read back
 * from the memfd. */
SEALEXEC_EXPORT sealexec_status sealexec_image_sha256(const sealexec_image *image,
                                                      uint8_t digest[32], sealexec_error **error);

/* ---------------------------------------------------------------- mappings */

/* Read-only bytes mapped into this process. */
typedef struct sealexec_mapping sealexec_mapping;

/* sealexec_image_map flags. */
/* Map with PROT_READ | PROT_EXEC, for precompiled code to call into. The
 * mapping is never writable, so it is never writable and executable at once. */
#define SEALEXEC_MAP_EXEC 0x1u

/* Maps all of the sealed bytes of `image` read-only (and executable with
 * SEALEXEC_MAP_EXEC), shared and page-aligned. Since the memfd is sealed
 * against writing, no mprotect can make the mapping writable. It stays valid
 * after the image is freed, until sealexec_mapping_free. An empty image gives
 * an empty mapping (size 0, data NULL), as an empty cache entry does.
 * SEALEXEC_MAP_EXEC on a SEALEXEC_IMAGE_NOEXEC image, or where the system
 * forbids executable memfds, is SEALEXEC_E_POLICY. */
SEALEXEC_EXPORT sealexec_status sealexec_image_map(const sealexec_image *image, uint32_t flags,
                                                   sealexec_mapping **mapping,
                                                   sealexec_error **error);
SEALEXEC_EXPORT const void *sealexec_mapping_data(const sealexec_mapping *mapping);
SEALEXEC_EXPORT size_t sealexec_mapping_size(const sealexec_mapping *mapping);
SEALEXEC_EXPORT void sealexec_mapping_free(sealexec_mapping *mapping);

/* ---------------------------------------------------------------- commands */

/* How to start an image: argv, environment, working directory, standard
 * streams. A fresh command means: argv = { the image's source }, the calling
 * process's environment, its working directory and standard streams. */
typedef struct sealexec_command sealexec_command;

/* NULL when out of memory. */
SEALEXEC_EXPORT sealexec_command *sealexec_command_new(void);
SEALEXEC_EXPORT void sealexec_command_free(sealexec_command *command);
/* argv: NULL-terminated, argv[0] first; copied. An ELF program sees argv[0]
 * as its name. A "#!" script's interpreter is handed the script by path, so
 * the script's $0 is that path: /dev/fd/N under sealexec_spawn, its name
 * link under sealexec_exec with a name (sealexec_command_set_name). */
SEALEXEC_EXPORT sealexec_status sealexec_command_set_argv(sealexec_command *command,
                                                          const char *const *argv,
                                                          sealexec_error **error);
/* envp: NULL-terminated "NAME=value" strings, copied; envp NULL: the calling
 * process's environment at the time of the start. An entry without '=' is
 * SEALEXEC_E_INVALID_ARGUMENT. */
SEALEXEC_EXPORT sealexec_status sealexec_command_set_env(sealexec_command *command,
                                                         const char *const *envp,
                                                         sealexec_error **error);
/* The child's working directory (spawn only); NULL: the caller's. */
SEALEXEC_EXPORT sealexec_status sealexec_command_set_cwd(sealexec_command *command,
                                                         const char *directory,
                                                         sealexec_error **error);
/* The process name (its comm, which ps and pgrep show, and the last part of a
 * script's $0) for sealexec_exec; NULL or "": run by descriptor, named
 * "memfd:..." (spawn always runs by descriptor). A name that cannot be a file
 * name ('/', "." or "..", over 255 bytes) is SEALEXEC_E_INVALID_ARGUMENT. Where
 * the name cannot be given (no /proc, no private runtime directory), exec
 * runs by descriptor after all, as the CLI does with a warning. */
SEALEXEC_EXPORT sealexec_status sealexec_command_set_name(sealexec_command *command,
                                                          const char *name,
                                                          sealexec_error **error);
/* The directory that $ORIGIN in the program's RUNPATH stands for, an
 * absolute path; NULL: the image's origin (its file's directory, for
 * sealexec_image_from_path). */
SEALEXEC_EXPORT sealexec_status sealexec_command_set_origin(sealexec_command *command,
                                                            const char *directory,
                                                            sealexec_error **error);

/* Standard stream numbers and what each is connected to, for spawn. */
#define SEALEXEC_STDIN 0
#define SEALEXEC_STDOUT 1
#define SEALEXEC_STDERR 2
typedef enum sealexec_stdio {
  SEALEXEC_STDIO_INHERIT = 0, /* the caller's own stream (the default) */
  SEALEXEC_STDIO_NULL = 1,    /* /dev/null */
  SEALEXEC_STDIO_FD = 2,      /* a duplicate of the caller's `fd` */
  SEALEXEC_STDIO_PIPE = 3,    /* a new pipe: sealexec_child_take_pipe gives its other end */
  SEALEXEC_STDIO_RESERVED_ = 0x7fffffff /* never valid; as for sealexec_status */
} sealexec_stdio;
/* `fd` is read only for SEALEXEC_STDIO_FD, and stays the caller's. */
SEALEXEC_EXPORT sealexec_status sealexec_command_set_stdio(sealexec_command *command, int stream,
                                                           sealexec_stdio mode, int fd,
                                                           sealexec_error **error);

/* ---------------------------------------------------------------- running */

/* Replaces the calling process with `image` (execveat of the sealed memfd),
 * so that its exit status and any death by signal are the caller's own.
 * command NULL: a fresh command; its argv, env, name and origin apply (the
 * streams and directory are the caller's own, as with execve, and so are its
 * descriptors without close-on-exec). Returns only when the image cannot
 * run; the process is then unchanged. A "#!" script works: its interpreter
 * gets an inheritable descriptor of the image (the only one added), as
 * /dev/fd/N. */
SEALEXEC_EXPORT sealexec_status sealexec_exec(const sealexec_image *image,
                                              const sealexec_command *command,
                                              sealexec_error **error);

/* A started child, owned by the caller. */
typedef struct sealexec_child sealexec_child;

/* Starts `image` as a child process. No descriptor of the caller's reaches
 * it beyond its three standard streams, even one the caller left without
 * close-on-exec (as Python's close_fds); a script's interpreter also gets the
 * image's own. Fails without leaving a child behind. command NULL: a fresh
 * command. */
SEALEXEC_EXPORT sealexec_status sealexec_spawn(const sealexec_image *image,
                                               const sealexec_command *command,
                                               sealexec_child **child, sealexec_error **error);
SEALEXEC_EXPORT pid_t sealexec_child_pid(const sealexec_child *child);
/* Waits for the child to end and writes its wait(2) status (use WIFEXITED,
 * WEXITSTATUS, WIFSIGNALED, WTERMSIG). Calling it again gives the same
 * status. A process that sets SIGCHLD to SIG_IGN has its children reaped by
 * the kernel: their status is lost (SEALEXEC_E_SYSTEM, ECHILD). */
SEALEXEC_EXPORT sealexec_status sealexec_child_wait(sealexec_child *child, int *wait_status,
                                                    sealexec_error **error);
/* Without blocking: *ended is 1 and *wait_status written when the child has
 * ended (then sealexec_child_wait gives the same status), else *ended is 0. */
SEALEXEC_EXPORT sealexec_status sealexec_child_try_wait(sealexec_child *child, int *wait_status,
                                                        int *ended, sealexec_error **error);
/* Sends `signal` through a pidfd, so that a recycled pid is never hit. The
 * one call that may be made while another thread is in sealexec_child_wait
 * on the same child (Linux 5.3+, which has pidfds). */
SEALEXEC_EXPORT sealexec_status sealexec_child_kill(sealexec_child *child, int signal,
                                                    sealexec_error **error);
/* The caller's end of the pipe asked for with SEALEXEC_STDIO_PIPE for
 * `stream` (write to SEALEXEC_STDIN, read the others). Ownership passes to
 * the caller, who closes it; -1 when there is none (or it was taken). */
SEALEXEC_EXPORT int sealexec_child_take_pipe(sealexec_child *child, int stream);
/* A child never waited for is killed (SIGKILL) and reaped here, so that no
 * zombie or stray process outlives its handle. */
SEALEXEC_EXPORT void sealexec_child_free(sealexec_child *child);

/* ---------------------------------------------------------------- libraries */

typedef struct sealexec_library sealexec_library;

/* sealexec_library_load flags. */
/* Load an object that requires an executable stack (refused otherwise with
 * SEALEXEC_E_POLICY: glibc >= 2.41 refuses it anyway, and older glibc makes
 * every thread's stack executable to load it). */
#define SEALEXEC_LIBRARY_ALLOW_EXECSTACK 0x1u

/* dlopens `image`, an ELF shared object for this machine, through
 * /proc/self/fd (SEALEXEC_E_NOT_RUNNABLE with a clear message when /proc is
 * not mounted). dlopen_flags 0: RTLD_NOW | RTLD_LOCAL. The library holds its
 * own reference to the bytes: the image may be freed first. */
SEALEXEC_EXPORT sealexec_status sealexec_library_load(const sealexec_image *image,
                                                      int dlopen_flags, uint32_t flags,
                                                      sealexec_library **library,
                                                      sealexec_error **error);
/* The address of `name`; SEALEXEC_E_NOT_FOUND when the object has none. */
SEALEXEC_EXPORT sealexec_status sealexec_library_symbol(const sealexec_library *library,
                                                        const char *name, void **address,
                                                        sealexec_error **error);
/* dlclose. Code and data of the library must not be used afterwards. */
SEALEXEC_EXPORT void sealexec_library_free(sealexec_library *library);

/* ---------------------------------------------------------------- the cache */

/* The crash-safe cache of compiled code that `sealexec cache` uses
 * (docs/cache.md). Entries are published atomically and never changed. An
 * entry is found by its KEY and FINGERPRINT strings, exactly as
 * `sealexec cache put --fingerprint FINGERPRINT KEY` stores it, so that the
 * CLI and every binding see the same entries. The fingerprint says what made
 * the content (engine, version, flags, target): two configurations never
 * share an entry. NULL fingerprint: "".
 *
 * This API uses the cache on this machine only: a shared tier configured
 * for the CLI (docs/remote.md) is not asked or written through it. */
typedef struct sealexec_cache sealexec_cache;

/* Opens (creating it 0700 if need be) the cache in `directory`; NULL: the
 * CLI's default ($SEALEXEC_CACHE_DIR, else $XDG_CACHE_HOME/sealexec, else
 * ~/.cache/sealexec), with its limits from cache.conf and the
 * SEALEXEC_CACHE_* variables. A directory that is neither empty nor a
 * sealexec cache, or that others may write to, is refused with
 * SEALEXEC_E_POLICY and left as it is; a cache.conf that cannot be parsed is
 * SEALEXEC_E_INVALID_ARGUMENT or SEALEXEC_E_MALFORMED. */
SEALEXEC_EXPORT sealexec_status sealexec_cache_open(const char *directory,
                                                    sealexec_cache **cache,
                                                    sealexec_error **error);
/* The directory the cache was opened in (the default, resolved, for NULL). */
SEALEXEC_EXPORT const char *sealexec_cache_directory(const sealexec_cache *cache);
SEALEXEC_EXPORT void sealexec_cache_free(sealexec_cache *cache);

/* Stores `size` bytes under key and fingerprint. */
SEALEXEC_EXPORT sealexec_status sealexec_cache_put(sealexec_cache *cache, const char *key,
                                                   const char *fingerprint, const void *data,
                                                   size_t size, sealexec_error **error);
/* Stores what `fd` holds (a regular file from offset 0, or a pipe read to its
 * end); the descriptor stays the caller's. */
SEALEXEC_EXPORT sealexec_status sealexec_cache_put_fd(sealexec_cache *cache, const char *key,
                                                      const char *fingerprint, int fd,
                                                      sealexec_error **error);
/* The entry copied into a sealed image, its bytes checked on the way; *image
 * is NULL on a miss (an entry found damaged is a miss, and is quarantined).
 * The image's name is the key's last '/'-separated part. flags: 0 or
 * SEALEXEC_IMAGE_NOEXEC, as for sealexec_image_from_bytes. */
SEALEXEC_EXPORT sealexec_status sealexec_cache_get(sealexec_cache *cache, const char *key,
                                                   const char *fingerprint, uint32_t flags,
                                                   sealexec_image **image,
                                                   sealexec_error **error);
/* The entry mapped read-only straight from its immutable cache file, with no
 * copy; *mapping is NULL on a miss. Cheaper than sealexec_cache_get, but it
 * relies on that file never being modified, which another program of the
 * same user could still do; sealexec_cache_get then sealexec_image_map is
 * immune (docs/cache.md weighs the two). */
SEALEXEC_EXPORT sealexec_status sealexec_cache_map(sealexec_cache *cache, const char *key,
                                                   const char *fingerprint,
                                                   sealexec_mapping **mapping,
                                                   sealexec_error **error);
/* sealexec_cache_get then sealexec_exec, as `sealexec cache exec` does; a
 * miss is SEALEXEC_E_NOT_FOUND. Returns only on failure. */
SEALEXEC_EXPORT sealexec_status sealexec_cache_exec(sealexec_cache *cache, const char *key,
                                                    const char *fingerprint,
                                                    const sealexec_command *command,
                                                    sealexec_error **error);
/* Removes the entry; *removed (when not NULL) says whether there was one. */
SEALEXEC_EXPORT sealexec_status sealexec_cache_remove(sealexec_cache *cache, const char *key,
                                                      const char *fingerprint, int *removed,
                                                      sealexec_error **error);

/* ---------------------------------------------------------------- checking */

/* sealexec_check_file flags. */
/* Also resolve the file's dependency closure as ld.so would and judge every
 * object in it (check --deps). */
#define SEALEXEC_CHECK_DEPS 0x1u

/* Checks one file as `sealexec check --json [--deps] PATH` does and writes
 * the same JSON document (docs/check-json.md), NUL-terminated, to *json; the
 * caller frees it with sealexec_free. A file that cannot be checked (not ELF,
 * unreadable) is not an error of this call: the document's entry holds
 * "error" and its summary counts it, as the CLI's does. */
SEALEXEC_EXPORT sealexec_status sealexec_check_file(const char *path, uint32_t flags,
                                                    char **json, sealexec_error **error);

#ifdef __cplusplus
}
#endif

#endif /* SEALEXEC_H */

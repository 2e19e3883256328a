"""Run code from sealed memory: Python bindings of libsealexec's C API.

An Image is bytes copied into an anonymous memory file (memfd) and sealed so
that nobody can change them again. Run it as a child (spawn), in place of
this process (exec), load it as a library (load_library), map it
(Image.map), or keep compiled code in the crash-safe cache that
``sealexec cache`` uses (Cache).

    import sealexec
    with sealexec.Image.from_bytes(program, name="tool") as image:
        child = sealexec.spawn(image, ["tool", "--version"], stdout=sealexec.PIPE)
        out, _ = child.communicate()

Every failure raises SealexecError, whose ``code`` is the C API's name for
it ("SEALEXEC_E_NOT_FOUND", ...). Strings given to sealexec (paths, argv,
environment, cache keys) are encoded with os.fsencode; bytes are passed as
they are.

The library is found through $SEALEXEC_LIBRARY, else beside the installed
package (<prefix>/lib/libsealexec.so.1), else by the dynamic loader's search
for libsealexec.so.1. Its C API major version must be 1.
"""

import ctypes
import enum
import json
import os
import signal as _signal
import subprocess
import sys
import threading
import weakref

from . import _native
from ._native import lib as _lib

__all__ = [
    "Status", "SealexecError", "Image", "Mapping", "Command", "Child", "Library", "Cache",
    "spawn", "exec", "load_library", "check_file", "api_version", "version",
    "PIPE", "DEVNULL", "INHERIT", "library_path",
]

#: The path of the libsealexec this package loaded.
library_path = _native.path

#: Standard stream settings for spawn: a new pipe, /dev/null, the caller's own.
#: PIPE and DEVNULL are subprocess's, so either module's constants work.
PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
INHERIT = None

_STDIO_INHERIT, _STDIO_NULL, _STDIO_FD, _STDIO_PIPE = 0, 1, 2, 3
_IMAGE_NOEXEC = 0x1
_MAP_EXEC = 0x1
_LIBRARY_ALLOW_EXECSTACK = 0x1
_CHECK_DEPS = 0x1


def api_version():
    """The library's C API version, major * 10000 + minor."""
    return _lib.sealexec_api_version()


def version():
    """The library's release, "0.1.0"."""
    return _lib.sealexec_version().decode()


# ---------------------------------------------------------------- errors

class Status(enum.IntEnum):
    """The C API's status codes (sealexec_status)."""
    OK = 0
    E_SYSTEM = 1
    E_INVALID_ARGUMENT = 2
    E_NOT_FOUND = 3
    E_NOT_RUNNABLE = 4
    E_DIGEST_MISMATCH = 5
    E_POLICY = 6
    E_CHANGED = 7
    E_MALFORMED = 8
    E_TOO_LARGE = 9
    E_TIMED_OUT = 10
    E_NO_MEMORY = 11
    E_INTERNAL = 12


class SealexecError(Exception):
    """A failure reported by libsealexec.

    code     the C API's name for it, e.g. "SEALEXEC_E_NOT_FOUND"
    status   the same as a Status
    message  one line, "<path>: <what failed>: <call>: <strerror>"
    path     the file concerned, or ""
    errno    the failing system call's errno, or 0
    """

    def __init__(self, status, message, path="", errno=0):
        super().__init__(message)
        try:
            self.status = Status(status)
        except ValueError:  # a code newer than this package
            self.status = status
        name = _lib.sealexec_status_name(status)
        self.code = name.decode() if name else "SEALEXEC_STATUS_%d" % status
        self.message = message
        self.path = path
        self.errno = errno

    def __str__(self):
        return "%s [%s]" % (self.message, self.code)

    def __reduce__(self):
        return (type(self), (int(self.status), self.message, self.path, self.errno))

    def __repr__(self):
        return "SealexecError(%s, %r, path=%r, errno=%d)" % (
            self.code, self.message, self.path, self.errno)


def _raise(status, error):
    if error:
        try:
            status = _lib.sealexec_error_code(error)
            message = os.fsdecode(_lib.sealexec_error_message(error) or b"")
            path = os.fsdecode(_lib.sealexec_error_path(error) or b"")
            errno = _lib.sealexec_error_errno(error)
        finally:
            _lib.sealexec_error_free(error)
    else:
        message, path, errno = "", "", 0
    raise SealexecError(status, message, path, errno)


def _call(function, *args):
    """Calls a C API function whose last parameter is sealexec_error **."""
    error = _native.error_p()
    status = function(*args, ctypes.byref(error))
    if status != 0:
        _raise(status, error)


def _bytes(value):
    """A str, bytes or path-like as bytes for C; None stays None."""
    if value is None:
        return None
    return os.fsencode(value)


def _fileno(file):
    """An int descriptor, or an object's fileno()."""
    if isinstance(file, int):
        return file
    if hasattr(file, "fileno"):
        return file.fileno()
    raise TypeError("expected a file descriptor or an object with fileno(), got %r" % (file,))


def _buffer(data):
    """(pointer argument, size, keep-alive) for bytes-like data, without a
    copy when possible."""
    if isinstance(data, bytes):
        return data, len(data), data
    view = memoryview(data)
    if view.c_contiguous and not view.readonly:
        view = view.cast("B")
        array = (ctypes.c_char * len(view)).from_buffer(view)
        return array, len(view), (array, view)
    copy = view.tobytes()
    return copy, len(copy), copy


class _Handle:
    """An owned C handle, freed by close(), by leaving a with block, or when
    the object is collected."""

    _free = None  # the C function that frees the handle

    def __init__(self, handle):
        self._handle = handle

    def _get(self):
        if not self._handle:
            raise ValueError("operation on a closed %s" % type(self).__name__)
        return self._handle

    @property
    def closed(self):
        return not self._handle

    def close(self):
        handle, self._handle = self._handle, None
        if handle:
            type(self)._free(handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_handle", None):
            self.close()


# ---------------------------------------------------------------- images

def _pin(sha256):
    """The 32-byte pin for sealexec, from bytes or a hex string."""
    if sha256 is None:
        return None
    if isinstance(sha256, str):
        try:
            sha256 = bytes.fromhex(sha256)
        except ValueError:
            raise ValueError("sha256 must be 32 bytes or 64 hex digits") from None
    sha256 = bytes(sha256)
    if len(sha256) != 32:
        raise ValueError("sha256 must be 32 bytes or 64 hex digits, got %d bytes" % len(sha256))
    return (ctypes.c_uint8 * 32).from_buffer_copy(sha256)


class Image(_Handle):
    """Sealed bytes in a memfd. Make one with from_bytes, from_fd or from_path.

    sha256 (any of them): 32 bytes or 64 hex digits; the image is refused
    with SEALEXEC_E_DIGEST_MISMATCH unless its bytes have that SHA-256.
    noexec: a memfd the kernel will never execute, for data.
    """

    _free = _lib.sealexec_image_free

    @classmethod
    def from_bytes(cls, data, *, name=None, sha256=None, noexec=False):
        """Copies bytes-like data into a sealed image. The memfd's name is
        "sealexec:<name>:<hex>" (name None: "memory")."""
        pointer, size, keep = _buffer(data)
        image = _native.image_p()
        _call(_lib.sealexec_image_from_bytes, pointer, size, _bytes(name), _pin(sha256),
              _IMAGE_NOEXEC if noexec else 0, ctypes.byref(image))
        del keep
        return cls(image)

    @classmethod
    def from_fd(cls, file, *, name=None, sha256=None, noexec=False):
        """Copies what a descriptor (or file object) holds: a whole regular
        file, its offset unmoved, or a pipe read to its end. It stays yours."""
        image = _native.image_p()
        _call(_lib.sealexec_image_from_fd, _fileno(file), _bytes(name), _pin(sha256),
              _IMAGE_NOEXEC if noexec else 0, ctypes.byref(image))
        return cls(image)

    @classmethod
    def from_path(cls, path, *, name=None, sha256=None, noexec=False):
        """Copies the regular file at path (SEALEXEC_E_NOT_FOUND when there
        is none). Its directory is the image's $ORIGIN."""
        image = _native.image_p()
        _call(_lib.sealexec_image_from_path, _bytes(path), _bytes(name), _pin(sha256),
              _IMAGE_NOEXEC if noexec else 0, ctypes.byref(image))
        return cls(image)

    @property
    def fd(self):
        """The sealed memfd (close-on-exec), owned by the image."""
        return _lib.sealexec_image_fd(self._get())

    @property
    def size(self):
        return _lib.sealexec_image_size(self._get())

    def __len__(self):
        return self.size

    @property
    def memfd_name(self):
        """ "sealexec:<name>:<12 hex digits>"."""
        return os.fsdecode(_lib.sealexec_image_memfd_name(self._get()))

    def sha256(self):
        """The SHA-256 of the sealed bytes (32 bytes), read back from the memfd."""
        digest = (ctypes.c_uint8 * 32)()
        _call(_lib.sealexec_image_sha256, self._get(), digest)
        return bytes(digest)

    def read(self):
        """A copy of the sealed bytes."""
        fd, size, parts, done = self.fd, self.size, [], 0
        while done < size:
            part = os.pread(fd, min(size - done, 1 << 30), done)
            if not part:
                raise OSError("the sealed image ended after %d of %d bytes" % (done, size))
            parts.append(part)
            done += len(part)
        return b"".join(parts)

    def map(self, *, exec=False):
        """Maps the sealed bytes read-only (and executable with exec=True),
        as a Mapping that outlives the image."""
        mapping = _native.mapping_p()
        _call(_lib.sealexec_image_map, self._get(), _MAP_EXEC if exec else 0,
              ctypes.byref(mapping))
        return Mapping(mapping)

    def spawn(self, args=None, **options):
        """spawn(self, args, ...): see the module's spawn."""
        return spawn(self, args, **options)

    def exec(self, args=None, **options):
        """exec(self, args, ...): see the module's exec."""
        exec(self, args, **options)

    def __repr__(self):
        if self.closed:
            return "<sealexec.Image closed>"
        return "<sealexec.Image %s, %d bytes, fd %d>" % (self.memfd_name, self.size, self.fd)


class Mapping:
    """Read-only bytes mapped into this process.

    ``data`` is a read-only memoryview of them; ``address`` their address,
    for calling into code mapped with exec=True through ctypes. The memory is
    unmapped once the Mapping is closed (or collected) and no memoryview of
    it remains: a view handed out keeps it mapped, so it never dangles.
    """

    def __init__(self, handle):
        self.size = _lib.sealexec_mapping_size(handle)
        self.address = _lib.sealexec_mapping_data(handle) or 0
        if self.size:
            self._array = (ctypes.c_char * self.size).from_address(self.address)
            self._release = weakref.finalize(self._array, _lib.sealexec_mapping_free, handle)
        else:
            self._array = None
            _lib.sealexec_mapping_free(handle)
            self._release = None

    @property
    def closed(self):
        return self._array is None

    @property
    def data(self):
        """A read-only memoryview of the mapped bytes."""
        if self._array is None:
            if self.size == 0:
                return memoryview(b"")
            raise ValueError("operation on a closed Mapping")
        return memoryview(self._array).cast("B").toreadonly()

    def __bytes__(self):
        return bytes(self.data)

    def __repr__(self):
        if self.closed and self.size:
            return "<sealexec.Mapping closed, %d bytes>" % self.size
        return "<sealexec.Mapping %d bytes at 0x%x>" % (self.size, self.address)

    def __len__(self):
        return self.size

    def close(self):
        """Gives up this object's hold on the memory: it is unmapped now, or,
        when memoryviews of it remain, once the last one is gone."""
        self._array = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------- running

def _string_array(strings):
    encoded = [os.fsencode(s) for s in strings]
    array = (ctypes.c_char_p * (len(encoded) + 1))(*encoded, None)
    return array, encoded


def _environment(env):
    if env is None:
        return None
    if hasattr(env, "items"):
        return [os.fsencode(k) + b"=" + os.fsencode(v) for k, v in env.items()]
    return list(env)


def _stdio(value):
    """(mode, fd) for a stdin/stdout/stderr setting."""
    if value is None:
        return _STDIO_INHERIT, -1
    if isinstance(value, int) and value == PIPE:
        return _STDIO_PIPE, -1
    if isinstance(value, int) and value == DEVNULL:
        return _STDIO_NULL, -1
    fd = _fileno(value)
    if fd < 0:
        raise ValueError("invalid stdio setting %r" % (value,))
    return _STDIO_FD, fd


def _flush_before_exec():
    """Flushes what Python buffered, which exec would otherwise lose."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass


class Command:
    """How to start an image.

    args     argv, args[0] first (the program's name for itself); None: the
             image's source
    env      a mapping or "NAME=value" strings; None: this process's
             environment at the start (os.environ as the C library sees it)
    cwd      the child's working directory (spawn only); None: this one's
    name     the process name for exec (comm, a script's $0); None: run by
             descriptor
    origin   the directory $ORIGIN stands for; None: the image's origin
    stdin, stdout, stderr (spawn only): None (INHERIT), PIPE, DEVNULL, a
             descriptor or an object with fileno()
    """

    def __init__(self, args=None, *, env=None, cwd=None, name=None, origin=None,
                 stdin=None, stdout=None, stderr=None):
        self.args = args
        self.env = env
        self.cwd = cwd
        self.name = name
        self.origin = origin
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr

    def _build(self):
        """A new C command; the caller frees it with sealexec_command_free."""
        handle = _lib.sealexec_command_new()
        if not handle:
            raise MemoryError("sealexec_command_new")
        try:
            if self.args is not None:
                if isinstance(self.args, (str, bytes)):
                    raise TypeError("args must be a sequence of strings, not one string")
                argv, _keep = _string_array(self.args)
                _call(_lib.sealexec_command_set_argv, handle, argv)
            env = _environment(self.env)
            if env is not None:
                envp, _keep = _string_array(env)
                _call(_lib.sealexec_command_set_env, handle, envp)
            if self.cwd is not None:
                _call(_lib.sealexec_command_set_cwd, handle, _bytes(self.cwd))
            if self.name is not None:
                _call(_lib.sealexec_command_set_name, handle, _bytes(self.name))
            if self.origin is not None:
                _call(_lib.sealexec_command_set_origin, handle, _bytes(self.origin))
            for stream, value in enumerate((self.stdin, self.stdout, self.stderr)):
                mode, fd = _stdio(value)
                if mode != _STDIO_INHERIT:
                    _call(_lib.sealexec_command_set_stdio, handle, stream, mode, fd)
        except BaseException:
            _lib.sealexec_command_free(handle)
            raise
        return handle

    def spawn(self, image):
        """Starts image as a child process: a Child."""
        handle = self._build()
        try:
            child = _native.child_p()
            _call(_lib.sealexec_spawn, image._get(), handle, ctypes.byref(child))
        finally:
            _lib.sealexec_command_free(handle)
        return Child(child)

    def exec(self, image):
        """Replaces this process with image; returns only by raising."""
        handle = self._build()
        try:
            _flush_before_exec()
            _call(_lib.sealexec_exec, image._get(), handle)
        finally:
            _lib.sealexec_command_free(handle)


class Child(_Handle):
    """A started child process.

    pid; stdin, stdout, stderr: binary file objects for the streams asked
    for with PIPE (else None); returncode: None until waited for, then the
    exit code, or -N for death by signal N (as subprocess); wait_status: the
    raw wait(2) status.

    Closing the handle (close(), the end of a with block, collection) kills
    and reaps a child never waited for, so wait() first when it must finish.
    """

    _free = _lib.sealexec_child_free

    def __init__(self, handle):
        super().__init__(handle)
        self.pid = _lib.sealexec_child_pid(handle)
        self.returncode = None
        self.wait_status = None
        self.stdin = self.stdout = self.stderr = None
        for stream, attribute, mode in ((0, "stdin", "wb"), (1, "stdout", "rb"),
                                        (2, "stderr", "rb")):
            fd = _lib.sealexec_child_take_pipe(handle, stream)
            if fd >= 0:
                setattr(self, attribute, open(fd, mode))

    def wait(self):
        """Waits for the child to end; returns returncode (also after close(),
        once it was waited for)."""
        if self.closed and self.wait_status is not None:
            return self.returncode
        status = ctypes.c_int()
        _call(_lib.sealexec_child_wait, self._get(), ctypes.byref(status))
        self.wait_status = status.value
        self.returncode = (os.waitstatus_to_exitcode(status.value)
                           if os.WIFEXITED(status.value) or os.WIFSIGNALED(status.value)
                           else None)
        return self.returncode

    def kill(self, sig=_signal.SIGKILL):
        """Sends sig through a pidfd (a recycled pid is never hit)."""
        _call(_lib.sealexec_child_kill, self._get(), int(sig))

    def terminate(self):
        self.kill(_signal.SIGTERM)

    def communicate(self, input=None):
        """Writes input to stdin (then closes it), reads stdout and stderr to
        their end, waits; returns (stdout bytes or None, stderr bytes or None)."""
        results = {}

        def drain(name, file):
            try:
                results[name] = file.read()
            finally:
                file.close()

        readers = [threading.Thread(target=drain, args=(name, file), daemon=True)
                   for name, file in (("stdout", self.stdout), ("stderr", self.stderr))
                   if file is not None]
        for reader in readers:
            reader.start()
        if self.stdin is not None:
            try:
                if input:
                    self.stdin.write(input)
            except BrokenPipeError:
                pass
            finally:
                try:
                    self.stdin.close()
                except BrokenPipeError:
                    pass
        for reader in readers:
            reader.join()
        self.wait()
        return results.get("stdout"), results.get("stderr")

    def close(self):
        for file in (self.stdin, self.stdout, self.stderr):
            if file is not None:
                try:
                    file.close()
                except OSError:
                    pass
        super().close()

    def __repr__(self):
        return "<sealexec.Child pid %d, returncode %r>" % (self.pid, self.returncode)


def spawn(image, args=None, *, env=None, cwd=None, origin=None, stdin=None, stdout=None,
          stderr=None):
    """Starts image as a child process and returns its Child. No descriptor
    of this process leaks into it beyond its standard streams (and, for a
    script, the image's own). See Command for the parameters."""
    return Command(args, env=env, cwd=cwd, origin=origin, stdin=stdin, stdout=stdout,
                   stderr=stderr).spawn(image)


def exec(image, args=None, *, env=None, name=None, origin=None):
    """Replaces this process with image (execveat of the sealed memfd), its
    exit status then being this process's. Returns only by raising
    SealexecError, the process unchanged. Python's buffered stdout and stderr
    are flushed first."""
    Command(args, env=env, name=name, origin=origin).exec(image)


# ---------------------------------------------------------------- libraries

class Library(_Handle):
    """An ELF shared object dlopened from an image (load_library)."""

    _free = _lib.sealexec_library_free

    def symbol(self, name):
        """The address of name, an int (SEALEXEC_E_NOT_FOUND when absent)."""
        address = ctypes.c_void_p()
        _call(_lib.sealexec_library_symbol, self._get(), _bytes(name), ctypes.byref(address))
        return address.value

    def function(self, name, restype, *argtypes):
        """A ctypes function for symbol name, keeping the library loaded as
        long as it lives."""
        function = ctypes.CFUNCTYPE(restype, *argtypes)(self.symbol(name))
        function._sealexec_library = self
        return function


def load_library(image, *, dlopen_flags=0, allow_execstack=False):
    """dlopens image, a shared object for this machine (dlopen_flags 0:
    RTLD_NOW | RTLD_LOCAL). Refused with SEALEXEC_E_POLICY when it needs an
    executable stack, unless allow_execstack."""
    library = _native.library_p()
    _call(_lib.sealexec_library_load, image._get(), dlopen_flags,
          _LIBRARY_ALLOW_EXECSTACK if allow_execstack else 0, ctypes.byref(library))
    return Library(library)


# ---------------------------------------------------------------- the cache

class Cache(_Handle):
    """The crash-safe cache of compiled code that ``sealexec cache`` uses.

    An entry is found by its key and fingerprint, exactly as
    ``sealexec cache put --fingerprint FINGERPRINT KEY`` stores it: the CLI
    and every binding see the same entries. directory None: the CLI's
    default ($SEALEXEC_CACHE_DIR, $XDG_CACHE_HOME/sealexec, ~/.cache/sealexec)
    and its limits.
    """

    _free = _lib.sealexec_cache_free

    def __init__(self, directory=None):
        handle = _native.cache_p()
        _call(_lib.sealexec_cache_open, _bytes(directory), ctypes.byref(handle))
        super().__init__(handle)

    @classmethod
    def open(cls, directory=None):
        return cls(directory)

    def put(self, key, data, *, fingerprint=""):
        """Stores bytes-like data under key and fingerprint."""
        pointer, size, keep = _buffer(data)
        _call(_lib.sealexec_cache_put, self._get(), _bytes(key), _bytes(fingerprint), pointer,
              size)
        del keep

    def put_file(self, key, file, *, fingerprint=""):
        """Stores what a descriptor or file object holds (a regular file from
        offset 0, or a pipe read to its end)."""
        _call(_lib.sealexec_cache_put_fd, self._get(), _bytes(key), _bytes(fingerprint),
              _fileno(file))

    def get(self, key, *, fingerprint="", noexec=False):
        """The entry as a sealed Image, its bytes checked on the way; None on
        a miss."""
        image = _native.image_p()
        _call(_lib.sealexec_cache_get, self._get(), _bytes(key), _bytes(fingerprint),
              _IMAGE_NOEXEC if noexec else 0, ctypes.byref(image))
        return Image(image) if image else None

    def map(self, key, *, fingerprint=""):
        """The entry mapped read-only straight from its cache file, with no
        copy (a Mapping); None on a miss."""
        mapping = _native.mapping_p()
        _call(_lib.sealexec_cache_map, self._get(), _bytes(key), _bytes(fingerprint),
              ctypes.byref(mapping))
        return Mapping(mapping) if mapping else None

    def exec(self, key, args=None, *, fingerprint="", env=None, name=None, origin=None):
        """Runs the entry in place of this process (``sealexec cache exec``);
        a miss raises SEALEXEC_E_NOT_FOUND. Returns only by raising."""
        handle = Command(args, env=env, name=name, origin=origin)._build()
        try:
            _flush_before_exec()
            _call(_lib.sealexec_cache_exec, self._get(), _bytes(key), _bytes(fingerprint),
                  handle)
        finally:
            _lib.sealexec_command_free(handle)

    def remove(self, key, *, fingerprint=""):
        """Removes the entry; True when there was one."""
        removed = ctypes.c_int()
        _call(_lib.sealexec_cache_remove, self._get(), _bytes(key), _bytes(fingerprint),
              ctypes.byref(removed))
        return bool(removed.value)


# ---------------------------------------------------------------- checking

def check_file(path, *, deps=False):
    """Checks one file as ``sealexec check --json [--deps] PATH`` does and
    returns that document (docs/check-json.md) parsed: a dict."""
    document = ctypes.c_void_p()
    _call(_lib.sealexec_check_file, _bytes(path), _CHECK_DEPS if deps else 0,
          ctypes.byref(document))
    try:
        text = ctypes.string_at(document.value)
    finally:
        _lib.sealexec_free(document)
    return json.loads(text.decode("utf-8"))

"""Loading libsealexec and declaring its C API (sealexec.h) to ctypes."""

import ctypes
import os

#: The C API major version this package speaks (SEALEXEC_API_VERSION_MAJOR).
API_VERSION_MAJOR = 1
SONAME = "libsealexec.so.1"


class sealexec_error(ctypes.Structure):
    """Opaque."""


class sealexec_image(ctypes.Structure):
    """Opaque."""


class sealexec_mapping(ctypes.Structure):
    """Opaque."""


class sealexec_command(ctypes.Structure):
    """Opaque."""


class sealexec_child(ctypes.Structure):
    """Opaque."""


class sealexec_library(ctypes.Structure):
    """Opaque."""


class sealexec_cache(ctypes.Structure):
    """Opaque."""


P = ctypes.POINTER
error_p = P(sealexec_error)
error_pp = P(error_p)
image_p = P(sealexec_image)
mapping_p = P(sealexec_mapping)
command_p = P(sealexec_command)
child_p = P(sealexec_child)
library_p = P(sealexec_library)
cache_p = P(sealexec_cache)
char_p = ctypes.c_char_p
char_pp = P(ctypes.c_char_p)
status = ctypes.c_int  # sealexec_status: an enum, int-sized
u32 = ctypes.c_uint32
u8_p = P(ctypes.c_uint8)

# name: (restype, argtypes)
PROTOTYPES = {
    "sealexec_error_code": (status, [error_p]),
    "sealexec_error_message": (char_p, [error_p]),
    "sealexec_error_path": (char_p, [error_p]),
    "sealexec_error_errno": (ctypes.c_int, [error_p]),
    "sealexec_error_free": (None, [error_p]),
    "sealexec_status_name": (char_p, [status]),
    "sealexec_free": (None, [ctypes.c_void_p]),
    "sealexec_api_version": (ctypes.c_int, []),
    "sealexec_version": (char_p, []),
    "sealexec_image_from_bytes": (status, [ctypes.c_void_p, ctypes.c_size_t, char_p, u8_p, u32,
                                           P(image_p), error_pp]),
    "sealexec_image_from_fd": (status, [ctypes.c_int, char_p, u8_p, u32, P(image_p), error_pp]),
    "sealexec_image_from_path": (status, [char_p, char_p, u8_p, u32, P(image_p), error_pp]),
    "sealexec_image_free": (None, [image_p]),
    "sealexec_image_fd": (ctypes.c_int, [image_p]),
    "sealexec_image_size": (ctypes.c_uint64, [image_p]),
    "sealexec_image_memfd_name": (char_p, [image_p]),
    "sealexec_image_sha256": (status, [image_p, u8_p, error_pp]),
    "sealexec_image_map": (status, [image_p, u32, P(mapping_p), error_pp]),
    "sealexec_mapping_data": (ctypes.c_void_p, [mapping_p]),
    "sealexec_mapping_size": (ctypes.c_size_t, [mapping_p]),
    "sealexec_mapping_free": (None, [mapping_p]),
    "sealexec_command_new": (command_p, []),
    "sealexec_command_free": (None, [command_p]),
    "sealexec_command_set_argv": (status, [command_p, char_pp, error_pp]),
    "sealexec_command_set_env": (status, [command_p, char_pp, error_pp]),
    "sealexec_command_set_cwd": (status, [command_p, char_p, error_pp]),
    "sealexec_command_set_name": (status, [command_p, char_p, error_pp]),
    "sealexec_command_set_origin": (status, [command_p, char_p, error_pp]),
    "sealexec_command_set_stdio": (status, [command_p, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                                            error_pp]),
    "sealexec_exec": (status, [image_p, command_p, error_pp]),
    "sealexec_spawn": (status, [image_p, command_p, P(child_p), error_pp]),
    "sealexec_child_pid": (ctypes.c_int, [child_p]),  # pid_t
    "sealexec_child_wait": (status, [child_p, P(ctypes.c_int), error_pp]),
    "sealexec_child_kill": (status, [child_p, ctypes.c_int, error_pp]),
    "sealexec_child_take_pipe": (ctypes.c_int, [child_p, ctypes.c_int]),
    "sealexec_child_free": (None, [child_p]),
    "sealexec_library_load": (status, [image_p, ctypes.c_int, u32, P(library_p), error_pp]),
    "sealexec_library_symbol": (status, [library_p, char_p, P(ctypes.c_void_p), error_pp]),
    "sealexec_library_free": (None, [library_p]),
    "sealexec_cache_open": (status, [char_p, P(cache_p), error_pp]),
    "sealexec_cache_free": (None, [cache_p]),
    "sealexec_cache_put": (status, [cache_p, char_p, char_p, ctypes.c_void_p, ctypes.c_size_t,
                                    error_pp]),
    "sealexec_cache_put_fd": (status, [cache_p, char_p, char_p, ctypes.c_int, error_pp]),
    "sealexec_cache_get": (status, [cache_p, char_p, char_p, u32, P(image_p), error_pp]),
    "sealexec_cache_map": (status, [cache_p, char_p, char_p, P(mapping_p), error_pp]),
    "sealexec_cache_exec": (status, [cache_p, char_p, char_p, command_p, error_pp]),
    "sealexec_cache_remove": (status, [cache_p, char_p, char_p, P(ctypes.c_int), error_pp]),
    # char ** out-parameter: a c_void_p so that the pointer can be freed.
    "sealexec_check_file": (status, [char_p, u32, P(ctypes.c_void_p), error_pp]),
}


def _candidates():
    """Where to look for the library, in order, as (path, where) pairs."""
    explicit = os.environ.get("SEALEXEC_LIBRARY")
    if explicit:
        # Named explicitly: that one or nothing.
        return [(explicit, "$SEALEXEC_LIBRARY")]
    found = []
    try:
        from . import _install  # written by `make install`
    except ImportError:
        _install = None
    if _install is not None:
        here = os.path.dirname(os.path.realpath(__file__))
        found.append((os.path.normpath(os.path.join(here, _install.LIBRARY_RELATIVE)),
                      "beside the installed package"))
    found.append((SONAME, "the dynamic loader's search path"))
    return found


def _load():
    tried = []
    for path, where in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append("%s (%s): no such file" % (path, where))
            continue
        try:
            lib = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s): %s" % (path, where, e))
            continue
        break
    else:
        raise ImportError("sealexec: cannot load libsealexec; tried " + "; ".join(tried)
                          + ". Set SEALEXEC_LIBRARY to the path of %s." % SONAME)
    try:
        version = lib.sealexec_api_version
    except AttributeError:
        raise ImportError("sealexec: %s is not libsealexec (it has no sealexec_api_version)"
                          % path) from None
    version.restype, version.argtypes = ctypes.c_int, []
    api = version()
    if api // 10000 != API_VERSION_MAJOR:
        raise ImportError(
            "sealexec: %s has C API version %d.%d; this package needs %d.x"
            % (path, api // 10000, api % 10000, API_VERSION_MAJOR))
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            function = getattr(lib, name)
        except AttributeError:
            raise ImportError("sealexec: %s lacks %s" % (path, name)) from None
        function.restype = restype
        function.argtypes = argtypes
    return lib, path


lib, path = _load()

"""The sealexec Python package against this build's library (python-binding.sh).

Environment: SEALEXEC_LIBRARY (the shared library), SEALEXEC (the CLI),
EXAMPLES (the build's examples), WORK (a temporary directory).
"""

import errno
import fcntl
import hashlib
import os
import signal
import subprocess
import sys
import unittest

import sealexec

WORK = os.environ["WORK"]
CLI = os.environ["SEALEXEC"]
EXAMPLES = os.environ["EXAMPLES"]
HELLO = os.path.join(EXAMPLES, "hello")

SH_SCRIPT = b"""#!/bin/sh
echo "args:$*"
echo "greeting:$GREETING"
read line && echo "stdin:$line"
echo "to stderr" >&2
exit ${EXIT_WITH:-0}
"""

# Lists the descriptors open in the script (not counting the one that
# reads the directory).
FD_SCRIPT = b"""#!/usr/bin/python3
import os
own = "/proc/%d/fd" % os.getpid()
for name in sorted(os.listdir("/proc/self/fd"), key=int):
    try:
        target = os.readlink("/proc/self/fd/" + name)
    except OSError:
        continue
    if target != own:
        print("fd", name, target)
"""


def cli(*args, **kwargs):
    return subprocess.run([CLI, *args], check=False, capture_output=True, **kwargs)


class Loading(unittest.TestCase):
    def test_library_and_version(self):
        self.assertEqual(sealexec.library_path, os.environ["SEALEXEC_LIBRARY"])
        self.assertEqual(sealexec.api_version() // 10000, 1)
        self.assertRegex(sealexec.version(), r"^\d+\.\d+\.\d+")

    def test_wrong_library_is_a_clear_import_error(self):
        # A library that is not libsealexec: libc.
        env = dict(os.environ, SEALEXEC_LIBRARY="libc.so.6")
        run = subprocess.run([sys.executable, "-c", "import sealexec"], env=env,
                             capture_output=True, text=True)
        self.assertNotEqual(run.returncode, 0)
        self.assertIn("ImportError: sealexec: libc.so.6 is not libsealexec", run.stderr)
        env["SEALEXEC_LIBRARY"] = os.path.join(WORK, "missing.so")
        run = subprocess.run([sys.executable, "-c", "import sealexec"], env=env,
                             capture_output=True, text=True)
        self.assertIn("cannot load libsealexec", run.stderr)
        self.assertIn("$SEALEXEC_LIBRARY", run.stderr)


class Images(unittest.TestCase):
    def test_from_bytes(self):
        data = b"hello, sealed world\n"
        with sealexec.Image.from_bytes(data, name="greeting") as image:
            self.assertEqual(image.size, len(data))
            self.assertRegex(image.memfd_name, r"^sealexec:greeting:[0-9a-f]{12}$")
            self.assertEqual(image.sha256(), hashlib.sha256(data).digest())
            self.assertEqual(image.read(), data)
            self.assertEqual(os.readlink("/proc/self/fd/%d" % image.fd),
                             "/memfd:%s (deleted)" % image.memfd_name)
            self.assertTrue(fcntl.fcntl(image.fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC)
            with self.assertRaises(OSError):
                os.pwrite(image.fd, b"X", 0)
            fd = image.fd
        self.assertTrue(image.closed)
        with self.assertRaises(ValueError):
            image.size
        with self.assertRaises(OSError):  # the memfd went with the image
            os.fstat(fd)

    def test_from_bytearray_and_memoryview(self):
        data = bytearray(b"x" * 1000)
        with sealexec.Image.from_bytes(memoryview(data)[10:20]) as image:
            self.assertEqual(image.read(), b"x" * 10)
        with sealexec.Image.from_bytes(b"") as image:
            self.assertEqual(image.size, 0)

    def test_from_path_and_fd(self):
        with sealexec.Image.from_path(HELLO) as image:
            self.assertRegex(image.memfd_name, r"^sealexec:hello:")
            with open(HELLO, "rb") as f:
                self.assertEqual(image.sha256(), hashlib.sha256(f.read()).digest())
        with open(HELLO, "rb") as f:
            f.seek(5)
            with sealexec.Image.from_fd(f, name="from-fd") as image:
                self.assertEqual(image.size, os.path.getsize(HELLO))
                self.assertEqual(f.tell(), 5)  # the offset did not move
            self.assertFalse(f.closed)
            os.fstat(f.fileno())  # still the caller's
        r, w = os.pipe()
        os.write(w, b"through a pipe")
        os.close(w)
        with sealexec.Image.from_fd(r) as image:
            self.assertEqual(image.read(), b"through a pipe")
        os.close(r)

    def test_pin(self):
        data = b"pinned"
        digest = hashlib.sha256(data)
        with sealexec.Image.from_bytes(data, sha256=digest.digest()):
            pass
        with sealexec.Image.from_bytes(data, sha256=digest.hexdigest()):
            pass
        wrong = bytes(32)
        with self.assertRaises(sealexec.SealexecError) as caught:
            sealexec.Image.from_bytes(data, sha256=wrong)
        e = caught.exception
        self.assertEqual(e.code, "SEALEXEC_E_DIGEST_MISMATCH")
        self.assertIs(e.status, sealexec.Status.E_DIGEST_MISMATCH)
        self.assertTrue(e.message)
        self.assertIn("[SEALEXEC_E_DIGEST_MISMATCH]", str(e))
        with self.assertRaises(sealexec.SealexecError) as caught:
            sealexec.Image.from_path(HELLO, sha256=wrong)
        self.assertEqual(caught.exception.code, "SEALEXEC_E_DIGEST_MISMATCH")
        with self.assertRaises(ValueError):
            sealexec.Image.from_bytes(data, sha256=b"short")

    def test_missing_file(self):
        missing = os.path.join(WORK, "no-such-file")
        with self.assertRaises(sealexec.SealexecError) as caught:
            sealexec.Image.from_path(missing)
        e = caught.exception
        self.assertEqual(e.code, "SEALEXEC_E_NOT_FOUND")
        self.assertEqual(e.path, missing)
        self.assertIn(missing, e.message)
        self.assertIn(e.errno, (0, errno.ENOENT))

    def test_map(self):
        data = bytes(range(256)) * 16
        with sealexec.Image.from_bytes(data) as image:
            mapping = image.map()
        self.assertEqual(bytes(mapping), data)  # outlives the image
        view = mapping.data
        self.assertTrue(view.readonly)
        mapping.close()
        self.assertTrue(mapping.closed)
        # The view handed out keeps the memory mapped until it goes.
        self.assertEqual(view[100], 100)
        self.assertEqual(bytes(view[:3]), b"\x00\x01\x02")
        del view
        with sealexec.Image.from_bytes(b"") as image:
            empty = image.map()  # an empty mapping, as an empty cache entry gives
            self.assertEqual(empty.size, 0)
            self.assertEqual(bytes(empty), b"")
            empty.close()


class Running(unittest.TestCase):
    def test_embedded_program(self):
        with open(HELLO, "rb") as f:
            program = f.read()  # as a program would embed it
        with sealexec.Image.from_bytes(program, name="hello") as image:
            child = sealexec.spawn(image, ["hello", "one", "two words"], stdout=sealexec.PIPE)
            with child:
                out, err = child.communicate()
        self.assertEqual(out, b"hello from sealed memory\narg 1: one\narg 2: two words\n")
        self.assertIsNone(err)
        self.assertEqual(child.returncode, 0)

    def test_script_pipes_env_status(self):
        with sealexec.Image.from_bytes(SH_SCRIPT, name="greeter") as image:
            with image.spawn(["greeter", "a", "b c"],
                             env={"GREETING": "hi there", "EXIT_WITH": "3",
                                  "PATH": "/usr/bin:/bin"},
                             stdin=sealexec.PIPE, stdout=sealexec.PIPE,
                             stderr=subprocess.PIPE) as child:
                self.assertGreater(child.pid, 0)
                out, err = child.communicate(b"from python\n")
                self.assertEqual(child.wait(), 3)  # again: the same status
        self.assertEqual(out, b"args:a b c\ngreeting:hi there\nstdin:from python\n")
        self.assertEqual(err, b"to stderr\n")
        self.assertEqual(child.returncode, 3)
        self.assertTrue(os.WIFEXITED(child.wait_status))
        self.assertEqual(child.wait(), 3)  # known after the handle is closed

    def test_stdio_to_file_and_devnull(self):
        path = os.path.join(WORK, "out.txt")
        with sealexec.Image.from_bytes(SH_SCRIPT) as image, open(path, "wb") as f:
            with sealexec.spawn(image, ["x", "to-file"], stdin=sealexec.DEVNULL, stdout=f,
                                stderr=sealexec.DEVNULL) as child:
                self.assertEqual(child.wait(), 0)
                self.assertIsNone(child.stdout)
        with open(path, "rb") as f:
            self.assertEqual(f.read(), b"args:to-file\ngreeting:\n")

    def test_no_descriptor_leaks(self):
        bait = os.open("/dev/null", os.O_RDONLY)
        os.set_inheritable(bait, True)
        try:
            with sealexec.Image.from_bytes(FD_SCRIPT, name="fds") as image:
                with image.spawn(["fds"], stdout=sealexec.PIPE) as child:
                    out, _ = child.communicate()
        finally:
            os.close(bait)
        lines = out.decode().splitlines()
        fds = [int(line.split()[1]) for line in lines]
        self.assertNotIn(bait, fds, out)
        self.assertEqual(fds[:3], [0, 1, 2], out)
        extra = [line for line in lines if int(line.split()[1]) > 2]
        self.assertEqual(len(extra), 1, out)  # the script's own, nothing else
        self.assertRegex(extra[0], r"/memfd:sealexec:fds:[0-9a-f]{12}")

    def test_kill(self):
        with sealexec.Image.from_bytes(b"#!/bin/sh\nexec sleep 30\n") as image:
            with image.spawn(stdin=sealexec.DEVNULL) as child:
                child.terminate()
                self.assertEqual(child.wait(), -signal.SIGTERM)
                self.assertTrue(os.WIFSIGNALED(child.wait_status))

    def test_bad_env(self):
        with sealexec.Image.from_bytes(SH_SCRIPT) as image:
            with self.assertRaises(sealexec.SealexecError) as caught:
                image.spawn(env=["NO_EQUALS_SIGN"])
        self.assertEqual(caught.exception.code, "SEALEXEC_E_INVALID_ARGUMENT")

    def test_exec(self):
        # exec replaces the process: run it in a child python.
        code = """if True:
            import sealexec
            print("before exec", flush=False)
            image = sealexec.Image.from_bytes(b"#!/bin/sh\\necho \\"exec'd: $*\\"\\nexit 9\\n")
            sealexec.exec(image, ["script", "x", "y"])
            """
        run = subprocess.run([sys.executable, "-c", code], capture_output=True)
        self.assertEqual(run.returncode, 9, run.stderr)
        # Python's buffered output was flushed before the exec.
        self.assertEqual(run.stdout, b"before exec\nexec'd: x y\n")
        code = """if True:
            import sealexec
            image = sealexec.Image.from_bytes(b"not a program")
            try:
                sealexec.exec(image, ["x"])
            except sealexec.SealexecError as e:
                print(e.code)
            """
        run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertEqual(run.stdout, "SEALEXEC_E_NOT_RUNNABLE\n")


class Libraries(unittest.TestCase):
    def test_plugin(self):
        plugin = os.path.join(EXAMPLES, "libanswer-plugin.so")
        if not os.path.exists(plugin):
            plugin = os.path.join(EXAMPLES, "answer-plugin.so")
        import ctypes
        with sealexec.Image.from_path(plugin) as image:
            library = sealexec.load_library(image)
        with library:
            answer = library.function("sealexec_plugin_answer", ctypes.c_int)
            self.assertEqual(answer(), 42)
            with self.assertRaises(sealexec.SealexecError) as caught:
                library.symbol("no_such_symbol")
            self.assertEqual(caught.exception.code, "SEALEXEC_E_NOT_FOUND")


class Caching(unittest.TestCase):
    def setUp(self):
        self.dir = os.path.join(WORK, "cache-" + self.id().rsplit(".", 1)[-1])

    def test_cli_puts_python_gets(self):
        key, fp = "py/hello-v1", "g++ 12.2 -O2 x86_64"
        put = cli("cache", "put", "--dir", self.dir, "--fingerprint", fp, key, HELLO)
        self.assertEqual(put.returncode, 0, put.stderr)
        with open(HELLO, "rb") as f:
            expected = f.read()
        with sealexec.Cache(self.dir) as cache:
            image = cache.get(key, fingerprint=fp)
            self.assertIsNotNone(image)
            with image:
                self.assertEqual(image.read(), expected)
                self.assertRegex(image.memfd_name, r"^sealexec:hello-v1:")
                # And it runs.
                with image.spawn(["hello", "cached"], stdout=sealexec.PIPE) as child:
                    out, _ = child.communicate()
                self.assertEqual(out, b"hello from sealed memory\narg 1: cached\n")
            with cache.map(key, fingerprint=fp) as mapping:
                self.assertEqual(bytes(mapping), expected)
            # Misses: another fingerprint, another key.
            self.assertIsNone(cache.get(key, fingerprint="another"))
            self.assertIsNone(cache.get(key))
            self.assertIsNone(cache.get("py/absent", fingerprint=fp))
            self.assertIsNone(cache.map("py/absent", fingerprint=fp))

    def test_python_puts_cli_gets(self):
        key, fp = "py/blob", "python fingerprint"
        data = os.urandom(100_000)
        with sealexec.Cache.open(self.dir) as cache:
            cache.put(key, data, fingerprint=fp)
            path = os.path.join(WORK, "blob")
            with open(path, "wb") as f:
                f.write(b"from a file")
            with open(path, "rb") as f:
                cache.put_file("py/file", f, fingerprint=fp)
        got = cli("cache", "get", "--dir", self.dir, "--fingerprint", fp, key)
        self.assertEqual(got.returncode, 0, got.stderr)
        self.assertEqual(got.stdout, data)
        got = cli("cache", "get", "--dir", self.dir, "--fingerprint", fp, "py/file")
        self.assertEqual(got.stdout, b"from a file")
        got = cli("cache", "get", "--dir", self.dir, "--fingerprint", "other", key)
        self.assertEqual(got.returncode, 1)  # a miss
        with sealexec.Cache(self.dir) as cache:
            self.assertTrue(cache.remove(key, fingerprint=fp))
            self.assertFalse(cache.remove(key, fingerprint=fp))
            self.assertIsNone(cache.get(key, fingerprint=fp))
        self.assertEqual(cli("cache", "get", "--dir", self.dir, "--fingerprint", fp,
                             key).returncode, 1)

    def test_cache_exec_miss(self):
        with sealexec.Cache(self.dir) as cache:
            with self.assertRaises(sealexec.SealexecError) as caught:
                cache.exec("py/absent", ["x"])
        self.assertEqual(caught.exception.code, "SEALEXEC_E_NOT_FOUND")

    def test_not_a_cache(self):
        not_cache = os.path.join(WORK, "not-a-cache")
        os.makedirs(not_cache)
        with open(os.path.join(not_cache, "precious.txt"), "w") as f:
            f.write("keep me")
        with self.assertRaises(sealexec.SealexecError) as caught:
            sealexec.Cache(not_cache)
        self.assertNotEqual(caught.exception.code, "SEALEXEC_E_INTERNAL")
        self.assertEqual(os.listdir(not_cache), ["precious.txt"])


class Checking(unittest.TestCase):
    def test_check_file(self):
        document = sealexec.check_file(HELLO)
        self.assertEqual(document["sealexec_check"], 1)
        self.assertEqual(len(document["files"]), 1)
        entry = document["files"][0]
        self.assertEqual(entry["path"], HELLO)
        self.assertNotIn("error", entry)
        self.assertIn(entry["type"], ("pie", "exec"))
        # The same document as the CLI's.
        run = cli("check", "--json", HELLO)
        import json
        self.assertEqual(json.loads(run.stdout), document)

    def test_not_elf_is_an_entry_not_an_error(self):
        path = os.path.join(WORK, "notes.txt")
        with open(path, "w") as f:
            f.write("not a program\n")
        document = sealexec.check_file(path)
        self.assertIn("error", document["files"][0])


if __name__ == "__main__":
    unittest.main(verbosity=2)

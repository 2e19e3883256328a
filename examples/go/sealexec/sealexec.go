// Package sealexec runs code from sealed memory, through libsealexec's C API
// (sealexec.h). It is a thin wrapper: every function here is one or two C
// calls, and every failure is an *Error carrying the C API's code, message,
// path and errno.
//
// An Image is bytes copied into a memfd and sealed so that nobody can change
// them again. Spawn starts it as a child process, Exec replaces the calling
// process with it, LoadLibrary dlopens it, and a Cache keeps compiled code
// under a key and fingerprint, shared with `sealexec cache` and every other
// binding.
//
// Build flags: by default the package asks pkg-config for sealexec's flags
// (`#cgo pkg-config: sealexec`). Build with `-tags sealexec_noflags` to give
// them yourself in CGO_CFLAGS and CGO_LDFLAGS instead (e.g. against a build
// tree).
package sealexec

/*
#include <stdlib.h>
#include <sealexec.h>
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// APIVersionMajor is the C API major version this package was written for.
const APIVersionMajor = 1

// APIVersion is the library's C API version (major*10000 + minor).
func APIVersion() int { return int(C.sealexec_api_version()) }

// Version is the library's release, e.g. "0.1.0".
func Version() string { return C.GoString(C.sealexec_version()) }

// ---------------------------------------------------------------- errors

// Code is a C API status code. A Code is also an error, so that
// errors.Is(err, sealexec.ErrNotFound) tells an *Error's code.
type Code int

// The C API's error codes (sealexec_status).
const (
	ErrSystem          Code = C.SEALEXEC_E_SYSTEM
	ErrInvalidArgument Code = C.SEALEXEC_E_INVALID_ARGUMENT
	ErrNotFound        Code = C.SEALEXEC_E_NOT_FOUND
	ErrNotRunnable     Code = C.SEALEXEC_E_NOT_RUNNABLE
	ErrDigestMismatch  Code = C.SEALEXEC_E_DIGEST_MISMATCH
	ErrPolicy          Code = C.SEALEXEC_E_POLICY
	ErrChanged         Code = C.SEALEXEC_E_CHANGED
	ErrMalformed       Code = C.SEALEXEC_E_MALFORMED
	ErrTooLarge        Code = C.SEALEXEC_E_TOO_LARGE
	ErrTimedOut        Code = C.SEALEXEC_E_TIMED_OUT
	ErrNoMemory        Code = C.SEALEXEC_E_NO_MEMORY
	ErrInternal        Code = C.SEALEXEC_E_INTERNAL
)

// String is the code's constant name, "SEALEXEC_E_NOT_FOUND".
func (c Code) String() string {
	name := C.sealexec_status_name(C.sealexec_status(c))
	if name == nil {
		return fmt.Sprintf("sealexec status %d", int(c))
	}
	return C.GoString(name)
}

func (c Code) Error() string { return c.String() }

// Error is a failure reported by libsealexec.
type Error struct {
	Code    Code
	Message string        // one line: "<path>: <what failed>: <call>: <strerror>"; raw bytes
	Path    string        // the file concerned, or ""
	Errno   syscall.Errno // the failing system call's errno, or 0
}

func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code.String()
	}
	return e.Message
}

// Is reports whether target is this error's Code, so that
// errors.Is(err, sealexec.ErrDigestMismatch) works.
func (e *Error) Is(target error) bool {
	c, ok := target.(Code)
	return ok && c == e.Code
}

// Unwrap gives the errno, when a system call failed: errors.Is(err,
// fs.ErrNotExist) then works as it does for the os package.
func (e *Error) Unwrap() error {
	if e.Errno == 0 {
		return nil
	}
	return e.Errno
}

// check turns a status and its error into a Go error, freeing the C error.
func check(status C.sealexec_status, cerr *C.sealexec_error) error {
	if status == C.SEALEXEC_OK {
		return nil
	}
	if cerr == nil {
		return &Error{Code: Code(status), Message: Code(status).String()}
	}
	defer C.sealexec_error_free(cerr)
	return &Error{
		Code:    Code(C.sealexec_error_code(cerr)),
		Message: C.GoString(C.sealexec_error_message(cerr)),
		Path:    C.GoString(C.sealexec_error_path(cerr)),
		Errno:   syscall.Errno(C.sealexec_error_errno(cerr)),
	}
}

// cstring is C.CString, or NULL for "" when empty means "the default".
func cstring(s string, emptyIsNull bool) *C.char {
	if s == "" && emptyIsNull {
		return nil
	}
	return C.CString(s)
}

func freeString(p *C.char) {
	if p != nil {
		C.free(unsafe.Pointer(p))
	}
}

// ---------------------------------------------------------------- images

// ImageOptions are the optional parts of making an image. A nil
// *ImageOptions means all defaults.
type ImageOptions struct {
	// Name is the middle part of the memfd's name, "sealexec:NAME:<hex>",
	// which /proc/PID/exe and ps show. "": the C API's default.
	Name string
	// SHA256, when set, pins the bytes: the image is refused with
	// ErrDigestMismatch unless their SHA-256 is this.
	SHA256 *[32]byte
	// NoExec makes a memfd the kernel never executes, for data.
	NoExec bool
}

func (o *ImageOptions) c() (name *C.char, pin *C.uint8_t, flags C.uint32_t) {
	if o == nil {
		return nil, nil, 0
	}
	name = cstring(o.Name, true)
	if o.SHA256 != nil {
		// C memory: the pin must not be a Go pointer kept by C, and copying
		// 32 bytes is nothing.
		pin = (*C.uint8_t)(C.CBytes(o.SHA256[:]))
	}
	if o.NoExec {
		flags |= C.SEALEXEC_IMAGE_NOEXEC
	}
	return name, pin, flags
}

func freeOptions(name *C.char, pin *C.uint8_t) {
	freeString(name)
	if pin != nil {
		C.free(unsafe.Pointer(pin))
	}
}

// Image is sealed bytes in a memfd. Close it when done (a finalizer closes
// a forgotten one).
type Image struct {
	p *C.sealexec_image
}

func newImage(p *C.sealexec_image) *Image {
	if p == nil {
		return nil
	}
	img := &Image{p: p}
	runtime.SetFinalizer(img, (*Image).Close)
	return img
}

// ImageFromBytes copies data into a sealed image.
func ImageFromBytes(data []byte, opts *ImageOptions) (*Image, error) {
	name, pin, flags := opts.c()
	defer freeOptions(name, pin)
	var ptr unsafe.Pointer
	if len(data) > 0 {
		ptr = unsafe.Pointer(&data[0])
	}
	var img *C.sealexec_image
	var cerr *C.sealexec_error
	status := C.sealexec_image_from_bytes(ptr, C.size_t(len(data)), name, pin, flags, &img, &cerr)
	runtime.KeepAlive(data)
	if err := check(status, cerr); err != nil {
		return nil, err
	}
	return newImage(img), nil
}

// ImageFromFd copies what fd holds: a whole regular file (its offset is not
// moved), or a pipe or socket read to its end. fd stays the caller's.
func ImageFromFd(fd int, opts *ImageOptions) (*Image, error) {
	name, pin, flags := opts.c()
	defer freeOptions(name, pin)
	var img *C.sealexec_image
	var cerr *C.sealexec_error
	if err := check(C.sealexec_image_from_fd(C.int(fd), name, pin, flags, &img, &cerr), cerr); err != nil {
		return nil, err
	}
	return newImage(img), nil
}

// ImageFromFile is ImageFromFd for an *os.File.
func ImageFromFile(f *os.File, opts *ImageOptions) (*Image, error) {
	img, err := ImageFromFd(int(f.Fd()), opts)
	runtime.KeepAlive(f)
	return img, err
}

// ImageFromPath copies the regular file at path (ErrNotFound when there is
// none). The file's directory is the image's origin, for $ORIGIN.
func ImageFromPath(path string, opts *ImageOptions) (*Image, error) {
	name, pin, flags := opts.c()
	defer freeOptions(name, pin)
	cpath := C.CString(path)
	defer freeString(cpath)
	var img *C.sealexec_image
	var cerr *C.sealexec_error
	if err := check(C.sealexec_image_from_path(cpath, name, pin, flags, &img, &cerr), cerr); err != nil {
		return nil, err
	}
	return newImage(img), nil
}

// Close frees the image and its memfd. Children and libraries started from
// it are unaffected. Closing twice is harmless.
func (img *Image) Close() error {
	if img != nil && img.p != nil {
		C.sealexec_image_free(img.p)
		img.p = nil
		runtime.SetFinalizer(img, nil)
	}
	return nil
}

func (img *Image) handle() *C.sealexec_image {
	if img == nil || img.p == nil {
		panic("sealexec: use of a closed or nil Image")
	}
	return img.p
}

// Fd is the sealed memfd (close-on-exec), owned by the image: valid until
// Close.
func (img *Image) Fd() int {
	fd := int(C.sealexec_image_fd(img.handle()))
	runtime.KeepAlive(img)
	return fd
}

// Size is the number of sealed bytes.
func (img *Image) Size() uint64 {
	size := uint64(C.sealexec_image_size(img.handle()))
	runtime.KeepAlive(img)
	return size
}

// MemfdName is "sealexec:<name>:<12 hex digits>".
func (img *Image) MemfdName() string {
	name := C.GoString(C.sealexec_image_memfd_name(img.handle()))
	runtime.KeepAlive(img)
	return name
}

// SHA256 is the SHA-256 of the sealed bytes, read back from the memfd.
func (img *Image) SHA256() ([32]byte, error) {
	var digest [32]byte
	buf := (*C.uint8_t)(C.malloc(32))
	defer C.free(unsafe.Pointer(buf))
	var cerr *C.sealexec_error
	err := check(C.sealexec_image_sha256(img.handle(), buf, &cerr), cerr)
	runtime.KeepAlive(img)
	if err != nil {
		return digest, err
	}
	copy(digest[:], unsafe.Slice((*byte)(unsafe.Pointer(buf)), 32))
	return digest, nil
}

// ---------------------------------------------------------------- mappings

// Mapping is read-only memory mapped into this process. It has no finalizer:
// the slice Bytes returns does not keep it alive, so Close it yourself once
// nothing uses the bytes.
type Mapping struct {
	p *C.sealexec_mapping
}

// Map maps all of the image's sealed bytes read-only; with exec, also
// executable (for precompiled code). The mapping outlives the image.
func (img *Image) Map(exec bool) (*Mapping, error) {
	var flags C.uint32_t
	if exec {
		flags |= C.SEALEXEC_MAP_EXEC
	}
	var m *C.sealexec_mapping
	var cerr *C.sealexec_error
	err := check(C.sealexec_image_map(img.handle(), flags, &m, &cerr), cerr)
	runtime.KeepAlive(img)
	if err != nil {
		return nil, err
	}
	return &Mapping{p: m}, nil
}

// Bytes is the mapped memory, valid until Close. It is read-only: writing
// to it faults.
func (m *Mapping) Bytes() []byte {
	if m == nil || m.p == nil {
		return nil
	}
	size := int(C.sealexec_mapping_size(m.p))
	if size == 0 {
		return []byte{}
	}
	return unsafe.Slice((*byte)(C.sealexec_mapping_data(m.p)), size)
}

// Pointer is the mapping's address, for calling into code mapped with exec.
func (m *Mapping) Pointer() unsafe.Pointer {
	if m == nil || m.p == nil {
		return nil
	}
	return unsafe.Pointer(C.sealexec_mapping_data(m.p))
}

// Close unmaps it.
func (m *Mapping) Close() error {
	if m != nil && m.p != nil {
		C.sealexec_mapping_free(m.p)
		m.p = nil
	}
	return nil
}

// ---------------------------------------------------------------- commands

type stdioMode int

const (
	modeInherit stdioMode = C.SEALEXEC_STDIO_INHERIT
	modeNull    stdioMode = C.SEALEXEC_STDIO_NULL
	modeFd      stdioMode = C.SEALEXEC_STDIO_FD
	modePipe    stdioMode = C.SEALEXEC_STDIO_PIPE
)

// Stdio says what a child's standard stream is connected to. The zero value
// is Inherit.
type Stdio struct {
	mode stdioMode
	fd   int
	file *os.File // kept alive until the child has started
}

var (
	// Inherit gives the child the caller's own stream.
	Inherit = Stdio{mode: modeInherit}
	// DevNull connects the stream to /dev/null.
	DevNull = Stdio{mode: modeNull}
	// Pipe makes a new pipe; Child.Stdin, Stdout or Stderr is its other end.
	Pipe = Stdio{mode: modePipe}
)

// FromFd gives the child a duplicate of fd, which stays the caller's.
func FromFd(fd int) Stdio { return Stdio{mode: modeFd, fd: fd} }

// FromFile gives the child a duplicate of f's descriptor.
func FromFile(f *os.File) Stdio { return Stdio{mode: modeFd, fd: int(f.Fd()), file: f} }

// Command says how to start an image. The zero value means: argv is the
// image's source, the caller's environment, working directory and streams.
type Command struct {
	// Args is argv, Args[0] first (the program's name for itself); nil: the
	// default.
	Args []string
	// Env holds "NAME=value" strings; nil: the caller's environment when
	// the program starts (an empty, non-nil slice is an empty environment).
	Env []string
	// Dir is the child's working directory (Spawn only); "": the caller's.
	Dir string
	// Name is the process name for Exec (comm, and a script's $0); "": run
	// by descriptor.
	Name string
	// Origin is the directory $ORIGIN stands for; "": the image's origin.
	Origin string
	// Stdin, Stdout and Stderr are for Spawn; Exec keeps the caller's.
	Stdin, Stdout, Stderr Stdio
}

// cArray copies strings into a NULL-terminated C array of C strings.
func cArray(strs []string) **C.char {
	n := len(strs) + 1
	array := (**C.char)(C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	elems := unsafe.Slice(array, n)
	for i, s := range strs {
		elems[i] = C.CString(s)
	}
	return array
}

func freeArray(array **C.char, n int) {
	if array == nil {
		return
	}
	for _, p := range unsafe.Slice(array, n) {
		freeString(p)
	}
	C.free(unsafe.Pointer(array))
}

// newCommand builds the C command; the caller frees it with
// sealexec_command_free. A nil cmd gives NULL (a fresh command).
func (cmd *Command) c() (*C.sealexec_command, error) {
	if cmd == nil {
		return nil, nil
	}
	c := C.sealexec_command_new()
	if c == nil {
		return nil, &Error{Code: ErrNoMemory, Message: "sealexec_command_new: out of memory"}
	}
	fail := func(err error) (*C.sealexec_command, error) {
		C.sealexec_command_free(c)
		return nil, err
	}
	var cerr *C.sealexec_error
	if cmd.Args != nil {
		argv := cArray(cmd.Args)
		err := check(C.sealexec_command_set_argv(c, (**C.char)(unsafe.Pointer(argv)), &cerr), cerr)
		freeArray(argv, len(cmd.Args))
		if err != nil {
			return fail(err)
		}
	}
	if cmd.Env != nil {
		envp := cArray(cmd.Env)
		err := check(C.sealexec_command_set_env(c, (**C.char)(unsafe.Pointer(envp)), &cerr), cerr)
		freeArray(envp, len(cmd.Env))
		if err != nil {
			return fail(err)
		}
	}
	type setter func(*C.sealexec_command, *C.char, **C.sealexec_error) C.sealexec_status
	for _, s := range []struct {
		value string
		set   setter
	}{
		{cmd.Dir, func(c *C.sealexec_command, v *C.char, e **C.sealexec_error) C.sealexec_status {
			return C.sealexec_command_set_cwd(c, v, e)
		}},
		{cmd.Name, func(c *C.sealexec_command, v *C.char, e **C.sealexec_error) C.sealexec_status {
			return C.sealexec_command_set_name(c, v, e)
		}},
		{cmd.Origin, func(c *C.sealexec_command, v *C.char, e **C.sealexec_error) C.sealexec_status {
			return C.sealexec_command_set_origin(c, v, e)
		}},
	} {
		if s.value == "" {
			continue
		}
		v := C.CString(s.value)
		err := check(s.set(c, v, &cerr), cerr)
		freeString(v)
		if err != nil {
			return fail(err)
		}
	}
	for stream, s := range []Stdio{cmd.Stdin, cmd.Stdout, cmd.Stderr} {
		if s.mode == modeInherit {
			continue
		}
		if err := check(C.sealexec_command_set_stdio(c, C.int(stream), C.sealexec_stdio(s.mode),
			C.int(s.fd), &cerr), cerr); err != nil {
			return fail(err)
		}
	}
	return c, nil
}

func (cmd *Command) keepAlive() {
	if cmd != nil {
		runtime.KeepAlive(cmd.Stdin.file)
		runtime.KeepAlive(cmd.Stdout.file)
		runtime.KeepAlive(cmd.Stderr.file)
	}
}

// ---------------------------------------------------------------- running

// Exec replaces the calling process with the image (execveat of the sealed
// memfd), so that its exit status is the caller's own. It returns only when
// the image cannot run, and the process is then unchanged. cmd nil: a fresh
// command. Flush your own buffered output first.
func (img *Image) Exec(cmd *Command) error {
	c, err := cmd.c()
	if err != nil {
		return err
	}
	defer C.sealexec_command_free(c)
	var cerr *C.sealexec_error
	err = check(C.sealexec_exec(img.handle(), c, &cerr), cerr)
	runtime.KeepAlive(img)
	return err
}

// Child is a started child process. Wait for it, or Close it, which kills
// one never waited for (so that no stray process outlives the handle).
type Child struct {
	p *C.sealexec_child
	// The caller's ends of the pipes asked for with Pipe; nil otherwise.
	// Close Stdin to give the child end-of-file.
	Stdin, Stdout, Stderr *os.File
}

// Spawn starts the image as a child. No descriptor of this process leaks
// into it beyond its standard streams (and, for a script, the image's own).
func (img *Image) Spawn(cmd *Command) (*Child, error) {
	c, err := cmd.c()
	if err != nil {
		return nil, err
	}
	defer C.sealexec_command_free(c)
	var child *C.sealexec_child
	var cerr *C.sealexec_error
	err = check(C.sealexec_spawn(img.handle(), c, &child, &cerr), cerr)
	runtime.KeepAlive(img)
	cmd.keepAlive()
	if err != nil {
		return nil, err
	}
	ch := &Child{p: child}
	names := []string{"stdin", "stdout", "stderr"}
	for stream, f := range []**os.File{&ch.Stdin, &ch.Stdout, &ch.Stderr} {
		if fd := int(C.sealexec_child_take_pipe(child, C.int(stream))); fd >= 0 {
			*f = os.NewFile(uintptr(fd), fmt.Sprintf("|%d %s", ch.Pid(), names[stream]))
		}
	}
	return ch, nil
}

func (ch *Child) handle() *C.sealexec_child {
	if ch == nil || ch.p == nil {
		panic("sealexec: use of a closed or nil Child")
	}
	return ch.p
}

// Pid is the child's process id.
func (ch *Child) Pid() int { return int(C.sealexec_child_pid(ch.handle())) }

// Wait waits for the child to end; calling it again gives the same status.
func (ch *Child) Wait() (syscall.WaitStatus, error) {
	var status C.int
	var cerr *C.sealexec_error
	if err := check(C.sealexec_child_wait(ch.handle(), &status, &cerr), cerr); err != nil {
		return 0, err
	}
	return syscall.WaitStatus(status), nil
}

// Kill sends sig through a pidfd, so that a recycled pid is never hit.
func (ch *Child) Kill(sig syscall.Signal) error {
	var cerr *C.sealexec_error
	return check(C.sealexec_child_kill(ch.handle(), C.int(sig), &cerr), cerr)
}

// Close frees the handle (killing and reaping a child never waited for) and
// closes the pipe ends not yet closed.
func (ch *Child) Close() error {
	if ch == nil || ch.p == nil {
		return nil
	}
	for _, f := range []*os.File{ch.Stdin, ch.Stdout, ch.Stderr} {
		if f != nil {
			f.Close()
		}
	}
	C.sealexec_child_free(ch.p)
	ch.p = nil
	return nil
}

// ---------------------------------------------------------------- libraries

// Library is an ELF shared object dlopened from an image. It has no
// finalizer: Close it only once no code or data of it is in use.
type Library struct {
	p *C.sealexec_library
}

// LoadLibrary dlopens the image through /proc/self/fd. dlopenFlags 0 means
// RTLD_NOW | RTLD_LOCAL; allowExecstack loads an object that needs an
// executable stack (refused with ErrPolicy otherwise).
func LoadLibrary(img *Image, dlopenFlags int, allowExecstack bool) (*Library, error) {
	var flags C.uint32_t
	if allowExecstack {
		flags |= C.SEALEXEC_LIBRARY_ALLOW_EXECSTACK
	}
	var lib *C.sealexec_library
	var cerr *C.sealexec_error
	err := check(C.sealexec_library_load(img.handle(), C.int(dlopenFlags), flags, &lib, &cerr), cerr)
	runtime.KeepAlive(img)
	if err != nil {
		return nil, err
	}
	return &Library{p: lib}, nil
}

// Symbol is the address of name (ErrNotFound when the object has none). Call
// it from C: cgo cannot call a C function pointer directly.
func (l *Library) Symbol(name string) (unsafe.Pointer, error) {
	if l == nil || l.p == nil {
		panic("sealexec: use of a closed or nil Library")
	}
	cname := C.CString(name)
	defer freeString(cname)
	var addr unsafe.Pointer
	var cerr *C.sealexec_error
	if err := check(C.sealexec_library_symbol(l.p, cname, &addr, &cerr), cerr); err != nil {
		return nil, err
	}
	return addr, nil
}

// Close dlcloses the library.
func (l *Library) Close() error {
	if l != nil && l.p != nil {
		C.sealexec_library_free(l.p)
		l.p = nil
	}
	return nil
}

// ---------------------------------------------------------------- the cache

// Cache is the crash-safe cache that `sealexec cache` uses: an entry is found
// by its key and fingerprint, exactly as `sealexec cache put --fingerprint
// FINGERPRINT KEY` stores it.
type Cache struct {
	p *C.sealexec_cache
}

// OpenCache opens (creating it if need be) the cache in dir; "": the CLI's
// default directory and limits.
func OpenCache(dir string) (*Cache, error) {
	cdir := cstring(dir, true)
	defer freeString(cdir)
	var cache *C.sealexec_cache
	var cerr *C.sealexec_error
	if err := check(C.sealexec_cache_open(cdir, &cache, &cerr), cerr); err != nil {
		return nil, err
	}
	c := &Cache{p: cache}
	runtime.SetFinalizer(c, (*Cache).Close)
	return c, nil
}

func (c *Cache) handle() *C.sealexec_cache {
	if c == nil || c.p == nil {
		panic("sealexec: use of a closed or nil Cache")
	}
	return c.p
}

// Close frees the handle.
func (c *Cache) Close() error {
	if c != nil && c.p != nil {
		C.sealexec_cache_free(c.p)
		c.p = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// Put stores data under key and fingerprint.
func (c *Cache) Put(key, fingerprint string, data []byte) error {
	ckey, cfp := C.CString(key), C.CString(fingerprint)
	defer freeString(ckey)
	defer freeString(cfp)
	var ptr unsafe.Pointer
	if len(data) > 0 {
		ptr = unsafe.Pointer(&data[0])
	}
	var cerr *C.sealexec_error
	err := check(C.sealexec_cache_put(c.handle(), ckey, cfp, ptr, C.size_t(len(data)), &cerr), cerr)
	runtime.KeepAlive(data)
	runtime.KeepAlive(c)
	return err
}

// PutFile stores what f holds (a regular file from offset 0, or a pipe read
// to its end).
func (c *Cache) PutFile(key, fingerprint string, f *os.File) error {
	ckey, cfp := C.CString(key), C.CString(fingerprint)
	defer freeString(ckey)
	defer freeString(cfp)
	var cerr *C.sealexec_error
	err := check(C.sealexec_cache_put_fd(c.handle(), ckey, cfp, C.int(f.Fd()), &cerr), cerr)
	runtime.KeepAlive(f)
	runtime.KeepAlive(c)
	return err
}

// Get copies the entry into a sealed image, checking its bytes on the way.
// A miss is (nil, nil).
func (c *Cache) Get(key, fingerprint string, noExec bool) (*Image, error) {
	ckey, cfp := C.CString(key), C.CString(fingerprint)
	defer freeString(ckey)
	defer freeString(cfp)
	var flags C.uint32_t
	if noExec {
		flags |= C.SEALEXEC_IMAGE_NOEXEC
	}
	var img *C.sealexec_image
	var cerr *C.sealexec_error
	err := check(C.sealexec_cache_get(c.handle(), ckey, cfp, flags, &img, &cerr), cerr)
	runtime.KeepAlive(c)
	if err != nil {
		return nil, err
	}
	return newImage(img), nil
}

// Map maps the entry read-only straight from its cache file, with no copy.
// A miss is (nil, nil).
func (c *Cache) Map(key, fingerprint string) (*Mapping, error) {
	ckey, cfp := C.CString(key), C.CString(fingerprint)
	defer freeString(ckey)
	defer freeString(cfp)
	var m *C.sealexec_mapping
	var cerr *C.sealexec_error
	err := check(C.sealexec_cache_map(c.handle(), ckey, cfp, &m, &cerr), cerr)
	runtime.KeepAlive(c)
	if err != nil || m == nil {
		return nil, err
	}
	return &Mapping{p: m}, nil
}

// Exec runs the entry in place of this process, as `sealexec cache exec`
// does; a miss is ErrNotFound. It returns only on failure.
func (c *Cache) Exec(key, fingerprint string, cmd *Command) error {
	ccmd, err := cmd.c()
	if err != nil {
		return err
	}
	defer C.sealexec_command_free(ccmd)
	ckey, cfp := C.CString(key), C.CString(fingerprint)
	defer freeString(ckey)
	defer freeString(cfp)
	var cerr *C.sealexec_error
	err = check(C.sealexec_cache_exec(c.handle(), ckey, cfp, ccmd, &cerr), cerr)
	runtime.KeepAlive(c)
	return err
}

// Remove removes the entry and says whether there was one.
func (c *Cache) Remove(key, fingerprint string) (bool, error) {
	ckey, cfp := C.CString(key), C.CString(fingerprint)
	defer freeString(ckey)
	defer freeString(cfp)
	var removed C.int
	var cerr *C.sealexec_error
	err := check(C.sealexec_cache_remove(c.handle(), ckey, cfp, &removed, &cerr), cerr)
	runtime.KeepAlive(c)
	return removed != 0, err
}

// ---------------------------------------------------------------- checking

// CheckFile checks one file as `sealexec check --json [--deps] PATH` does and
// returns that JSON document (docs/check-json.md).
func CheckFile(path string, deps bool) ([]byte, error) {
	cpath := C.CString(path)
	defer freeString(cpath)
	var flags C.uint32_t
	if deps {
		flags |= C.SEALEXEC_CHECK_DEPS
	}
	var doc *C.char
	var cerr *C.sealexec_error
	if err := check(C.sealexec_check_file(cpath, flags, &doc, &cerr), cerr); err != nil {
		return nil, err
	}
	defer C.sealexec_free(unsafe.Pointer(doc))
	return []byte(C.GoString(doc)), nil
}

// memfd-script runs a Python script embedded in this Go binary without
// writing it to disk: the classic Go memfd example, done right.
//
//	memfd-script [-mode spawn|exec|classic] [-sha256 HEX] [-leak-bait] [ARGS...]
//
// -mode classic does what the classic example does: memfd_create with
// MFD_CLOEXEC, write the script, exec /proc/self/fd/N. The kernel starts the
// interpreter, but the memfd was close-on-exec, so it is gone by the time
// python3 opens /proc/self/fd/N: "can't open file". (Without MFD_CLOEXEC it
// works, and the descriptor leaks into the script and everything it starts.)
//
// -mode spawn (the default) and -mode exec run it through libsealexec
// instead: the bytes are sealed in a memfd that nobody can change, and the
// interpreter gets exactly one inheritable descriptor of it, nothing else.
// spawn starts it as a child and exits with its status; exec replaces this
// process with it.
package main

/*
#define _GNU_SOURCE
#include <sys/mman.h>
*/
import "C"

import (
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"

	"example.com/sealexec/sealexec"
)

//go:embed script.py
var script []byte

func fatal(code int, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "memfd-script: "+format+"\n", args...)
	os.Exit(code)
}

// describe is an error from sealexec, with its code's name.
func describe(err error) string {
	var serr *sealexec.Error
	if errors.As(err, &serr) {
		return fmt.Sprintf("%s [%s]", serr.Message, serr.Code)
	}
	return err.Error()
}

// classic is the example as usually written, with its trap.
func classic(args []string) {
	name := C.CString("script")
	fd, err := C.memfd_create(name, C.MFD_CLOEXEC)
	if fd < 0 {
		fatal(125, "memfd_create: %v", err)
	}
	if _, err := syscall.Write(int(fd), script); err != nil {
		fatal(125, "write: %v", err)
	}
	path := fmt.Sprintf("/proc/self/fd/%d", fd)
	fmt.Fprintf(os.Stderr, "memfd-script: classic: exec %s (a memfd made with MFD_CLOEXEC)\n", path)
	err = syscall.Exec(path, append([]string{"memfd-script"}, args...), os.Environ())
	fatal(126, "exec %s: %v", path, err)
}

func main() {
	mode := flag.String("mode", "spawn", "spawn, exec or classic")
	pin := flag.String("sha256", "", "refuse the script unless its SHA-256 is this (64 hex digits)")
	bait := flag.Bool("leak-bait", false,
		"open /dev/null without close-on-exec first, to show that spawn does not leak it")
	flag.Parse()
	args := flag.Args()

	if *mode == "classic" {
		classic(args)
	}
	if *mode != "spawn" && *mode != "exec" {
		fatal(2, "unknown mode %q (spawn, exec or classic)", *mode)
	}
	if major := sealexec.APIVersion() / 10000; major != sealexec.APIVersionMajor {
		fatal(125, "libsealexec has C API version %d, this program needs %d.x",
			sealexec.APIVersion(), sealexec.APIVersionMajor)
	}

	opts := &sealexec.ImageOptions{Name: "memfd-script.py"}
	if *pin != "" {
		digest, err := hex.DecodeString(*pin)
		if err != nil || len(digest) != 32 {
			fatal(2, "-sha256 wants 64 hex digits")
		}
		opts.SHA256 = (*[32]byte)(digest)
	}
	img, err := sealexec.ImageFromBytes(script, opts)
	if errors.Is(err, sealexec.ErrDigestMismatch) {
		fatal(125, "the embedded script is not the pinned one: %s", describe(err))
	} else if err != nil {
		fatal(125, "%s", describe(err))
	}
	defer img.Close()

	cmd := &sealexec.Command{Args: append([]string{"memfd-script"}, args...)}
	if *mode == "exec" {
		err := img.Exec(cmd)
		fatal(126, "exec: %s", describe(err))
	}

	if *bait {
		fd, err := syscall.Open("/dev/null", syscall.O_RDONLY, 0) // no O_CLOEXEC
		if err != nil {
			fatal(125, "open /dev/null: %v", err)
		}
		fmt.Fprintf(os.Stderr, "memfd-script: leak bait: descriptor %d is open without close-on-exec\n", fd)
	}
	child, err := img.Spawn(cmd)
	if err != nil {
		fatal(126, "spawn: %s", describe(err))
	}
	defer child.Close()
	status, err := child.Wait()
	if err != nil {
		fatal(125, "wait: %s", describe(err))
	}
	switch {
	case status.Exited():
		os.Exit(status.ExitStatus())
	case status.Signaled():
		os.Exit(128 + int(status.Signal()))
	}
	os.Exit(125)
}

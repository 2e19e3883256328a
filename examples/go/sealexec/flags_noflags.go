//go:build sealexec_noflags

package sealexec

// Built with -tags sealexec_noflags: CGO_CFLAGS names the directory of
// sealexec.h (-I...) and CGO_LDFLAGS that of the library (-L...), e.g. a
// build tree's; only the library's name is given here.

// #cgo LDFLAGS: -lsealexec
import "C"

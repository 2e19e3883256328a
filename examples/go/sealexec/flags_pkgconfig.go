//go:build !sealexec_noflags

package sealexec

// The flags of an installed sealexec (sealexec.pc): its include directory and
// -lsealexec, the shared library.

// #cgo pkg-config: sealexec
import "C"

package sealexec_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"example.com/sealexec/sealexec"
)

const shScript = "#!/bin/sh\necho \"args:$*\"\necho \"greeting:$GREETING\"\nexit ${EXIT_WITH:-0}\n"

func TestVersion(t *testing.T) {
	if v := sealexec.APIVersion(); v/10000 != sealexec.APIVersionMajor {
		t.Fatalf("API version %d, want major %d", v, sealexec.APIVersionMajor)
	}
	if sealexec.Version() == "" {
		t.Fatal("empty version")
	}
}

func TestImageFromBytes(t *testing.T) {
	data := []byte("hello, sealed world\n")
	img, err := sealexec.ImageFromBytes(data, &sealexec.ImageOptions{Name: "greeting"})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if img.Size() != uint64(len(data)) {
		t.Errorf("size %d, want %d", img.Size(), len(data))
	}
	if name := img.MemfdName(); !strings.HasPrefix(name, "sealexec:greeting:") {
		t.Errorf("memfd name %q", name)
	}
	digest, err := img.SHA256()
	if err != nil {
		t.Fatal(err)
	}
	if digest != sha256.Sum256(data) {
		t.Errorf("digest %x, want %x", digest, sha256.Sum256(data))
	}
	// The descriptor reads back the bytes, and is sealed against writing.
	got, err := os.ReadFile("/proc/self/fd/" + strconv.Itoa(img.Fd()))
	if err != nil || !bytes.Equal(got, data) {
		t.Errorf("read back %q, %v", got, err)
	}
	if _, err := syscall.Pwrite(img.Fd(), []byte("X"), 0); err == nil {
		t.Error("a write to the sealed memfd succeeded")
	}
	if flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(img.Fd()), syscall.F_GETFD, 0); errno != 0 || flags&syscall.FD_CLOEXEC == 0 {
		t.Errorf("the image fd is not close-on-exec (flags %d, errno %v)", flags, errno)
	}
	m, err := img.Map(false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(m.Bytes(), data) {
		t.Errorf("mapping holds %q", m.Bytes())
	}
	m.Close()
}

func TestPin(t *testing.T) {
	data := []byte("pinned bytes")
	good := sha256.Sum256(data)
	img, err := sealexec.ImageFromBytes(data, &sealexec.ImageOptions{SHA256: &good})
	if err != nil {
		t.Fatalf("the right pin was refused: %v", err)
	}
	img.Close()
	bad := good
	bad[0] ^= 1
	img, err = sealexec.ImageFromBytes(data, &sealexec.ImageOptions{SHA256: &bad})
	if img != nil || !errors.Is(err, sealexec.ErrDigestMismatch) {
		t.Fatalf("a wrong pin gave %v, %v", img, err)
	}
	var serr *sealexec.Error
	if !errors.As(err, &serr) || serr.Code != sealexec.ErrDigestMismatch || serr.Message == "" ||
		serr.Code.String() != "SEALEXEC_E_DIGEST_MISMATCH" {
		t.Fatalf("error %#v", err)
	}
}

func TestFromPathAndFd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "prog.sh")
	if err := os.WriteFile(path, []byte(shScript), 0o755); err != nil {
		t.Fatal(err)
	}
	img, err := sealexec.ImageFromPath(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(img.MemfdName(), "sealexec:prog.sh:") {
		t.Errorf("memfd name %q", img.MemfdName())
	}
	img.Close()

	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err = sealexec.ImageFromFile(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if img.Size() != uint64(len(shScript)) {
		t.Errorf("size %d", img.Size())
	}
	img.Close()

	missing := filepath.Join(dir, "missing")
	_, err = sealexec.ImageFromPath(missing, nil)
	var serr *sealexec.Error
	if !errors.As(err, &serr) || serr.Code != sealexec.ErrNotFound {
		t.Fatalf("a missing file gave %#v", err)
	}
	if serr.Path != missing || !strings.Contains(serr.Message, missing) {
		t.Errorf("path %q, message %q", serr.Path, serr.Message)
	}
	if serr.Errno != 0 && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errno %v does not unwrap to fs.ErrNotExist", serr.Errno)
	}
}

func TestSpawnPipesEnvStatus(t *testing.T) {
	img, err := sealexec.ImageFromBytes([]byte(shScript), &sealexec.ImageOptions{Name: "sh-script"})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	child, err := img.Spawn(&sealexec.Command{
		Args:   []string{"greeter", "one", "two words"},
		Env:    []string{"GREETING=hi there", "EXIT_WITH=7", "PATH=/usr/bin:/bin"},
		Stdin:  sealexec.DevNull,
		Stdout: sealexec.Pipe,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()
	if child.Stdout == nil || child.Stdin != nil || child.Stderr != nil {
		t.Fatalf("pipes: %v %v %v", child.Stdin, child.Stdout, child.Stderr)
	}
	out, err := io.ReadAll(child.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	status, err := child.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if want := "args:one two words\ngreeting:hi there\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if !status.Exited() || status.ExitStatus() != 7 {
		t.Errorf("status %v, want exit 7", status)
	}
	if again, _ := child.Wait(); again != status {
		t.Errorf("second wait %v, first %v", again, status)
	}
}

func TestKill(t *testing.T) {
	img, err := sealexec.ImageFromBytes([]byte("#!/bin/sh\nexec sleep 30\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	child, err := img.Spawn(&sealexec.Command{Stdin: sealexec.DevNull})
	if err != nil {
		t.Fatal(err)
	}
	defer child.Close()
	if err := child.Kill(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status, err := child.Wait()
	if err != nil || !status.Signaled() || status.Signal() != syscall.SIGTERM {
		t.Fatalf("status %v, %v; want killed by SIGTERM", status, err)
	}
}

func TestBadEnv(t *testing.T) {
	img, err := sealexec.ImageFromBytes([]byte(shScript), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	_, err = img.Spawn(&sealexec.Command{Env: []string{"NO_EQUALS_SIGN"}})
	if !errors.Is(err, sealexec.ErrInvalidArgument) {
		t.Fatalf("an env entry without '=' gave %v", err)
	}
}

func TestCache(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	cache, err := sealexec.OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	const key, fp = "go/blob-v1", "go test fingerprint"
	data := bytes.Repeat([]byte("compiled code "), 1000)
	if img, err := cache.Get(key, fp, false); img != nil || err != nil {
		t.Fatalf("a miss gave %v, %v", img, err)
	}
	if err := cache.Put(key, fp, data); err != nil {
		t.Fatal(err)
	}
	img, err := cache.Get(key, fp, true)
	if err != nil || img == nil {
		t.Fatalf("get after put: %v, %v", img, err)
	}
	if digest, _ := img.SHA256(); digest != sha256.Sum256(data) || !strings.HasPrefix(img.MemfdName(), "sealexec:blob-v1:") {
		t.Errorf("entry %q has the wrong bytes or name", img.MemfdName())
	}
	img.Close()
	// Another fingerprint is another entry.
	if img, err := cache.Get(key, "other", false); img != nil || err != nil {
		t.Fatalf("another fingerprint found %v, %v", img, err)
	}
	m, err := cache.Map(key, fp)
	if err != nil || m == nil || !bytes.Equal(m.Bytes(), data) {
		t.Fatalf("map: %v, %v", m, err)
	}
	m.Close()
	if m, err := cache.Map("absent", fp); m != nil || err != nil {
		t.Fatalf("a mapped miss gave %v, %v", m, err)
	}

	// The CLI sees the same entry.
	if cli := os.Getenv("SEALEXEC"); cli != "" {
		out, err := exec.Command(cli, "cache", "get", "--dir", dir, "--fingerprint", fp, key).Output()
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("sealexec cache get: %d bytes, %v", len(out), err)
		}
	}

	removed, err := cache.Remove(key, fp)
	if err != nil || !removed {
		t.Fatalf("remove: %v, %v", removed, err)
	}
	if removed, err := cache.Remove(key, fp); err != nil || removed {
		t.Fatalf("second remove: %v, %v", removed, err)
	}
	err = cache.Exec(key, fp, nil)
	if !errors.Is(err, sealexec.ErrNotFound) {
		t.Fatalf("exec of a miss gave %v", err)
	}
}

func TestCheckFile(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sealexec.CheckFile(self, false)
	if err != nil {
		t.Fatal(err)
	}
	var parsed struct {
		Version int `json:"sealexec_check"`
		Files   []struct {
			Path  string `json:"path"`
			Type  string `json:"type"`
			Error string `json:"error"`
		} `json:"files"`
		Summary struct {
			Checked int `json:"checked"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(doc, &parsed); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	if parsed.Version != 1 || len(parsed.Files) != 1 || parsed.Files[0].Path != self ||
		parsed.Files[0].Error != "" || parsed.Summary.Checked != 1 {
		t.Fatalf("unexpected document for %s:\n%s", self, doc)
	}
	if typ := parsed.Files[0].Type; typ != "pie" && typ != "exec" {
		t.Errorf("the test binary is of type %q", typ)
	}
	// A file that is not ELF is an entry with "error", not a failed call.
	text := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(text, []byte("not a program\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err = sealexec.CheckFile(text, false)
	if err != nil || !strings.Contains(string(doc), `"error"`) {
		t.Errorf("a non-ELF file: %v\n%s", err, doc)
	}
}

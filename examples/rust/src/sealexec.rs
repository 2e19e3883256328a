//! A small safe wrapper over the part of sealexec's C API (sealexec.h) that
//! this example uses: errors, the cache, sealed images and their mappings.
//!
//! `ffi` declares the C functions by hand, exactly as sealexec.h spells them
//! (no bindgen, no libc crate); the types above it own the handles and free
//! them on drop. Conventions of the C API that shape the wrapper:
//!
//! - a call that fails returns a non-zero `sealexec_status` and, through its
//!   last parameter, a `sealexec_error` holding code, message, path and errno;
//!   the wrapper copies them into [`Error`] and frees the C error at once;
//! - out-parameters are written only on success, and a cache miss is a success
//!   whose result is NULL: `Ok(None)` here;
//! - a handle may move between threads, but not be used from two at once:
//!   the handle types are `Send` and not `Sync`.

// A wrapper: this example does not use all of it.
#![allow(dead_code)]

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int, c_void};
use std::os::unix::io::{BorrowedFd, RawFd};
use std::path::Path;
use std::ptr::{self, NonNull};

/// The hand-written declarations of sealexec.h (API version 1.x).
#[allow(non_camel_case_types)]
pub mod ffi {
    use std::os::raw::{c_char, c_int, c_void};

    /// `sealexec_status`, a C enum: an int.
    pub type sealexec_status = c_int;
    pub const SEALEXEC_OK: sealexec_status = 0;

    // Opaque handles: only ever behind pointers.
    #[repr(C)]
    pub struct sealexec_error {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct sealexec_image {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct sealexec_mapping {
        _private: [u8; 0],
    }
    #[repr(C)]
    pub struct sealexec_cache {
        _private: [u8; 0],
    }

    pub const SEALEXEC_API_VERSION_MAJOR: c_int = 1;
    pub const SEALEXEC_IMAGE_NOEXEC: u32 = 0x1;
    pub const SEALEXEC_MAP_EXEC: u32 = 0x1;

    // The library itself is linked by build.rs (cargo:rustc-link-lib).
    extern "C" {
        pub fn sealexec_error_code(error: *const sealexec_error) -> sealexec_status;
        pub fn sealexec_error_message(error: *const sealexec_error) -> *const c_char;
        pub fn sealexec_error_path(error: *const sealexec_error) -> *const c_char;
        pub fn sealexec_error_errno(error: *const sealexec_error) -> c_int;
        pub fn sealexec_error_free(error: *mut sealexec_error);
        pub fn sealexec_status_name(status: sealexec_status) -> *const c_char;

        pub fn sealexec_api_version() -> c_int;
        pub fn sealexec_version() -> *const c_char;

        pub fn sealexec_image_from_bytes(
            data: *const c_void,
            size: usize,
            name: *const c_char,
            sha256: *const u8,
            flags: u32,
            image: *mut *mut sealexec_image,
            error: *mut *mut sealexec_error,
        ) -> sealexec_status;
        pub fn sealexec_image_free(image: *mut sealexec_image);
        pub fn sealexec_image_fd(image: *const sealexec_image) -> c_int;
        pub fn sealexec_image_size(image: *const sealexec_image) -> u64;
        pub fn sealexec_image_memfd_name(image: *const sealexec_image) -> *const c_char;
        pub fn sealexec_image_sha256(
            image: *const sealexec_image,
            digest: *mut u8,
            error: *mut *mut sealexec_error,
        ) -> sealexec_status;

        pub fn sealexec_image_map(
            image: *const sealexec_image,
            flags: u32,
            mapping: *mut *mut sealexec_mapping,
            error: *mut *mut sealexec_error,
        ) -> sealexec_status;
        pub fn sealexec_mapping_data(mapping: *const sealexec_mapping) -> *const c_void;
        pub fn sealexec_mapping_size(mapping: *const sealexec_mapping) -> usize;
        pub fn sealexec_mapping_free(mapping: *mut sealexec_mapping);

        pub fn sealexec_cache_open(
            directory: *const c_char,
            cache: *mut *mut sealexec_cache,
            error: *mut *mut sealexec_error,
        ) -> sealexec_status;
        pub fn sealexec_cache_free(cache: *mut sealexec_cache);
        pub fn sealexec_cache_put(
            cache: *mut sealexec_cache,
            key: *const c_char,
            fingerprint: *const c_char,
            data: *const c_void,
            size: usize,
            error: *mut *mut sealexec_error,
        ) -> sealexec_status;
        pub fn sealexec_cache_get(
            cache: *mut sealexec_cache,
            key: *const c_char,
            fingerprint: *const c_char,
            flags: u32,
            image: *mut *mut sealexec_image,
            error: *mut *mut sealexec_error,
        ) -> sealexec_status;
        pub fn sealexec_cache_remove(
            cache: *mut sealexec_cache,
            key: *const c_char,
            fingerprint: *const c_char,
            removed: *mut c_int,
            error: *mut *mut sealexec_error,
        ) -> sealexec_status;
    }
}

/// A `sealexec_status` other than SEALEXEC_OK.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Code(pub i32);

impl Code {
    pub const SYSTEM: Code = Code(1);
    pub const INVALID_ARGUMENT: Code = Code(2);
    pub const NOT_FOUND: Code = Code(3);
    pub const NOT_RUNNABLE: Code = Code(4);
    pub const DIGEST_MISMATCH: Code = Code(5);
    pub const POLICY: Code = Code(6);
    pub const CHANGED: Code = Code(7);
    pub const MALFORMED: Code = Code(8);
    pub const TOO_LARGE: Code = Code(9);
    pub const TIMED_OUT: Code = Code(10);
    pub const NO_MEMORY: Code = Code(11);
    pub const INTERNAL: Code = Code(12);

    /// The library's name for it, "SEALEXEC_E_POLICY".
    pub fn name(self) -> String {
        // SAFETY: sealexec_status_name takes any value and returns a static
        // string (or NULL, handled by c_str).
        unsafe { c_str(ffi::sealexec_status_name(self.0)) }
    }
}

/// A failed call: the C API's code, message, path and errno, copied out of
/// the `sealexec_error` (which is freed at once).
#[derive(Clone, Debug)]
pub struct Error {
    pub code: Code,
    /// One line for people, as the C API wrote it (names in it are raw bytes).
    pub message: String,
    /// The file concerned, or "" when none.
    pub path: String,
    /// The errno of the failing system call, or 0.
    pub errno: i32,
}

impl Error {
    /// Takes a failed call's status and error, and frees the error.
    fn take(status: ffi::sealexec_status, error: *mut ffi::sealexec_error) -> Error {
        if error.is_null() {
            // The library could not even allocate the error: the code alone.
            let code = Code(status);
            return Error { code, message: code.name(), path: String::new(), errno: 0 };
        }
        // SAFETY: `error` is a live error the call handed over to us; the
        // strings it returns live until sealexec_error_free, after the copies.
        unsafe {
            let taken = Error {
                code: Code(ffi::sealexec_error_code(error)),
                message: c_str(ffi::sealexec_error_message(error)),
                path: c_str(ffi::sealexec_error_path(error)),
                errno: ffi::sealexec_error_errno(error),
            };
            ffi::sealexec_error_free(error);
            taken
        }
    }

    /// An argument the C API cannot take (a string holding a NUL byte),
    /// refused before calling it.
    fn invalid(what: &str) -> Error {
        Error {
            code: Code::INVALID_ARGUMENT,
            message: format!("{} holds a NUL byte", what),
            path: String::new(),
            errno: 0,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code.name(), self.code.0, self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;

/// Runs a C call that takes `sealexec_error **` last.
fn call(f: impl FnOnce(*mut *mut ffi::sealexec_error) -> ffi::sealexec_status) -> Result<()> {
    let mut error: *mut ffi::sealexec_error = ptr::null_mut();
    let status = f(&mut error);
    if status == ffi::SEALEXEC_OK {
        Ok(())
    } else {
        Err(Error::take(status, error))
    }
}

/// A Rust string from a C string the library owns (lossy: it may not be UTF-8).
unsafe fn c_str(s: *const c_char) -> String {
    if s.is_null() {
        String::new()
    } else {
        CStr::from_ptr(s).to_string_lossy().into_owned()
    }
}

fn c_string(value: &str, what: &str) -> Result<CString> {
    CString::new(value).map_err(|_| Error::invalid(what))
}

/// The library's API version (major * 10000 + minor) and release.
pub fn api_version() -> i32 {
    // SAFETY: no arguments, no state.
    unsafe { ffi::sealexec_api_version() }
}

pub fn version() -> String {
    // SAFETY: a static string.
    unsafe { c_str(ffi::sealexec_version()) }
}

/// Fails unless the library loaded at run time has the major API version
/// these declarations were written for.
pub fn check_api_version() -> Result<()> {
    let found = api_version();
    if found / 10000 == ffi::SEALEXEC_API_VERSION_MAJOR {
        return Ok(());
    }
    Err(Error {
        code: Code::NOT_RUNNABLE,
        message: format!(
            "libsealexec has C API version {}, this program was written for major version {}",
            found,
            ffi::SEALEXEC_API_VERSION_MAJOR
        ),
        path: String::new(),
        errno: 0,
    })
}

/// Sealed bytes in a memfd: nobody can change them, whatever the descriptor.
pub struct Image {
    raw: NonNull<ffi::sealexec_image>,
}

// SAFETY: the C API lets a handle be used from any thread, one at a time;
// not being Sync keeps it to one at a time.
unsafe impl Send for Image {}

impl Image {
    /// Copies `data` into a sealed image named `name`.
    pub fn from_bytes(data: &[u8], name: &str, flags: u32) -> Result<Image> {
        let name = c_string(name, "the image name")?;
        let mut image = ptr::null_mut();
        // SAFETY: data and name are valid for the call; sha256 NULL: no pin.
        call(|error| unsafe {
            ffi::sealexec_image_from_bytes(
                data.as_ptr().cast(),
                data.len(),
                name.as_ptr(),
                ptr::null(),
                flags,
                &mut image,
                error,
            )
        })?;
        Ok(Image { raw: NonNull::new(image).expect("sealexec_image_from_bytes gave no image") })
    }

    /// The sealed memfd. It belongs to the image: dup it to keep it longer
    /// (`try_clone_to_owned`).
    pub fn fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the image owns an open descriptor until it is freed, which
        // cannot happen while `self` is borrowed.
        unsafe { BorrowedFd::borrow_raw(ffi::sealexec_image_fd(self.raw.as_ptr()) as RawFd) }
    }

    pub fn size(&self) -> u64 {
        // SAFETY: a live image.
        unsafe { ffi::sealexec_image_size(self.raw.as_ptr()) }
    }

    /// "sealexec:<name>:<12 hex digits>", as /proc/PID/maps shows it.
    pub fn memfd_name(&self) -> String {
        // SAFETY: a live image; the string lives as long as it does.
        unsafe { c_str(ffi::sealexec_image_memfd_name(self.raw.as_ptr())) }
    }

    /// The SHA-256 of the sealed bytes, read back from the memfd.
    pub fn sha256(&self) -> Result<[u8; 32]> {
        let mut digest = [0u8; 32];
        // SAFETY: a live image and a 32-byte buffer.
        call(|error| unsafe {
            ffi::sealexec_image_sha256(self.raw.as_ptr(), digest.as_mut_ptr(), error)
        })?;
        Ok(digest)
    }

    /// Maps all the sealed bytes read-only; `exec`: also executable.
    pub fn map(&self, exec: bool) -> Result<Mapping> {
        let flags = if exec { ffi::SEALEXEC_MAP_EXEC } else { 0 };
        let mut mapping = ptr::null_mut();
        // SAFETY: a live image.
        call(|error| unsafe {
            ffi::sealexec_image_map(self.raw.as_ptr(), flags, &mut mapping, error)
        })?;
        Ok(Mapping { raw: NonNull::new(mapping).expect("sealexec_image_map gave no mapping") })
    }
}

impl Drop for Image {
    fn drop(&mut self) {
        // SAFETY: we own the handle and free it once.
        unsafe { ffi::sealexec_image_free(self.raw.as_ptr()) }
    }
}

/// Read-only (and maybe executable) sealed bytes mapped into this process.
/// It outlives the image it came from; the memory goes with the Mapping.
pub struct Mapping {
    raw: NonNull<ffi::sealexec_mapping>,
}

// SAFETY: as for Image.
unsafe impl Send for Mapping {}

impl Mapping {
    /// The first byte. Code pointers made from it are valid only while the
    /// Mapping lives.
    pub fn as_ptr(&self) -> *const c_void {
        // SAFETY: a live mapping.
        unsafe { ffi::sealexec_mapping_data(self.raw.as_ptr()) }
    }

    pub fn len(&self) -> usize {
        // SAFETY: a live mapping.
        unsafe { ffi::sealexec_mapping_size(self.raw.as_ptr()) }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The mapped bytes. Sound as a shared slice: they are sealed, so nothing
    /// (not even another process holding the memfd) can change them while
    /// the slice is borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: as_ptr is valid for len bytes until the mapping is freed.
        unsafe { std::slice::from_raw_parts(self.as_ptr().cast::<u8>(), self.len()) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we own the handle and free it once.
        unsafe { ffi::sealexec_mapping_free(self.raw.as_ptr()) }
    }
}

/// sealexec's crash-safe cache: entries found by key and fingerprint,
/// published atomically, never changed.
pub struct Cache {
    raw: NonNull<ffi::sealexec_cache>,
}

// SAFETY: as for Image.
unsafe impl Send for Cache {}

impl Cache {
    /// Opens (creating it 0700 if need be) the cache in `directory`; None:
    /// the CLI's default ($SEALEXEC_CACHE_DIR, else $XDG_CACHE_HOME/sealexec,
    /// else ~/.cache/sealexec). A directory that is neither empty nor a
    /// sealexec cache is refused (SEALEXEC_E_POLICY).
    pub fn open(directory: Option<&Path>) -> Result<Cache> {
        use std::os::unix::ffi::OsStrExt;
        let directory = match directory {
            Some(path) => Some(
                CString::new(path.as_os_str().as_bytes())
                    .map_err(|_| Error::invalid("the cache directory"))?,
            ),
            None => None,
        };
        let mut cache = ptr::null_mut();
        // SAFETY: directory is NULL or a valid C string for the call.
        call(|error| unsafe {
            ffi::sealexec_cache_open(
                directory.as_ref().map_or(ptr::null(), |d| d.as_ptr()),
                &mut cache,
                error,
            )
        })?;
        Ok(Cache { raw: NonNull::new(cache).expect("sealexec_cache_open gave no cache") })
    }

    /// Publishes `data` under key and fingerprint.
    pub fn put(&mut self, key: &str, fingerprint: &str, data: &[u8]) -> Result<()> {
        let key = c_string(key, "the key")?;
        let fingerprint = c_string(fingerprint, "the fingerprint")?;
        // SAFETY: all pointers valid for the call.
        call(|error| unsafe {
            ffi::sealexec_cache_put(
                self.raw.as_ptr(),
                key.as_ptr(),
                fingerprint.as_ptr(),
                data.as_ptr().cast(),
                data.len(),
                error,
            )
        })
    }

    /// The entry copied into a sealed image, its bytes checked on the way;
    /// `Ok(None)` on a miss (a damaged entry is a miss, and is quarantined).
    pub fn get(&mut self, key: &str, fingerprint: &str) -> Result<Option<Image>> {
        let key = c_string(key, "the key")?;
        let fingerprint = c_string(fingerprint, "the fingerprint")?;
        let mut image = ptr::null_mut();
        // SAFETY: all pointers valid for the call. flags 0: an executable
        // memfd (the entry is code).
        call(|error| unsafe {
            ffi::sealexec_cache_get(
                self.raw.as_ptr(),
                key.as_ptr(),
                fingerprint.as_ptr(),
                0,
                &mut image,
                error,
            )
        })?;
        Ok(NonNull::new(image).map(|raw| Image { raw }))
    }

    /// Removes the entry; whether there was one.
    pub fn remove(&mut self, key: &str, fingerprint: &str) -> Result<bool> {
        let key = c_string(key, "the key")?;
        let fingerprint = c_string(fingerprint, "the fingerprint")?;
        let mut removed: c_int = 0;
        // SAFETY: all pointers valid for the call.
        call(|error| unsafe {
            ffi::sealexec_cache_remove(
                self.raw.as_ptr(),
                key.as_ptr(),
                fingerprint.as_ptr(),
                &mut removed,
                error,
            )
        })?;
        Ok(removed != 0)
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        // SAFETY: we own the handle and free it once.
        unsafe { ffi::sealexec_cache_free(self.raw.as_ptr()) }
    }
}

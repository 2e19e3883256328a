//! The Wasmtime crash's case, done right.
//!
//! Wasmtime users' processes crashed with SIGSEGV once or twice a day: a
//! development build (Winch) and a production build (Cranelift) shared one
//! cache key, and a cached, memory-mapped precompiled module was rewritten in
//! place by the other build while processes were running code from it.
//!
//! This program is a tiny "engine" that caches compiled code with sealexec:
//!
//! 1. it looks its code up by key AND fingerprint (the configuration that
//!    compiled it); on a miss it "compiles" (real x86_64 machine code for
//!    `int f(int x) { return x * 2 + 1; }`) and puts it in the cache;
//! 2. it loads the entry into a sealed memfd (sealexec_cache_get), maps it
//!    read-only and executable (sealexec_image_map, SEALEXEC_MAP_EXEC) and
//!    calls into it;
//! 3. it shows the guarantees: (a) the other engine, same key, different
//!    fingerprint, misses and gets an entry of its own; (b) neither the
//!    mapping nor the memfd can be written; (c) rewriting the cache's file in
//!    place, as happened to Wasmtime, changes nothing under the running code,
//!    and the damaged entry is a miss, not wrong code.
//!
//! Usage: sealexec-cached-code [--cache DIR] [--engine cranelift|winch]
//!                             [--key KEY] [--arg N] [--no-tamper]
//! Exit status: 0 when every guarantee held, 1 when one did not, 2 when a
//! sealexec call failed, 64 on a usage error.

mod sealexec;

use sealexec::{Cache, Error, Image, Mapping};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::raw::{c_int, c_void};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const PROGRAM: &str = "sealexec-cached-code";

/// A configuration of our pretend compiler: what goes into the fingerprint,
/// and the code it produces for `int f(int x) { return x * 2 + 1; }`.
struct Engine {
    name: &'static str,
    fingerprint: &'static str,
    code: &'static [u8],
}

const CRANELIFT: Engine = Engine {
    name: "cranelift",
    fingerprint: "engine=cranelift;version=1;target=x86_64",
    // lea eax, [rdi + rdi*1 + 1]; ret
    code: &[0x8d, 0x44, 0x3f, 0x01, 0xc3],
};

const WINCH: Engine = Engine {
    name: "winch",
    fingerprint: "engine=winch;version=1;target=x86_64",
    // lea eax, [rdi + rdi*1]; add eax, 1; ret
    code: &[0x8d, 0x04, 0x3f, 0x83, 0xc0, 0x01, 0xc3],
};

/// What `f` must return.
fn expected(x: i32) -> i32 {
    x.wrapping_mul(2).wrapping_add(1)
}

struct Options {
    cache: Option<PathBuf>,
    engine: &'static Engine,
    other: &'static Engine,
    key: String,
    arg: i32,
    tamper: bool,
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{}: {}", PROGRAM, problem);
    eprintln!(
        "usage: {} [--cache DIR] [--engine cranelift|winch] [--key KEY] [--arg N] [--no-tamper]",
        PROGRAM
    );
    ExitCode::from(64)
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        cache: None,
        engine: &CRANELIFT,
        other: &WINCH,
        key: "demo/double-plus-one".to_owned(),
        arg: 20,
        tamper: true,
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_str().ok_or("an argument is not UTF-8")?.to_owned();
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{} needs a value", name));
        match arg.as_str() {
            "--cache" => options.cache = Some(PathBuf::from(value("--cache")?)),
            "--engine" => match value("--engine")?.to_str() {
                Some("cranelift") => (options.engine, options.other) = (&CRANELIFT, &WINCH),
                Some("winch") => (options.engine, options.other) = (&WINCH, &CRANELIFT),
                _ => return Err("--engine is cranelift or winch".to_owned()),
            },
            "--key" => {
                options.key = value("--key")?.into_string().map_err(|_| "--key is not UTF-8")?
            }
            "--arg" => {
                options.arg = value("--arg")?
                    .to_str()
                    .and_then(|v| v.parse().ok())
                    .ok_or("--arg takes a 32-bit integer")?
            }
            "--no-tamper" => options.tamper = false,
            other => return Err(format!("unknown argument '{}'", other)),
        }
    }
    Ok(options)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect::<Vec<_>>().join(" ")
}

fn hex_digest(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{:02x}", b)).collect()
}

/// "EPERM (Operation not permitted)" for an OS error.
fn describe(error: &io::Error) -> String {
    let name = match error.raw_os_error() {
        Some(1) => "EPERM",
        Some(9) => "EBADF",
        Some(13) => "EACCES",
        Some(22) => "EINVAL",
        Some(_) => "errno",
        None => "error",
    };
    format!("{} ({})", name, error)
}

/// Calls the code at the start of `mapping` as `int f(int)`; None where the
/// code cannot run (not an x86_64 host).
#[cfg(target_arch = "x86_64")]
fn call_code(mapping: &Mapping, x: i32) -> Option<i32> {
    // SAFETY: the mapping holds x86_64 code for `int f(int)` under the
    // System V ABI, which we compiled and checked byte for byte; it is
    // mapped PROT_READ|PROT_EXEC from a sealed memfd, so those bytes cannot
    // change while the mapping (borrowed here) lives.
    let f: extern "C" fn(i32) -> i32 = unsafe {
        std::mem::transmute::<*const c_void, extern "C" fn(i32) -> i32>(mapping.as_ptr())
    };
    Some(f(x))
}

#[cfg(not(target_arch = "x86_64"))]
fn call_code(_mapping: &Mapping, _x: i32) -> Option<i32> {
    None
}

// The one libc function this example needs that std does not wrap, declared
// by hand like the C API (no libc crate).
extern "C" {
    fn mprotect(address: *mut c_void, length: usize, protection: c_int) -> c_int;
}
const PROT_READ: c_int = 0x1;
const PROT_WRITE: c_int = 0x2;
const PROT_EXEC: c_int = 0x4;

/// The line of /proc/self/maps for the mapping that holds `address`:
/// "START-END PERMS OFFSET DEV INODE PATH".
fn maps_line(address: usize) -> Option<String> {
    let maps = fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .find(|line| {
            let range = line.split_whitespace().next().unwrap_or("");
            let mut bounds = range.split('-').map(|v| usize::from_str_radix(v, 16).ok());
            match (bounds.next().flatten(), bounds.next().flatten()) {
                (Some(start), Some(end)) => start <= address && address < end,
                _ => false,
            }
        })
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Counts the guarantees that did not hold.
struct Verdict {
    broken: u32,
}

impl Verdict {
    fn check(&mut self, held: bool, what: &str) {
        if !held {
            self.broken += 1;
            println!("GUARANTEE BROKEN: {}", what);
        }
    }
}

/// The sealexec part failed: print the C API's error and stop.
struct Failure {
    doing: String,
    error: Error,
}

fn doing<T>(what: &str, result: sealexec::Result<T>) -> Result<T, Failure> {
    result.map_err(|error| Failure { doing: what.to_owned(), error })
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(problem) => return usage(&problem),
    };
    match run(&options) {
        Ok(verdict) if verdict.broken == 0 => {
            println!("all guarantees held");
            ExitCode::SUCCESS
        }
        Ok(verdict) => {
            println!("{} guarantee(s) broken", verdict.broken);
            ExitCode::from(1)
        }
        Err(failure) => {
            eprintln!("{}: {}: {}", PROGRAM, failure.doing, failure.error);
            if !failure.error.path.is_empty() || failure.error.errno != 0 {
                eprintln!(
                    "{}: (path '{}', errno {})",
                    PROGRAM, failure.error.path, failure.error.errno
                );
            }
            ExitCode::from(2)
        }
    }
}

fn run(options: &Options) -> Result<Verdict, Failure> {
    let mut verdict = Verdict { broken: 0 };
    let ours = options.engine;
    let key = options.key.as_str();

    doing("checking the library", sealexec::check_api_version())?;
    let mut cache = doing("cannot open the cache", Cache::open(options.cache.as_deref()))?;
    println!("{}: libsealexec {}, C API {}", PROGRAM, sealexec::version(), sealexec::api_version());
    match &options.cache {
        Some(dir) => println!("cache: {}", dir.display()),
        None => println!("cache: the default one"),
    }
    println!("key: {}", key);
    println!("[{}] fingerprint: {}", ours.name, ours.fingerprint);

    // 1. Look up; compile and put on a miss.
    let image = match doing("lookup", cache.get(key, ours.fingerprint))? {
        Some(image) => {
            println!("[{}] lookup: hit, {} bytes", ours.name, image.size());
            image
        }
        None => {
            println!("[{}] lookup: miss", ours.name);
            doing("put", cache.put(key, ours.fingerprint, ours.code))?;
            println!(
                "[{}] compiled {} bytes of x86_64 code ({}) and put them in the cache",
                ours.name,
                ours.code.len(),
                hex(ours.code)
            );
            match doing("lookup", cache.get(key, ours.fingerprint))? {
                Some(image) => image,
                None => {
                    verdict.check(false, "a lookup right after a put missed");
                    return Ok(verdict);
                }
            }
        }
    };

    // 2. Map it read-only and executable, and call it.
    let mapping = doing("mapping the code", image.map(true))?;
    let digest = doing("sha256", image.sha256())?;
    println!(
        "[{}] loaded: {}, {} bytes, sha256 {}, mapped read+exec at {:p}",
        ours.name,
        image.memfd_name(),
        mapping.len(),
        hex_digest(&digest),
        mapping.as_ptr()
    );
    match maps_line(mapping.as_ptr() as usize) {
        Some(line) => println!("[{}] /proc/self/maps: {}", ours.name, line),
        None => println!("[{}] /proc/self/maps: (no line for the mapping)", ours.name),
    }
    verdict.check(
        mapping.as_bytes() == ours.code,
        &format!("the entry holds {}, not {}'s code", hex(mapping.as_bytes()), ours.name),
    );
    if mapping.as_bytes() != ours.code {
        return Ok(verdict); // never call code we did not compile
    }
    call_and_check(&mapping, options.arg, &format!("[{}] call", ours.name), &mut verdict);

    // 3a. The other configuration, same key: never our entry.
    guarantee_a(&mut cache, options, &mut verdict)?;

    // 3b. Nobody writes into the code: not through the memfd, not through the
    // mapping.
    guarantee_b(&image, &mapping, &mut verdict);

    // 3c. The cache's file rewritten in place under the running code.
    if options.tamper {
        guarantee_c(&mut cache, options, &image, &mapping, &mut verdict)?;
    } else {
        println!("(c) skipped (--no-tamper)");
    }
    Ok(verdict)
}

/// Calls the code with `x` and checks the result; `label` starts the line.
fn call_and_check(mapping: &Mapping, x: i32, label: &str, verdict: &mut Verdict) {
    match call_code(mapping, x) {
        Some(result) => {
            println!("{}: f({}) = {}", label, x, result);
            verdict.check(
                result == expected(x),
                &format!("f({}) returned {}, not {}", x, result, expected(x)),
            );
        }
        None => println!(
            "{}: skipped, this host is {}, the code is x86_64",
            label,
            std::env::consts::ARCH
        ),
    }
}

fn guarantee_a(cache: &mut Cache, options: &Options, verdict: &mut Verdict) -> Result<(), Failure> {
    let (ours, other, key) = (options.engine, options.other, options.key.as_str());
    println!("(a) [{}] same key, fingerprint {}", other.name, other.fingerprint);
    match doing("lookup", cache.get(key, other.fingerprint))? {
        Some(image) => {
            let mapping = doing("mapping", image.map(false))?;
            println!(
                "(a) [{}] lookup: hit, {} bytes ({}), its own entry",
                other.name,
                mapping.len(),
                hex(mapping.as_bytes())
            );
            verdict.check(
                mapping.as_bytes() == other.code,
                &format!("{} was served {}, not its own code", other.name, hex(mapping.as_bytes())),
            );
        }
        None => {
            println!("(a) [{}] lookup: miss, {}'s code is not served to it", other.name, ours.name);
            doing("put", cache.put(key, other.fingerprint, other.code))?;
            println!(
                "(a) [{}] compiled {} bytes ({}) and put them under the same key",
                other.name,
                other.code.len(),
                hex(other.code)
            );
        }
    }
    // Whatever the other engine did, ours still finds its own code.
    match doing("lookup", cache.get(key, ours.fingerprint))? {
        Some(image) => {
            let mapping = doing("mapping", image.map(false))?;
            println!(
                "(a) [{}] lookup again: hit, its own {} bytes, {}'s entry is separate",
                ours.name,
                mapping.len(),
                other.name
            );
            verdict.check(
                mapping.as_bytes() == ours.code,
                &format!("{} now gets {}", ours.name, hex(mapping.as_bytes())),
            );
        }
        None => verdict.check(false, &format!("{}'s entry vanished", ours.name)),
    }
    Ok(())
}

/// Reports an attempt that must fail: true when it did.
fn refused(what: &str, attempt: io::Result<()>, want_errno: i32) -> bool {
    match attempt {
        Ok(()) => {
            println!("(b) {}: ALLOWED", what);
            false
        }
        Err(error) => {
            println!("(b) {}: refused, {}", what, describe(&error));
            error.raw_os_error() == Some(want_errno)
        }
    }
}

fn guarantee_b(image: &Image, mapping: &Mapping, verdict: &mut Verdict) {
    const EPERM: i32 = 1;
    const EACCES: i32 = 13;
    // A duplicate of the image's memfd, opened read-write by memfd_create:
    // only the seals stand in the way.
    let mut memfd = match image.fd().try_clone_to_owned() {
        Ok(fd) => File::from(fd),
        Err(error) => {
            verdict.check(false, &format!("cannot dup the image's memfd: {}", error));
            return;
        }
    };
    let patch = [0x90u8, 0x90, 0x90, 0x90, 0xc3];
    verdict.check(
        refused("write() to the image's memfd", memfd.write(&patch).map(drop), EPERM),
        "write() to the sealed memfd was not refused with EPERM",
    );
    verdict.check(
        refused(
            "pwrite() at offset 0 of the image's memfd",
            memfd.write_at(&patch, 0).map(drop),
            EPERM,
        ),
        "pwrite() to the sealed memfd was not refused with EPERM",
    );
    verdict.check(
        refused("ftruncate() of the image's memfd to 0", memfd.set_len(0), EPERM),
        "ftruncate() of the sealed memfd was not refused with EPERM",
    );
    verdict.check(
        refused("ftruncate() of the image's memfd to 1 MiB", memfd.set_len(1 << 20), EPERM),
        "growing the sealed memfd was not refused with EPERM",
    );
    // The mapping: asking for write access must fail too. A shared mapping of
    // a write-sealed memfd can never become writable (EACCES).
    // SAFETY: the range is the mapping's own, page-aligned by mmap; if the
    // call wrongly succeeded, the protection is put back at once.
    let rc =
        unsafe { mprotect(mapping.as_ptr() as *mut c_void, mapping.len(), PROT_READ | PROT_WRITE) };
    let attempt = if rc == 0 {
        // SAFETY: as above.
        unsafe { mprotect(mapping.as_ptr() as *mut c_void, mapping.len(), PROT_READ | PROT_EXEC) };
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    };
    verdict.check(
        refused("mprotect(PROT_READ|PROT_WRITE) of the mapping", attempt, EACCES),
        "the code's mapping could be made writable",
    );
}

fn guarantee_c(
    cache: &mut Cache,
    options: &Options,
    image: &Image,
    mapping: &Mapping,
    verdict: &mut Verdict,
) -> Result<(), Failure> {
    let (ours, other, key) = (options.engine, options.other, options.key.as_str());
    let dir = match &options.cache {
        Some(dir) => dir,
        None => {
            println!("(c) skipped: rewriting the cache's file needs --cache DIR");
            return Ok(());
        }
    };
    // Blobs are cas/<2 hex>/<SHA-256 of the content> (docs/cache.md, Layout).
    let digest = hex_digest(&doing("sha256", image.sha256())?);
    let relative = format!("cas/{}/{}", &digest[..2], digest);
    let blob = dir.join(&relative);
    if !blob.is_file() {
        let why = if dir.join(format!("{}.zst", relative)).exists() {
            "the blob is stored compressed"
        } else {
            "no blob file at the documented place"
        };
        println!("(c) skipped: {} ({})", why, relative);
        return Ok(());
    }

    // What bit Wasmtime: another program of the same user opens the cache
    // file and writes its own code into it, in place.
    match rewrite_in_place(&blob, other.code) {
        Ok(now) => println!(
            "(c) {} rewritten in place with {}'s code, as Wasmtime's cache file was; it now holds {}",
            relative,
            other.name,
            hex(&now)
        ),
        Err(error) => {
            verdict.check(false, &format!("could not rewrite {} to test it: {}", relative, error));
            return Ok(());
        }
    }
    // The running code did not move: it is a sealed copy, not the file.
    println!("(c) [{}] the mapped code is still {}", ours.name, hex(mapping.as_bytes()));
    verdict.check(mapping.as_bytes() == ours.code, "the mapped code changed with the cache file");
    call_and_check(
        mapping,
        options.arg,
        &format!("(c) [{}] call after the rewrite", ours.name),
        verdict,
    );

    // The damaged entry is a miss (and is moved to quarantine/), never code.
    match doing("lookup", cache.get(key, ours.fingerprint))? {
        None => {
            println!("(c) [{}] lookup after the rewrite: miss, the damage was detected", ours.name)
        }
        Some(image) => {
            let mapping = doing("mapping", image.map(false))?;
            verdict.check(
                false,
                &format!("the rewritten entry was served: {}", hex(mapping.as_bytes())),
            );
        }
    }
    // Compiling again heals the cache.
    doing("put", cache.put(key, ours.fingerprint, ours.code))?;
    match doing("lookup", cache.get(key, ours.fingerprint))? {
        Some(image) => {
            let healed = doing("mapping", image.map(false))?;
            println!("(c) [{}] put again: lookup hit, {}", ours.name, hex(healed.as_bytes()));
            verdict.check(healed.as_bytes() == ours.code, "the healed entry is wrong");
        }
        None => verdict.check(false, "a lookup right after the healing put missed"),
    }
    Ok(())
}

/// Makes the 0444 blob writable, writes `code` over its start without
/// truncating it, and returns what the file holds afterwards.
fn rewrite_in_place(blob: &Path, code: &[u8]) -> io::Result<Vec<u8>> {
    fs::set_permissions(blob, fs::Permissions::from_mode(0o644))?;
    let written =
        OpenOptions::new().write(true).open(blob).and_then(|mut file| file.write_all(code));
    fs::set_permissions(blob, fs::Permissions::from_mode(0o444))?;
    written?;
    let mut now = Vec::new();
    File::open(blob)?.read_to_end(&mut now)?;
    Ok(now)
}

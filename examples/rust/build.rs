//! Tells rustc where libsealexec is.
//!
//! - SEALEXEC_LIB_DIR set: the directory holding libsealexec.so (a build tree's
//!   src/ or an install's lib/). It is searched at link time and, unless
//!   SEALEXEC_RPATH=0, recorded as the binary's RUNPATH so that it also finds
//!   the library there at run time, without LD_LIBRARY_PATH.
//! - Otherwise `pkg-config --libs-only-L sealexec` when pkg-config is there and
//!   knows sealexec (an install under a prefix of its own, with
//!   PKG_CONFIG_PATH pointing at its lib/pkgconfig).
//! - Otherwise nothing: the linker's default paths (/usr/lib/...).
//!
//! Every case links -lsealexec, the shared library (libsealexec.so.1).

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SEALEXEC_LIB_DIR");
    println!("cargo:rerun-if-env-changed=SEALEXEC_RPATH");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let rpath = env::var("SEALEXEC_RPATH").map(|v| v != "0").unwrap_or(true);
    let mut dirs: Vec<String> = Vec::new();
    match env::var("SEALEXEC_LIB_DIR") {
        Ok(dir) if !dir.is_empty() => dirs.push(dir),
        _ => dirs.extend(pkg_config_lib_dirs()),
    }
    for dir in &dirs {
        println!("cargo:rustc-link-search=native={}", dir);
        if rpath {
            println!("cargo:rustc-link-arg=-Wl,-rpath,{}", dir);
        }
    }
    println!("cargo:rustc-link-lib=dylib=sealexec");
}

/// The -L directories pkg-config gives for sealexec; none when pkg-config is
/// missing or does not know sealexec.
fn pkg_config_lib_dirs() -> Vec<String> {
    let output = match Command::new("pkg-config").args(["--libs-only-L", "sealexec"]).output() {
        Ok(output) if output.status.success() => output,
        _ => return Vec::new(),
    };
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|flag| flag.strip_prefix("-L"))
        .filter(|dir| !dir.is_empty())
        .map(str::to_owned)
        .collect()
}

# The Debian package (make deb, scripts/make-deb.sh): CPack's DEB generator.
#
# cpack --config <build>/CPackConfig.cmake installs this build into a staging
# tree under /usr (CPACK_PACKAGING_INSTALL_PREFIX), whatever prefix the build
# was configured with, strips it (CPACK_STRIP_FILES: the same as
# `cmake --install --strip`), runs dist/debian/stage.cmake on the tree (the
# Debian files: copyright, changelog.Debian.gz, gzip -9n man pages, stripped
# static archive, lintian overrides, and paths a /usr/local build wrote into
# text files), and writes sealexec_<version>-<revision>_<arch>.deb with owner
# root:root on every member (CPack's own archive writer; no fakeroot needed).
#
# Layout: one binary package, `sealexec`, holding everything `make install`
# installs (the CLI, libexec/sealexec helpers, man pages, completions,
# systemd user units, libsealexec.so.1, libsealexec.a, headers, pkg-config and
# CMake files, the Python package). Debian would split it into sealexec,
# libsealexec1, libsealexec-dev and python3-sealexec; that needs COMPONENT
# names on the install() rules (cmake/Install.cmake, dist/, bindings/). When
# those components exist (SEALEXEC_DEB_COMPONENTS below), this file makes one
# package per group instead. The single package is lintian-clean of errors;
# its warnings are the ones a shared library in a non-library package gets
# (package-name-doesnt-match-sonames).
#
# Dependencies come from dpkg-shlibdeps (CPACK_DEBIAN_PACKAGE_SHLIBDEPS) over
# the dynamically linked files (the shared library, sealexec-remote-http, the
# restore-env preload); the CLI is a static PIE and needs nothing. The build
# machine is Debian 12, so the package's dependencies are Debian 12's.

set(SEALEXEC_DEB_MAINTAINER
  "Seed 51000270 maintainers <maintainers@users.noreply.h-seed-51000270.example>"
  CACHE STRING "The Maintainer field of the Debian package (make deb)")
set(SEALEXEC_DEB_REVISION 1 CACHE STRING "The Debian revision of the package (make deb)")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sealexec)
set(CPACK_PACKAGE_VENDOR "sealexec")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SEALEXEC_DEB_MAINTAINER}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Directories CPack creates in the staging tree: 0755 whatever the umask.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/dist/debian/stage.cmake)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SEALEXEC_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SEALEXEC_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shlibs control file for libsealexec.so.1: packages built against it
# depend on this version or later (lintian's no-shlibs is an error).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# The Python package (/usr/lib/python3/dist-packages/sealexec) is optional:
# the CLI and the C library need no Python. Lintian wants python3 among the
# relations of a package with Python modules; Suggests is the honest one.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3:any")

set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run programs and libraries from sealed memory")
# CPackDeb indents each line by one space; "." makes an empty line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
"run programs and libraries from sealed memory
sealexec copies a program, a script or a shared library into an anonymous
memory file (a memfd), seals it so that nobody can change those bytes again,
checks it, and runs or loads it from there. It is for code that should not
live as a plain trusted file: binaries embedded in other programs, programs
piped in from elsewhere, precompiled code from a crash-safe cache. It also
finds which objects need an executable stack and why (sealexec check), and
fixes them without writing a file in place (sealexec fix).
.
This package holds the sealexec command (a static PIE), its helpers, manual
pages, shell completions, the memory tier's systemd user units, and the
library for C and C++ programs (libsealexec.so.1, the static library,
headers, pkg-config and CMake files) with its Python binding.")

# The ldconfig trigger lintian requires of a package with a shared library in
# a directory ld.so searches (lacks-ldconfig-trigger is an error). CPack also
# writes a postinst and postrm calling ldconfig there (lintian: the warning
# maintscript-calls-ldconfig); both are harmless together.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/dist/debian/triggers)

# What the staging script needs to know about this build.
set(CPACK_SEALEXEC_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_SEALEXEC_CONFIGURED_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_SEALEXEC_STRIP ${CMAKE_STRIP})
set(CPACK_SEALEXEC_DEB_VERSION ${PROJECT_VERSION}-${SEALEXEC_DEB_REVISION})

include(CPack)

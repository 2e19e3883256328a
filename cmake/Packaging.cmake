# The Debian packages (make deb, scripts/make-deb.sh): CPack's DEB generator.
#
# cpack --config <build>/CPackConfig.cmake installs this build under /usr in
# a staging tree, whatever prefix the build was configured with (DESTDIR
# style, so install(CODE) rules see CMAKE_INSTALL_PREFIX=/usr), strips it
# (CPACK_STRIP_FILES: `cmake --install --strip`), runs dist/debian/stage.cmake
# on the tree, and writes one .deb per package, owned root:root throughout
# (CPack's own archive writer: no fakeroot needed).
#
# The packages, as Debian would split them (policy 8, lintian's library
# checks):
#   sealexec           the CLI (a static PIE), libexec/sealexec's helpers, man
#                      pages, shell completions, systemd user units
#   libsealexec1       libsealexec.so.1 (SONAME), with a shlibs file and the
#                      ldconfig trigger
#   libsealexec-dev    headers, libsealexec.so, libsealexec.a, pkg-config and
#                      CMake files; depends on the -dev packages the
#                      pkg-config and CMake files find
#   python3-sealexec   the Python package (ctypes over libsealexec.so.1)
# Files go to a package by their path, as debian/*.install files would send
# them (stage.cmake: the table there), not by install() COMPONENT: CPack
# stages every component of the build into the group `main` (the package
# sealexec; so a new component, or a rule naming none, is never left out),
# the other three groups start empty, and stage.cmake moves each file where
# its path says. A build
# without the shared library (no sealexec_shared target) has no
# libsealexec1 and no python3-sealexec.
#
# Dependencies on other packages come from dpkg-shlibdeps
# (CPACK_DEBIAN_PACKAGE_SHLIBDEPS) over each package's dynamically linked
# files; the CLI is a static PIE and needs nothing. The build machine is
# Debian 12, so they are Debian 12's (libssl3, not Debian 13's libssl3t64).

set(SEALEXEC_DEB_MAINTAINER
  "Seed 51000270 maintainers <maintainers@users.noreply.h-seed-51000270.example>"
  CACHE STRING "The Maintainer field of the Debian packages (make deb)")
set(SEALEXEC_DEB_REVISION 1 CACHE STRING "The Debian revision of the packages (make deb)")
set(sealexec_deb_version ${PROJECT_VERSION}-${SEALEXEC_DEB_REVISION})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME sealexec)
set(CPACK_PACKAGE_VENDOR sealexec)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${SEALEXEC_DEB_MAINTAINER}")
# Installed with DESTDIR=<staging> and the prefix /usr, so that what the
# install rules decide at install time from the prefix (dist/: where zsh's
# completion goes) is decided for /usr.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
# Directories the install creates in the staging tree: 0755 whatever the umask.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
  OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
set(CPACK_PRE_BUILD_SCRIPTS ${PROJECT_SOURCE_DIR}/dist/debian/stage.cmake)

# One package per group; every component the build's install rules name
# (Unspecified for those that name none) is staged into the `main` group.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_GROUPING ONE_PER_GROUP)
get_cmake_property(sealexec_install_components COMPONENTS)
set(sealexec_deb_groups main dev)
if(TARGET sealexec_shared)
  list(APPEND sealexec_deb_groups lib python)
endif()
# The other groups get a component of their own with nothing in it:
# stage.cmake fills them.
set(CPACK_COMPONENTS_ALL ${sealexec_install_components})
foreach(component IN LISTS sealexec_install_components)
  string(TOUPPER ${component} upper)
  set(CPACK_COMPONENT_${upper}_GROUP main)
endforeach()
foreach(group IN LISTS sealexec_deb_groups)
  if(NOT group STREQUAL "main")
    list(APPEND CPACK_COMPONENTS_ALL deb-${group})
    string(TOUPPER deb-${group} upper)
    set(CPACK_COMPONENT_${upper}_GROUP ${group})
  endif()
endforeach()
set(CPACK_SEALEXEC_DEB_GROUPS ${sealexec_deb_groups})

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${SEALEXEC_DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SEALEXEC_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
# A shlibs control file for libsealexec.so.1 (lintian's no-shlibs is an
# error): what is built against it depends on this version or later.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

# Each package's Description: the synopsis, then the extended description
# (CPackDeb indents it; an empty line becomes " ."). An empty summary keeps
# CPackDeb from putting the project's description before each synopsis.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(sealexec_deb_about
"sealexec copies a program, a script or a shared library into an anonymous
memory file (a memfd), seals it so that nobody can change those bytes again,
checks it, and runs or loads it from there. It is for code that should not
live as a plain trusted file: binaries embedded in other programs, programs
piped in from elsewhere, precompiled code from a crash-safe cache.")

set(CPACK_DEBIAN_MAIN_PACKAGE_NAME sealexec)
set(CPACK_DEBIAN_MAIN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_MAIN_DESCRIPTION
"run programs and libraries from sealed memory
${sealexec_deb_about}

It also finds which objects need an executable stack and why (sealexec
check), and fixes them without writing a file in place (sealexec fix).

This package holds the sealexec command (a static executable), its helpers,
manual pages, shell completions and the memory tier's systemd user units.")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libsealexec1)
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_LIB_DESCRIPTION
"run code from sealed memory - shared library
${sealexec_deb_about}

This package holds the shared library with sealexec's C API (sealexec.h):
sealing images from bytes, files or descriptors, exec and spawn, loading
libraries, the cache, and checking files.")
# The ldconfig trigger lintian requires of a package with a shared library in
# a directory ld.so searches (lacks-ldconfig-trigger is an error). CPack also
# writes a postinst and postrm that run ldconfig for it (lintian's warning
# maintscript-calls-ldconfig); both together are harmless.
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/dist/debian/libsealexec1/triggers)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsealexec-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION
"run code from sealed memory - development files
${sealexec_deb_about}

This package holds what programs using sealexec build with: the C API's
header sealexec.h, the C++23 API's headers, the static library, and the
pkg-config (sealexec, sealexec-cpp) and CMake (find_package(sealexec))
files.")
# What the pkg-config files' Requires.private and the CMake package's
# find_dependency() calls look for (cmake/sealexec*.pc.in,
# cmake/sealexecConfig.cmake.in).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libssl-dev, libxxhash-dev, libzstd-dev, libsodium-dev, libhiredis-dev, zlib1g-dev, pkg-config")
if(TARGET sealexec_shared)
  string(PREPEND CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "libsealexec1 (= ${sealexec_deb_version}), ")
endif()

set(CPACK_DEBIAN_PYTHON_PACKAGE_NAME python3-sealexec)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
set(CPACK_DEBIAN_PYTHON_DESCRIPTION
"run code from sealed memory - Python 3 binding
${sealexec_deb_about}

This package holds the Python 3 module sealexec, which calls the shared
library's C API through ctypes.")
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "libsealexec1 (= ${sealexec_deb_version}), python3:any")
# Byte-compiled files: made by postinst, removed by prerm (dh_python3's
# py3compile and py3clean), so that removing the package leaves no
# __pycache__ behind, not even one a python3 run as root wrote.
set(CPACK_DEBIAN_PYTHON_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/dist/debian/python3-sealexec/postinst
  ${PROJECT_SOURCE_DIR}/dist/debian/python3-sealexec/prerm)

# What the staging script needs to know about this build.
set(CPACK_SEALEXEC_SOURCE_DIR ${PROJECT_SOURCE_DIR})
set(CPACK_SEALEXEC_CONFIGURED_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_SEALEXEC_OBJCOPY ${CMAKE_OBJCOPY})
set(CPACK_SEALEXEC_DEB_VERSION ${sealexec_deb_version})

include(CPack)

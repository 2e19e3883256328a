# CPack pre-build script of the Debian packages (cmake/Packaging.cmake): runs
# on the staging tree after CPack installed (and stripped) the build into it,
# before the .deb files are written, and does what debhelper would:
#
#   1. A build configured for another prefix (make build: /usr/local) is
#      installed here under /usr, so what that prefix decided at configure
#      time follows: text files naming "<prefix>/" (the systemd unit's
#      ExecStart, version.h's libexec directory) name "/usr/" instead, and the
#      Python package moves from lib/python3.X/dist-packages (what python3
#      reads under /usr/local) to lib/python3/dist-packages (what it reads
#      under /usr). Compiled code keeps the configured libexec directory only
#      as its last fallback: the CLI finds its helpers in ../libexec/sealexec
#      beside itself first.
#   2. Every file goes to its package by its path (the table below, like
#      debian/*.install files), from the group `main` where CPack staged
#      everything; directories left empty go.
#   3. Man pages are gzip -9n (dist/ installs them so already; any other is
#      compressed here); symlinks to them follow.
#   4. ELF files and archives lose .comment and .note, as dh_strip does
#      (CMake's --strip has removed their symbols and debug information).
#   5. /usr/share/doc/PACKAGE/copyright and changelog.Debian.gz.
#   6. Lintian overrides from dist/debian/PACKAGE/lintian-overrides.
#   7. Every file 0644 or 0755, every directory 0755.
#
# Variables from CPackConfig.cmake: CPACK_TEMPORARY_INSTALL_DIRECTORY (the
# staging tree, one directory per group), CPACK_DEBIAN_<GROUP>_PACKAGE_NAME,
# CPACK_DEBIAN_PACKAGE_MAINTAINER and the CPACK_SEALEXEC_* ones.

cmake_policy(VERSION 3.25)

set(src ${CPACK_SEALEXEC_SOURCE_DIR})
set(deb_dir ${src}/dist/debian)
set(top ${CPACK_TEMPORARY_INSTALL_DIRECTORY})
set(groups ${CPACK_SEALEXEC_DEB_GROUPS})

function(die)
  message(FATAL_ERROR "dist/debian/stage.cmake: ${ARGV}")
endfunction()

# Which group a path (relative to a package root) belongs to. The first
# match wins; anything else is the CLI's package (main).
set(install_table
  "python|^usr/lib/python3[^/]*/"
  "lib|^usr/lib/([^/]+/)?libsealexec\\.so\\.[0-9]"
  "dev|^usr/include/"
  "dev|^usr/lib/([^/]+/)?libsealexec\\.so$"
  "dev|^usr/lib/([^/]+/)?[^/]+\\.a$"
  "dev|^usr/lib/([^/]+/)?pkgconfig/"
  "dev|^usr/lib/([^/]+/)?cmake/")

# The changelog entry's time: SOURCE_DATE_EPOCH when set (a reproducible
# build), else the last commit's, else now.
if(NOT DEFINED ENV{SOURCE_DATE_EPOCH})
  execute_process(COMMAND git -C ${src} log -1 --format=%ct
    OUTPUT_VARIABLE epoch OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0 AND epoch MATCHES "^[0-9]+$")
    set(ENV{SOURCE_DATE_EPOCH} ${epoch})
  endif()
endif()
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
execute_process(COMMAND git -C ${src} describe --always --dirty
  OUTPUT_VARIABLE describe OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR describe STREQUAL "")
  set(describe "a source tree without git")
else()
  set(describe "commit ${describe}")
endif()

# The groups' directories and packages.
foreach(group IN LISTS groups)
  string(TOUPPER ${group} upper)
  set(package_${group} ${CPACK_DEBIAN_${upper}_PACKAGE_NAME})
  if(package_${group} STREQUAL "")
    die("no CPACK_DEBIAN_${upper}_PACKAGE_NAME for the group ${group}")
  endif()
  file(MAKE_DIRECTORY ${top}/${group})
endforeach()
set(main ${top}/main)
if(NOT IS_DIRECTORY ${main}/usr)
  die("nothing staged under ${main}/usr")
endif()
file(GLOB staged LIST_DIRECTORIES true ${top}/*)
foreach(dir IN LISTS staged)
  get_filename_component(group ${dir} NAME)
  if(NOT group IN_LIST groups)
    die("${dir} is no package's (the groups: ${groups})")
  endif()
endforeach()

# 1. A build configured for another prefix.
set(old_prefix ${CPACK_SEALEXEC_CONFIGURED_PREFIX})
string(REGEX REPLACE "/+$" "" old_prefix "${old_prefix}")
if(NOT old_prefix STREQUAL "/usr")
  execute_process(COMMAND grep -rIlF -- "${old_prefix}/" ${main}
    OUTPUT_VARIABLE texts OUTPUT_STRIP_TRAILING_WHITESPACE)
  string(REPLACE "\n" ";" texts "${texts}")
  foreach(text IN LISTS texts)
    if(IS_SYMLINK ${text})
      continue()
    endif()
    file(READ ${text} content)
    string(REPLACE "${old_prefix}/" "/usr/" content "${content}")
    file(WRITE ${text} "${content}")
    file(RELATIVE_PATH shown ${main} ${text})
    message(STATUS "stage: ${shown}: ${old_prefix}/ -> /usr/")
  endforeach()
  file(GLOB versioned LIST_DIRECTORIES true ${main}/usr/lib/python3.*/dist-packages)
  foreach(dir IN LISTS versioned)
    file(GLOB modules LIST_DIRECTORIES true ${dir}/*)
    file(MAKE_DIRECTORY ${main}/usr/lib/python3/dist-packages)
    foreach(module IN LISTS modules)
      get_filename_component(name ${module} NAME)
      file(RENAME ${module} ${main}/usr/lib/python3/dist-packages/${name})
      message(STATUS "stage: python: ${name} -> usr/lib/python3/dist-packages")
    endforeach()
  endforeach()
endif()

# 2. Each file to its package.
file(GLOB_RECURSE files LIST_DIRECTORIES false ${main}/*)
foreach(file IN LISTS files)
  file(RELATIVE_PATH path ${main} ${file})
  set(to main)
  foreach(row IN LISTS install_table)
    string(REPLACE "|" ";" row "${row}")
    list(GET row 0 group)
    list(GET row 1 pattern)
    if(path MATCHES "${pattern}")
      set(to ${group})
      break()
    endif()
  endforeach()
  if(NOT to STREQUAL "main")
    if(NOT to IN_LIST groups)
      die("${path} belongs in the group ${to}, which this build has not (the groups: ${groups})")
    endif()
    get_filename_component(parent ${top}/${to}/${path} DIRECTORY)
    file(MAKE_DIRECTORY ${parent})
    file(RENAME ${file} ${top}/${to}/${path})
  endif()
endforeach()
# Empty directories go, deepest first (each pass removes one level; a
# tree deeper than 64 levels is no install tree of ours).
foreach(group IN LISTS groups)
  foreach(pass RANGE 64)
    file(GLOB_RECURSE dirs LIST_DIRECTORIES true ${top}/${group}/*)
    set(removed FALSE)
    foreach(dir IN LISTS dirs)
      if(IS_DIRECTORY ${dir} AND NOT IS_SYMLINK ${dir})
        file(GLOB inside ${dir}/*)
        file(GLOB hidden ${dir}/.*)
        if(inside STREQUAL "" AND hidden STREQUAL "")
          file(REMOVE_RECURSE ${dir})
          set(removed TRUE)
        endif()
      endif()
    endforeach()
    if(NOT removed)
      break()
    endif()
  endforeach()
  file(GLOB_RECURSE left LIST_DIRECTORIES false ${top}/${group}/*)
  if(left STREQUAL "")
    die("the package ${package_${group}} would be empty: the install table sends it nothing")
  endif()
endforeach()

foreach(group IN LISTS groups)
  set(root ${top}/${group})
  set(package ${package_${group}})

  # 3. Man pages.
  if(IS_DIRECTORY ${root}/usr/share/man)
    file(GLOB_RECURSE pages LIST_DIRECTORIES false ${root}/usr/share/man/*)
    foreach(page IN LISTS pages)
      if(page MATCHES "\\.gz$")
        continue()
      endif()
      if(IS_SYMLINK ${page})
        file(READ_SYMLINK ${page} target)
        file(REMOVE ${page})
        if(NOT target MATCHES "\\.gz$")
          set(target ${target}.gz)
        endif()
        file(CREATE_LINK ${target} ${page}.gz SYMBOLIC)
      else()
        execute_process(COMMAND gzip -9n ${page} RESULT_VARIABLE rc)
        if(NOT rc EQUAL 0)
          die("gzip -9n ${page} failed")
        endif()
      endif()
    endforeach()
  endif()

  # 4. .comment and .note out of ELF files and archives.
  file(GLOB_RECURSE files LIST_DIRECTORIES false ${root}/*)
  foreach(file IN LISTS files)
    if(IS_SYMLINK ${file})
      continue()
    endif()
    file(READ ${file} magic LIMIT 8 HEX)
    if(magic MATCHES "^7f454c46" OR magic STREQUAL "213c617263683e0a")
      if(CPACK_SEALEXEC_OBJCOPY STREQUAL "")
        die("no objcopy (CMAKE_OBJCOPY) for ${file}")
      endif()
      execute_process(COMMAND ${CPACK_SEALEXEC_OBJCOPY} --enable-deterministic-archives
        --remove-section=.comment --remove-section=.note ${file} RESULT_VARIABLE rc)
      if(NOT rc EQUAL 0)
        die("objcopy --remove-section=.comment ${file} failed")
      endif()
    endif()
  endforeach()

  # 5. copyright and changelog.Debian.gz.
  set(doc ${root}/usr/share/doc/${package})
  file(MAKE_DIRECTORY ${doc})
  configure_file(${deb_dir}/copyright ${doc}/copyright COPYONLY)
  file(WRITE ${doc}/changelog.Debian
"${package} (${CPACK_SEALEXEC_DEB_VERSION}) unstable; urgency=medium

  * Built by make deb from ${describe}.

 -- ${CPACK_DEBIAN_PACKAGE_MAINTAINER}  ${changelog_date}
")
  file(REMOVE ${doc}/changelog.Debian.gz)
  execute_process(COMMAND gzip -9n ${doc}/changelog.Debian RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    die("gzip -9n ${doc}/changelog.Debian failed")
  endif()

  # 6. Lintian overrides.
  if(EXISTS ${deb_dir}/${package}/lintian-overrides)
    file(MAKE_DIRECTORY ${root}/usr/share/lintian/overrides)
    configure_file(${deb_dir}/${package}/lintian-overrides
      ${root}/usr/share/lintian/overrides/${package} COPYONLY)
  endif()

  # 7. Modes: directories 0755; files 0755 when anyone may execute them
  # (programs; CMake on Debian installs shared objects 0644), else 0644.
  file(GLOB_RECURSE items LIST_DIRECTORIES true ${root}/*)
  foreach(item IN LISTS items)
    if(IS_SYMLINK ${item})
      continue()
    elseif(IS_DIRECTORY ${item})
      file(CHMOD ${item} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
        GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
    else()
      execute_process(COMMAND test -x ${item} RESULT_VARIABLE not_executable)
      if(not_executable EQUAL 0)
        file(CHMOD ${item} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
          GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
      else()
        file(CHMOD ${item} PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
      endif()
    endif()
  endforeach()
endforeach()

include(CMakePackageConfigHelpers)

install(TARGETS sealexec sealexec_shared EXPORT sealexecTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# `cmake --install --strip` (make install) strips programs and the shared
# library, but never archives: the static library's debug information is
# most of its size, so it goes too.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libsealexec.a\"
      RESULT_VARIABLE sealexec_strip_result)
    if(NOT sealexec_strip_result EQUAL 0)
      message(FATAL_ERROR \"cannot strip libsealexec.a\")
    endif()
  endif()")
install(TARGETS sealexec_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# ld.so finds /usr/local/lib's libraries through its cache only: a program
# linked as the README shows would not start until ldconfig ran. Done here
# for an install by root into the running system (not DESTDIR, not a staging
# prefix ld.so does not search).
install(CODE "
  if(\"\$ENV{DESTDIR}\" STREQUAL \"\" AND
     CMAKE_INSTALL_PREFIX MATCHES \"^/usr(/local)?/?$\")
    execute_process(COMMAND id -u OUTPUT_VARIABLE sealexec_uid OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(sealexec_uid STREQUAL \"0\")
      execute_process(COMMAND ldconfig)
    else()
      message(STATUS \"sealexec: run 'sudo ldconfig' so that programs find libsealexec.so.1\")
    endif()
  endif()")
install(TARGETS sealexec_remote_http RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/sealexec)
install(TARGETS sealexec_restore_env LIBRARY DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/sealexec)
# The C API: the stable surface, for C and every other language.
install(FILES ${PROJECT_SOURCE_DIR}/src/sealexec/capi/sealexec.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# The C++ API, for C++23 consumers of the static library: the entry headers
# (ARCHITECTURE.md, "Public headers") and what they include, nothing else.
# tests/integration/install-consumers.sh fails if one includes a header that
# is not here.
set(sealexec_public_headers
  audit/file_report.h
  cache/action_entry.h cache/cache.h cache/cache_dir.h cache/cache_tag.h cache/config.h
  cache/configured_cache.h cache/fingerprint.h cache/judged_file.h cache/shared_tier.h
  cache/stats.h cache/stats_file.h
  elf/byte_source.h elf/decoder.h elf/dynamic.h elf/elf_file.h elf/properties.h
  exec/child.h exec/exec.h exec/launch.h exec/library.h exec/origin.h exec/runnable.h
  exec/spawn.h
  image/memfd.h image/sealed_image.h image/shebang.h image/source.h
  util/digest.h util/error.h util/fd.h util/mapping.h)
foreach(header IN LISTS sealexec_public_headers)
  get_filename_component(subdirectory ${header} DIRECTORY)
  install(FILES ${PROJECT_SOURCE_DIR}/src/sealexec/${header}
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/sealexec/${subdirectory})
endforeach()

install(EXPORT sealexecTargets NAMESPACE sealexec::
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sealexec)
configure_package_config_file(cmake/sealexecConfig.cmake.in
  ${PROJECT_BINARY_DIR}/sealexecConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sealexec)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/sealexecConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/sealexecConfig.cmake
  ${PROJECT_BINARY_DIR}/sealexecConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/sealexec)

# sealexec: the C API (shared; with --static, what a static link needs).
# sealexec-cpp: the C++ API, from the static library.
# The .pc files find the prefix relative to themselves ("../.." for lib/,
# "../../.." for a multiarch lib/x86_64-linux-gnu), so the tree can move.
file(RELATIVE_PATH sealexec_pc_to_prefix
  "${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" sealexec_pc_to_prefix "${sealexec_pc_to_prefix}")
configure_file(cmake/sealexec.pc.in ${PROJECT_BINARY_DIR}/sealexec.pc @ONLY)
configure_file(cmake/sealexec-cpp.pc.in ${PROJECT_BINARY_DIR}/sealexec-cpp.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sealexec.pc ${PROJECT_BINARY_DIR}/sealexec-cpp.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The memory tier's systemd user units (docs/serve.md). Optional: clients
# start a server on demand without them.
configure_file(${PROJECT_SOURCE_DIR}/dist/systemd/sealexec.service.in
  ${PROJECT_BINARY_DIR}/dist/sealexec.service @ONLY)
install(FILES ${PROJECT_SOURCE_DIR}/dist/systemd/sealexec.socket
  ${PROJECT_BINARY_DIR}/dist/sealexec.service
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/systemd/user)

include(CMakePackageConfigHelpers)

install(TARGETS sealexec EXPORT sealexecTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS sealexec_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS sealexec_remote_http RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/sealexec)
install(TARGETS sealexec_restore_env LIBRARY DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/sealexec)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/sealexec DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "cli" EXCLUDE)

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

configure_file(cmake/sealexec.pc.in ${PROJECT_BINARY_DIR}/sealexec.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/sealexec.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The memory tier's systemd user units (docs/serve.md). Optional: clients
# start a server on demand without them.
configure_file(${PROJECT_SOURCE_DIR}/dist/systemd/sealexec.service.in
  ${PROJECT_BINARY_DIR}/dist/sealexec.service @ONLY)
install(FILES ${PROJECT_SOURCE_DIR}/dist/systemd/sealexec.socket
  ${PROJECT_BINARY_DIR}/dist/sealexec.service
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/systemd/user)

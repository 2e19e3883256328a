# make deb's package (scripts/make-deb.sh), tested by
# tests/packaging/deb-package.sh: built from this build, lintian without
# errors, installed with apt into a Debian 12 root (made with debootstrap
# the first time, one to three minutes, then kept in build/roots), and
# removed and purged without a trace. Skipped, loudly, under a sanitizer
# build or where root, debootstrap or the mirror is missing. The first run
# downloads the package's dependencies into the kept root; later ones take
# about a minute, most of it lintian.
add_test(NAME packaging.deb COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/deb-package.sh)
set_tests_properties(packaging.deb PROPERTIES
  SKIP_RETURN_CODE 77
  TIMEOUT 900
  ENVIRONMENT "SEALEXEC=$<TARGET_FILE:sealexec_cli>;BUILD_DIR=${PROJECT_BINARY_DIR};SOURCE_DIR=${PROJECT_SOURCE_DIR};EXAMPLES=${PROJECT_BINARY_DIR}/examples;FIXTURES=${PROJECT_BINARY_DIR}/tests/fixtures;TEST_LIB=${PROJECT_SOURCE_DIR}/tests/integration/lib/common.sh;SANITIZE=${SEALEXEC_SANITIZE};CPACK=${CMAKE_CPACK_COMMAND}")

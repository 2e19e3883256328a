# Tests of the man pages and shell completions (dist/CMakeLists.txt,
# scripts/gen-cli-docs.py): they render cleanly, they and the completions
# list exactly the options --help lists, the prose agrees with --help, the
# completions really complete (bash, zsh, fish, cache keys from a real
# cache), and the install rules put everything where man and the shells look.
# Exit code 77 means "skipped" (a shell or man-db missing), said loudly.

if(NOT SEALEXEC_MAN_PAGES)
  return()
endif()

set(man_tests man-pages man-install completion-bash completion-zsh completion-fish)
foreach(name IN LISTS man_tests)
  add_test(NAME packaging.${name} COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/${name}.sh)
  set_tests_properties(packaging.${name} PROPERTIES
    SKIP_RETURN_CODE 77
    TIMEOUT 180
    ENVIRONMENT "SEALEXEC=$<TARGET_FILE:sealexec_cli>;BUILD_DIR=${PROJECT_BINARY_DIR};SOURCE_DIR=${PROJECT_SOURCE_DIR};EXAMPLES=${PROJECT_BINARY_DIR}/examples;FIXTURES=${PROJECT_BINARY_DIR}/tests/fixtures;TEST_LIB=${PROJECT_SOURCE_DIR}/tests/integration/lib/common.sh;DIST_DIR=${SEALEXEC_DIST_DIR};PYTHON3=${SEALEXEC_PYTHON3};CMAKE=${CMAKE_COMMAND};SANITIZE=${SEALEXEC_SANITIZE}")
endforeach()

# Settings and warnings live in INTERFACE targets that only our own code links
# (the ccache pattern), so consumers of the installed library never inherit them.

add_library(sealexec_standard_settings INTERFACE)
target_compile_features(sealexec_standard_settings INTERFACE cxx_std_23)
target_compile_definitions(sealexec_standard_settings INTERFACE _GNU_SOURCE _FILE_OFFSET_BITS=64
  # fmt without std::locale: we never format numbers for a locale, and the
  # locale machinery costs the static CLI start-up time (docs/benchmarks.md).
  FMT_STATIC_THOUSANDS_SEPARATOR=1)
# Let the static CLI's link drop whatever it does not reach (--gc-sections).
target_compile_options(sealexec_standard_settings INTERFACE -ffunction-sections -fdata-sections)

add_library(sealexec_standard_warnings INTERFACE)
target_compile_options(sealexec_standard_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough
  # GCC 12 warns about designated initializers that rely on default member
  # initializers (fixed in GCC 14); that is the style we use on purpose.
  -Wno-missing-field-initializers)
if(SEALEXEC_WERROR)
  target_compile_options(sealexec_standard_warnings INTERFACE -Werror)
endif()

if(SEALEXEC_FUZZERS)
  # Coverage instrumentation for everything the fuzzers reach.
  target_compile_options(sealexec_standard_settings INTERFACE -fsanitize=fuzzer-no-link)
endif()

if(SEALEXEC_SANITIZE)
  set(sealexec_sanitize_flags -fsanitize=${SEALEXEC_SANITIZE} -fno-omit-frame-pointer
      -fno-sanitize-recover=all)
  target_compile_options(sealexec_standard_settings INTERFACE ${sealexec_sanitize_flags})
  target_link_options(sealexec_standard_settings INTERFACE ${sealexec_sanitize_flags})
  # Sanitizer runtimes cannot be linked statically into a PIE.
  set(SEALEXEC_STATIC_CLI OFF CACHE BOOL "" FORCE)
endif()

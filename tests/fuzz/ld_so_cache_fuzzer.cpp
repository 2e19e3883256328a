// Feeds arbitrary bytes to the ld.so.cache parser and its binary search.
#include "sealexec/elf/ld_so_cache.h"

#include <cstddef>
#include <cstdint>
#include <span>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace sealexec;
  const auto cache = elf::LdSoCache::parse(std::as_bytes(std::span(data, size)), "fuzz");
  if (!cache) {
    return 0;
  }
  for (const char* name : {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "", "a"}) {
    (void)cache->lookup(name, 0x303);
    (void)cache->lookup(name, 3);
  }
  (void)elf::compare_library_names(
      std::string_view(reinterpret_cast<const char*>(data), size / 2),
      std::string_view(reinterpret_cast<const char*>(data) + size / 2, size - size / 2));
  return 0;
}

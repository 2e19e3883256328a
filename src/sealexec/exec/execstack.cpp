#include "sealexec/exec/execstack.h"

#include "sealexec/audit/execstack_fix.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/elf/byte_source.h"

#include <algorithm>
#include <vector>

namespace sealexec {

Expected<audit::Closure> image_closure(const SealedImage& image,
                                       const std::optional<std::filesystem::path>& origin,
                                       std::optional<std::string_view> ld_library_path,
                                       const elf::LdSoCache* cache) {
  const SpanSource source(image.bytes(), image.source());
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  SEALEXEC_TRY_ASSIGN(audit::FileReport report, audit::analyze(file, image.source()));
  const audit::LoaderConfig config =
      audit::system_loader_config(report.header, cache, ld_library_path);
  return audit::resolve_closure(std::move(report), image.source(),
                                origin ? std::optional<std::string>(origin->string())
                                       : std::nullopt,
                                config);
}

Expected<std::optional<SealedImage>> clear_execstack(const SealedImage& image,
                                                     std::string_view name) {
  const SpanSource source(image.bytes(), image.source());
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  SEALEXEC_TRY_ASSIGN(const audit::ExecstackPlan plan, audit::plan_clear_execstack(file));
  if (plan.action == audit::ExecstackPlan::Action::none) {
    return std::optional<SealedImage>();
  }
  std::vector<std::byte> bytes(image.bytes().begin(), image.bytes().end());
  for (const audit::Patch& patch : plan.patches) {
    std::ranges::copy(patch.bytes, bytes.begin() + static_cast<long>(patch.offset));
  }
  ImageOptions options;
  options.name = std::string(name);
  options.origin = image.origin();
  SEALEXEC_TRY_ASSIGN(SealedImage patched, SealedImage::from_bytes(bytes, options));
  return std::optional<SealedImage>(std::move(patched));
}

} // namespace sealexec

#include "sealexec/exec/execstack.h"

#include "sealexec/audit/execstack_fix.h"
#include "sealexec/audit/file_report.h"
#include "sealexec/image/copy.h"
#include "sealexec/image/image_source.h"
#include "sealexec/image/memfd.h"

namespace sealexec {

Expected<audit::Closure> image_closure(const SealedImage& image,
                                       const std::optional<std::filesystem::path>& origin,
                                       std::optional<std::string_view> ld_library_path,
                                       const elf::LdSoCache* cache) {
  const ImageSource source(image);
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
  const ImageSource source(image);
  SEALEXEC_TRY_ASSIGN(const elf::ElfFile file, elf::ElfFile::read(source));
  SEALEXEC_TRY_ASSIGN(const audit::ExecstackPlan plan, audit::plan_clear_execstack(file));
  if (plan.action == audit::ExecstackPlan::Action::none) {
    return std::optional<SealedImage>();
  }
  // Patched in an unnamed copy, which is then sealed like any file: neither
  // the program nor the copy is ever held whole in memory or mapped.
  SEALEXEC_TRY_ASSIGN(const Fd staging,
                      create_memfd("sealexec:staging", Executable::no, image.source()));
  SEALEXEC_TRY(copy_range(image.fd(), 0, image.size(), staging.get(), image.source()));
  for (const audit::Patch& patch : plan.patches) {
    if (!range_fits(patch.offset, patch.bytes.size(), image.size())) {
      return fail(make_error(Errc::malformed, image.source(),
                             "the executable-stack patch lies outside the program"));
    }
    SEALEXEC_TRY(write_all_at(staging.get(), patch.bytes, patch.offset, image.source()));
  }
  ImageOptions options;
  options.name = std::string(name);
  options.origin = image.origin();
  options.source = image.source();
  options.max_size = image.size();
  SEALEXEC_TRY_ASSIGN(SealedImage patched, SealedImage::from_fd(staging.get(), options));
  return std::optional<SealedImage>(std::move(patched));
}

} // namespace sealexec

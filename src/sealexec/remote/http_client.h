// An HTTP backend in Bazel's remote-cache layout (GET/PUT/HEAD on
// <prefix>/ac/<hex> and <prefix>/cas/<hex>), served by the
// sealexec-remote-http helper (http_channel.h says why a helper), which is
// started on first use and ends with this object.
#pragma once

#include "sealexec/exec/child.h"
#include "sealexec/remote/backend_client.h"
#include "sealexec/remote/backend_url.h"
#include "sealexec/remote/http_channel.h"

#include <filesystem>
#include <optional>
#include <string>

namespace sealexec::remote {

class HttpClient final : public BackendClient {
public:
  // `helper`: the sealexec-remote-http executable (locate_http_helper).
  HttpClient(const BackendUrl& url, Timeouts timeouts, std::filesystem::path helper)
      : m_base(url.display()), m_timeouts(timeouts), m_helper(std::move(helper)) {}

  using BackendClient::get;
  // The helper hands over whole bodies: `observe` sees the value once.
  [[nodiscard]] Expected<std::optional<std::vector<std::byte>>> get(
      Namespace space, const Sha256Digest& name, std::size_t max_size,
      const BodyObserver& observe) override;
  [[nodiscard]] Expected<bool> contains(Namespace space, const Sha256Digest& name) override;
  [[nodiscard]] Expected<void> put(Namespace space, const Sha256Digest& name,
                                   std::span<const std::byte> content) override;

private:
  struct Answer {
    HelperResponse response;
    std::vector<std::byte> body;
  };
  [[nodiscard]] Expected<void> start_helper();
  [[nodiscard]] Expected<Answer> exchange(const HelperRequest& request,
                                          std::span<const std::byte> body);

  std::string m_base; // the URL, which for HTTP has no secret in it
  Timeouts m_timeouts;
  std::filesystem::path m_helper;
  Fd m_channel; // closing it makes the helper exit
  Child m_child; // killed and reaped if it is still running when we go
};

// The sealexec-remote-http executable: `override` when given (the CLI's
// SEALEXEC_REMOTE_HTTP_HELPER), else next to the running executable, else
// in ../libexec/sealexec/ relative to it (a relocated install), else in the
// configured install prefix. nullopt when none of them exists.
[[nodiscard]] std::optional<std::filesystem::path> locate_http_helper(const char* override_path);

} // namespace sealexec::remote

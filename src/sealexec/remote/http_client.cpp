#include "sealexec/remote/http_client.h"

#include "sealexec/exec/command.h"
#include "sealexec/remote/deadline_io.h"
#include "sealexec/util/companion.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/socket.h>
#include <unistd.h>

namespace sealexec::remote {

namespace {

constexpr std::string_view k_helper_name = "sealexec-remote-http";
// The helper's own start (dynamic loading of libcurl) on top of the
// timeouts it applies to each request itself.
constexpr std::chrono::milliseconds k_helper_slack{1000};

Expected<void> read_exactly(int fd, std::span<std::byte> out, Deadline deadline,
                            std::string_view peer) {
  while (!out.empty()) {
    SEALEXEC_TRY_ASSIGN(const std::size_t got, read_some_by(fd, out, deadline, peer));
    if (got == 0) {
      return fail(make_error(Errc::system, peer, "the HTTP helper ended unexpectedly"));
    }
    out = out.subspan(got);
  }
  return {};
}

} // namespace

Expected<void> HttpClient::start_helper() {
  int ends[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
    return fail(system_error("cannot talk to", k_helper_name, "socketpair"));
  }
  Fd ours(ends[0]);
  const Fd theirs(ends[1]);
  CommandSpec spec;
  spec.program = m_helper;
  spec.argv = {std::string(k_helper_name), m_base, std::to_string(m_timeouts.connect.count()),
               std::to_string(m_timeouts.operation.count())};
  spec.stdio_channel = theirs.get();
  SEALEXEC_TRY_ASSIGN(StartedCommand started, start_command(spec));
  ::fcntl(ours.get(), F_SETFL, ::fcntl(ours.get(), F_GETFL) | O_NONBLOCK);
  m_channel = std::move(ours);
  m_child = std::move(started.child);
  return {};
}

Expected<HttpClient::Answer> HttpClient::exchange(const HelperRequest& request,
                                                  std::span<const std::byte> body) {
  if (!m_channel) {
    SEALEXEC_TRY(start_helper());
  }
  const Deadline deadline =
      Deadline::after(m_timeouts.connect + m_timeouts.operation + k_helper_slack);
  const auto header = encode(request);
  SEALEXEC_TRY(write_all_by(m_channel.get(), header, deadline, m_base));
  SEALEXEC_TRY(write_all_by(m_channel.get(), body, deadline, m_base));
  std::array<std::byte, k_response_header_size> reply{};
  SEALEXEC_TRY(read_exactly(m_channel.get(), reply, deadline, m_base));
  SEALEXEC_TRY_ASSIGN(const HelperResponse response, decode_response(reply));
  if (response.body_size > request.max_size) {
    return fail(make_error(Errc::malformed, m_base, "the HTTP helper sent more than asked for"));
  }
  std::string message(response.message_size, '\0');
  SEALEXEC_TRY(read_exactly(m_channel.get(), std::as_writable_bytes(std::span(message)), deadline,
                            m_base));
  Answer answer{.response = response, .body = std::vector<std::byte>(response.body_size)};
  SEALEXEC_TRY(read_exactly(m_channel.get(), answer.body, deadline, m_base));
  switch (response.outcome) {
  case HelperResponse::Outcome::found:
  case HelperResponse::Outcome::absent:
    return answer;
  case HelperResponse::Outcome::timed_out:
    return fail(make_error(Errc::timed_out, m_base, message));
  case HelperResponse::Outcome::too_large:
    return fail(make_error(Errc::too_large, m_base, message));
  case HelperResponse::Outcome::failed:
    break;
  }
  return fail(make_error(Errc::system, m_base, message));
}

Expected<std::optional<std::vector<std::byte>>> HttpClient::get(Namespace space,
                                                                const Sha256Digest& name,
                                                                std::size_t max_size,
                                                                const BodyObserver& observe) {
  const HelperRequest request{.method = HelperRequest::Method::get,
                              .space = space,
                              .name = name,
                              .max_size = std::min<std::uint64_t>(max_size, k_max_transfer_size)};
  SEALEXEC_TRY_ASSIGN(Answer answer, exchange(request, {}));
  if (answer.response.outcome == HelperResponse::Outcome::absent) {
    return std::optional<std::vector<std::byte>>();
  }
  if (observe && !answer.body.empty()) {
    observe(answer.body);
  }
  return std::optional<std::vector<std::byte>>(std::move(answer.body));
}

Expected<bool> HttpClient::contains(Namespace space, const Sha256Digest& name) {
  const HelperRequest request{
      .method = HelperRequest::Method::head, .space = space, .name = name};
  SEALEXEC_TRY_ASSIGN(const Answer answer, exchange(request, {}));
  return answer.response.outcome == HelperResponse::Outcome::found;
}

Expected<void> HttpClient::put(Namespace space, const Sha256Digest& name,
                               std::span<const std::byte> content) {
  if (content.size() > k_max_transfer_size) {
    return fail(make_error(Errc::too_large, m_base, "too large to share"));
  }
  const HelperRequest request{.method = HelperRequest::Method::put,
                              .space = space,
                              .name = name,
                              .body_size = content.size()};
  SEALEXEC_TRY_ASSIGN(const Answer answer, exchange(request, content));
  (void)answer;
  return {};
}

std::optional<std::filesystem::path> locate_http_helper(const char* override_path) {
  const std::vector<std::filesystem::path> candidates =
      override_path != nullptr && *override_path != '\0'
          ? std::vector<std::filesystem::path>{override_path}
          : companion_candidates(k_helper_name);
  for (const auto& candidate : candidates) {
    if (::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

} // namespace sealexec::remote

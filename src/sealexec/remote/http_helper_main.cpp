// sealexec-remote-http: the HTTP side of the remote tier, in its own process
// so that only processes that use an HTTP backend load libcurl
// (http_channel.h). Started by HttpClient with a socket as standard input
// and output:
//
//   sealexec-remote-http BASE_URL CONNECT_MS OPERATION_MS
//
// It answers one request at a time and exits when the socket closes. One
// curl handle serves every request, so the connection is kept alive.
#include "sealexec/remote/http_channel.h"
#include "sealexec/version.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace {

using sealexec::remote::HelperRequest;
using sealexec::remote::HelperResponse;
using Outcome = HelperResponse::Outcome;

// Blocking I/O on our own standard input and output.
bool read_exactly(std::span<std::byte> out) {
  while (!out.empty()) {
    const ssize_t got = ::read(STDIN_FILENO, out.data(), out.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      return false;
    }
    out = out.subspan(static_cast<std::size_t>(got));
  }
  return true;
}

bool write_all(std::span<const std::byte> bytes) {
  while (!bytes.empty()) {
    const ssize_t put = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (put < 0 && errno == EINTR) {
      continue;
    }
    if (put <= 0) {
      return false;
    }
    bytes = bytes.subspan(static_cast<std::size_t>(put));
  }
  return true;
}

struct Download {
  std::vector<std::byte> body;
  std::uint64_t limit = 0;
  bool over_limit = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* download = static_cast<Download*>(user);
  const std::size_t n = size * count;
  if (download->body.size() + n > download->limit) {
    download->over_limit = true;
    return 0; // makes curl stop with CURLE_WRITE_ERROR
  }
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  download->body.insert(download->body.end(), bytes, bytes + n);
  return n;
}

struct Upload {
  std::span<const std::byte> rest;
};

std::size_t on_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->rest.size());
  std::memcpy(buffer, upload->rest.data(), n);
  upload->rest = upload->rest.subspan(n);
  return n;
}

struct Result {
  Outcome outcome = Outcome::failed;
  std::string message;
  std::vector<std::byte> body;
};

class Session {
public:
  Session(std::string base, long connect_ms, long operation_ms)
      : m_base(std::move(base)), m_connect_ms(connect_ms), m_operation_ms(operation_ms),
        m_curl(curl_easy_init()) {
    m_no_expect = curl_slist_append(nullptr, "Expect:");
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() {
    curl_slist_free_all(m_no_expect);
    curl_easy_cleanup(m_curl);
  }

  Result perform(const HelperRequest& request, std::span<const std::byte> body) {
    if (m_curl == nullptr) {
      return {.message = "cannot initialise libcurl"};
    }
    const std::string path =
        fmt::format("{}/{}", namespace_name(request.space), request.name.hex());
    const std::string url = fmt::format("{}/{}", m_base, path);
    CURL* c = m_curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, m_connect_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, m_connect_ms + m_operation_ms);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "sealexec");
    // Credentials come from ~/.netrc, as for curl, git and pip, never from
    // the URL, which appears in messages and statistics. Redirects are not
    // followed, so they are sent to this host only.
    curl_easy_setopt(c, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_OPTIONAL));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, m_error);
    m_error[0] = '\0';
    Download download{.limit = request.max_size};
    Upload upload{.rest = body};
    switch (request.method) {
    case HelperRequest::Method::get:
      curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
      curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_size));
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &download);
      break;
    case HelperRequest::Method::head:
      curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
      break;
    case HelperRequest::Method::put:
      curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));
      curl_easy_setopt(c, CURLOPT_READFUNCTION, on_upload);
      curl_easy_setopt(c, CURLOPT_READDATA, &upload);
      curl_easy_setopt(c, CURLOPT_HTTPHEADER, m_no_expect);
      // A PUT's reply body is not ours to keep.
      download.limit = 64 * 1024;
      curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
      curl_easy_setopt(c, CURLOPT_WRITEDATA, &download);
      break;
    }
    const CURLcode code = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    Result result;
    if (code != CURLE_OK) {
      result.message = fmt::format("{} {}: {}", method_name(request.method), path,
                                   m_error[0] != '\0' ? m_error : curl_easy_strerror(code));
      result.outcome = code == CURLE_OPERATION_TIMEDOUT ? Outcome::timed_out
                       : code == CURLE_FILESIZE_EXCEEDED || download.over_limit
                           ? Outcome::too_large
                           : Outcome::failed;
      return result;
    }
    if (request.method != HelperRequest::Method::put && status == 404) {
      result.outcome = Outcome::absent;
      return result;
    }
    if (status < 200 || status > 299 ||
        (request.method != HelperRequest::Method::put && status != 200)) {
      // bazel-remote checks that an ac/ body is a Bazel ActionResult unless
      // told not to; ours are sealexec's signed entries (docs/remote.md).
      const bool ac_refused = request.method == HelperRequest::Method::put &&
                              request.space == sealexec::remote::Namespace::ac && status == 400;
      const char* hint = ac_refused ? " (bazel-remote needs --disable_http_ac_validation)"
                         : status == 401  ? " (credentials are read from ~/.netrc)"
                                          : "";
      result.message = fmt::format("{} {}: HTTP status {}{}", method_name(request.method), path,
                                   status, hint);
      return result;
    }
    result.outcome = Outcome::found;
    if (request.method == HelperRequest::Method::get) {
      result.body = std::move(download.body);
    }
    return result;
  }

private:
  static std::string_view method_name(HelperRequest::Method method) {
    switch (method) {
    case HelperRequest::Method::get:
      return "GET";
    case HelperRequest::Method::head:
      return "HEAD";
    case HelperRequest::Method::put:
      return "PUT";
    }
    return "?";
  }

  std::string m_base;
  long m_connect_ms;
  long m_operation_ms;
  CURL* m_curl;
  curl_slist* m_no_expect = nullptr;
  char m_error[CURL_ERROR_SIZE] = {};
};

bool parse_ms(const char* text, long& out) {
  const std::string_view s(text);
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), out);
  return error == std::errc{} && end == s.data() + s.size() && out > 0 && out <= 600'000;
}

} // namespace

int main(int argc, char** argv) {
  long connect_ms = 0;
  long operation_ms = 0;
  if (argc != 4 || !parse_ms(argv[2], connect_ms) || !parse_ms(argv[3], operation_ms) ||
      ::isatty(STDIN_FILENO)) {
    std::fputs("sealexec-remote-http: a helper of sealexec for HTTP cache backends; sealexec "
               "starts it, people need not\n",
               stderr);
    return 2;
  }
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return 1;
  }
  Session session(argv[1], connect_ms, operation_ms);
  for (;;) {
    std::array<std::byte, sealexec::remote::k_request_header_size> header{};
    if (!read_exactly(header)) {
      return 0; // the caller is done
    }
    const auto request = sealexec::remote::decode_request(header);
    if (!request) {
      return 1;
    }
    std::vector<std::byte> body(request->body_size);
    if (!read_exactly(body)) {
      return 1;
    }
    const Result result = session.perform(*request, body);
    const std::string message = result.message.substr(0, sealexec::remote::k_max_helper_message);
    const HelperResponse response{.outcome = result.outcome,
                                  .message_size = static_cast<std::uint32_t>(message.size()),
                                  .body_size = result.body.size()};
    if (!write_all(sealexec::remote::encode(response)) ||
        !write_all(std::as_bytes(std::span(message))) || !write_all(result.body)) {
      return 1;
    }
  }
}

#include "sealexec/remote/backend_url.h"

#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

namespace sealexec::remote {

namespace {

constexpr std::size_t k_max_socket_path = 107; // sun_path holds 108 bytes with the NUL
// A user name or password longer than this is refused. It keeps the display
// form (user %-escaped, up to three bytes per byte) well inside
// k_max_url_size, so that every URL we print parses back.
constexpr std::size_t k_max_credential = 256;
// The same for an http(s) path prefix, which prints with an explicit port.
constexpr std::size_t k_max_prefix = 1024;

// The URL as it may appear in a message: a password between "user:" and
// '@' is replaced, even in a URL that does not parse.
std::string masked(std::string_view text) {
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::string(text.substr(0, 256));
  }
  const std::size_t authority = scheme_end + 3;
  const std::size_t slash = text.find('/', authority);
  const std::size_t at = text.rfind('@', slash == std::string_view::npos ? text.size() : slash);
  if (at == std::string_view::npos || at < authority) {
    return std::string(text.substr(0, 256));
  }
  const std::size_t colon = text.find(':', authority);
  if (colon == std::string_view::npos || colon > at) {
    return std::string(text.substr(0, 256));
  }
  return fmt::format("{}***{}", text.substr(0, colon + 1), text.substr(at, 256));
}

Expected<BackendUrl> bad(std::string_view text, std::string_view why) {
  return fail(make_error(Errc::invalid_argument, masked(text),
                         fmt::format("not a usable remote cache URL: {}", why)));
}

bool is_unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (text.size() - i < 3) {
      return std::nullopt;
    }
    const auto [end, error] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (error != std::errc() || end != text.data() + i + 3) {
      return std::nullopt;
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

template <typename Number>
bool parse_number(std::string_view text, Number& value, Number max) {
  if (text.empty() || text.size() > 10 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  std::uint64_t wide = 0;
  std::from_chars(text.data(), text.data() + text.size(), wide);
  if (wide > max) {
    return false;
  }
  value = static_cast<Number>(wide);
  return true;
}

// host[:port] or [v6]:port. nullopt-style: an empty string means fine.
std::string parse_host_port(std::string_view authority, BackendUrl& url) {
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return "an IPv6 address without its closing ']'";
    }
    url.host = std::string(authority.substr(1, close - 1));
    // Only a real IPv6 literal: "[1.2]" or a long run of hex digits would
    // print without brackets as a host name that is not the same URL.
    in6_addr address{};
    if (inet_pton(AF_INET6, url.host.c_str(), &address) != 1) {
      return "a bad IPv6 address";
    }
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) {
        return "text after the IPv6 address";
      }
      port_text = rest.substr(1);
      if (port_text.empty()) {
        return "an empty port";
      }
    }
  } else {
    const std::size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        return "an empty port";
      }
    }
    if (url.host.empty() || url.host.size() > 253 ||
        !std::all_of(url.host.begin(), url.host.end(),
                     [](char c) { return is_unreserved(c) && c != '~'; })) {
      return "a missing or bad host name";
    }
  }
  if (!port_text.empty()) {
    std::uint32_t port = 0;
    if (!parse_number<std::uint32_t>(port_text, port, 65535) || port == 0) {
      return "the port must be a number from 1 to 65535";
    }
    url.port = static_cast<std::uint16_t>(port);
  }
  return {};
}

// `text` with every byte but the unreserved ones %-escaped, so that a
// decoded user name prints back as a URL that parses to the same name.
std::string percent_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

std::string host_for_display(const BackendUrl& url) {
  return url.host.find(':') != std::string::npos ? fmt::format("[{}]", url.host) : url.host;
}

} // namespace

std::string BackendUrl::display() const {
  switch (scheme) {
  case Scheme::redis:
    return fmt::format("redis://{}{}:{}/{}",
                       user.empty() && password.empty()
                           ? std::string()
                           : fmt::format("{}{}@", percent_encode(user),
                                         password.empty() ? "" : ":***"),
                       host_for_display(*this), port, db);
  case Scheme::redis_unix:
    return fmt::format("redis+unix://{}{}", socket, db == 0 ? std::string() : fmt::format("?db={}", db));
  case Scheme::http:
  case Scheme::https:
    return fmt::format("{}://{}:{}{}", scheme == Scheme::http ? "http" : "https",
                       host_for_display(*this), port, prefix);
  }
  return {};
}

Expected<BackendUrl> parse_backend_url(std::string_view text) {
  if (text.size() > k_max_url_size) {
    return bad(text, "longer than 4096 bytes");
  }
  if (std::any_of(text.begin(), text.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) == 0x7f;
      })) {
    return bad(text, "blanks or control characters");
  }
  BackendUrl url;
  url.text = std::string(text);
  const std::size_t scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return bad(text, "no scheme (redis://, redis+unix://, http:// or https://)");
  }
  const std::string_view scheme = text.substr(0, scheme_end);
  std::string_view rest = text.substr(scheme_end + 3);
  if (rest.find('#') != std::string_view::npos) {
    return bad(text, "a fragment ('#')");
  }

  if (scheme == "redis+unix") {
    url.scheme = BackendUrl::Scheme::redis_unix;
    const std::size_t query = rest.find('?');
    url.socket = std::string(rest.substr(0, query));
    if (!url.socket.starts_with('/') || url.socket.size() > k_max_socket_path) {
      return bad(text, "the socket must be an absolute path of at most 107 bytes");
    }
    if (query != std::string_view::npos) {
      const std::string_view parameter = rest.substr(query + 1);
      if (!parameter.starts_with("db=") ||
          !parse_number<unsigned>(parameter.substr(3), url.db, 1'000'000)) {
        return bad(text, "the only query allowed is ?db=N");
      }
    }
  } else if (scheme == "redis") {
    url.scheme = BackendUrl::Scheme::redis;
    url.port = 6379;
    const std::size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    if (authority.find('?') != std::string_view::npos ||
        path.find('?') != std::string_view::npos) {
      return bad(text, "a query ('?')");
    }
    const std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
      const std::string_view userinfo = authority.substr(0, at);
      const std::size_t colon = userinfo.find(':');
      auto user = percent_decode(userinfo.substr(0, colon));
      auto password = percent_decode(colon == std::string_view::npos ? std::string_view()
                                                                      : userinfo.substr(colon + 1));
      if (!user || !password) {
        return bad(text, "a bad %-escape in the user or password");
      }
      if (user->size() > k_max_credential || password->size() > k_max_credential) {
        return bad(text, "a user name or password longer than 256 bytes");
      }
      url.user = std::move(*user);
      url.password = std::move(*password);
      authority = authority.substr(at + 1);
    }
    if (const std::string why = parse_host_port(authority, url); !why.empty()) {
      return bad(text, why);
    }
    if (!path.empty() && !parse_number<unsigned>(path, url.db, 1'000'000)) {
      return bad(text, "the path must be a database number");
    }
  } else if (scheme == "http" || scheme == "https") {
    url.scheme = scheme == "http" ? BackendUrl::Scheme::http : BackendUrl::Scheme::https;
    url.port = scheme == "http" ? 80 : 443;
    const std::size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    if (authority.find('@') != std::string_view::npos) {
      return bad(text,
                 "credentials in an http(s) URL (they would end up in logs; put them in ~/.netrc)");
    }
    if (rest.find('?') != std::string_view::npos) {
      return bad(text, "a query ('?')");
    }
    if (const std::string why = parse_host_port(authority, url); !why.empty()) {
      return bad(text, why);
    }
    while (path.ends_with('/')) {
      path.remove_suffix(1);
    }
    if (path.size() > k_max_prefix) {
      return bad(text, "a path prefix longer than 1024 bytes");
    }
    // Each segment is plain: no empty, "." or ".." segments and no escapes,
    // so that the server sees exactly the layout we mean.
    for (std::string_view segments = path; !segments.empty();) {
      segments.remove_prefix(1); // the '/'
      const std::size_t next = segments.find('/');
      const std::string_view segment = segments.substr(0, next);
      if (segment.empty() || segment == "." || segment == ".." ||
          !std::all_of(segment.begin(), segment.end(), is_unreserved)) {
        return bad(text, "the path prefix must be plain segments of letters, digits, '-', "
                         "'.', '_' and '~'");
      }
      segments = next == std::string_view::npos ? std::string_view() : segments.substr(next);
    }
    url.prefix = std::string(path);
  } else {
    return bad(text, "unknown scheme (redis://, redis+unix://, http:// or https://)");
  }
  url.m_identity = url.display();
  return url;
}

Expected<std::vector<BackendUrl>> parse_backend_list(std::string_view text) {
  std::vector<BackendUrl> backends;
  while (true) {
    const std::size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) {
      item.remove_prefix(1);
    }
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) {
      item.remove_suffix(1);
    }
    if (!item.empty()) {
      SEALEXEC_TRY_ASSIGN(BackendUrl url, parse_backend_url(item));
      for (const BackendUrl& known : backends) {
        if (known.identity() == url.identity()) {
          return fail(make_error(Errc::invalid_argument, url.display(),
                                 "the same remote cache is named twice"));
        }
      }
      if (backends.size() == k_max_backends) {
        return fail(make_error(Errc::invalid_argument, "SEALEXEC_REMOTE",
                               "more than 64 remote caches"));
      }
      backends.push_back(std::move(url));
    }
    if (comma == std::string_view::npos) {
      return backends;
    }
    text.remove_prefix(comma + 1);
  }
}

std::size_t pick_backend(const Sha256Digest& key, std::span<const BackendUrl> backends) {
  std::size_t best = 0;
  std::uint64_t best_score = 0;
  std::vector<std::byte> input;
  for (std::size_t i = 0; i < backends.size(); ++i) {
    input.assign(reinterpret_cast<const std::byte*>(key.bytes.data()),
                 reinterpret_cast<const std::byte*>(key.bytes.data()) + key.bytes.size());
    const std::string& identity = backends[i].identity();
    const auto id = std::as_bytes(std::span(identity.data(), identity.size()));
    input.insert(input.end(), id.begin(), id.end());
    const Xxh3Digest digest = xxh3_128(input);
    std::uint64_t score = 0;
    std::memcpy(&score, digest.bytes.data(), sizeof score);
    if (i == 0 || score > best_score) {
      best = i;
      best_score = score;
    }
  }
  return best;
}

} // namespace sealexec::remote

// SPDX-License-Identifier: Apache-2.0
// IpAddress parsing (inet_pton after strict pre-checks) and RFC 5952 formatting.
#include "rustynet/backend_api/ip_address.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <ostream>

namespace rustynet::backend_api {
namespace {

constexpr std::size_t kMaxTextLength = 45;  // INET6_ADDRSTRLEN - 1

bool allowed_char(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}

void append_v4(std::string& out, std::span<const std::uint8_t> four) {
  for (std::size_t i = 0; i < 4; ++i) {
    if (i != 0) {
      out.push_back('.');
    }
    out += std::to_string(four[i]);
  }
}

void append_hex16(std::string& out, unsigned value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (value >> static_cast<unsigned>(shift)) & 0xFU;
    if (nibble != 0 || started || shift == 0) {
      out.push_back(kDigits[nibble]);
      started = true;
    }
  }
}

}  // namespace

BackendResult<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxTextLength) {
    return fail(BackendError::invalid_input("IP address text is empty or longer than 45 bytes"));
  }
  // inet_pton is the well-tested parser; the character pre-check keeps out everything it might
  // accept beyond the grammar we document (it already rejects zones, brackets and shorthand v4).
  if (!std::all_of(text.begin(), text.end(), allowed_char)) {
    return fail(BackendError::invalid_input("IP address contains a character outside [0-9a-fA-F:.]"));
  }
  const std::string terminated(text);
  if (terminated.find(':') == std::string::npos) {
    std::array<std::uint8_t, 4> v4_bytes{};
    if (::inet_pton(AF_INET, terminated.c_str(), v4_bytes.data()) != 1) {
      return fail(BackendError::invalid_input("not a dotted-quad IPv4 address"));
    }
    return IpAddress::v4(v4_bytes);
  }
  std::array<std::uint8_t, 16> v6_bytes{};
  if (::inet_pton(AF_INET6, terminated.c_str(), v6_bytes.data()) != 1) {
    return fail(BackendError::invalid_input("not an IPv6 address"));
  }
  return IpAddress::v6(v6_bytes);
}

IpAddress IpAddress::v4(const std::array<std::uint8_t, 4>& bytes) noexcept {
  IpAddress address;
  address.family_ = IpFamily::kV4;
  std::copy(bytes.begin(), bytes.end(), address.bytes_.begin());
  return address;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) noexcept {
  IpAddress address;
  address.family_ = IpFamily::kV6;
  address.bytes_ = bytes;
  return address;
}

bool IpAddress::is_unspecified() const noexcept {
  const auto view = bytes();
  return std::all_of(view.begin(), view.end(), [](std::uint8_t b) { return b == 0; });
}

std::string IpAddress::to_string() const {
  std::string out;
  if (is_v4()) {
    append_v4(out, bytes());
    return out;
  }
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 8; ++i) {
    groups[i] = (static_cast<unsigned>(bytes_[2 * i]) << 8U) | bytes_[2 * i + 1];
  }
  // IPv4-mapped (::ffff:a.b.c.d) keeps the dotted quad (RFC 5952 section 5).
  const bool mapped =
      std::all_of(groups.begin(), groups.begin() + 5, [](unsigned g) { return g == 0; }) && groups[5] == 0xFFFFU;
  if (mapped) {
    out = "::ffff:";
    append_v4(out, std::span<const std::uint8_t>(bytes_).subspan(12, 4));
    return out;
  }
  // Longest run of >= 2 zero groups, the first one on a tie (RFC 5952 section 4.2).
  std::size_t best_start = 8;
  std::size_t best_length = 1;
  for (std::size_t i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && groups[j] == 0) {
      ++j;
    }
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (i != 0 && !(best_start < 8 && i == best_start + best_length)) {
      out.push_back(':');
    }
    append_hex16(out, groups[i]);
  }
  return out;
}

std::ostream& operator<<(std::ostream& out, const IpAddress& address) { return out << address.to_string(); }

}  // namespace rustynet::backend_api

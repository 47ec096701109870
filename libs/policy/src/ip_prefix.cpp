// SPDX-License-Identifier: Apache-2.0
// Strict IP address and prefix parsing and canonical formatting.
#include "rustynet/policy/ip_prefix.hpp"

#include <array>
#include <cstddef>

namespace rustynet::policy {
namespace {

using base::unexpected;

constexpr std::size_t kMaxAddressText = 45;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

base::Result<IpAddress, std::string> parse_v4(std::string_view text) {
  std::uint32_t value = 0;
  int octets = 0;
  std::size_t pos = 0;
  while (true) {
    std::size_t start = pos;
    unsigned octet = 0;
    while (pos < text.size() && is_digit(text[pos])) {
      octet = octet * 10U + static_cast<unsigned>(text[pos] - '0');
      ++pos;
      if (pos - start > 3) {
        return unexpected(std::string("IPv4 octet has more than 3 digits"));
      }
    }
    const std::size_t digits = pos - start;
    if (digits == 0) {
      return unexpected(std::string("IPv4 octet is empty or not a decimal number"));
    }
    if (digits > 1 && text[start] == '0') {
      return unexpected(std::string("IPv4 octet has a leading zero"));
    }
    if (octet > 255U) {
      return unexpected(std::string("IPv4 octet is larger than 255"));
    }
    value = (value << 8U) | octet;
    ++octets;
    if (pos == text.size()) {
      break;
    }
    if (text[pos] != '.' || octets == 4) {
      return unexpected(std::string("IPv4 address has an unexpected character"));
    }
    ++pos;
  }
  if (octets != 4) {
    return unexpected(std::string("IPv4 address needs exactly 4 octets"));
  }
  return IpAddress::v4(value);
}

// Parses colon-separated 1-4 digit hex groups into `out`; returns the count or -1.
int parse_groups(std::string_view text, std::array<std::uint16_t, 8>& out) {
  if (text.empty()) {
    return 0;
  }
  int count = 0;
  std::size_t pos = 0;
  while (true) {
    if (count == 8) {
      return -1;
    }
    unsigned group = 0;
    std::size_t digits = 0;
    while (pos < text.size() && text[pos] != ':') {
      const int v = hex_value(text[pos]);
      if (v < 0 || ++digits > 4) {
        return -1;
      }
      group = (group << 4U) | static_cast<unsigned>(v);
      ++pos;
    }
    if (digits == 0) {
      return -1;
    }
    out[static_cast<std::size_t>(count++)] = static_cast<std::uint16_t>(group);
    if (pos == text.size()) {
      return count;
    }
    ++pos;  // the ':'
    if (pos == text.size()) {
      return -1;  // trailing single colon
    }
  }
}

base::Result<IpAddress, std::string> parse_v6(std::string_view text) {
  std::array<std::uint16_t, 8> head{};
  std::array<std::uint16_t, 8> tail{};
  std::array<std::uint16_t, 8> groups{};
  const auto gap = text.find("::");
  if (gap == std::string_view::npos) {
    if (parse_groups(text, groups) != 8) {
      return unexpected(std::string("IPv6 address needs 8 hex groups of 1-4 digits"));
    }
  } else {
    if (text.find("::", gap + 1) != std::string_view::npos) {
      return unexpected(std::string("IPv6 address has more than one '::'"));
    }
    const int head_count = parse_groups(text.substr(0, gap), head);
    const int tail_count = parse_groups(text.substr(gap + 2), tail);
    if (head_count < 0 || tail_count < 0 || head_count + tail_count > 7) {
      return unexpected(std::string("IPv6 address has malformed hex groups"));
    }
    for (int i = 0; i < head_count; ++i) {
      groups[static_cast<std::size_t>(i)] = head[static_cast<std::size_t>(i)];
    }
    for (int i = 0; i < tail_count; ++i) {
      const int slot = 8 - tail_count + i;
      groups[static_cast<std::size_t>(slot)] = tail[static_cast<std::size_t>(i)];
    }
  }
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  for (std::size_t i = 0; i < 4; ++i) {
    hi = (hi << 16U) | groups[i];
    lo = (lo << 16U) | groups[i + 4];
  }
  return IpAddress::v6(hi, lo);
}

std::uint64_t high_mask(unsigned bits) noexcept {
  if (bits == 0) {
    return 0;
  }
  if (bits >= 64) {
    return ~std::uint64_t{0};
  }
  return ~std::uint64_t{0} << (64U - bits);
}

void append_hex(std::string& out, unsigned value) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned digit = (value >> static_cast<unsigned>(shift)) & 0xFU;
    if (digit != 0 || started || shift == 0) {
      out.push_back(kDigits[digit]);
      started = true;
    }
  }
}

base::Result<unsigned, std::string> parse_length(std::string_view text, unsigned max) {
  if (text.empty() || text.size() > 3) {
    return unexpected(std::string("prefix length must be 1-3 decimal digits"));
  }
  if (text.size() > 1 && text[0] == '0') {
    return unexpected(std::string("prefix length has a leading zero"));
  }
  unsigned value = 0;
  for (const char c : text) {
    if (!is_digit(c)) {
      return unexpected(std::string("prefix length must be decimal"));
    }
    value = value * 10U + static_cast<unsigned>(c - '0');
  }
  if (value > max) {
    return unexpected("prefix length " + std::to_string(value) + " exceeds " + std::to_string(max));
  }
  return value;
}

}  // namespace

base::Result<IpAddress, std::string> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > kMaxAddressText) {
    return unexpected(std::string("address is empty or too long"));
  }
  if (text.find(':') != std::string_view::npos) {
    return parse_v6(text);
  }
  return parse_v4(text);
}

std::string IpAddress::to_string() const {
  std::string out;
  if (family_ == IpFamily::kV4) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      out += std::to_string((lo_ >> static_cast<unsigned>(shift)) & 0xFFU);
      if (shift != 0) {
        out.push_back('.');
      }
    }
    return out;
  }
  std::array<unsigned, 8> groups{};
  for (std::size_t i = 0; i < 4; ++i) {
    groups[i] = static_cast<unsigned>((hi_ >> (48U - 16U * i)) & 0xFFFFU);
    groups[i + 4] = static_cast<unsigned>((lo_ >> (48U - 16U * i)) & 0xFFFFU);
  }
  // RFC 5952: compress the longest run (first on ties) of two or more zero groups.
  std::size_t best_start = 8;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && groups[j] == 0) {
      ++j;
    }
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) {
    best_start = 8;
  }
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') {
      out.push_back(':');
    }
    append_hex(out, groups[i]);
  }
  return out;
}

IpAddress mask_address(const IpAddress& address, unsigned length) noexcept {
  if (address.family() == IpFamily::kV4) {
    const std::uint64_t mask = length == 0 ? 0 : (0xFFFFFFFFULL << (32U - length)) & 0xFFFFFFFFULL;
    return IpAddress::v4(static_cast<std::uint32_t>(address.lo() & mask));
  }
  const std::uint64_t hi_mask = high_mask(length);
  const std::uint64_t lo_mask = length <= 64 ? 0 : high_mask(length - 64U);
  return IpAddress::v6(address.hi() & hi_mask, address.lo() & lo_mask);
}

base::Result<IpPrefix, std::string> IpPrefix::create(IpAddress address, unsigned length) {
  if (length > address.max_prefix_length()) {
    return unexpected("prefix length " + std::to_string(length) + " exceeds " +
                      std::to_string(address.max_prefix_length()));
  }
  if (mask_address(address, length) != address) {
    return unexpected(std::string("host bits are set after the prefix length"));
  }
  return IpPrefix(address, length);
}

IpPrefix IpPrefix::host(IpAddress address) noexcept { return {address, address.max_prefix_length()}; }

base::Result<IpPrefix, std::string> IpPrefix::parse(std::string_view text) {
  const auto slash = text.find('/');
  RUSTYNET_ASSIGN_OR_RETURN(const auto address, IpAddress::parse(text.substr(0, slash)));
  if (slash == std::string_view::npos) {
    return host(address);
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto length, parse_length(text.substr(slash + 1), address.max_prefix_length()));
  return create(address, length);
}

bool IpPrefix::contains(const IpAddress& address) const noexcept {
  return address.family() == address_.family() && mask_address(address, length_) == address_;
}

std::string IpPrefix::to_string() const { return address_.to_string() + "/" + std::to_string(length_); }

}  // namespace rustynet::policy

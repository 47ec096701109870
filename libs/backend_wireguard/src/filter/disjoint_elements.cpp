// SPDX-License-Identifier: Apache-2.0
// Disjoint set elements from overlapping rules: a sweep over the (laminar) remote prefixes.
#include "filter/disjoint_elements.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>

namespace rustynet::backend_wireguard::filter {
namespace {

namespace api = backend_api;

// Addresses as unsigned integers (IPv4 in the low 32 bits), so ranges can be split and joined.
struct Uint128 {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const Uint128&, const Uint128&) = default;
};

Uint128 to_integer(const api::IpAddress& address) {
  Uint128 value;
  for (const std::uint8_t byte : address.bytes()) {
    value.high = (value.high << 8U) | (value.low >> 56U);
    value.low = (value.low << 8U) | byte;
  }
  return value;
}

api::IpAddress to_address(const Uint128& value, api::IpFamily family) {
  if (family == api::IpFamily::kV4) {
    std::array<std::uint8_t, 4> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<std::uint8_t>(value.low >> (8U * (3U - i)));
    }
    return api::IpAddress::v4(bytes);
  }
  std::array<std::uint8_t, 16> bytes{};
  for (std::size_t i = 0; i < 8; ++i) {
    bytes[i] = static_cast<std::uint8_t>(value.high >> (8U * (7U - i)));
    bytes[i + 8] = static_cast<std::uint8_t>(value.low >> (8U * (7U - i)));
  }
  return api::IpAddress::v6(bytes);
}

// The lowest `bits` bits set.
Uint128 low_bits(unsigned bits) {
  constexpr std::uint64_t kAll = ~std::uint64_t{0};
  if (bits == 0) {
    return {};
  }
  if (bits < 64) {
    return {0, (std::uint64_t{1} << bits) - 1};
  }
  if (bits == 64) {
    return {0, kAll};
  }
  return {bits >= 128 ? kAll : (std::uint64_t{1} << (bits - 64)) - 1, kAll};
}

Uint128 bit_or(const Uint128& a, const Uint128& b) { return {a.high | b.high, a.low | b.low}; }
Uint128 bit_and(const Uint128& a, const Uint128& b) { return {a.high & b.high, a.low & b.low}; }
Uint128 bit_xor(const Uint128& a, const Uint128& b) { return {a.high ^ b.high, a.low ^ b.low}; }
Uint128 plus_one(const Uint128& a) {
  return a.low == ~std::uint64_t{0} ? Uint128{a.high + 1, 0} : Uint128{a.high, a.low + 1};
}
Uint128 minus_one(const Uint128& a) {
  return a.low == 0 ? Uint128{a.high - 1, ~std::uint64_t{0}} : Uint128{a.high, a.low - 1};
}

struct Interval {
  Uint128 first;
  Uint128 last;
};

using PortList = std::vector<api::PortRange>;  // sorted, disjoint, not adjacent

// Adds `range` to `ports`, keeping the list canonical (overlapping and adjacent ranges joined).
void add_ports(PortList& ports, api::PortRange range) {
  PortList merged;
  merged.reserve(ports.size() + 1);
  bool placed = false;
  auto push = [&merged](api::PortRange next) {
    if (!merged.empty() && std::uint32_t{merged.back().last} + 1 >= next.first) {
      merged.back().last = std::max(merged.back().last, next.last);
    } else {
      merged.push_back(next);
    }
  };
  for (const api::PortRange& existing : ports) {
    if (!placed && range.first < existing.first) {
      push(range);
      placed = true;
    }
    push(existing);
  }
  if (!placed) {
    push(range);
  }
  ports = std::move(merged);
}

struct Prefix {
  Interval interval;
  PortList ports;  // of the rules naming exactly this prefix
};

struct Piece {
  Interval interval;
  PortList ports;
};

// Open prefixes of the sweep: each covers the next ones until closed. `cursor` is the first address
// of the prefix not yet given to a piece; `exhausted` once the prefix reaches the family's end.
struct Open {
  Interval interval;
  PortList ports;  // effective: this prefix's and every enclosing prefix's
  Uint128 cursor;
  bool exhausted = false;
};

void emit(std::vector<Piece>& pieces, const Interval& interval, const PortList& ports) {
  if (ports.empty()) {
    return;
  }
  if (!pieces.empty() && plus_one(pieces.back().interval.last) == interval.first && pieces.back().ports == ports) {
    pieces.back().interval.last = interval.last;
    return;
  }
  pieces.push_back(Piece{interval, ports});
}

void close(std::vector<Open>& stack, std::vector<Piece>& pieces) {
  const Open& top = stack.back();
  if (!top.exhausted && top.cursor <= top.interval.last) {
    emit(pieces, Interval{top.cursor, top.interval.last}, top.ports);
  }
  stack.pop_back();
}

// Prefixes nest or are disjoint. Sorted by first address, wider first, each prefix is inside the
// open ones it follows or after them, so one pass with a stack splits the address space into
// pieces that each see one effective port list: that of the innermost covering prefix.
std::vector<Piece> sweep(std::vector<Prefix> prefixes, const Uint128& family_last) {
  std::sort(prefixes.begin(), prefixes.end(), [](const Prefix& a, const Prefix& b) {
    return std::tie(a.interval.first, b.interval.last) < std::tie(b.interval.first, a.interval.last);
  });
  std::vector<Piece> pieces;
  std::vector<Open> stack;
  for (Prefix& prefix : prefixes) {
    while (!stack.empty() && stack.back().interval.last < prefix.interval.first) {
      close(stack, pieces);
    }
    PortList ports = std::move(prefix.ports);
    if (!stack.empty()) {
      Open& parent = stack.back();
      if (!parent.exhausted && parent.cursor < prefix.interval.first) {
        emit(pieces, Interval{parent.cursor, minus_one(prefix.interval.first)}, parent.ports);
      }
      parent.exhausted = prefix.interval.last == family_last;
      parent.cursor = parent.exhausted ? prefix.interval.last : plus_one(prefix.interval.last);
      for (const api::PortRange& inherited : parent.ports) {
        add_ports(ports, inherited);
      }
    }
    stack.push_back(Open{prefix.interval, std::move(ports), prefix.interval.first, false});
  }
  while (!stack.empty()) {
    close(stack, pieces);
  }
  return pieces;
}

}  // namespace

std::vector<SetElement> disjoint_elements(const std::vector<api::FilterRule>& rules) {
  if (rules.empty()) {
    return {};
  }
  const api::IpFamily family = rules.front().local.family();
  const unsigned width = family == api::IpFamily::kV4 ? 32U : 128U;
  // (local, protocol) -> remote prefix -> ports.
  std::map<std::pair<api::IpAddress, api::FilterProtocol>, std::map<api::IpPrefix, PortList>> groups;
  for (const api::FilterRule& rule : rules) {
    add_ports(groups[{rule.local, rule.protocol}][rule.remote], rule.ports);
  }
  std::vector<SetElement> elements;
  for (auto& [key, by_prefix] : groups) {
    std::vector<Prefix> prefixes;
    prefixes.reserve(by_prefix.size());
    for (auto& [prefix, ports] : by_prefix) {
      const Uint128 first = to_integer(prefix.address());
      prefixes.push_back(Prefix{Interval{first, bit_or(first, low_bits(width - prefix.length()))}, std::move(ports)});
    }
    for (const Piece& piece : sweep(std::move(prefixes), low_bits(width))) {
      const AddressRange remote{to_address(piece.interval.first, family), to_address(piece.interval.last, family)};
      for (const api::PortRange& ports : piece.ports) {
        elements.push_back(SetElement{remote, key.first, key.second, ports});
      }
    }
  }
  return elements;
}

std::string render_address_range(const AddressRange& range) {
  const Uint128 first = to_integer(range.first);
  const Uint128 last = to_integer(range.last);
  const Uint128 span = bit_xor(first, last);
  // A prefix iff first and last differ in exactly the low k bits, which are all 0 in first.
  const bool is_prefix =
      bit_and(span, plus_one(span)) == Uint128{} && bit_and(first, span) == Uint128{} && bit_or(first, span) == last;
  if (first == last) {
    return range.first.to_string();
  }
  if (is_prefix) {
    const auto host_bits = static_cast<unsigned>(std::popcount(span.high) + std::popcount(span.low));
    return range.first.to_string() + "/" + std::to_string(range.first.bit_width() - host_bits);
  }
  return range.first.to_string() + "-" + range.last.to_string();
}

}  // namespace rustynet::backend_wireguard::filter

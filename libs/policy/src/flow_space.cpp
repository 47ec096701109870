// SPDX-License-Identifier: Apache-2.0
// FlowSpace queries and the port-interval algebra flow_space() builds them with.
#include "rustynet/policy/flow_space.hpp"

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>

#include "port_intervals.hpp"

namespace rustynet::policy {
namespace {

bool contains(const std::vector<PortInterval>& intervals, std::uint16_t port) noexcept {
  // The first interval starting after `port`; the one before it is the only candidate.
  const auto after =
      std::upper_bound(intervals.begin(), intervals.end(), port,
                       [](std::uint16_t value, const PortInterval& interval) { return value < interval.first; });
  return after != intervals.begin() && port <= std::prev(after)->last;
}

void append_intervals(std::string& out, const char* name, const std::vector<PortInterval>& intervals) {
  if (intervals.empty()) {
    return;
  }
  if (!out.empty()) {
    out += "; ";
  }
  out += name;
  char separator = ' ';
  for (const auto& interval : intervals) {
    out += separator;
    out += std::to_string(interval.first);
    if (interval.last != interval.first) {
      out += '-';
      out += std::to_string(interval.last);
    }
    separator = ',';
  }
}

}  // namespace

bool FlowSpace::empty() const noexcept { return tcp.empty() && udp.empty() && !icmp && !other; }

bool FlowSpace::allows(IpProtocol protocol, std::uint16_t port) const noexcept {
  switch (protocol) {
    case IpProtocol::kTcp: return contains(tcp, port);
    case IpProtocol::kUdp: return contains(udp, port);
    case IpProtocol::kIcmp: return icmp;
    case IpProtocol::kOther: return other;
  }
  return false;
}

std::string to_string(const FlowSpace& space) {
  std::string out;
  append_intervals(out, "tcp", space.tcp);
  append_intervals(out, "udp", space.udp);
  for (const auto& [allowed, name] : {std::pair{space.icmp, "icmp"}, std::pair{space.other, "other"}}) {
    if (allowed) {
      out += out.empty() ? "" : "; ";
      out += name;
    }
  }
  return out.empty() ? "none" : out;
}

namespace detail {

void canonicalize(std::vector<PortInterval>& intervals) {
  if (intervals.size() < 2) {
    return;
  }
  std::sort(intervals.begin(), intervals.end());
  std::size_t kept = 0;
  for (std::size_t i = 1; i < intervals.size(); ++i) {
    PortInterval& last = intervals[kept];
    // Widened to 32 bits: last + 1 overflows at 65535.
    if (std::uint32_t{intervals[i].first} <= std::uint32_t{last.last} + 1U) {
      last.last = std::max(last.last, intervals[i].last);
    } else {
      intervals[++kept] = intervals[i];
    }
  }
  intervals.resize(kept + 1);
}

std::vector<PortInterval> subtract(const std::vector<PortInterval>& from, const std::vector<PortInterval>& remove) {
  std::vector<PortInterval> out;
  std::size_t next = 0;  // first `remove` interval that may still overlap the current `from` one
  for (const auto& interval : from) {
    while (next < remove.size() && remove[next].last < interval.first) {
      ++next;
    }
    // 32-bit cursor: it moves to remove.last + 1, which may be 65536.
    std::uint32_t cursor = interval.first;
    const std::uint32_t end = interval.last;
    for (std::size_t k = next; cursor <= end; ++k) {
      if (k == remove.size() || remove[k].first > end) {
        out.push_back(PortInterval{static_cast<std::uint16_t>(cursor), interval.last});
        break;
      }
      if (remove[k].first > cursor) {
        out.push_back(
            PortInterval{static_cast<std::uint16_t>(cursor), static_cast<std::uint16_t>(remove[k].first - 1U)});
      }
      cursor = std::max(cursor, std::uint32_t{remove[k].last} + 1U);
    }
  }
  return out;
}

}  // namespace detail
}  // namespace rustynet::policy

// SPDX-License-Identifier: Apache-2.0
// PacketFilter: the stateful, default-deny filter on the mesh interface, in backend terms.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/backend_api/backend_error.hpp"
#include "rustynet/backend_api/ip_address.hpp"
#include "rustynet/backend_api/ip_prefix.hpp"

namespace rustynet::backend_api {

// kIcmp is ICMP for IPv4 and ICMPv6 for IPv6. kOther is every IP protocol except tcp, udp, icmp
// and icmpv6 (the policy's "any" covers it; nothing else does).
enum class FilterProtocol : std::uint8_t { kTcp = 1, kUdp = 2, kIcmp = 3, kOther = 4 };

// "tcp", "udp", "icmp", "other".
[[nodiscard]] std::string_view to_string(FilterProtocol protocol) noexcept;

// Inclusive. For kIcmp and kOther it must be the full range (those protocols have no ports).
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 65535;
  [[nodiscard]] bool full() const noexcept { return first == 0 && last == 65535; }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const PortRange&, const PortRange&) = default;
};

// One class of flows the filter lets start: from `remote` to `local`, of `protocol`, with a
// destination port in `ports` (tcp/udp).
struct FilterRule {
  IpPrefix remote;  // a peer's tunnel address (host prefix) or a prefix behind a peer
  IpAddress local;  // one of this node's tunnel addresses; same family as `remote`
  FilterProtocol protocol = FilterProtocol::kTcp;
  PortRange ports;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const FilterRule&, const FilterRule&) = default;
};

// The whole filter of one mesh interface. Semantics (docs/packet-filter.md), for packets that
// arrive on the mesh interface:
//  - a packet of a flow a peer started (conntrack original direction, including the first packet)
//    passes only if an `inbound` rule covers (source, destination, protocol, destination port) —
//    checked on every packet, so a rule that goes away stops the open flows it allowed;
//  - a packet of a flow this node started (conntrack reply direction) passes only if an
//    `outbound` rule covers the flow as this node started it (local = its source, remote = its
//    destination, ports ∋ its destination port);
//  - ICMP errors conntrack relates to a flow in force pass; everything else is dropped, including
//    every packet from the mesh interface the host would forward.
// Traffic on other interfaces is never touched.
struct FilterSpec {
  std::uint64_t generation = 0;  // stamped by the caller; read back by verify()
  std::vector<FilterRule> inbound;
  std::vector<FilterRule> outbound;
  friend bool operator==(const FilterSpec&, const FilterSpec&) = default;
};

// Errors (kInvalidInput): family mismatch between remote and local, first > last, ports on
// kIcmp/kOther not the full range. Duplicates and overlaps are allowed (they change nothing).
[[nodiscard]] BackendStatus validate_filter_spec(const FilterSpec& spec);

// Sorted, duplicates removed: two specs that allow the same rules compare equal after this.
[[nodiscard]] FilterSpec canonical_filter_spec(FilterSpec spec);

enum class FlowDirection : std::uint8_t {
  kInbound = 1,   // a peer starts the flow towards this node
  kOutbound = 2,  // this node starts the flow towards a peer (are its replies let in?)
};

// One flow to ask the installed filter about. `remote` is the peer's address, `local` this
// node's; `port` is the flow's destination port (ignored for kIcmp and kOther).
struct FlowQuery {
  FlowDirection direction = FlowDirection::kInbound;
  IpAddress remote;
  IpAddress local;
  FilterProtocol protocol = FilterProtocol::kTcp;
  std::uint16_t port = 0;
};

// What verify() read back.
struct FilterState {
  bool installed = false;        // a filter of this owner exists for the interface
  std::uint64_t generation = 0;  // the generation the installed filter carries
  bool intact = false;           // it is exactly what the last successful apply() installed
};

// The filter of one mesh interface. Not thread-safe: one owner calls it from one thread at a time.
// It is independent of the tunnel backend's lifecycle: it may exist before the interface does, and
// outlives a crashed owner (the kernel keeps enforcing it) until the next owner replaces it.
class PacketFilterBackend {
 public:
  virtual ~PacketFilterBackend() = default;
  PacketFilterBackend() = default;
  PacketFilterBackend(const PacketFilterBackend&) = delete;
  PacketFilterBackend& operator=(const PacketFilterBackend&) = delete;
  PacketFilterBackend(PacketFilterBackend&&) = delete;
  PacketFilterBackend& operator=(PacketFilterBackend&&) = delete;

  // Short stable identifier ("memory", "nftables").
  [[nodiscard]] virtual std::string_view name() const = 0;

  // Replaces the whole filter with `spec` in one atomic step: every packet meets either the
  // previous filter or this one, never a mix, never none. Errors: kInvalidInput
  // (validate_filter_spec; nothing changed), kInternal (the filter could not be installed: the
  // previous one, if any, stays in force unchanged).
  virtual BackendStatus apply(const FilterSpec& spec) = 0;

  // Installs a filter that drops everything from the interface, unless one of this owner's
  // filters already exists (a crashed predecessor's keeps enforcing until apply() replaces it).
  // Errors: kInternal.
  virtual BackendStatus ensure_installed() = 0;

  // Reads the filter back from the kernel. Errors: kInternal (could not read).
  virtual BackendResult<FilterState> verify() = 0;

  // Asks the installed filter (the kernel's copy, not a cached one) whether it lets `flow` start
  // (kInbound) or its replies in (kOutbound). Errors: kInternal (no filter installed, or could not
  // ask).
  virtual BackendResult<bool> allows(const FlowQuery& flow) = 0;

  // Removes the filter. Idempotent. Errors: kInternal.
  virtual BackendStatus remove() = 0;
};

}  // namespace rustynet::backend_api

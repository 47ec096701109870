// SPDX-License-Identifier: Apache-2.0
// FilterSpec -> nft script text, flow queries -> set lookups, and the generation read back. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rustynet/backend_api/packet_filter.hpp"

namespace rustynet::backend_wireguard::filter {

// The three kinds of sets per direction and family: tcp/udp keyed remote . local . protocol .
// port; icmp (icmpv6 for IPv6) and other keyed remote . local.
enum class SetKind : std::uint8_t { kPorts, kIcmp, kOther };

// "in4_l4", "in6_icmp", "out4_other", ...
[[nodiscard]] std::string set_name(backend_api::FlowDirection direction, backend_api::IpFamily family, SetKind kind);

// The set a rule of `protocol` goes into.
[[nodiscard]] SetKind set_kind(backend_api::FilterProtocol protocol) noexcept;

// The complete table definition ("table inet T { ... }") for `spec` on `interface_name`: twelve
// sets, the mesh_in chain, and input/forward base chains (policy accept, so only packets whose
// iifname is the interface are judged). Preconditions: validate_filter_spec(spec) and
// validate_interface_name(interface_name) succeeded. A non-empty `attempt` ([0-9a-f]+) is added to
// the table comment ("rustynet generation N attempt X") so that an apply whose outcome is unknown
// (nft killed) can be recognised in the kernel afterwards.
[[nodiscard]] std::string render_table(const backend_api::FilterSpec& spec, std::string_view interface_name,
                                       std::string_view attempt = {});

// One nft transaction replacing the table (created first if absent) with `spec`'s.
[[nodiscard]] std::string render_apply_script(const backend_api::FilterSpec& spec, std::string_view interface_name,
                                              std::string_view attempt = {});

// One nft transaction creating the deny-everything table (generation 0); it fails, changing
// nothing, if the table exists.
[[nodiscard]] std::string render_install_script(std::string_view interface_name);

// `nft get element inet TABLE SET { ELEMENT }` for `flow`.
struct ElementQuery {
  std::string set;
  std::string element;  // "{ a . b . 6 . 22 }"
};

// nullopt when remote and local are of different families (no rule can match such a flow).
[[nodiscard]] std::optional<ElementQuery> render_query(const backend_api::FlowQuery& flow);

// Whether the table comment of `listing` carries `attempt` (false for an empty one).
[[nodiscard]] bool listing_has_attempt(std::string_view listing, std::string_view attempt);

// The generation in the table comment of an `nft list table` listing; nullopt if there is none.
[[nodiscard]] std::optional<std::uint64_t> parse_generation(std::string_view listing);

}  // namespace rustynet::backend_wireguard::filter

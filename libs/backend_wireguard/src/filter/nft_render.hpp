// SPDX-License-Identifier: Apache-2.0
// FilterSpec -> nft script text, flow queries -> set lookups, and the generation read back. Pure.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/backend_api/packet_filter.hpp"

namespace rustynet::backend_wireguard::filter {

// The three kinds of sets per direction and family: tcp/udp keyed remote . local . protocol .
// port; icmp (icmpv6 for IPv6) and other keyed remote . local.
enum class SetKind : std::uint8_t { kPorts, kIcmp, kOther };

// "in4_l4", "in6_icmp", "out4_other", ...
[[nodiscard]] std::string set_name(backend_api::FlowDirection direction, backend_api::IpFamily family, SetKind kind);

// The set a rule of `protocol` goes into.
[[nodiscard]] SetKind set_kind(backend_api::FilterProtocol protocol) noexcept;

// The filter's contents as nft needs them: the elements of each of the twelve sets (rendered, in
// disjoint_elements order, indexed like kSetOrder) and the rules of chain mesh_in, one line each.
// The last mesh_in rule carries "rustynet generation N[ attempt X]" as its comment; a non-empty
// `attempt` ([0-9a-f]+) also gives the filter its connection mark (fast_path_mark): flows a lookup
// admitted are marked, and their later packets are accepted on the mark alone until the next
// apply renders a new one (docs/packet-filter.md "Per-packet cost").
struct RenderedFilter {
  std::array<std::vector<std::string>, 12> elements;
  std::vector<std::string> mesh_in;
  friend bool operator==(const RenderedFilter&, const RenderedFilter&) = default;
};

[[nodiscard]] RenderedFilter render_filter(const backend_api::FilterSpec& spec, std::string_view attempt = {});

// The connection mark of `attempt`: its first (up to) eight hex digits, never 0; nullopt for an
// empty attempt (no fast path: nothing is marked).
[[nodiscard]] std::optional<std::uint32_t> fast_path_mark(std::string_view attempt);

// Set number i of RenderedFilter::elements.
[[nodiscard]] std::string set_name_at(std::size_t index);

// The complete table definition ("table inet T { ... }") for `spec` on `interface_name`: twelve
// sets, the mesh_in chain, and input/forward base chains (policy accept, so only packets whose
// iifname is the interface are judged). Preconditions: validate_filter_spec(spec) and
// validate_interface_name(interface_name) succeeded.
[[nodiscard]] std::string render_table(const backend_api::FilterSpec& spec, std::string_view interface_name,
                                       std::string_view attempt = {});
[[nodiscard]] std::string render_table(const RenderedFilter& filter, std::string_view interface_name);

// One nft transaction replacing the table (created first if absent) with `spec`'s.
[[nodiscard]] std::string render_apply_script(const backend_api::FilterSpec& spec, std::string_view interface_name,
                                              std::string_view attempt = {});
[[nodiscard]] std::string render_apply_script(const RenderedFilter& filter, std::string_view interface_name);

// One nft transaction turning a table that holds exactly `from` into `to` without touching the
// table or its base chains: elements `from` has and `to` lacks are deleted before the new ones are
// added (so replacements of overlapping ranges never collide), and mesh_in is flushed and refilled.
[[nodiscard]] std::string render_update_script(const RenderedFilter& from, const RenderedFilter& to,
                                               std::string_view interface_name);

// Per set: the elements an update from `from` to `to` deletes and adds, and the set's size before.
struct ElementDiff {
  std::array<std::size_t, 12> deletions{};
  std::array<std::size_t, 12> additions{};
  std::array<std::size_t, 12> size_before{};
};
[[nodiscard]] ElementDiff element_diff(const RenderedFilter& from, const RenderedFilter& to);
// All elements of `filter`.
[[nodiscard]] std::size_t element_count(const RenderedFilter& filter);

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

// Whether the generation comment of `listing` (mesh_in's last rule) carries `attempt` (false for
// an empty one).
[[nodiscard]] bool listing_has_attempt(std::string_view listing, std::string_view attempt);

// The generation in the comment of mesh_in's last rule in an `nft list table` listing (or, for a
// table an older version wrote, in the table comment); nullopt if there is none.
[[nodiscard]] std::optional<std::uint64_t> parse_generation(std::string_view listing);

}  // namespace rustynet::backend_wireguard::filter

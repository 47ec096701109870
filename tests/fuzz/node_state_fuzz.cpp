// SPDX-License-Identifier: Apache-2.0
// Fuzz target: policy::parse_node_state (the signed netmap payload a node applies).
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_support.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/node_state.hpp"

namespace policy = rustynet::policy;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  auto parsed = policy::parse_node_state(text);
  if (!parsed.has_value()) {
    FUZZ_CHECK(!parsed.error().path.empty());
    return 0;
  }
  const policy::NodeState& state = *parsed;
  // The parsed state re-validates, and its deterministic encoding round-trips exactly.
  FUZZ_CHECK(policy::validate_node_state(state).has_value());
  auto encoded = policy::encode_node_state(state);
  FUZZ_CHECK(encoded.has_value());
  auto again = policy::parse_node_state(*encoded);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == state);
  auto encoded_again = policy::encode_node_state(*again);
  FUZZ_CHECK(encoded_again.has_value() && *encoded_again == *encoded);
  // Value types inside round-trip through their canonical text.
  for (const auto& peer : state.peers) {
    FUZZ_CHECK(peer.node_id != state.node_id);
    for (const auto& endpoint : peer.endpoints) {
      auto endpoint_again = policy::SocketAddress::parse(endpoint.to_string());
      FUZZ_CHECK(endpoint_again.has_value() && *endpoint_again == endpoint);
    }
    for (const auto& prefix : peer.allowed_prefixes) {
      auto prefix_again = policy::IpPrefix::parse(prefix.to_string());
      FUZZ_CHECK(prefix_again.has_value() && *prefix_again == prefix);
    }
  }
  auto digest = policy::from_hex32(policy::to_hex32(state.policy_digest));
  FUZZ_CHECK(digest.has_value() && *digest == state.policy_digest);
  // The implied inventory names the node and every peer.
  FUZZ_CHECK(policy::inventory_of(state).nodes.size() == state.peers.size() + 1);
  return 0;
}

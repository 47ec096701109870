// SPDX-License-Identifier: Apache-2.0
// NodeInventory: the nodes the policy is compiled against (their tags and tunnel addresses).
#pragma once

#include <string>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/policy_error.hpp"

namespace rustynet::policy {

// One node as the control plane knows it. Tags are assigned by the control plane (never
// self-asserted by the node); addresses are the node's own tunnel addresses.
struct NodeRecord {
  std::string id;
  std::vector<std::string> tags;
  std::vector<IpAddress> addresses;
};

struct NodeInventory {
  std::vector<NodeRecord> nodes;
};

inline constexpr std::size_t kMaxInventoryNodes = 1000000;
inline constexpr std::size_t kMaxTagsPerNode = 64;

// Node ids and tags must be valid identifiers; node ids unique; per-node tags unique.
// Paths look like "inventory[3].tags[1]".
[[nodiscard]] base::Status<PolicyError> validate_inventory(const NodeInventory& inventory);

}  // namespace rustynet::policy

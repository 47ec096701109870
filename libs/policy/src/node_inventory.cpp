// SPDX-License-Identifier: Apache-2.0
// Inventory validation: identifiers, uniqueness, limits.
#include "rustynet/policy/node_inventory.hpp"

#include <set>
#include <string_view>

#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {

base::Status<PolicyError> validate_inventory(const NodeInventory& inventory) {
  using base::unexpected;
  if (inventory.nodes.size() > kMaxInventoryNodes) {
    return unexpected(PolicyError{PolicyErrorKind::kLimit, "inventory",
                                  "more than " + std::to_string(kMaxInventoryNodes) + " nodes"});
  }
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < inventory.nodes.size(); ++i) {
    const auto& node = inventory.nodes[i];
    const std::string path = "inventory[" + std::to_string(i) + "]";
    if (!is_valid_identifier(node.id)) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path + ".id",
                                    "node id must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
    }
    if (!ids.insert(node.id).second) {
      return unexpected(
          PolicyError{PolicyErrorKind::kDuplicate, path + ".id", "duplicate node id \"" + node.id + "\""});
    }
    if (node.tags.size() > kMaxTagsPerNode) {
      return unexpected(PolicyError{PolicyErrorKind::kLimit, path + ".tags",
                                    "more than " + std::to_string(kMaxTagsPerNode) + " tags"});
    }
    std::set<std::string_view> tags;
    for (std::size_t t = 0; t < node.tags.size(); ++t) {
      const std::string tag_path = path + ".tags[" + std::to_string(t) + "]";
      if (!is_valid_identifier(node.tags[t])) {
        return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, tag_path,
                                      "tag must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
      }
      if (!tags.insert(node.tags[t]).second) {
        return unexpected(PolicyError{PolicyErrorKind::kDuplicate, tag_path, "duplicate tag \"" + node.tags[t] + "\""});
      }
    }
  }
  return {};
}

}  // namespace rustynet::policy

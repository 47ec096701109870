// SPDX-License-Identifier: Apache-2.0
// PolicyError: typed failures of policy parsing, compilation and node-state parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rustynet::policy {

enum class PolicyErrorKind : std::uint8_t {
  kSyntax,            // not strict JSON (duplicate key, trailing bytes, too deep, too large)
  kSchema,            // wrong type, missing or unknown field, unsupported version
  kInvalidValue,      // malformed prefix, bad identifier, empty selector list, bad port range
  kDuplicate,         // duplicate rule id, selector, group member, peer, node
  kUnknownReference,  // a selector names a group the document does not define; a route via an unknown peer
  kLimit,             // more rules, selectors or peers than the documented limits
  kUnknownNode,       // visibility asked for a node the compiled policy does not know
  kUnenforceable,     // valid, but this version's data plane cannot honour it (check_enforceable)
};

struct PolicyError {
  PolicyErrorKind kind = PolicyErrorKind::kSchema;
  std::string path;     // JSON path of the offending element, e.g. "$.rules[3].src[0]"
  std::string message;  // what is wrong

  // "path: message"
  [[nodiscard]] std::string describe() const { return path + ": " + message; }
};

[[nodiscard]] std::string_view to_string(PolicyErrorKind kind) noexcept;

}  // namespace rustynet::policy

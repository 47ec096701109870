// SPDX-License-Identifier: Apache-2.0
// NodeId: the canonical, protocol-agnostic identity of a mesh node (spec section 4, invariant 4).
#pragma once

#include <compare>
#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

#include "rustynet/backend_api/backend_error.hpp"

namespace rustynet::backend_api {

// Grammar (after ASCII case folding, see parse()):
//   node-id = alnum *( alnum / "-" / "_" ) ; 1 to kMaxLength characters, ASCII only
//   alnum   = "a"-"z" / "0"-"9"
// Input upper-case ASCII letters are folded to lower case, so "Node-A" and "node-a" are the same
// node. Nothing else is normalised: surrounding whitespace, dots, non-ASCII bytes, a leading "-"
// or "_" and empty or over-long input are rejected rather than repaired, because silently
// repairing an identity can merge two nodes. An invalid NodeId cannot be constructed.
class NodeId {
 public:
  static constexpr std::size_t kMaxLength = 63;

  // Errors: kInvalidInput naming the rule that failed (the offending text is not echoed back
  // beyond its length, so log lines stay bounded).
  [[nodiscard]] static BackendResult<NodeId> parse(std::string_view text);

  // The canonical (lower-case) form.
  [[nodiscard]] const std::string& value() const noexcept { return value_; }

  friend bool operator==(const NodeId&, const NodeId&) = default;
  friend std::strong_ordering operator<=>(const NodeId& a, const NodeId& b) noexcept {
    return a.value_.compare(b.value_) <=> 0;
  }

 private:
  explicit NodeId(std::string canonical) : value_(std::move(canonical)) {}
  std::string value_;
};

std::ostream& operator<<(std::ostream& out, const NodeId& node_id);

}  // namespace rustynet::backend_api

// SPDX-License-Identifier: Apache-2.0
// ExitMode: whether internet-bound traffic leaves through an exit node, and which one.
#pragma once

#include <iosfwd>
#include <optional>
#include <utility>

#include "rustynet/backend_api/node_id.hpp"

namespace rustynet::backend_api {

// set_exit_mode(ExitMode::off()) always succeeds while running. ExitMode::via(node) needs
// supports_exit_nodes (else kUnsupported) and `node` to be a configured peer (else
// kInvalidInput). shutdown() resets the mode to off (invariant 3).
class ExitMode {
 public:
  [[nodiscard]] static ExitMode off() { return ExitMode(std::nullopt); }
  [[nodiscard]] static ExitMode via(NodeId exit_node) { return ExitMode(std::move(exit_node)); }

  [[nodiscard]] bool is_off() const noexcept { return !exit_node_.has_value(); }
  [[nodiscard]] const std::optional<NodeId>& exit_node() const noexcept { return exit_node_; }

  friend bool operator==(const ExitMode&, const ExitMode&) = default;

 private:
  explicit ExitMode(std::optional<NodeId> exit_node) : exit_node_(std::move(exit_node)) {}
  std::optional<NodeId> exit_node_;
};

// "off" or "via NODE".
std::ostream& operator<<(std::ostream& out, const ExitMode& mode);

}  // namespace rustynet::backend_api

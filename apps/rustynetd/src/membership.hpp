// SPDX-License-Identifier: Apache-2.0
// MembershipWatch: how the daemon behaves while control refuses it as a member of the mesh.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "backoff.hpp"
#include "control_link.hpp"

namespace rustynet::apps::daemon {

// A node removed with `rustynet control node remove` (or never registered, or holding a wrong or
// revoked key) used to retry every 30 s at most, for ever, from an address it may share with the
// rest of a household, and kept saying "running". While control refuses it (is_membership_refusal)
// it now backs off exponentially from 30 s to between one and two hours, says so once per attempt
// (one log line per back-off step), and reports state "removed". One accepted sync ends it.
class MembershipWatch {
 public:
  static constexpr std::chrono::milliseconds kInitial{30'000};
  // Delays are drawn from [base / 2, base] (Backoff): a cap of 2 h keeps them at or above 1 h.
  static constexpr std::chrono::milliseconds kMaximum{2 * 3'600'000};

  struct Step {
    std::chrono::milliseconds delay{0};
    std::string log_line;  // for the daemon's log: the refusal and when the next attempt is
  };

  // Control refused the node (`refusal`); `random` feeds the jitter.
  [[nodiscard]] Step refused(const ControlRefusal& refusal, std::uint64_t random);
  // Control answered a sync normally. Returns true when that ends a removal (log it).
  bool accepted();

  [[nodiscard]] bool removed() const noexcept { return refusal_.has_value(); }
  // "removed from the mesh by control (HTTP 401 bad_signature)", empty while a member.
  [[nodiscard]] std::string reason() const;
  [[nodiscard]] std::uint32_t attempts() const noexcept { return backoff_.attempt(); }

 private:
  Backoff backoff_{kInitial, kMaximum};
  std::optional<ControlRefusal> refusal_;
};

}  // namespace rustynet::apps::daemon

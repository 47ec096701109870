// SPDX-License-Identifier: Apache-2.0
// Decision: the outcome of evaluating an access request against policy. Default deny.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rustynet::policy {

enum class Verdict : std::uint8_t { kDeny, kAllow };

// Why a decision came out as it did; stable names appear in events and CLI output.
enum class DecisionReason : std::uint8_t {
  kDefaultDeny,   // no rule matched
  kMatchedAllow,  // an allow rule matched and no deny rule did
  kMatchedDeny,   // an explicit deny rule matched (deny beats allow)
  kNoPolicy,      // no valid policy has ever been loaded: deny
};

struct Decision {
  Verdict verdict = Verdict::kDeny;
  DecisionReason reason = DecisionReason::kDefaultDeny;
  // The deciding rule: of all matching rules of the winning action, the one with the smallest id
  // (byte-wise), so the result never depends on rule order. Empty for default deny / no policy.
  std::string rule_id;

  [[nodiscard]] bool allowed() const noexcept { return verdict == Verdict::kAllow; }
  // The default: deny, no rule.
  [[nodiscard]] static Decision default_deny() { return Decision{}; }
  friend bool operator==(const Decision&, const Decision&) = default;
};

[[nodiscard]] std::string_view to_string(DecisionReason reason) noexcept;
[[nodiscard]] std::string_view to_string(Verdict verdict) noexcept;

}  // namespace rustynet::policy

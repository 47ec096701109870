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
};

struct Decision {
  Verdict verdict = Verdict::kDeny;
  DecisionReason reason = DecisionReason::kDefaultDeny;
  std::string rule_id;  // the deciding rule; empty for default deny

  [[nodiscard]] bool allowed() const noexcept { return verdict == Verdict::kAllow; }
  // The default: deny, no rule.
  [[nodiscard]] static Decision default_deny() { return Decision{}; }
};

[[nodiscard]] std::string_view to_string(DecisionReason reason) noexcept;

}  // namespace rustynet::policy

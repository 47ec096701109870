// SPDX-License-Identifier: Apache-2.0
// Decision reason names.
#include "rustynet/policy/decision.hpp"

namespace rustynet::policy {

std::string_view to_string(DecisionReason reason) noexcept {
  switch (reason) {
    case DecisionReason::kDefaultDeny: return "default_deny";
    case DecisionReason::kMatchedAllow: return "matched_allow";
    case DecisionReason::kMatchedDeny: return "matched_deny";
  }
  return "unknown";
}

}  // namespace rustynet::policy

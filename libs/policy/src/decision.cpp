// SPDX-License-Identifier: Apache-2.0
// Stable names for decision, error and rule enums.
#include "rustynet/policy/decision.hpp"

#include "rustynet/policy/policy_error.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {

std::string_view to_string(DecisionReason reason) noexcept {
  switch (reason) {
    case DecisionReason::kDefaultDeny: return "default_deny";
    case DecisionReason::kMatchedAllow: return "matched_allow";
    case DecisionReason::kMatchedDeny: return "matched_deny";
    case DecisionReason::kNoPolicy: return "no_policy";
  }
  return "unknown";
}

std::string_view to_string(Verdict verdict) noexcept { return verdict == Verdict::kAllow ? "allow" : "deny"; }

std::string_view to_string(PolicyErrorKind kind) noexcept {
  switch (kind) {
    case PolicyErrorKind::kSyntax: return "syntax";
    case PolicyErrorKind::kSchema: return "schema";
    case PolicyErrorKind::kInvalidValue: return "invalid_value";
    case PolicyErrorKind::kDuplicate: return "duplicate";
    case PolicyErrorKind::kUnknownReference: return "unknown_reference";
    case PolicyErrorKind::kLimit: return "limit";
    case PolicyErrorKind::kUnknownNode: return "unknown_node";
    case PolicyErrorKind::kUnenforceable: return "unenforceable";
  }
  return "unknown";
}

std::string_view to_string(RuleAction action) noexcept { return action == RuleAction::kAllow ? "allow" : "deny"; }

std::string_view to_string(Protocol protocol) noexcept {
  switch (protocol) {
    case Protocol::kAny: return "any";
    case Protocol::kTcp: return "tcp";
    case Protocol::kUdp: return "udp";
    case Protocol::kIcmp: return "icmp";
  }
  return "unknown";
}

}  // namespace rustynet::policy

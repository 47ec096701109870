// SPDX-License-Identifier: Apache-2.0
// check_enforceable: rejects policies this version's data plane cannot honour exactly.
#pragma once

#include "rustynet/base/result.hpp"
#include "rustynet/policy/policy_error.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {

// The data plane delivers only to the nodes' own tunnel addresses (there is no subnet routing
// yet), so a rule whose destination is an IP prefix selector ("192.168.1.0/24", "fd00::/8", a bare
// address) would promise flows no node can carry. Source prefixes are fine: they match peers'
// tunnel addresses, which the packet filter sees.
//
// Separate from parse/validate/compile on purpose: those keep accepting such documents (stored
// policies and fuzz corpora rely on it); the control server calls this before publishing a policy.
// Does not validate the document otherwise. Errors: kUnenforceable for the first destination
// prefix selector in document order, path "$.rules[i].dst[j]".
[[nodiscard]] base::Status<PolicyError> check_enforceable(const PolicyDocument& document);

}  // namespace rustynet::policy

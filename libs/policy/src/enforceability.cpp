// SPDX-License-Identifier: Apache-2.0
// check_enforceable: destination prefix selectors need subnet routing, which does not exist yet.
#include "rustynet/policy/enforceability.hpp"

#include <string>

namespace rustynet::policy {

base::Status<PolicyError> check_enforceable(const PolicyDocument& document) {
  for (std::size_t i = 0; i < document.rules.size(); ++i) {
    const PolicyRule& rule = document.rules[i];
    for (std::size_t j = 0; j < rule.dst.size(); ++j) {
      const Selector& selector = rule.dst[j];
      if (selector.kind != SelectorKind::kPrefix) {
        continue;
      }
      return base::unexpected(PolicyError{
          PolicyErrorKind::kUnenforceable, "$.rules[" + std::to_string(i) + "].dst[" + std::to_string(j) + "]",
          "rule \"" + rule.id + "\": destination prefix " + selector.prefix.to_string() +
              " needs subnet routing, which this version does not provide; select destinations by node:, tag:, "
              "group: or \"*\""});
    }
  }
  return {};
}

}  // namespace rustynet::policy

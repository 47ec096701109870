// SPDX-License-Identifier: Apache-2.0
// Fuzz target: policy::parse_policy_document, CompiledPolicy::compile/evaluate and PolicyStore::load.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "rustynet/policy/access_request.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/policy_rule.hpp"
#include "rustynet/policy/policy_store.hpp"

namespace policy = rustynet::policy;

namespace {

// The inventory a document implies: every node id it names (groups, node: selectors), each
// carrying every tag it names, with distinct addresses 100.64.x.y.
policy::NodeInventory inventory_for(const policy::PolicyDocument& document) {
  std::set<std::string> ids;
  std::vector<std::string> tags;
  for (const auto& group : document.groups) {
    ids.insert(group.second.begin(), group.second.end());
  }
  for (const auto& rule : document.rules) {
    for (const auto* side : {&rule.src, &rule.dst}) {
      for (const auto& selector : *side) {
        if (selector.kind == policy::SelectorKind::kNode) {
          ids.insert(selector.name);
        } else if (selector.kind == policy::SelectorKind::kTag &&
                   std::find(tags.begin(), tags.end(), selector.name) == tags.end() &&
                   tags.size() < policy::kMaxTagsPerNode) {
          tags.push_back(selector.name);
        }
      }
    }
  }
  ids.insert("fuzz-a");
  ids.insert("fuzz-b");
  policy::NodeInventory inventory;
  std::uint32_t index = 1;
  for (const auto& id : ids) {
    inventory.nodes.push_back(policy::NodeRecord{id, tags, {policy::IpAddress::v4(0x64400000U + index)}});
    ++index;
  }
  return inventory;
}

const policy::PolicyRule* find_rule(const policy::PolicyDocument& document, const std::string& id) {
  for (const auto& rule : document.rules) {
    if (rule.id == id) {
      return &rule;
    }
  }
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = rustynet::fuzz::as_text(data, size);
  auto parsed = policy::parse_policy_document(text);
  if (!parsed.has_value()) {
    FUZZ_CHECK(!parsed.error().path.empty());
    return 0;
  }
  const policy::PolicyDocument& document = *parsed;
  // A parsed document re-validates, and every selector round-trips through its text form.
  FUZZ_CHECK(policy::validate_policy_document(document).has_value());
  std::set<std::string> rule_ids;
  for (const auto& rule : document.rules) {
    FUZZ_CHECK(policy::is_valid_identifier(rule.id));
    FUZZ_CHECK(rule_ids.insert(rule.id).second);
    FUZZ_CHECK(!rule.src.empty() && !rule.dst.empty());
    FUZZ_CHECK(rule.ports.empty() || rule.protocol == policy::Protocol::kTcp ||
               rule.protocol == policy::Protocol::kUdp);
    for (const auto& range : rule.ports) {
      FUZZ_CHECK(range.first <= range.last);
    }
    for (const auto* side : {&rule.src, &rule.dst}) {
      for (const auto& selector : *side) {
        auto again = policy::Selector::parse(selector.to_string());
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(*again == selector);
      }
    }
  }

  // Compile against the inventory the document names; the store agrees with compile().
  const policy::NodeInventory inventory = inventory_for(document);
  auto compiled = policy::CompiledPolicy::compile(document, inventory);
  policy::PolicyStore store;
  const bool loaded = store.load(text, inventory).has_value();
  FUZZ_CHECK(loaded == compiled.has_value());
  FUZZ_CHECK(store.generation() == (loaded ? 1U : 0U));
  if (!compiled.has_value()) {
    return 0;
  }
  FUZZ_CHECK(compiled->rule_count() == document.rules.size());
  // Every decision names a rule of the winning action, or no rule for default deny.
  for (std::size_t i = 0; i < inventory.nodes.size() && i < 8; ++i) {
    for (std::size_t j = 0; j < inventory.nodes.size() && j < 8; ++j) {
      for (const auto protocol : {policy::IpProtocol::kTcp, policy::IpProtocol::kUdp, policy::IpProtocol::kIcmp}) {
        const policy::AccessRequest request{inventory.nodes[i].id,
                                            inventory.nodes[i].addresses.front(),
                                            inventory.nodes[j].id,
                                            inventory.nodes[j].addresses.front(),
                                            protocol,
                                            443};
        const policy::Decision decision = compiled->evaluate(request);
        FUZZ_CHECK(store.evaluate(request).verdict == decision.verdict);
        if (decision.reason == policy::DecisionReason::kDefaultDeny) {
          FUZZ_CHECK(!decision.allowed() && decision.rule_id.empty());
          continue;
        }
        const policy::PolicyRule* rule = find_rule(document, decision.rule_id);
        FUZZ_CHECK(rule != nullptr);
        FUZZ_CHECK((rule->action == policy::RuleAction::kAllow) == decision.allowed());
      }
    }
    auto visible = compiled->visibility(inventory.nodes[i].id);
    FUZZ_CHECK(visible.has_value());
    FUZZ_CHECK(std::is_sorted(visible->peers.begin(), visible->peers.end()));
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// Strict parsing and validation of version-1 policy documents.
#include <algorithm>
#include <set>
#include <utility>

#include "rustynet/base/strict_json.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {
namespace {

using base::unexpected;

PolicyError from_json(const base::JsonError& error, PolicyErrorKind kind = PolicyErrorKind::kSchema) {
  return PolicyError{kind, error.path, error.message};
}

std::string index_path(const std::string& base_path, std::size_t index) {
  return base_path + "[" + std::to_string(index) + "]";
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

base::Result<std::uint16_t, std::string> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) {
    return unexpected(std::string("port must be 0-65535 in decimal without leading zeros"));
  }
  unsigned value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') {
      return unexpected(std::string("port must be decimal"));
    }
    value = value * 10U + static_cast<unsigned>(c - '0');
  }
  if (value > 65535U) {
    return unexpected(std::string("port is larger than 65535"));
  }
  return static_cast<std::uint16_t>(value);
}

base::Result<PortRange, std::string> parse_port_range(std::string_view text) {
  const auto dash = text.find('-');
  RUSTYNET_ASSIGN_OR_RETURN(const auto first, parse_port(text.substr(0, dash)));
  if (dash == std::string_view::npos) {
    return PortRange{first, first};
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto last, parse_port(text.substr(dash + 1)));
  if (first > last) {
    return unexpected(std::string("port range is reversed (first > last)"));
  }
  return PortRange{first, last};
}

base::Result<const nlohmann::json*, PolicyError> require_array(base::JsonObjectReader& reader, std::string_view key) {
  auto value = reader.required_value(key);
  if (!value.has_value()) {
    return unexpected(from_json(value.error()));
  }
  if (!(*value)->is_array()) {
    return unexpected(PolicyError{PolicyErrorKind::kSchema, reader.child_path(key), "must be an array"});
  }
  return *value;
}

base::Result<std::vector<Selector>, PolicyError> parse_selectors(base::JsonObjectReader& reader, std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto* array, require_array(reader, key));
  const std::string path = reader.child_path(key);
  if (array->size() > kMaxSelectorsPerSide) {
    return unexpected(
        PolicyError{PolicyErrorKind::kLimit, path, "more than " + std::to_string(kMaxSelectorsPerSide) + " selectors"});
  }
  std::vector<Selector> out;
  out.reserve(array->size());
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& element = (*array)[i];
    if (!element.is_string()) {
      return unexpected(PolicyError{PolicyErrorKind::kSchema, index_path(path, i), "must be a string"});
    }
    auto selector = Selector::parse(element.get_ref<const std::string&>());
    if (!selector.has_value()) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, index_path(path, i), selector.error()});
    }
    out.push_back(std::move(selector).value());
  }
  return out;
}

base::Result<PolicyRule, PolicyError> parse_rule(const nlohmann::json& value, const std::string& path) {
  auto created = base::JsonObjectReader::create(value, path);
  if (!created.has_value()) {
    return unexpected(from_json(created.error()));
  }
  auto& reader = created.value();
  PolicyRule rule;
  auto id = reader.required_string("id");
  if (!id.has_value()) {
    return unexpected(from_json(id.error()));
  }
  rule.id = std::move(id).value();
  auto action = reader.required_string("action");
  if (!action.has_value()) {
    return unexpected(from_json(action.error()));
  }
  if (*action == "allow") {
    rule.action = RuleAction::kAllow;
  } else if (*action == "deny") {
    rule.action = RuleAction::kDeny;
  } else {
    return unexpected(
        PolicyError{PolicyErrorKind::kInvalidValue, reader.child_path("action"), R"(must be "allow" or "deny")"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(rule.src, parse_selectors(reader, "src"));
  RUSTYNET_ASSIGN_OR_RETURN(rule.dst, parse_selectors(reader, "dst"));
  auto protocol = reader.optional_string("protocol");
  if (!protocol.has_value()) {
    return unexpected(from_json(protocol.error()));
  }
  if (protocol->has_value()) {
    const std::string& name = **protocol;
    if (name == "any") {
      rule.protocol = Protocol::kAny;
    } else if (name == "tcp") {
      rule.protocol = Protocol::kTcp;
    } else if (name == "udp") {
      rule.protocol = Protocol::kUdp;
    } else if (name == "icmp") {
      rule.protocol = Protocol::kIcmp;
    } else {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, reader.child_path("protocol"),
                                    R"(must be one of "any", "tcp", "udp", "icmp")"});
    }
  }
  if (reader.optional_value("ports") != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(const auto* ports, require_array(reader, "ports"));
    const std::string ports_path = reader.child_path("ports");
    if (ports->size() > kMaxPortRanges) {
      return unexpected(PolicyError{PolicyErrorKind::kLimit, ports_path,
                                    "more than " + std::to_string(kMaxPortRanges) + " port ranges"});
    }
    for (std::size_t i = 0; i < ports->size(); ++i) {
      const auto& element = (*ports)[i];
      if (!element.is_string()) {
        return unexpected(PolicyError{PolicyErrorKind::kSchema, index_path(ports_path, i),
                                      R"(must be a string such as "22" or "8000-8080")"});
      }
      auto range = parse_port_range(element.get_ref<const std::string&>());
      if (!range.has_value()) {
        return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, index_path(ports_path, i), range.error()});
      }
      rule.ports.push_back(*range);
    }
    if (rule.ports.empty()) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, ports_path,
                                    "must not be empty (omit the field to mean all ports)"});
    }
  }
  auto finished = reader.finish();
  if (!finished.has_value()) {
    return unexpected(from_json(finished.error()));
  }
  return rule;
}

base::Result<std::map<std::string, std::vector<std::string>>, PolicyError> parse_groups(const nlohmann::json& value,
                                                                                        const std::string& path) {
  if (!value.is_object()) {
    return unexpected(PolicyError{PolicyErrorKind::kSchema, path, "must be an object"});
  }
  if (value.size() > kMaxGroups) {
    return unexpected(
        PolicyError{PolicyErrorKind::kLimit, path, "more than " + std::to_string(kMaxGroups) + " groups"});
  }
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& item : value.items()) {
    const std::string member_path = path + "." + item.key();
    if (!item.value().is_array()) {
      return unexpected(PolicyError{PolicyErrorKind::kSchema, member_path, "must be an array of node ids"});
    }
    std::vector<std::string> members;
    for (std::size_t i = 0; i < item.value().size(); ++i) {
      const auto& element = item.value()[i];
      if (!element.is_string()) {
        return unexpected(PolicyError{PolicyErrorKind::kSchema, index_path(member_path, i), "must be a string"});
      }
      members.push_back(element.get<std::string>());
    }
    groups.emplace(item.key(), std::move(members));
  }
  return groups;
}

std::string side_path(std::size_t rule_index, std::string_view side, std::size_t selector_index) {
  return "$.rules[" + std::to_string(rule_index) + "]." + std::string(side) + "[" + std::to_string(selector_index) +
         "]";
}

base::Status<PolicyError> validate_selectors(const PolicyDocument& document, std::size_t rule_index,
                                             std::string_view side, const std::vector<Selector>& selectors) {
  const std::string path = "$.rules[" + std::to_string(rule_index) + "]." + std::string(side);
  if (selectors.empty()) {
    return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path,
                                  "must list at least one selector (use \"*\" to mean everything)"});
  }
  if (selectors.size() > kMaxSelectorsPerSide) {
    return unexpected(
        PolicyError{PolicyErrorKind::kLimit, path, "more than " + std::to_string(kMaxSelectorsPerSide) + " selectors"});
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < selectors.size(); ++i) {
    const auto& selector = selectors[i];
    const bool named = selector.kind == SelectorKind::kNode || selector.kind == SelectorKind::kTag ||
                       selector.kind == SelectorKind::kGroup;
    if (named && !is_valid_identifier(selector.name)) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, side_path(rule_index, side, i),
                                    "name must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
    }
    if (selector.kind == SelectorKind::kGroup && document.groups.find(selector.name) == document.groups.end()) {
      return unexpected(PolicyError{PolicyErrorKind::kUnknownReference, side_path(rule_index, side, i),
                                    "group \"" + selector.name + "\" is not defined in $.groups"});
    }
    if (!seen.insert(selector.to_string()).second) {
      return unexpected(PolicyError{PolicyErrorKind::kDuplicate, side_path(rule_index, side, i),
                                    "duplicate selector \"" + selector.to_string() + "\""});
    }
  }
  return {};
}

}  // namespace

bool is_valid_identifier(std::string_view text) noexcept {
  if (text.empty() || text.size() > kMaxIdentifierLength || !is_alnum(text.front())) {
    return false;
  }
  return std::all_of(text.begin(), text.end(), [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
}

base::Result<Selector, std::string> Selector::parse(std::string_view text) {
  if (text.empty()) {
    return unexpected(std::string("selector is empty"));
  }
  if (text == "*") {
    return Selector{SelectorKind::kAny, {}, {}};
  }
  const auto colon = text.find(':');
  const auto slash = text.find('/');
  const auto named = [&](std::string_view label, SelectorKind selector_kind) -> base::Result<Selector, std::string> {
    const auto selector_name = text.substr(label.size());
    if (!is_valid_identifier(selector_name)) {
      return unexpected(std::string(label) + " name must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric");
    }
    return Selector{selector_kind, std::string(selector_name), {}};
  };
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    if (text.starts_with("node:")) {
      return named("node:", SelectorKind::kNode);
    }
    if (text.starts_with("tag:")) {
      return named("tag:", SelectorKind::kTag);
    }
    if (text.starts_with("group:")) {
      return named("group:", SelectorKind::kGroup);
    }
  }
  auto prefix = IpPrefix::parse(text);
  if (!prefix.has_value()) {
    return unexpected("not \"*\", node:ID, tag:NAME, group:NAME or an IP prefix (" + prefix.error() + ")");
  }
  return Selector{SelectorKind::kPrefix, {}, *prefix};
}

std::string Selector::to_string() const {
  switch (kind) {
    case SelectorKind::kAny: return "*";
    case SelectorKind::kNode: return "node:" + name;
    case SelectorKind::kTag: return "tag:" + name;
    case SelectorKind::kGroup: return "group:" + name;
    case SelectorKind::kPrefix: return prefix.to_string();
  }
  return "?";
}

base::Status<PolicyError> validate_policy_document(const PolicyDocument& document) {
  if (document.groups.size() > kMaxGroups) {
    return unexpected(
        PolicyError{PolicyErrorKind::kLimit, "$.groups", "more than " + std::to_string(kMaxGroups) + " groups"});
  }
  std::size_t total_members = 0;
  for (const auto& [name, members] : document.groups) {
    const std::string path = "$.groups." + name;
    if (!is_valid_identifier(name)) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path,
                                    "group name must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
    }
    total_members += members.size();
    if (total_members > kMaxGroupMembers) {
      return unexpected(PolicyError{PolicyErrorKind::kLimit, path,
                                    "more than " + std::to_string(kMaxGroupMembers) + " group members in total"});
    }
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (!is_valid_identifier(members[i])) {
        return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, index_path(path, i),
                                      "node id must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
      }
      if (!seen.insert(members[i]).second) {
        return unexpected(
            PolicyError{PolicyErrorKind::kDuplicate, index_path(path, i), "duplicate member \"" + members[i] + "\""});
      }
    }
  }
  if (document.rules.size() > kMaxRules) {
    return unexpected(
        PolicyError{PolicyErrorKind::kLimit, "$.rules", "more than " + std::to_string(kMaxRules) + " rules"});
  }
  std::map<std::string_view, std::size_t> ids;
  for (std::size_t r = 0; r < document.rules.size(); ++r) {
    const auto& rule = document.rules[r];
    const std::string path = index_path("$.rules", r);
    if (!is_valid_identifier(rule.id)) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path + ".id",
                                    "rule id must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
    }
    const auto [it, inserted] = ids.emplace(rule.id, r);
    if (!inserted) {
      return unexpected(PolicyError{
          PolicyErrorKind::kDuplicate, path + ".id",
          "duplicate rule id \"" + rule.id + "\" (first used at $.rules[" + std::to_string(it->second) + "])"});
    }
    RUSTYNET_RETURN_IF_ERROR(validate_selectors(document, r, "src", rule.src));
    RUSTYNET_RETURN_IF_ERROR(validate_selectors(document, r, "dst", rule.dst));
    if (!rule.ports.empty() && rule.protocol != Protocol::kTcp && rule.protocol != Protocol::kUdp) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path + ".ports",
                                    R"(ports need protocol "tcp" or "udp" (ports of ")" +
                                        std::string(to_string(rule.protocol)) + "\" are meaningless)"});
    }
    if (rule.ports.size() > kMaxPortRanges) {
      return unexpected(PolicyError{PolicyErrorKind::kLimit, path + ".ports",
                                    "more than " + std::to_string(kMaxPortRanges) + " port ranges"});
    }
    for (std::size_t i = 0; i < rule.ports.size(); ++i) {
      if (rule.ports[i].first > rule.ports[i].last) {
        return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, index_path(path + ".ports", i),
                                      "port range is reversed (first > last)"});
      }
    }
  }
  return {};
}

base::Result<PolicyDocument, PolicyError> parse_policy_document(std::string_view text) {
  auto parsed = base::parse_strict_json(text, base::JsonLimits{kMaxPolicyBytes, 16});
  if (!parsed.has_value()) {
    return unexpected(from_json(parsed.error(), PolicyErrorKind::kSyntax));
  }
  auto created = base::JsonObjectReader::create(*parsed, "$");
  if (!created.has_value()) {
    return unexpected(from_json(created.error()));
  }
  auto& reader = created.value();
  auto version = base::require_version(reader, kPolicyDocumentVersion);
  if (!version.has_value()) {
    return unexpected(from_json(version.error()));
  }
  PolicyDocument document;
  if (const auto* groups = reader.optional_value("groups"); groups != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(document.groups, parse_groups(*groups, reader.child_path("groups")));
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto* rules, require_array(reader, "rules"));
  if (rules->size() > kMaxRules) {
    return unexpected(
        PolicyError{PolicyErrorKind::kLimit, "$.rules", "more than " + std::to_string(kMaxRules) + " rules"});
  }
  document.rules.reserve(rules->size());
  for (std::size_t i = 0; i < rules->size(); ++i) {
    RUSTYNET_ASSIGN_OR_RETURN(auto rule, parse_rule((*rules)[i], index_path("$.rules", i)));
    document.rules.push_back(std::move(rule));
  }
  auto finished = reader.finish();
  if (!finished.has_value()) {
    return unexpected(from_json(finished.error()));
  }
  RUSTYNET_RETURN_IF_ERROR(validate_policy_document(document));
  return document;
}

}  // namespace rustynet::policy

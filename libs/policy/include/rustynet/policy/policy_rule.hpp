// SPDX-License-Identifier: Apache-2.0
// PolicyRule and PolicyDocument: the policy language (see docs/policy.md).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/policy/ip_prefix.hpp"
#include "rustynet/policy/policy_error.hpp"

namespace rustynet::policy {

enum class RuleAction : std::uint8_t { kAllow, kDeny };

// What a rule matches. kAny matches every IP protocol, including ones not listed here.
enum class Protocol : std::uint8_t { kAny, kTcp, kUdp, kIcmp };

// Inclusive port range; first <= last.
struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 65535;
  friend bool operator==(const PortRange&, const PortRange&) = default;
};

enum class SelectorKind : std::uint8_t {
  kAny,     // "*": every endpoint
  kNode,    // "node:ID": the authenticated node with that id
  kTag,     // "tag:NAME": nodes the inventory labels with that tag
  kGroup,   // "group:NAME": node ids listed in the document's groups
  kPrefix,  // "10.0.0.0/8", "fd00::/8", or a bare address: endpoint IP inside the prefix
};

struct Selector {
  SelectorKind kind = SelectorKind::kAny;
  std::string name;  // node id, tag or group name; empty for kAny and kPrefix
  IpPrefix prefix;   // kPrefix only

  // Parses one selector string; the error is a reason (the caller adds the JSON path).
  [[nodiscard]] static base::Result<Selector, std::string> parse(std::string_view text);
  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Selector&, const Selector&) = default;
};

struct PolicyRule {
  std::string id;  // unique within the document; decides ties (see docs/policy.md)
  RuleAction action = RuleAction::kDeny;
  std::vector<Selector> src;  // non-empty
  std::vector<Selector> dst;  // non-empty
  Protocol protocol = Protocol::kAny;
  std::vector<PortRange> ports;  // empty = all ports; non-empty only for kTcp/kUdp
};

struct PolicyDocument {
  std::map<std::string, std::vector<std::string>> groups;  // group name -> node ids
  std::vector<PolicyRule> rules;
};

// Limits that bound memory and compile time for untrusted documents.
inline constexpr std::size_t kMaxPolicyBytes = 16U << 20U;
inline constexpr std::size_t kMaxRules = 100000;
inline constexpr std::size_t kMaxSelectorsPerSide = 256;
inline constexpr std::size_t kMaxPortRanges = 64;
inline constexpr std::size_t kMaxGroups = 10000;
inline constexpr std::size_t kMaxGroupMembers = 100000;
inline constexpr std::size_t kMaxIdentifierLength = 128;
inline constexpr std::int64_t kPolicyDocumentVersion = 1;

// Node ids, tags, group names and rule ids: 1-128 chars of [A-Za-z0-9._-], starting alphanumeric.
// The restricted charset keeps identifiers safe in logs, CLI output and length-prefixed encodings.
[[nodiscard]] bool is_valid_identifier(std::string_view text) noexcept;

// Parses a version-1 policy document (strict JSON). Every error carries the JSON path. Checks:
// unknown fields and versions, duplicate rule ids, malformed prefixes and ports, empty or
// duplicate selectors, groups referenced but not defined, limits.
[[nodiscard]] base::Result<PolicyDocument, PolicyError> parse_policy_document(std::string_view text);

// The same semantic checks for a document built in code (paths are still JSON-style).
[[nodiscard]] base::Status<PolicyError> validate_policy_document(const PolicyDocument& document);

[[nodiscard]] std::string_view to_string(RuleAction action) noexcept;
[[nodiscard]] std::string_view to_string(Protocol protocol) noexcept;

}  // namespace rustynet::policy

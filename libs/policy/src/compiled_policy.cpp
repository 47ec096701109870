// SPDX-License-Identifier: Apache-2.0
// Policy compilation into a (source key, destination key) pair index, evaluation, flow spaces and
// visibility.
#include "rustynet/policy/compiled_policy.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <utility>

#include "flat_map.hpp"
#include "port_intervals.hpp"

namespace rustynet::policy {
namespace {

using base::unexpected;
using detail::FlatMap;
using detail::mix64;

// Key 0 is the wildcard "*"; principals (node, tag, group) and prefixes get ids from 1.
constexpr std::uint32_t kWildcardKey = 0;
constexpr std::uint32_t kNoRule = std::numeric_limits<std::uint32_t>::max();
// Upper bound on prefix lookups per endpoint: one per (family, length) present, plus "*".
constexpr std::size_t kMaxExtraKeys = 33 + 129 + 1;

struct PrefixKey {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  std::uint32_t meta = 0;  // family << 8 | length
  friend bool operator==(const PrefixKey&, const PrefixKey&) = default;
};

struct PrefixKeyHash {
  std::uint64_t operator()(const PrefixKey& key) const noexcept { return mix64(key.hi ^ mix64(key.lo ^ key.meta)); }
};

struct U32Hash {
  std::uint64_t operator()(std::uint32_t key) const noexcept { return mix64(key); }
};

struct ViewHash {
  std::uint64_t operator()(std::string_view key) const noexcept { return mix64(std::hash<std::string_view>{}(key)); }
};

PrefixKey prefix_key(const IpAddress& address, unsigned length) {
  const IpAddress masked = mask_address(address, length);
  return PrefixKey{masked.hi(), masked.lo(), (static_cast<std::uint32_t>(address.family()) << 8U) | length};
}

struct FamilyLength {
  IpFamily family = IpFamily::kV4;
  unsigned length = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on a defaulted <=>
  friend auto operator<=>(const FamilyLength&, const FamilyLength&) = default;
};

struct Span32 {
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

// One (rule, port range) under one (src key, dst key) pair.
struct Entry {
  std::uint32_t rule = 0;  // canonical index: rank of the rule id in byte-wise order
  std::uint16_t port_first = 0;
  std::uint16_t port_last = 65535;
  std::uint8_t protocol_mask = 0;
  bool deny = false;
};

struct Bucket {
  std::uint32_t dst_key = 0;
  Span32 entries;
};

// All buckets of one source key (sorted by destination key) plus a 256-bit Bloom filter of their
// destination keys: most (source, destination) pairs of a request have no rule, and the filter
// rejects them with one bit test on a cache line the lookup already touched.
struct SrcRun {
  Span32 buckets;
  std::array<std::uint64_t, 4> filter{};
};

[[nodiscard]] inline std::uint32_t filter_bit(std::uint32_t key) noexcept {
  return static_cast<std::uint32_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ULL) >> 56U);
}
[[nodiscard]] inline bool filter_has(const SrcRun& run, std::uint32_t key) noexcept {
  const std::uint32_t bit = filter_bit(key);
  return ((run.filter[bit >> 6U] >> (bit & 63U)) & 1U) != 0;
}

constexpr std::uint8_t kProtocolAll = 0x0F;

std::uint8_t protocol_mask(Protocol protocol) {
  switch (protocol) {
    case Protocol::kAny: return kProtocolAll;
    case Protocol::kTcp: return 0x01;
    case Protocol::kUdp: return 0x02;
    case Protocol::kIcmp: return 0x04;
  }
  return 0;
}

std::uint8_t request_bit(IpProtocol protocol) {
  switch (protocol) {
    case IpProtocol::kTcp: return 0x01;
    case IpProtocol::kUdp: return 0x02;
    case IpProtocol::kIcmp: return 0x04;
    case IpProtocol::kOther: return 0x08;
  }
  return 0x08;
}

struct NodeKeys {
  std::uint32_t first = 0;  // into node_keys_flat: src_count source keys, then dst_count destination keys
  std::uint32_t src_count = 0;
  std::uint32_t dst_count = 0;
};

// The keys an endpoint presents: its node's principal keys plus prefix keys and "*".
struct KeyList {
  std::span<const std::uint32_t> node_keys;
  std::array<std::uint32_t, kMaxExtraKeys>
      extra;  // NOLINT(cppcoreguidelines-pro-type-member-init): hot path, first extra_count used
  std::size_t extra_count = 0;

  template <class F>
  void for_each(F&& f) const {
    for (const auto key : node_keys) {
      f(key);
    }
    for (std::size_t i = 0; i < extra_count; ++i) {
      f(extra[i]);
    }
  }
  [[nodiscard]] bool empty() const { return node_keys.empty() && extra_count == 0; }
};

struct SideIndex {
  std::vector<FamilyLength> lengths;  // prefix lengths used on this side, ascending
  bool wildcard = false;
};

}  // namespace

struct CompiledPolicy::Impl {
  std::vector<std::string> rule_ids;  // canonical order
  std::vector<std::string> node_ids;  // every node id known (inventory + policy)
  FlatMap<std::string_view, std::uint32_t, ViewHash> node_index;
  std::vector<std::vector<std::uint32_t>> node_src_keys;
  std::vector<std::vector<std::uint32_t>> node_dst_keys;
  // Hot-path copy of the above: one probe yields both key runs, stored contiguously.
  FlatMap<std::string_view, NodeKeys, ViewHash> node_lookup;
  std::vector<std::uint32_t> node_keys_flat;
  std::vector<std::vector<IpAddress>> node_addresses;
  std::vector<bool> node_in_inventory;
  std::vector<std::uint32_t> inventory_nodes;

  std::uint32_t key_count = 1;
  FlatMap<PrefixKey, std::uint32_t, PrefixKeyHash> prefix_index;
  std::map<std::uint32_t, IpPrefix> key_prefix;
  std::vector<bool> key_is_prefix;
  SideIndex src_side;
  SideIndex dst_side;

  std::vector<Entry> entries;
  std::vector<Bucket> buckets;  // sorted by (src key, dst key)
  FlatMap<std::uint32_t, SrcRun, U32Hash> buckets_by_src;
  std::vector<std::vector<std::uint32_t>> key_members;  // key -> inventory nodes (for visibility)

  void collect(const std::string& node, const std::optional<IpAddress>& ip, bool src, KeyList& out) const {
    if (!node.empty()) {
      if (const auto* keys = node_lookup.find(node); keys != nullptr) {
        const std::uint32_t* base = node_keys_flat.data() + keys->first;
        out.node_keys = src ? std::span<const std::uint32_t>(base, keys->src_count)
                            : std::span<const std::uint32_t>(base + keys->src_count, keys->dst_count);
      }
    }
    const SideIndex& side = src ? src_side : dst_side;
    if (ip.has_value()) {
      for (const auto& fl : side.lengths) {
        if (fl.family != ip->family()) {
          continue;
        }
        if (const auto* key = prefix_index.find(prefix_key(*ip, fl.length)); key != nullptr) {
          out.extra[out.extra_count++] = *key;
        }
      }
    }
    if (side.wildcard) {
      out.extra[out.extra_count++] = kWildcardKey;
    }
  }

  // Calls f(first, end) with the entries of every bucket whose (source key, destination key) the
  // endpoints present. evaluate() and flow_space() share this walk, so they can differ only in
  // what they do with the entries, never in which entries they see.
  template <class F>
  void for_each_matching_bucket(const KeyList& src, const KeyList& dst, F&& f) const {
    const auto by_key = [](const Bucket& bucket, std::uint32_t key) { return bucket.dst_key < key; };
    src.for_each([&](std::uint32_t s) {
      const SrcRun* run = buckets_by_src.find(s);
      if (run == nullptr) {
        return;
      }
      const Bucket* const first = buckets.data() + run->buckets.first;
      const Bucket* const last = first + run->buckets.count;
      dst.for_each([&](std::uint32_t d) {
        if (!filter_has(*run, d)) {
          return;
        }
        const Bucket* bucket = std::lower_bound(first, last, d, by_key);
        if (bucket == last || bucket->dst_key != d) {
          return;
        }
        const Entry* const entry = entries.data() + bucket->entries.first;
        f(entry, entry + bucket->entries.count);
      });
    });
  }
};

CompiledPolicy::CompiledPolicy(std::unique_ptr<const Impl> impl) : impl_(std::move(impl)) {}
CompiledPolicy::~CompiledPolicy() = default;
CompiledPolicy::CompiledPolicy(CompiledPolicy&&) noexcept = default;
CompiledPolicy& CompiledPolicy::operator=(CompiledPolicy&&) noexcept = default;

std::size_t CompiledPolicy::rule_count() const noexcept { return impl_->rule_ids.size(); }
std::size_t CompiledPolicy::index_entry_count() const noexcept { return impl_->entries.size(); }

base::Result<CompiledPolicy, PolicyError> CompiledPolicy::compile(const PolicyDocument& document,
                                                                  const NodeInventory& inventory) {
  RUSTYNET_RETURN_IF_ERROR(validate_policy_document(document));
  RUSTYNET_RETURN_IF_ERROR(validate_inventory(inventory));
  auto impl = std::make_unique<Impl>();

  // Canonical rule order: by id, so that neither document order nor anything else can change
  // which rule is reported as deciding.
  std::vector<std::uint32_t> order(document.rules.size());
  for (std::uint32_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return document.rules[a].id < document.rules[b].id; });
  impl->rule_ids.reserve(order.size());
  for (const auto index : order) {
    impl->rule_ids.push_back(document.rules[index].id);
  }

  // Node table: inventory first, then ids only the policy mentions.
  std::map<std::string_view, std::uint32_t> node_numbers;
  auto add_node = [&](std::string_view id) {
    const auto [it, inserted] = node_numbers.emplace(id, static_cast<std::uint32_t>(node_numbers.size()));
    if (inserted) {
      impl->node_ids.emplace_back(id);
    }
    return it->second;
  };
  for (const auto& node : inventory.nodes) {
    const auto n = add_node(node.id);
    impl->inventory_nodes.push_back(n);
  }
  for (const auto& [name, members] : document.groups) {
    for (const auto& member : members) {
      add_node(member);
    }
  }
  for (const auto& rule : document.rules) {
    for (const auto* side : {&rule.src, &rule.dst}) {
      for (const auto& selector : *side) {
        if (selector.kind == SelectorKind::kNode) {
          add_node(selector.name);
        }
      }
    }
  }
  const std::size_t node_count = impl->node_ids.size();
  impl->node_index.reserve(node_count);
  for (std::uint32_t n = 0; n < node_count; ++n) {
    impl->node_index.find_or_insert(impl->node_ids[n], n);
  }
  impl->node_in_inventory.assign(node_count, false);
  impl->node_addresses.resize(node_count);
  for (std::size_t i = 0; i < inventory.nodes.size(); ++i) {
    impl->node_in_inventory[impl->inventory_nodes[i]] = true;
    impl->node_addresses[impl->inventory_nodes[i]] = inventory.nodes[i].addresses;
  }

  // Principal keys: every node, plus every tag and group.
  std::vector<std::uint32_t> node_key(node_count);
  for (std::size_t n = 0; n < node_count; ++n) {
    node_key[n] = impl->key_count++;
  }
  std::map<std::string_view, std::uint32_t> tag_keys;
  std::map<std::string_view, std::uint32_t> group_keys;
  auto key_of_tag = [&](std::string_view tag) {
    const auto [it, inserted] = tag_keys.emplace(tag, impl->key_count);
    if (inserted) {
      ++impl->key_count;
    }
    return it->second;
  };
  for (const auto& [name, members] : document.groups) {
    group_keys.emplace(name, impl->key_count++);
  }
  std::vector<std::vector<std::uint32_t>> principals(node_count);
  for (std::size_t n = 0; n < node_count; ++n) {
    principals[n].push_back(node_key[n]);
  }
  for (std::size_t i = 0; i < inventory.nodes.size(); ++i) {
    for (const auto& tag : inventory.nodes[i].tags) {
      principals[impl->inventory_nodes[i]].push_back(key_of_tag(tag));
    }
  }
  for (const auto& [name, members] : document.groups) {
    const auto key = group_keys.at(name);
    for (const auto& member : members) {
      principals[node_numbers.at(member)].push_back(key);
    }
  }

  // Selector keys per rule side; prefixes are interned per distinct prefix.
  auto key_of_prefix = [&](const IpPrefix& prefix) {
    const auto key = prefix_key(prefix.address(), prefix.length());
    auto& slot = impl->prefix_index.find_or_insert(key, std::numeric_limits<std::uint32_t>::max());
    if (slot == std::numeric_limits<std::uint32_t>::max()) {
      slot = impl->key_count++;
      impl->key_prefix.emplace(slot, prefix);
    }
    return slot;
  };
  auto selector_key = [&](const Selector& selector) -> std::uint32_t {
    switch (selector.kind) {
      case SelectorKind::kAny: return kWildcardKey;
      case SelectorKind::kNode: return node_key[node_numbers.at(selector.name)];
      case SelectorKind::kTag: return key_of_tag(selector.name);
      case SelectorKind::kGroup: return group_keys.at(selector.name);
      case SelectorKind::kPrefix: return key_of_prefix(selector.prefix);
    }
    return kWildcardKey;
  };

  struct Item {
    std::uint32_t src = 0;
    std::uint32_t dst = 0;
    Entry entry;
  };
  std::vector<Item> items;
  std::vector<bool> used_src;
  std::vector<bool> used_dst;
  std::vector<FamilyLength> src_lengths;
  std::vector<FamilyLength> dst_lengths;
  std::vector<std::uint32_t> src_keys;
  std::vector<std::uint32_t> dst_keys;
  for (std::uint32_t canonical = 0; canonical < order.size(); ++canonical) {
    const PolicyRule& rule = document.rules[order[canonical]];
    src_keys.clear();
    dst_keys.clear();
    for (const auto& selector : rule.src) {
      src_keys.push_back(selector_key(selector));
      if (selector.kind == SelectorKind::kPrefix) {
        src_lengths.push_back({selector.prefix.family(), selector.prefix.length()});
      }
    }
    for (const auto& selector : rule.dst) {
      dst_keys.push_back(selector_key(selector));
      if (selector.kind == SelectorKind::kPrefix) {
        dst_lengths.push_back({selector.prefix.family(), selector.prefix.length()});
      }
    }
    std::vector<PortRange> ranges = rule.ports;
    if (ranges.empty()) {
      ranges.push_back(PortRange{0, 65535});
    }
    for (const auto s : src_keys) {
      for (const auto d : dst_keys) {
        for (const auto& range : ranges) {
          items.push_back(Item{s, d,
                               Entry{canonical, range.first, range.last, protocol_mask(rule.protocol),
                                     rule.action == RuleAction::kDeny}});
        }
      }
    }
  }
  const std::uint32_t key_count = impl->key_count;
  used_src.assign(key_count, false);
  used_dst.assign(key_count, false);
  for (const auto& item : items) {
    used_src[item.src] = true;
    used_dst[item.dst] = true;
  }
  impl->src_side.wildcard = used_src[kWildcardKey];
  impl->dst_side.wildcard = used_dst[kWildcardKey];
  for (auto* lengths : {&src_lengths, &dst_lengths}) {
    std::sort(lengths->begin(), lengths->end());
    lengths->erase(std::unique(lengths->begin(), lengths->end()), lengths->end());
  }
  impl->src_side.lengths = std::move(src_lengths);
  impl->dst_side.lengths = std::move(dst_lengths);
  impl->key_is_prefix.assign(key_count, false);
  for (const auto& [key, prefix] : impl->key_prefix) {
    impl->key_is_prefix[key] = true;
  }

  // Per-node keys, filtered to those some rule uses on that side: fewer probes per request.
  impl->node_src_keys.resize(node_count);
  impl->node_dst_keys.resize(node_count);
  for (std::size_t n = 0; n < node_count; ++n) {
    auto& keys = principals[n];
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (const auto key : keys) {
      if (used_src[key]) {
        impl->node_src_keys[n].push_back(key);
      }
      if (used_dst[key]) {
        impl->node_dst_keys[n].push_back(key);
      }
    }
  }

  impl->node_lookup.reserve(node_count);
  for (std::uint32_t n = 0; n < node_count; ++n) {
    const NodeKeys keys{static_cast<std::uint32_t>(impl->node_keys_flat.size()),
                        static_cast<std::uint32_t>(impl->node_src_keys[n].size()),
                        static_cast<std::uint32_t>(impl->node_dst_keys[n].size())};
    impl->node_keys_flat.insert(impl->node_keys_flat.end(), impl->node_src_keys[n].begin(),
                                impl->node_src_keys[n].end());
    impl->node_keys_flat.insert(impl->node_keys_flat.end(), impl->node_dst_keys[n].begin(),
                                impl->node_dst_keys[n].end());
    impl->node_lookup.find_or_insert(impl->node_ids[n], keys);
  }

  // The pair index: items grouped by (src, dst), entries contiguous per pair.
  std::sort(items.begin(), items.end(), [](const Item& a, const Item& b) {
    if (a.src != b.src) {
      return a.src < b.src;
    }
    if (a.dst != b.dst) {
      return a.dst < b.dst;
    }
    return a.entry.rule < b.entry.rule;
  });
  impl->entries.reserve(items.size());
  for (std::size_t i = 0; i < items.size();) {
    std::size_t j = i;
    const auto first = static_cast<std::uint32_t>(impl->entries.size());
    while (j < items.size() && items[j].src == items[i].src && items[j].dst == items[i].dst) {
      impl->entries.push_back(items[j].entry);
      ++j;
    }
    const Span32 span{first, static_cast<std::uint32_t>(j - i)};
    impl->buckets.push_back(Bucket{items[i].dst, span});
    auto& by_src = impl->buckets_by_src.find_or_insert(
        items[i].src, SrcRun{Span32{static_cast<std::uint32_t>(impl->buckets.size() - 1), 0}, {}});
    ++by_src.buckets.count;
    const std::uint32_t filter = filter_bit(items[i].dst);
    by_src.filter[filter >> 6U] |= std::uint64_t{1} << (filter & 63U);
    i = j;
  }

  // Visibility: which inventory nodes each destination key stands for.
  impl->key_members.resize(key_count);
  for (const auto n : impl->inventory_nodes) {
    for (const auto key : impl->node_dst_keys[n]) {
      impl->key_members[key].push_back(n);
    }
    impl->key_members[kWildcardKey].push_back(n);
    for (const auto& address : impl->node_addresses[n]) {
      for (const auto& fl : impl->dst_side.lengths) {
        if (fl.family != address.family()) {
          continue;
        }
        if (const auto* key = impl->prefix_index.find(prefix_key(address, fl.length)); key != nullptr) {
          auto& members = impl->key_members[*key];
          if (members.empty() || members.back() != n) {
            members.push_back(n);
          }
        }
      }
    }
  }
  return CompiledPolicy(std::move(impl));
}

Decision CompiledPolicy::evaluate(const AccessRequest& request) const {
  const Impl& impl = *impl_;
  KeyList src;
  impl.collect(request.src_node, request.src_ip, /*src=*/true, src);
  if (src.empty()) {
    return Decision::default_deny();
  }
  KeyList dst;
  impl.collect(request.dst_node, request.dst_ip, /*src=*/false, dst);
  if (dst.empty()) {
    return Decision::default_deny();
  }
  const std::uint8_t bit = request_bit(request.protocol);
  const std::uint16_t port = request.dst_port;
  std::uint32_t best_allow = kNoRule;
  std::uint32_t best_deny = kNoRule;
  impl.for_each_matching_bucket(src, dst, [&](const Entry* entry, const Entry* const end) {
    for (; entry != end; ++entry) {
      if ((entry->protocol_mask & bit) == 0 || port < entry->port_first || port > entry->port_last) {
        continue;
      }
      if (entry->deny) {
        best_deny = std::min(best_deny, entry->rule);
      } else {
        best_allow = std::min(best_allow, entry->rule);
      }
    }
  });
  if (best_deny != kNoRule) {
    return Decision{Verdict::kDeny, DecisionReason::kMatchedDeny, impl.rule_ids[best_deny]};
  }
  if (best_allow != kNoRule) {
    return Decision{Verdict::kAllow, DecisionReason::kMatchedAllow, impl.rule_ids[best_allow]};
  }
  return Decision::default_deny();
}

FlowSpace CompiledPolicy::flow_space(const FlowEndpoint& src_endpoint, const FlowEndpoint& dst_endpoint) const {
  const Impl& impl = *impl_;
  KeyList src;
  impl.collect(src_endpoint.node, src_endpoint.ip, /*src=*/true, src);
  if (src.empty()) {
    return {};
  }
  KeyList dst;
  impl.collect(dst_endpoint.node, dst_endpoint.ip, /*src=*/false, dst);
  if (dst.empty()) {
    return {};
  }
  // Index 0: tcp, 1: udp. ICMP and "other" entries always span all ports (validation allows ports
  // only on tcp/udp rules), so for them the port evaluate() compares never matters.
  std::array<std::vector<PortInterval>, 2> allow;
  std::array<std::vector<PortInterval>, 2> deny;
  bool icmp_allow = false;
  bool icmp_deny = false;
  bool other_allow = false;
  bool other_deny = false;
  impl.for_each_matching_bucket(src, dst, [&](const Entry* entry, const Entry* const end) {
    for (; entry != end; ++entry) {
      auto& ports = entry->deny ? deny : allow;
      const PortInterval interval{entry->port_first, entry->port_last};
      if ((entry->protocol_mask & request_bit(IpProtocol::kTcp)) != 0) {
        ports[0].push_back(interval);
      }
      if ((entry->protocol_mask & request_bit(IpProtocol::kUdp)) != 0) {
        ports[1].push_back(interval);
      }
      if ((entry->protocol_mask & request_bit(IpProtocol::kIcmp)) != 0) {
        (entry->deny ? icmp_deny : icmp_allow) = true;
      }
      if ((entry->protocol_mask & request_bit(IpProtocol::kOther)) != 0) {
        (entry->deny ? other_deny : other_allow) = true;
      }
    }
  });
  FlowSpace out;
  for (std::size_t p = 0; p < 2; ++p) {
    detail::canonicalize(allow[p]);
    detail::canonicalize(deny[p]);
  }
  out.tcp = detail::subtract(allow[0], deny[0]);
  out.udp = detail::subtract(allow[1], deny[1]);
  out.icmp = icmp_allow && !icmp_deny;
  out.other = other_allow && !other_deny;
  return out;
}

bool CompiledPolicy::in_inventory(std::string_view node_id) const noexcept {
  const auto* found = impl_->node_index.find(node_id);
  return found != nullptr && impl_->node_in_inventory[*found];
}

base::Result<PeerVisibility, PolicyError> CompiledPolicy::visibility(std::string_view node_id) const {
  const Impl& impl = *impl_;
  const auto* found = impl.node_index.find(node_id);
  if (found == nullptr || !impl.node_in_inventory[*found]) {
    return unexpected(PolicyError{PolicyErrorKind::kUnknownNode, "inventory",
                                  "node \"" + std::string(node_id) + "\" is not in the inventory"});
  }
  const std::uint32_t self = *found;

  // Source keys of this node: identity keys (full), prefix keys of its addresses (partial: they
  // match only traffic from one address, so a deny through them never hides a peer).
  std::vector<std::pair<std::uint32_t, bool>> src_keys;  // key, identity-wide
  for (const auto key : impl.node_src_keys[self]) {
    src_keys.emplace_back(key, true);
  }
  if (impl.src_side.wildcard) {
    src_keys.emplace_back(kWildcardKey, true);
  }
  for (const auto& address : impl.node_addresses[self]) {
    for (const auto& fl : impl.src_side.lengths) {
      if (fl.family != address.family()) {
        continue;
      }
      if (const auto* key = impl.prefix_index.find(prefix_key(address, fl.length)); key != nullptr) {
        src_keys.emplace_back(*key, false);
      }
    }
  }

  std::vector<std::uint8_t> key_state(impl.key_count, 0);  // bit 0: allowed, bit 1: denied wholesale
  for (const auto& [s, identity] : src_keys) {
    const SrcRun* run = impl.buckets_by_src.find(s);
    if (run == nullptr) {
      continue;
    }
    for (std::uint32_t b = run->buckets.first; b < run->buckets.first + run->buckets.count; ++b) {
      const Bucket& bucket = impl.buckets[b];
      for (std::uint32_t e = bucket.entries.first; e < bucket.entries.first + bucket.entries.count; ++e) {
        const Entry& entry = impl.entries[e];
        if (!entry.deny) {
          key_state[bucket.dst_key] |= 1U;
        } else if (identity && !impl.key_is_prefix[bucket.dst_key] && entry.protocol_mask == kProtocolAll &&
                   entry.port_first == 0 && entry.port_last == 65535) {
          key_state[bucket.dst_key] |= 2U;
        }
      }
    }
  }

  std::vector<std::uint8_t> node_state(impl.node_ids.size(), 0);
  PeerVisibility out;
  for (std::uint32_t key = 0; key < impl.key_count; ++key) {
    if (key_state[key] == 0) {
      continue;
    }
    for (const auto n : impl.key_members[key]) {
      node_state[n] |= key_state[key];
    }
    if ((key_state[key] & 1U) != 0 && impl.key_is_prefix[key]) {
      out.prefixes.push_back(impl.key_prefix.at(key));
    }
  }
  for (const auto n : impl.inventory_nodes) {
    if (n != self && node_state[n] == 1U) {
      out.peers.push_back(impl.node_ids[n]);
    }
  }
  std::sort(out.peers.begin(), out.peers.end());
  std::sort(out.prefixes.begin(), out.prefixes.end());
  return out;
}

}  // namespace rustynet::policy

// SPDX-License-Identifier: Apache-2.0
// Node-state payload: strict parsing, validation and deterministic encoding.
#include "rustynet/policy/node_state.hpp"

#include <set>
#include <utility>

#include "rustynet/base/strict_json.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::policy {
namespace {

using base::unexpected;

PolicyError json_error(const base::JsonError& error, PolicyErrorKind kind = PolicyErrorKind::kSchema) {
  return PolicyError{kind, error.path, error.message};
}

std::string at(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

base::Result<std::string, std::string> parse_tag(std::string_view text) {
  if (!is_valid_identifier(text)) {
    return unexpected(std::string("tag must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"));
  }
  return std::string(text);
}

nlohmann::json string_array(const std::vector<std::string>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) {
    out.push_back(item);
  }
  return out;
}

nlohmann::json address_array(const std::vector<IpAddress>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) {
    out.push_back(item.to_string());
  }
  return out;
}

template <class T>
base::Result<T, PolicyError> lift(base::Result<T, base::JsonError> value) {
  if (!value.has_value()) {
    return unexpected(json_error(value.error()));
  }
  return std::move(value).value();
}

base::Result<const nlohmann::json*, PolicyError> array_field(base::JsonObjectReader& reader, std::string_view key,
                                                             std::size_t max) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto* value, lift(reader.required_value(key)));
  if (!value->is_array()) {
    return unexpected(PolicyError{PolicyErrorKind::kSchema, reader.child_path(key), "must be an array"});
  }
  if (value->size() > max) {
    return unexpected(
        PolicyError{PolicyErrorKind::kLimit, reader.child_path(key), "more than " + std::to_string(max) + " items"});
  }
  return value;
}

template <class T, class Parse>
base::Result<std::vector<T>, PolicyError> string_list(base::JsonObjectReader& reader, std::string_view key,
                                                      std::size_t max, Parse parse) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto* array, array_field(reader, key, max));
  const std::string path = reader.child_path(key);
  std::vector<T> out;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto& element = (*array)[i];
    if (!element.is_string()) {
      return unexpected(PolicyError{PolicyErrorKind::kSchema, at(path, i), "must be a string"});
    }
    auto parsed = parse(element.get_ref<const std::string&>());
    if (!parsed.has_value()) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, at(path, i), parsed.error()});
    }
    out.push_back(std::move(parsed).value());
  }
  return out;
}

base::Result<Digest32, PolicyError> hex_field(base::JsonObjectReader& reader, std::string_view key) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto text, lift(reader.required_string(key)));
  auto bytes = from_hex32(text);
  if (!bytes.has_value()) {
    return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, reader.child_path(key), bytes.error()});
  }
  return *bytes;
}

// "relay" and "relay_candidate" share one shape: {"address", "relay_id"}.
base::Result<std::optional<RelayAssignment>, PolicyError> parse_relay(base::JsonObjectReader& peer_reader,
                                                                      std::string_view key) {
  const nlohmann::json* value = peer_reader.optional_value(key);
  if (value == nullptr) {
    return std::optional<RelayAssignment>{};
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, lift(base::JsonObjectReader::create(*value, peer_reader.child_path(key))));
  RelayAssignment relay;
  RUSTYNET_ASSIGN_OR_RETURN(relay.relay_id, lift(reader.required_string("relay_id")));
  RUSTYNET_ASSIGN_OR_RETURN(const auto address_text, lift(reader.required_string("address")));
  RUSTYNET_RETURN_IF_ERROR(reader.finish().transform_error([](const base::JsonError& e) { return json_error(e); }));
  auto address = SocketAddress::parse(address_text);
  if (!address.has_value()) {
    return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, reader.child_path("address"), address.error()});
  }
  relay.address = *address;
  return std::optional<RelayAssignment>{std::move(relay)};
}

base::Result<PeerState, PolicyError> parse_peer(const nlohmann::json& value, const std::string& path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, lift(base::JsonObjectReader::create(value, path)));
  PeerState peer;
  RUSTYNET_ASSIGN_OR_RETURN(peer.node_id, lift(reader.required_string("node_id")));
  RUSTYNET_ASSIGN_OR_RETURN(peer.tags, string_list<std::string>(reader, "tags", kMaxTagsPerNode, parse_tag));
  RUSTYNET_ASSIGN_OR_RETURN(peer.addresses,
                            string_list<IpAddress>(reader, "addresses", kMaxAddressesPerNode, IpAddress::parse));
  RUSTYNET_ASSIGN_OR_RETURN(peer.tunnel_public_key, hex_field(reader, "tunnel_public_key"));
  RUSTYNET_ASSIGN_OR_RETURN(
      peer.endpoints, string_list<SocketAddress>(reader, "endpoints", kMaxEndpointsPerPeer, SocketAddress::parse));
  RUSTYNET_ASSIGN_OR_RETURN(peer.allowed_prefixes,
                            string_list<IpPrefix>(reader, "allowed_prefixes", kMaxPrefixesPerPeer, IpPrefix::parse));
  RUSTYNET_ASSIGN_OR_RETURN(peer.relay, parse_relay(reader, "relay"));
  RUSTYNET_ASSIGN_OR_RETURN(peer.relay_candidate, parse_relay(reader, "relay_candidate"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish().transform_error([](const base::JsonError& e) { return json_error(e); }));
  return peer;
}

base::Result<RouteState, PolicyError> parse_route(const nlohmann::json& value, const std::string& path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, lift(base::JsonObjectReader::create(value, path)));
  RouteState route;
  RUSTYNET_ASSIGN_OR_RETURN(const auto prefix_text, lift(reader.required_string("prefix")));
  auto prefix = IpPrefix::parse(prefix_text);
  if (!prefix.has_value()) {
    return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, reader.child_path("prefix"), prefix.error()});
  }
  route.prefix = *prefix;
  RUSTYNET_ASSIGN_OR_RETURN(route.via, lift(reader.required_string("via")));
  RUSTYNET_RETURN_IF_ERROR(reader.finish().transform_error([](const base::JsonError& e) { return json_error(e); }));
  return route;
}

}  // namespace

NodeInventory inventory_of(const NodeState& state) {
  NodeInventory inventory;
  inventory.nodes.push_back(NodeRecord{state.node_id, state.tags, state.addresses});
  for (const auto& peer : state.peers) {
    inventory.nodes.push_back(NodeRecord{peer.node_id, peer.tags, peer.addresses});
  }
  return inventory;
}

base::Result<SocketAddress, std::string> SocketAddress::parse(std::string_view text) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return unexpected(std::string("IPv6 endpoint must look like [address]:port"));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return unexpected(std::string("endpoint must look like address:port"));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return unexpected(std::string("IPv6 endpoint needs brackets: [address]:port"));
    }
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto address, IpAddress::parse(host));
  if (text.front() == '[' && address.family() != IpFamily::kV6) {
    return unexpected(std::string("brackets are only for IPv6 endpoints"));
  }
  if (port_text.empty() || port_text.size() > 5 || port_text[0] == '0') {
    return unexpected(std::string("port must be 1-65535 without leading zeros"));
  }
  unsigned port = 0;
  for (const char c : port_text) {
    if (c < '0' || c > '9') {
      return unexpected(std::string("port must be decimal"));
    }
    port = port * 10U + static_cast<unsigned>(c - '0');
  }
  if (port > 65535U) {
    return unexpected(std::string("port is larger than 65535"));
  }
  return SocketAddress{address, static_cast<std::uint16_t>(port)};
}

std::string SocketAddress::to_string() const {
  // Built with append: GCC 12 reports a false -Wrestrict on chained operator+ at -O3.
  std::string out;
  const bool v6 = address.family() == IpFamily::kV6;
  if (v6) {
    out.push_back('[');
  }
  out.append(address.to_string());
  if (v6) {
    out.push_back(']');
  }
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

std::string to_hex32(const std::array<std::uint8_t, 32>& bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (const auto byte : bytes) {
    out.push_back(kDigits[byte >> 4U]);
    out.push_back(kDigits[byte & 0x0FU]);
  }
  return out;
}

base::Result<std::array<std::uint8_t, 32>, std::string> from_hex32(std::string_view text) {
  if (text.size() != 64) {
    return unexpected(std::string("must be exactly 64 lowercase hex digits (32 bytes)"));
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  };
  std::array<std::uint8_t, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) {
    const int high = nibble(text[2 * i]);
    const int low = nibble(text[2 * i + 1]);
    if (high < 0 || low < 0) {
      return unexpected(std::string("must be exactly 64 lowercase hex digits (32 bytes)"));
    }
    out[i] = static_cast<std::uint8_t>((high << 4) | low);
  }
  return out;
}

namespace {

base::Status<PolicyError> validate_labels(const std::vector<std::string>& tags, const std::vector<IpAddress>& addresses,
                                          const std::string& path) {
  if (tags.size() > kMaxTagsPerNode || addresses.size() > kMaxAddressesPerNode) {
    return unexpected(PolicyError{PolicyErrorKind::kLimit, path, "too many tags or addresses"});
  }
  std::set<std::string_view> seen;
  for (std::size_t i = 0; i < tags.size(); ++i) {
    if (!is_valid_identifier(tags[i])) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, at(path + ".tags", i),
                                    "tag must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
    }
    if (!seen.insert(tags[i]).second) {
      return unexpected(PolicyError{PolicyErrorKind::kDuplicate, at(path + ".tags", i), "duplicate tag"});
    }
  }
  std::set<IpAddress> unique;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    if (!unique.insert(addresses[i]).second) {
      return unexpected(PolicyError{PolicyErrorKind::kDuplicate, at(path + ".addresses", i), "duplicate address"});
    }
  }
  return {};
}

base::Status<PolicyError> validate_relay(const std::optional<RelayAssignment>& relay, const std::string& path) {
  if (!relay.has_value()) {
    return {};
  }
  if (!is_valid_identifier(relay->relay_id)) {
    return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path + ".relay_id",
                                  "relay id must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
  }
  if (relay->address.port == 0) {
    return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path + ".address", "port must be 1-65535"});
  }
  return {};
}

}  // namespace

base::Status<PolicyError> validate_node_state(const NodeState& state) {
  auto invalid_id = [](std::string path) {
    return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, std::move(path),
                                  "node id must be 1-128 characters of [A-Za-z0-9._-] starting alphanumeric"});
  };
  if (!is_valid_identifier(state.node_id)) {
    return invalid_id("$.node_id");
  }
  if (state.peers.size() > kMaxPeers) {
    return unexpected(PolicyError{PolicyErrorKind::kLimit, "$.peers", "too many peers"});
  }
  if (state.routes.size() > kMaxRoutes) {
    return unexpected(PolicyError{PolicyErrorKind::kLimit, "$.routes", "too many routes"});
  }
  RUSTYNET_RETURN_IF_ERROR(validate_labels(state.tags, state.addresses, "$"));
  std::set<std::string_view> peer_ids;
  std::set<TunnelPublicKey> keys;
  for (std::size_t i = 0; i < state.peers.size(); ++i) {
    const auto& peer = state.peers[i];
    const std::string path = at("$.peers", i);
    if (!is_valid_identifier(peer.node_id)) {
      return invalid_id(path + ".node_id");
    }
    if (peer.node_id == state.node_id) {
      return unexpected(
          PolicyError{PolicyErrorKind::kInvalidValue, path + ".node_id", "a node cannot be its own peer"});
    }
    RUSTYNET_RETURN_IF_ERROR(validate_labels(peer.tags, peer.addresses, path));
    if (!peer_ids.insert(peer.node_id).second) {
      return unexpected(
          PolicyError{PolicyErrorKind::kDuplicate, path + ".node_id", "duplicate peer \"" + peer.node_id + "\""});
    }
    if (!keys.insert(peer.tunnel_public_key).second) {
      return unexpected(PolicyError{PolicyErrorKind::kDuplicate, path + ".tunnel_public_key",
                                    "tunnel public key already used by another peer"});
    }
    if (peer.endpoints.size() > kMaxEndpointsPerPeer || peer.allowed_prefixes.size() > kMaxPrefixesPerPeer) {
      return unexpected(PolicyError{PolicyErrorKind::kLimit, path, "too many endpoints or allowed prefixes"});
    }
    for (std::size_t e = 0; e < peer.endpoints.size(); ++e) {
      if (peer.endpoints[e].port == 0) {
        return unexpected(
            PolicyError{PolicyErrorKind::kInvalidValue, at(path + ".endpoints", e), "port must be 1-65535"});
      }
    }
    RUSTYNET_RETURN_IF_ERROR(validate_relay(peer.relay, path + ".relay"));
    RUSTYNET_RETURN_IF_ERROR(validate_relay(peer.relay_candidate, path + ".relay_candidate"));
    if (peer.relay.has_value() && peer.relay_candidate.has_value()) {
      return unexpected(PolicyError{PolicyErrorKind::kInvalidValue, path + ".relay_candidate",
                                    "a peer marked relayed cannot also carry a relay candidate"});
    }
    std::set<IpPrefix> prefixes;
    for (std::size_t p = 0; p < peer.allowed_prefixes.size(); ++p) {
      if (!prefixes.insert(peer.allowed_prefixes[p]).second) {
        return unexpected(PolicyError{PolicyErrorKind::kDuplicate, at(path + ".allowed_prefixes", p),
                                      "duplicate prefix " + peer.allowed_prefixes[p].to_string()});
      }
    }
  }
  std::set<IpPrefix> route_prefixes;
  for (std::size_t i = 0; i < state.routes.size(); ++i) {
    const auto& route = state.routes[i];
    const std::string path = at("$.routes", i);
    if (!route_prefixes.insert(route.prefix).second) {
      return unexpected(
          PolicyError{PolicyErrorKind::kDuplicate, path + ".prefix", "duplicate route " + route.prefix.to_string()});
    }
    if (peer_ids.find(route.via) == peer_ids.end()) {
      return unexpected(PolicyError{PolicyErrorKind::kUnknownReference, path + ".via",
                                    "route via \"" + route.via + "\" which is not a listed peer"});
    }
  }
  return {};
}

base::Result<NodeState, PolicyError> parse_node_state(std::string_view text) {
  auto parsed = base::parse_strict_json(text, base::JsonLimits{kMaxNodeStateBytes, 8});
  if (!parsed.has_value()) {
    return unexpected(json_error(parsed.error(), PolicyErrorKind::kSyntax));
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, lift(base::JsonObjectReader::create(*parsed, "$")));
  RUSTYNET_RETURN_IF_ERROR(
      base::require_version(reader, kNodeStateVersion).transform_error([](const base::JsonError& e) {
        return json_error(e);
      }));
  NodeState state;
  RUSTYNET_ASSIGN_OR_RETURN(state.node_id, lift(reader.required_string("node_id")));
  RUSTYNET_ASSIGN_OR_RETURN(state.tags, string_list<std::string>(reader, "tags", kMaxTagsPerNode, parse_tag));
  RUSTYNET_ASSIGN_OR_RETURN(state.addresses,
                            string_list<IpAddress>(reader, "addresses", kMaxAddressesPerNode, IpAddress::parse));
  RUSTYNET_ASSIGN_OR_RETURN(state.policy_digest, hex_field(reader, "policy_digest"));
  RUSTYNET_ASSIGN_OR_RETURN(const auto* peers, array_field(reader, "peers", kMaxPeers));
  for (std::size_t i = 0; i < peers->size(); ++i) {
    RUSTYNET_ASSIGN_OR_RETURN(auto peer, parse_peer((*peers)[i], at("$.peers", i)));
    state.peers.push_back(std::move(peer));
  }
  RUSTYNET_ASSIGN_OR_RETURN(const auto* routes, array_field(reader, "routes", kMaxRoutes));
  for (std::size_t i = 0; i < routes->size(); ++i) {
    RUSTYNET_ASSIGN_OR_RETURN(auto route, parse_route((*routes)[i], at("$.routes", i)));
    state.routes.push_back(std::move(route));
  }
  RUSTYNET_RETURN_IF_ERROR(reader.finish().transform_error([](const base::JsonError& e) { return json_error(e); }));
  RUSTYNET_RETURN_IF_ERROR(validate_node_state(state));
  return state;
}

base::Result<std::string, PolicyError> encode_node_state(const NodeState& state) {
  RUSTYNET_RETURN_IF_ERROR(validate_node_state(state));
  nlohmann::json root = nlohmann::json::object();
  root["version"] = kNodeStateVersion;
  root["node_id"] = state.node_id;
  root["tags"] = string_array(state.tags);
  root["addresses"] = address_array(state.addresses);
  root["policy_digest"] = to_hex32(state.policy_digest);
  nlohmann::json peers = nlohmann::json::array();
  for (const auto& peer : state.peers) {
    nlohmann::json entry = nlohmann::json::object();
    entry["node_id"] = peer.node_id;
    entry["tags"] = string_array(peer.tags);
    entry["addresses"] = address_array(peer.addresses);
    entry["tunnel_public_key"] = to_hex32(peer.tunnel_public_key);
    nlohmann::json endpoints = nlohmann::json::array();
    for (const auto& endpoint : peer.endpoints) {
      endpoints.push_back(endpoint.to_string());
    }
    entry["endpoints"] = std::move(endpoints);
    nlohmann::json prefixes = nlohmann::json::array();
    for (const auto& prefix : peer.allowed_prefixes) {
      prefixes.push_back(prefix.to_string());
    }
    entry["allowed_prefixes"] = std::move(prefixes);
    if (peer.relay.has_value()) {
      entry["relay"] = {{"address", peer.relay->address.to_string()}, {"relay_id", peer.relay->relay_id}};
    }
    if (peer.relay_candidate.has_value()) {
      entry["relay_candidate"] = {{"address", peer.relay_candidate->address.to_string()},
                                  {"relay_id", peer.relay_candidate->relay_id}};
    }
    peers.push_back(std::move(entry));
  }
  root["peers"] = std::move(peers);
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& route : state.routes) {
    nlohmann::json entry = nlohmann::json::object();
    entry["prefix"] = route.prefix.to_string();
    entry["via"] = route.via;
    routes.push_back(std::move(entry));
  }
  root["routes"] = std::move(routes);
  // Only identifiers, hex and address text go in, all ASCII: dump() cannot throw here.
  return root.dump();
}

}  // namespace rustynet::policy

// SPDX-License-Identifier: Apache-2.0
// JSON request parsing and response building for the node and admin endpoints.
#include "control_api.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "rustynet/base/strict_json.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/crypto/x25519.hpp"
#include "rustynet/policy/policy_rule.hpp"

namespace rustynet::apps::control_server {
namespace {

constexpr std::int64_t kProtocolVersion = 1;
constexpr std::int64_t kMaxWaitSeconds = 55;
constexpr std::string_view kNodesPath = "/v1/admin/nodes";
constexpr std::string_view kPolicyPath = "/v1/admin/policy";
constexpr std::string_view kRevokePath = "/v1/admin/revoke";
constexpr std::string_view kBatchPath = "/v1/admin/batch";
constexpr std::size_t kNodeBodyLimit = std::size_t{64} * 1024;
constexpr std::size_t kPolicyBodyLimit = std::size_t{256} * 1024;
constexpr std::size_t kSmallBodyLimit = std::size_t{16} * 1024;

std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

ApiResponse reply(unsigned status, const nlohmann::json& value) { return ApiResponse{status, dump(value)}; }

ApiResponse error(unsigned status, std::string_view error_class, std::string_view message) {
  return ApiResponse{status, error_body(error_class, message)};
}

ApiResponse malformed(const base::JsonError& json_error) { return error(400, "malformed", json_error.describe()); }

ApiResponse from_mesh(const MeshError& mesh_error) {
  switch (mesh_error.kind) {
    case MeshErrorKind::kInvalid: return error(400, "invalid", mesh_error.message);
    case MeshErrorKind::kConflict: return error(409, "conflict", mesh_error.message);
    case MeshErrorKind::kNotFound: return error(404, "not_found", mesh_error.message);
    case MeshErrorKind::kForbidden: return error(403, "forbidden", mesh_error.message);
    case MeshErrorKind::kUnenforceable: return error(422, "unenforceable", mesh_error.message);
    case MeshErrorKind::kUnavailable: break;
  }
  return error(503, "unavailable", mesh_error.message);
}

std::span<const std::uint8_t> key_span(const control::PublicKeyBytes& key) { return {key.data(), key.size()}; }

nlohmann::json node_json(const control::RegisteredNode& node) {
  nlohmann::json addresses = nlohmann::json::array();
  for (const auto& address : node.addresses) {
    addresses.push_back(address.to_string());
  }
  nlohmann::json endpoints = nlohmann::json::array();
  for (const auto& endpoint : node.endpoints) {
    endpoints.push_back(endpoint.to_string());
  }
  return {{"node_id", node.node_id},
          {"identity_public_key", crypto::base64_encode(key_span(node.identity_public_key))},
          {"tunnel_public_key", crypto::base64_encode(key_span(node.tunnel_public_key))},
          {"addresses", std::move(addresses)},
          {"tags", node.tags},
          {"endpoints", std::move(endpoints)}};
}

// Reads an array of strings at `key` (absent = empty when !required).
base::Result<std::vector<std::string>, base::JsonError> string_array(base::JsonObjectReader& reader,
                                                                     std::string_view key, bool required,
                                                                     std::size_t max_items) {
  const nlohmann::json* value = nullptr;
  if (required) {
    RUSTYNET_ASSIGN_OR_RETURN(value, reader.required_value(key));
  } else {
    value = reader.optional_value(key);
  }
  std::vector<std::string> out;
  if (value == nullptr) {
    return out;
  }
  const std::string path = reader.child_path(key);
  if (!value->is_array() || value->size() > max_items) {
    return base::unexpected(
        base::JsonError{path, "must be an array of at most " + std::to_string(max_items) + " strings"});
  }
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_string()) {
      return base::unexpected(base::JsonError{path + "[" + std::to_string(i) + "]", "must be a string"});
    }
    out.push_back((*value)[i].get<std::string>());
  }
  return out;
}

base::Result<std::vector<policy::SocketAddress>, base::JsonError> parse_endpoints(const std::vector<std::string>& texts,
                                                                                  const std::string& path) {
  std::vector<policy::SocketAddress> out;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto endpoint = policy::SocketAddress::parse(texts[i]);
    if (!endpoint.has_value()) {
      return base::unexpected(base::JsonError{path + "[" + std::to_string(i) + "]", endpoint.error()});
    }
    if (std::find(out.begin(), out.end(), *endpoint) == out.end()) {
      out.push_back(*endpoint);
    }
  }
  return out;
}

base::Result<control::RegisteredNode, base::JsonError> parse_node(const nlohmann::json& value, std::string path) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(value, std::move(path)));
  control::RegisteredNode node;
  RUSTYNET_ASSIGN_OR_RETURN(node.node_id, reader.required_string("node_id"));
  RUSTYNET_ASSIGN_OR_RETURN(const std::string identity, reader.required_string("identity_public_key"));
  RUSTYNET_ASSIGN_OR_RETURN(const std::string tunnel, reader.required_string("tunnel_public_key"));
  RUSTYNET_ASSIGN_OR_RETURN(auto addresses, string_array(reader, "addresses", true, policy::kMaxAddressesPerNode));
  RUSTYNET_ASSIGN_OR_RETURN(node.tags, string_array(reader, "tags", false, policy::kMaxTagsPerNode));
  RUSTYNET_ASSIGN_OR_RETURN(auto endpoints, string_array(reader, "endpoints", false, policy::kMaxEndpointsPerPeer));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  auto identity_key = crypto::Ed25519PublicKey::from_base64(identity);
  if (!identity_key.has_value()) {
    return base::unexpected(base::JsonError{reader.child_path("identity_public_key"), "not a valid Ed25519 key"});
  }
  std::copy(identity_key->bytes().begin(), identity_key->bytes().end(), node.identity_public_key.begin());
  auto tunnel_key = crypto::PublicKey::from_base64(tunnel);
  if (!tunnel_key.has_value()) {
    return base::unexpected(base::JsonError{reader.child_path("tunnel_public_key"), "not a valid X25519 key"});
  }
  std::copy(tunnel_key->bytes().begin(), tunnel_key->bytes().end(), node.tunnel_public_key.begin());
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    auto address = policy::IpAddress::parse(addresses[i]);
    if (!address.has_value()) {
      return base::unexpected(
          base::JsonError{reader.child_path("addresses") + "[" + std::to_string(i) + "]", address.error()});
    }
    node.addresses.push_back(*address);
  }
  RUSTYNET_ASSIGN_OR_RETURN(node.endpoints, parse_endpoints(endpoints, reader.child_path("endpoints")));
  return node;
}

base::Result<nlohmann::json, base::JsonError> parse_body(std::string_view body, std::size_t max_bytes) {
  base::JsonLimits limits;
  limits.max_bytes = max_bytes;
  return base::parse_strict_json(body, limits);
}

// The top-level reader of a request body, after its "version" check. `json` must outlive it.
base::Result<base::JsonObjectReader, base::JsonError> versioned_reader(const nlohmann::json& json) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(json, "$"));
  RUSTYNET_RETURN_IF_ERROR(base::require_version(reader, kProtocolVersion));
  return reader;
}

// POST /v1/admin/nodes: {"version":1,"node":NODE}.
base::Result<control::RegisteredNode, base::JsonError> parse_add_node_request(std::string_view body) {
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json json, parse_body(body, kNodeBodyLimit));
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, versioned_reader(json));
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* node, reader.required_value("node"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return parse_node(*node, "$.node");
}

// PUT /v1/admin/policy: {"version":1,"document":{...}}. Returns the document as nlohmann's
// canonical dump (sorted keys, no whitespace): the exact bytes that are signed, digested and
// served back.
base::Result<std::string, base::JsonError> parse_put_policy_request(std::string_view body) {
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json json, parse_body(body, kPolicyBodyLimit));
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, versioned_reader(json));
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* document, reader.required_value("document"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return dump(*document);
}

// POST /v1/admin/batch: {"version":1,"nodes":[<node>...],"policy":{...}}; nodes 0..kMaxBatchNodes
// (each as in POST /v1/admin/nodes), policy optional, at least one of the two.
struct BatchRequest {
  std::vector<control::RegisteredNode> nodes;
  std::optional<std::string> policy_document;
};

base::Result<BatchRequest, base::JsonError> parse_batch_request(std::string_view body) {
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json json, parse_body(body, kPolicyBodyLimit));
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, versioned_reader(json));
  const nlohmann::json* nodes = reader.optional_value("nodes");
  const nlohmann::json* document = reader.optional_value("policy");
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  BatchRequest request;
  if (nodes != nullptr) {
    if (!nodes->is_array() || nodes->size() > kMaxBatchNodes) {
      return base::unexpected(
          base::JsonError{"$.nodes", "must be an array of at most " + std::to_string(kMaxBatchNodes) + " nodes"});
    }
    request.nodes.reserve(nodes->size());
    for (std::size_t i = 0; i < nodes->size(); ++i) {
      RUSTYNET_ASSIGN_OR_RETURN(auto node, parse_node((*nodes)[i], "$.nodes[" + std::to_string(i) + "]"));
      request.nodes.push_back(std::move(node));
    }
  }
  if (document != nullptr) {
    request.policy_document = dump(*document);
  }
  if (request.nodes.empty() && !request.policy_document.has_value()) {
    return base::unexpected(base::JsonError{"$", "needs nodes, a policy, or both"});
  }
  return request;
}

// POST /v1/admin/revoke: exactly one of token_id or subject, 1..128 characters.
struct RevokeRequest {
  bool by_token_id = false;
  std::string handle;
};

base::Result<RevokeRequest, base::JsonError> parse_revoke_request(std::string_view body) {
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json json, parse_body(body, kSmallBodyLimit));
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, versioned_reader(json));
  RUSTYNET_ASSIGN_OR_RETURN(auto token_id, reader.optional_string("token_id"));
  RUSTYNET_ASSIGN_OR_RETURN(auto subject, reader.optional_string("subject"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  if (token_id.has_value() == subject.has_value()) {
    return base::unexpected(base::JsonError{"$", "exactly one of token_id or subject"});
  }
  RevokeRequest request{token_id.has_value(), token_id.has_value() ? *token_id : *subject};
  if (request.handle.empty() || request.handle.size() > 128) {
    return base::unexpected(base::JsonError{"$", "revocation handle must be 1..128 characters"});
  }
  return request;
}

// POST /v1/node/sync (docs/control-protocol.md).
struct SyncRequest {
  std::uint64_t known_generation = 0;
  std::int64_t wait_seconds = 0;
  std::uint16_t listen_port = 0;
  std::vector<policy::SocketAddress> endpoints;
};

base::Result<SyncRequest, base::JsonError> parse_sync_request(std::string_view body) {
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json json, parse_body(body, kSmallBodyLimit));
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, versioned_reader(json));
  RUSTYNET_ASSIGN_OR_RETURN(const std::int64_t known, reader.required_int("known_generation"));
  RUSTYNET_ASSIGN_OR_RETURN(const std::int64_t wait, reader.required_int("wait_seconds"));
  RUSTYNET_ASSIGN_OR_RETURN(const std::int64_t port, reader.required_int("listen_port"));
  RUSTYNET_ASSIGN_OR_RETURN(auto endpoint_texts,
                            string_array(reader, "endpoints", false, policy::kMaxEndpointsPerPeer));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  if (known < 0) {
    return base::unexpected(base::JsonError{"$.known_generation", "must be >= 0"});
  }
  if (wait < 0 || wait > kMaxWaitSeconds) {
    return base::unexpected(base::JsonError{"$.wait_seconds", "must be 0..55"});
  }
  if (port < 1 || port > 65535) {
    return base::unexpected(base::JsonError{"$.listen_port", "must be 1..65535"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(auto endpoints, parse_endpoints(endpoint_texts, "$.endpoints"));
  return SyncRequest{static_cast<std::uint64_t>(known), wait, static_cast<std::uint16_t>(port), std::move(endpoints)};
}

// POST /v1/node/relay-ticket: {"version":1,"peer":"<node id>"}.
base::Result<std::string, base::JsonError> parse_relay_ticket_request(std::string_view body) {
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json json, parse_body(body, kSmallBodyLimit));
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, versioned_reader(json));
  RUSTYNET_ASSIGN_OR_RETURN(std::string peer, reader.required_string("peer"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  if (!policy::is_valid_identifier(peer)) {
    return base::unexpected(base::JsonError{"$.peer", "must be a node id"});
  }
  return peer;
}

}  // namespace

std::string error_body(std::string_view error_class, std::string_view message) {
  return dump({{"version", kProtocolVersion}, {"error", error_class}, {"message", message}});
}

ControlApi::ControlApi(MeshState& mesh, control::RevocationStore& revocations, const base::Clock& clock,
                       ApiOptions options)
    : mesh_(&mesh), revocations_(&revocations), clock_(&clock), options_(options) {}

ApiResponse ControlApi::handle_admin(std::string_view method, std::string_view target, std::string_view body) {
  if (target == kNodesPath && method == "GET") {
    auto nodes = mesh_->list_nodes();
    if (!nodes.has_value()) {
      return from_mesh(nodes.error());
    }
    nlohmann::json list = nlohmann::json::array();
    for (const auto& node : *nodes) {
      list.push_back(node_json(node));
    }
    return reply(200, {{"version", kProtocolVersion}, {"nodes", std::move(list)}});
  }
  if (target == kNodesPath && method == "POST") {
    auto node = parse_add_node_request(body);
    if (!node.has_value()) {
      return malformed(node.error());
    }
    if (auto added = mesh_->add_node(*node); !added.has_value()) {
      return from_mesh(added.error());
    }
    return reply(201, {{"version", kProtocolVersion}, {"node", node_json(*node)}});
  }
  if (target == kBatchPath && method == "POST") {
    auto request = parse_batch_request(body);
    if (!request.has_value()) {
      return malformed(request.error());
    }
    auto generation = mesh_->add_batch(request->nodes, request->policy_document);
    if (!generation.has_value()) {
      return from_mesh(generation.error());
    }
    nlohmann::json added = nlohmann::json::array();
    for (const auto& node : request->nodes) {
      added.push_back(node_json(node));
    }
    return reply(201, {{"version", kProtocolVersion}, {"nodes", std::move(added)}, {"generation", *generation}});
  }
  if (target.size() > kNodesPath.size() + 1 && target.substr(0, kNodesPath.size() + 1) == "/v1/admin/nodes/" &&
      method == "DELETE") {
    const std::string_view id = target.substr(kNodesPath.size() + 1);
    if (!policy::is_valid_identifier(id)) {
      return error(404, "not_found", "no such node");
    }
    if (auto removed = mesh_->remove_node(id); !removed.has_value()) {
      return from_mesh(removed.error());
    }
    return reply(200, {{"version", kProtocolVersion}, {"removed", id}});
  }
  if (target == kPolicyPath && method == "GET") {
    const control::StoredPolicy stored = mesh_->policy();
    auto document = base::parse_strict_json(stored.document, base::JsonLimits{policy::kMaxPolicyBytes, 64});
    if (!document.has_value()) {
      return error(503, "unavailable", "stored policy unreadable");
    }
    return reply(
        200,
        {{"version", kProtocolVersion}, {"generation", stored.generation}, {"document", std::move(document).value()}});
  }
  if (target == kPolicyPath && method == "PUT") {
    auto document = parse_put_policy_request(body);
    if (!document.has_value()) {
      return malformed(document.error());
    }
    auto generation = mesh_->put_policy(*document);
    if (!generation.has_value()) {
      return from_mesh(generation.error());
    }
    return reply(200, {{"version", kProtocolVersion}, {"generation", *generation}});
  }
  if (target == kRevokePath && method == "POST") {
    auto request = parse_revoke_request(body);
    if (!request.has_value()) {
      return malformed(request.error());
    }
    const std::string& value = request->handle;
    auto wall = clock_->wall_now();
    if (!wall.has_value()) {
      return error(503, "unavailable", "wall clock unusable");
    }
    auto done = request->by_token_id ? revocations_->revoke_token(
                                           value, base::UnixTime{wall->seconds + options_.token_retention.count()})
                                     : revocations_->revoke_subject(value);
    if (!done.has_value()) {
      return error(503, "unavailable", "revocation state unavailable");
    }
    return reply(200, {{"version", kProtocolVersion}, {"revoked", value}});
  }
  return error(405, "method_not_allowed", "no such method on this resource");
}

SyncPlan ControlApi::begin_sync(std::string_view node_id, std::string_view body, std::string_view source_ip) {
  SyncPlan plan;
  plan.node_id = std::string(node_id);
  auto fail = [&plan](ApiResponse response) {
    plan.immediate = std::move(response);
    return std::move(plan);
  };
  auto request = parse_sync_request(body);
  if (!request.has_value()) {
    return fail(malformed(request.error()));
  }
  auto& endpoints = request->endpoints;
  if (endpoints.empty()) {
    auto address = policy::IpAddress::parse(source_ip);
    if (address.has_value()) {
      endpoints.push_back(policy::SocketAddress{*address, request->listen_port});
    }
  }
  if (auto reported = mesh_->report_endpoints(node_id, endpoints); !reported.has_value()) {
    return fail(from_mesh(reported.error()));
  }
  plan.known_generation = request->known_generation;
  plan.wait = std::min(std::chrono::seconds(request->wait_seconds), options_.max_wait);
  if (auto ready = poll_sync(node_id, plan.known_generation); ready.has_value()) {
    return fail(std::move(*ready));
  }
  if (plan.wait.count() == 0) {
    return fail(ApiResponse{204, ""});
  }
  return plan;
}

std::optional<ApiResponse> ControlApi::poll_sync(std::string_view node_id, std::uint64_t known_generation) {
  auto state = mesh_->state_for(node_id);
  if (!state.has_value()) {
    return from_mesh(state.error());
  }
  if (state->generation <= known_generation) {
    return std::nullopt;
  }
  return reply(200, {{"version", kProtocolVersion},
                     {"generation", state->generation},
                     {"node_state", crypto::base64_encode(state->node_state)},
                     {"policy", crypto::base64_encode(state->policy)}});
}

}  // namespace rustynet::apps::control_server

namespace rustynet::apps::control_server {

ApiResponse ControlApi::relay_ticket(std::string_view node_id, std::string_view body) {
  auto peer = parse_relay_ticket_request(body);
  if (!peer.has_value()) {
    return malformed(peer.error());
  }
  if (*peer == node_id) {
    return error(400, "malformed", "$.peer: a node cannot relay to itself");
  }
  auto grant = mesh_->issue_relay_ticket(node_id, *peer);
  if (!grant.has_value()) {
    return from_mesh(grant.error());
  }
  return reply(200, {{"version", kProtocolVersion},
                     {"relay_id", grant->relay_id},
                     {"address", grant->address.to_string()},
                     {"ticket", crypto::base64_encode(grant->ticket)},
                     {"expires_at", grant->expires_at}});
}

}  // namespace rustynet::apps::control_server

// SPDX-License-Identifier: Apache-2.0
// Fuzz target: rustynet-control's HTTP request bodies through ControlApi (admin node/policy/revoke
// requests and node sync), over an in-memory registry. Each input is a sequence of requests:
// [operation byte][length hi][length lo][body]; the state carries over between them.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "control_api.hpp"
#include "fuzz_support.hpp"
#include "manual_clock.hpp"
#include "mesh_state.hpp"
#include "rustynet/base/strict_json.hpp"
#include "rustynet/control/node_registry.hpp"
#include "rustynet/control/revocation_store.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/crypto/signed_envelope.hpp"
#include "rustynet/policy/node_state.hpp"

namespace control = rustynet::control;
namespace crypto = rustynet::crypto;
namespace policy = rustynet::policy;
namespace control_server = rustynet::apps::control_server;
using rustynet::base::Result;
using rustynet::base::Status;
using rustynet::base::unexpected;

namespace {

// NodeRegistry with the documented uniqueness rules, in memory (the SQLite store is not the
// parser under test and would make every iteration touch the disk).
class MemoryRegistry final : public control::NodeRegistry {
 public:
  Status<control::RegistryError> add_node(const control::RegisteredNode& node) override {
    if (node.node_id.empty() || node.addresses.empty()) {
      return unexpected(control::RegistryError{control::RegistryErrorKind::kInvalid, "empty id or addresses"});
    }
    for (const auto& entry : nodes_) {
      const auto& other = entry.second;
      const bool address_taken = std::any_of(node.addresses.begin(), node.addresses.end(), [&](const auto& a) {
        return std::find(other.addresses.begin(), other.addresses.end(), a) != other.addresses.end();
      });
      if (other.node_id == node.node_id || other.identity_public_key == node.identity_public_key ||
          other.tunnel_public_key == node.tunnel_public_key || address_taken) {
        return unexpected(control::RegistryError{control::RegistryErrorKind::kConflict, "taken"});
      }
    }
    nodes_[node.node_id] = node;
    return {};
  }
  Result<std::uint64_t, control::RegistryError> add_batch(const std::vector<control::RegisteredNode>& nodes,
                                                          const std::optional<std::string>& document) override {
    const auto saved = nodes_;
    for (const auto& node : nodes) {
      if (auto added = add_node(node); !added.has_value()) {
        nodes_ = saved;
        return unexpected(added.error());
      }
    }
    return document.has_value() ? store_policy(*document) : Result<std::uint64_t, control::RegistryError>(0);
  }
  Status<control::RegistryError> remove_node(std::string_view node_id) override {
    if (nodes_.erase(std::string(node_id)) == 0) {
      return unexpected(control::RegistryError{control::RegistryErrorKind::kNotFound, "no such node"});
    }
    return {};
  }
  Result<std::vector<control::RegisteredNode>, control::RegistryError> list_nodes() override {
    std::vector<control::RegisteredNode> out;
    for (const auto& entry : nodes_) {
      out.push_back(entry.second);
    }
    return out;
  }
  Result<std::optional<control::RegisteredNode>, control::RegistryError> find_node(std::string_view node_id) override {
    auto it = nodes_.find(std::string(node_id));
    if (it == nodes_.end()) {
      return std::optional<control::RegisteredNode>();
    }
    return std::optional<control::RegisteredNode>(it->second);
  }
  Result<bool, control::RegistryError> set_endpoints(std::string_view node_id,
                                                     const std::vector<policy::SocketAddress>& endpoints) override {
    auto it = nodes_.find(std::string(node_id));
    if (it == nodes_.end()) {
      return unexpected(control::RegistryError{control::RegistryErrorKind::kNotFound, "no such node"});
    }
    const bool changed = it->second.endpoints != endpoints;
    it->second.endpoints = endpoints;
    return changed;
  }
  Result<std::optional<control::StoredPolicy>, control::RegistryError> load_policy() override { return policy_; }
  Result<std::uint64_t, control::RegistryError> store_policy(std::string_view document) override {
    const std::uint64_t generation = policy_.has_value() ? policy_->generation + 1 : 1;
    policy_ = control::StoredPolicy{std::string(document), generation};
    return generation;
  }
  Result<std::uint64_t, control::RegistryError> reserve_signing_generations(std::uint64_t count) override {
    if (count == 0) {
      return unexpected(control::RegistryError{control::RegistryErrorKind::kInvalid, "count 0"});
    }
    generation_ += count;
    return generation_;
  }

 private:
  std::map<std::string, control::RegisteredNode, std::less<>> nodes_;
  std::optional<control::StoredPolicy> policy_;
  std::uint64_t generation_ = 0;
};

crypto::Ed25519SigningKey key_from(std::uint8_t seed_byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

control::RegisteredNode seed_node(const std::string& id, std::uint8_t index) {
  control::RegisteredNode node;
  node.node_id = id;
  const crypto::Ed25519SigningKey identity = key_from(index);
  const auto identity_bytes = identity.public_key().bytes();
  std::copy(identity_bytes.begin(), identity_bytes.end(), node.identity_public_key.begin());
  node.tunnel_public_key.fill(index);
  node.addresses.push_back(policy::IpAddress::v4(0x64400000U + index));
  node.tags = {index == 1 ? "web" : "db"};
  return node;
}

// Every answer: a known status; a strict JSON object body with version 1 (empty only for 204);
// error answers name an error class.
nlohmann::json check_response(const control_server::ApiResponse& response) {
  static constexpr std::array<unsigned, 8> kStatuses = {200, 201, 204, 400, 404, 405, 409, 503};
  FUZZ_CHECK(std::find(kStatuses.begin(), kStatuses.end(), response.status) != kStatuses.end());
  if (response.status == 204) {
    FUZZ_CHECK(response.body.empty());
    return nlohmann::json::object();
  }
  auto body = rustynet::base::parse_strict_json(response.body, {std::size_t{64} << 20U, 64});
  FUZZ_CHECK(body.has_value() && body->is_object());
  FUZZ_CHECK(body->contains("version") && (*body)["version"] == 1);
  if (response.status >= 400) {
    FUZZ_CHECK(body->contains("error") && (*body)["error"].is_string());
  }
  // The in-memory registry and the manual clock never fail: no input may make the API unavailable.
  FUZZ_CHECK(response.status != 503);
  return std::move(body).value();
}

// A 200 sync answer carries a node state envelope for this node whose payload parses.
void check_sync_answer(const nlohmann::json& body, std::string_view node_id) {
  auto envelope_bytes = crypto::base64_decode(body.at("node_state").get<std::string>());
  FUZZ_CHECK(envelope_bytes.has_value());
  auto envelope = crypto::decode_envelope(*envelope_bytes);
  FUZZ_CHECK(envelope.has_value());
  FUZZ_CHECK(envelope->header.type == crypto::ArtifactType::kNodeState);
  FUZZ_CHECK(envelope->header.subject == node_id);
  FUZZ_CHECK(envelope->header.generation == body.at("generation").get<std::uint64_t>());
  const std::string_view payload(static_cast<const char*>(static_cast<const void*>(envelope->payload.data())),
                                 envelope->payload.size());
  auto state = policy::parse_node_state(payload);
  FUZZ_CHECK(state.has_value());
  FUZZ_CHECK(state->node_id == node_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::testing::ManualClock clock;
  MemoryRegistry registry;
  FUZZ_CHECK(registry.add_node(seed_node("n1", 1)).has_value());
  FUZZ_CHECK(registry.add_node(seed_node("n2", 2)).has_value());
  auto mesh = control_server::MeshState::create(registry, key_from(0x33), clock);
  FUZZ_CHECK(mesh.has_value());
  control::MemoryRevocationStore revocations;
  control_server::ControlApi api(**mesh, revocations, clock, control_server::ApiOptions{});

  rustynet::fuzz::FuzzInput input(data, size);
  while (!input.empty()) {
    const std::uint8_t operation = input.take_byte();
    const std::size_t length_hi = input.take_byte();
    const std::size_t length = (length_hi << 8U) | input.take_byte();
    const auto rest = input.rest();
    const std::size_t taken = std::min(length, rest.size());
    const std::string body(rustynet::fuzz::FuzzInput(rest.data(), taken).rest_text());
    input = rustynet::fuzz::FuzzInput(rest.data() + taken, rest.size() - taken);

    switch (operation % 8U) {
      case 0: {
        const auto listed = check_response(api.handle_admin("GET", "/v1/admin/nodes", ""));
        FUZZ_CHECK(listed.contains("nodes") && listed["nodes"].is_array());
        break;
      }
      case 1: {
        const auto response = api.handle_admin("POST", "/v1/admin/nodes", body);
        const auto answer = check_response(response);
        if (response.status == 201) {
          const std::string id = answer.at("node").at("node_id").get<std::string>();
          auto found = registry.find_node(id);
          FUZZ_CHECK(found.has_value() && found->has_value());
          FUZZ_CHECK(policy::is_valid_identifier(id));
        }
        break;
      }
      case 2: {
        const auto response = api.handle_admin("DELETE", "/v1/admin/nodes/" + body, "");
        check_response(response);
        if (response.status == 200) {
          auto found = registry.find_node(body);
          FUZZ_CHECK(found.has_value() && !found->has_value());
        }
        break;
      }
      case 3: check_response(api.handle_admin("GET", "/v1/admin/policy", "")); break;
      case 4: {
        const auto response = api.handle_admin("PUT", "/v1/admin/policy", body);
        const auto answer = check_response(response);
        if (response.status == 200) {
          const auto stored = check_response(api.handle_admin("GET", "/v1/admin/policy", ""));
          FUZZ_CHECK(stored.at("generation") == answer.at("generation"));
        }
        break;
      }
      case 5: check_response(api.handle_admin("POST", "/v1/admin/revoke", body)); break;
      case 6:
      case 7: {
        const std::string node_id = operation % 8U == 6 ? "n1" : "n2";
        const control_server::SyncPlan plan = api.begin_sync(node_id, body, "192.0.2.7");
        if (plan.immediate.has_value()) {
          const auto answer = check_response(*plan.immediate);
          if (plan.immediate->status == 200) {
            check_sync_answer(answer, node_id);
          }
        } else {
          FUZZ_CHECK(plan.wait.count() > 0 && plan.wait.count() <= 55);
        }
        break;
      }
      default: break;
    }
    if ((operation & 0x80U) != 0) {
      clock.advance(std::chrono::minutes(1));
    }
  }
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// rustynet-control end to end over loopback TLS: init, admin API, node auth, signed sync, long-poll.
// Boost 1.74 Asio under g++ 12 in C++20 mode needs <utility> first.
#include <utility>

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/datagram_protocol.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "control_api.hpp"
#include "control_server.hpp"
#include "control_server_main.hpp"
#include "control_service.hpp"
#include "https_client.hpp"
#include "init_command.hpp"
#include "manual_clock.hpp"
#include "metrics_scrape.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/base/metrics_server.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "rustynet/policy/node_state.hpp"
#include "service_config.hpp"
#include "temp_dir.hpp"

namespace rustynet::apps::control_server {
namespace {

using testing::HttpReply;
using testing::HttpsClient;
using Clock = std::chrono::steady_clock;

crypto::Ed25519SigningKey key_from(std::uint8_t seed_byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

std::string tunnel_key(std::uint8_t byte) {
  std::array<std::uint8_t, 32> bytes{};
  bytes.fill(byte);
  return crypto::base64_encode(bytes);
}

std::vector<std::uint8_t> b64(const nlohmann::json& value) {
  return crypto::base64_decode(value.get<std::string>()).value();
}

// Allows n1 <-> n2 (tag "web" reaches tag "db") and nothing for n3.
const nlohmann::json kPolicyWebDb = {
    {"version", 1},
    {"rules",
     {{{"id", "web-db"}, {"action", "allow"}, {"src", {"tag:web"}}, {"dst", {"tag:db"}}, {"protocol", "any"}}}}};

class ControlMeshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        base::atomic_write_file(dir_.file("secret"), std::string("correct horse battery staple\n")).has_value());
    std::ostringstream out;
    std::ostringstream err;
    const int rc = run_init({"--state-dir", dir_.file("state"), "--config-out", dir_.file("control.json"),
                             "--secret-file", dir_.file("secret"), "--listen", "127.0.0.1:8443", "--admin-public-key",
                             admin_.public_key().to_base64(), "--event-log", dir_.file("events.log")},
                            out, err);
    ASSERT_EQ(rc, 0) << err.str();
    init_output_ = out.str();
    auto config = load_service_config(dir_.file("control.json"));
    ASSERT_TRUE(config.has_value()) << config.error().message;
    config_ = *config;
    config_.port = 0;
    start();
  }

  void start() {
    auto service = ControlService::start(config_, clock_, ServiceEnvironment{std::nullopt, false});
    ASSERT_TRUE(service.has_value()) << service.error().message;
    service_ = std::move(service).value();
  }

  HttpReply call(const std::string& method, const std::string& target, const std::string& bearer,
                 const std::string& body = "", const std::string& source = "127.0.0.1") {
    auto client = HttpsClient::connect(service_->port(), source);
    if (client == nullptr) {
      return {};
    }
    return client->request(method, target, bearer, body);
  }

  std::string token(const crypto::Ed25519SigningKey& key, const std::string& subject) {
    const control::TokenIssuer issuer(key.clone().value(), "rustynet-control", clock_);
    return issuer.issue(subject, std::chrono::seconds(60)).value();
  }

  // Admin calls let 3 minutes of injected time pass before each (long-poll and generation tests
  // rely on the clock moving; the admin budget itself would allow bursts).
  HttpReply admin(const std::string& method, const std::string& target, const nlohmann::json& body = nullptr) {
    clock_.advance(std::chrono::minutes(3));
    return call(method, target, token(admin_, "admin"), body.is_null() ? "" : body.dump());
  }

  HttpReply add_node(const std::string& id, std::uint8_t index, const std::string& address,
                     const std::vector<std::string>& tags) {
    return admin("POST", "/v1/admin/nodes",
                 {{"version", 1},
                  {"node",
                   {{"node_id", id},
                    {"identity_public_key", key_from(index).public_key().to_base64()},
                    {"tunnel_public_key", tunnel_key(index)},
                    {"addresses", {address}},
                    {"tags", tags}}}});
  }

  void add_three_nodes() {
    ASSERT_EQ(add_node("n1", 1, "100.64.0.1", {"web"}).status, 201U);
    ASSERT_EQ(add_node("n2", 2, "100.64.0.2", {"db"}).status, 201U);
    ASSERT_EQ(add_node("n3", 3, "100.64.0.3", {"guest"}).status, 201U);
    ASSERT_EQ(admin("PUT", "/v1/admin/policy", {{"version", 1}, {"document", kPolicyWebDb}}).status, 200U);
  }

  HttpReply sync(const std::string& node, std::uint8_t index, std::uint64_t known, int wait,
                 const nlohmann::json& endpoints = nlohmann::json::array(), const std::string& source = "127.0.0.1") {
    const nlohmann::json body = {{"version", 1},
                                 {"known_generation", known},
                                 {"wait_seconds", wait},
                                 {"listen_port", 51820},
                                 {"endpoints", endpoints}};
    return call("POST", "/v1/node/sync", token(key_from(index), node), body.dump(), source);
  }

  // Verifies a 200 sync answer as a daemon would and returns the node state.
  policy::NodeState verify(const HttpReply& reply, const std::string& node) {
    EXPECT_EQ(reply.status, 200U) << reply.body;
    const auto json = nlohmann::json::parse(reply.body);
    const std::string trust_path = dir_.file("trust-" + std::to_string(trust_files_++));
    std::array<std::uint8_t, 32> mac{};
    mac.fill(7);
    auto trust = crypto::TrustStore::initialize(crypto::TrustStore::Options{trust_path, true, {}},
                                                base::SecretBytes(std::span<const std::uint8_t>(mac)),
                                                {service_->control_public_key()});
    EXPECT_TRUE(trust.has_value());
    auto state_artifact = trust->verify(b64(json["node_state"]), crypto::ArtifactType::kNodeState, node, clock_);
    EXPECT_TRUE(state_artifact.has_value()) << state_artifact.error().describe();
    auto policy_artifact = trust->verify(b64(json["policy"]), crypto::ArtifactType::kPolicySnapshot, "", clock_);
    EXPECT_TRUE(policy_artifact.has_value()) << policy_artifact.error().describe();
    EXPECT_EQ(state_artifact->header.generation, json["generation"].get<std::uint64_t>());
    const std::string payload(state_artifact->payload.begin(), state_artifact->payload.end());
    auto state = policy::parse_node_state(payload);
    EXPECT_TRUE(state.has_value()) << state.error().describe();
    EXPECT_EQ(state->policy_digest, crypto::sha256(policy_artifact->payload));
    return *state;
  }

  HttpReply relay_ticket(const std::string& node, std::uint8_t index, const nlohmann::json& body) {
    return call("POST", "/v1/node/relay-ticket", token(key_from(index), node), body.dump());
  }

  // Restarts the service with n1 behind relay r1 (n1 <-> n2 is then relayed; n2 <-> n4 is not).
  void restart_with_relay() {
    service_.reset();
    config_.relays = {RelaySite{"r1", policy::SocketAddress::parse("198.51.100.7:4600").value(), {"n1"}, {}}};
    start();
  }

  static std::vector<std::string> peer_ids(const policy::NodeState& state) {
    std::vector<std::string> ids;
    for (const auto& peer : state.peers) {
      ids.push_back(peer.node_id);
    }
    return ids;
  }

  testing::TempDir dir_;
  testing::ManualClock clock_;
  crypto::Ed25519SigningKey admin_ = key_from(90);
  std::string init_output_;
  ServiceConfig config_;
  std::unique_ptr<ControlService> service_;
  int trust_files_ = 0;
};

TEST_F(ControlMeshTest, InitPrintsKeyAndPinAndRefusesToOverwrite) {
  EXPECT_NE(init_output_.find("control_signing_public_key " + service_->control_public_key().to_base64()),
            std::string::npos)
      << init_output_;
  const auto cert = base::read_file_bounded(config_.certificate_file, 1U << 20U).value();
  const std::string pin = certificate_pin(cert);
  ASSERT_EQ(pin.size(), 64U);
  EXPECT_NE(init_output_.find("tls_certificate_sha256 " + pin), std::string::npos);
  struct stat info {};
  ASSERT_EQ(::stat(config_.private_key_file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777U, 0600U);
  EXPECT_TRUE(base::check_private_dir(config_.key_directory, 0700, ::geteuid()).has_value());

  std::ostringstream out;
  std::ostringstream err;
  // Same state dir, new config path: the signing key and TLS files exist -> refused, untouched.
  EXPECT_EQ(run_init({"--state-dir", dir_.file("state"), "--config-out", dir_.file("other.json"), "--secret-file",
                      dir_.file("secret"), "--admin-public-key", admin_.public_key().to_base64()},
                     out, err),
            73);
  EXPECT_NE(err.str().find("refusing to overwrite"), std::string::npos);
  EXPECT_FALSE(base::read_file_bounded(dir_.file("other.json"), 1U << 20U).has_value());
  EXPECT_EQ(base::read_file_bounded(config_.certificate_file, 1U << 20U).value(), cert);
  // No admin credential at all: usage error.
  EXPECT_EQ(run_init({"--state-dir", dir_.file("s2"), "--config-out", dir_.file("c2.json"), "--secret-file",
                      dir_.file("secret")},
                     out, err),
            64);
}

TEST_F(ControlMeshTest, InitAdminKeyDirCreatesAUsableAdminCredential) {
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(run_init({"--state-dir", dir_.file("state2"), "--config-out", dir_.file("c2.json"), "--secret-file",
                      dir_.file("secret"), "--admin-key-dir", dir_.file("admin")},
                     out, err),
            0)
      << err.str();
  auto secret = crypto::OperatorSecret::from_file(dir_.file("secret")).value();
  auto custody = crypto::EncryptedFileCustody::open(dir_.file("admin"), std::move(secret)).value();
  auto admin_key = crypto::load_signing_key(*custody, crypto::KeyPurpose::kControlSigning).value();
  EXPECT_NE(out.str().find("admin_public_key " + admin_key.public_key().to_base64()), std::string::npos);
  const auto config = load_service_config(dir_.file("c2.json")).value();
  ASSERT_EQ(config.admin_keys.size(), 1U);
  EXPECT_EQ(config.admin_keys[0], admin_key.public_key());
}

// Control checks what it runs - custody, signatures, tickets and what its live TLS context
// negotiates - against the operator's policy; exit 11 through the binary (control_server_main).
TEST_F(ControlMeshTest, StartupRefusesACryptoPolicyWithoutAnAlgorithmControlUses) {
  service_->stop();
  service_.reset();
  const auto write = [](const std::string& path, const std::string& text) {
    ASSERT_TRUE(base::atomic_write_file(path, text).has_value());
  };
  ServiceConfig strict = config_;
  strict.crypto_policy_file = dir_.file("crypto-policy.json");
  // Everything but the TLS suites' AEADs, which are read back from the live SSL_CTX.
  write(*strict.crypto_policy_file,
        R"({"version": 1, "allow": ["argon2id", "xchacha20-poly1305", "ed25519", "blake2b", "sha-256", "tls1.3",)"
        R"( "x25519"]})");
  auto refused = ControlService::start(strict, clock_, ServiceEnvironment{std::nullopt, false});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, ConfigErrorKind::kCryptoPolicy);
  EXPECT_NE(refused.error().message.find("aes-256-gcm"), std::string::npos) << refused.error().message;
  write(*strict.crypto_policy_file,
        R"({"version": 1, "allow": ["argon2id", "xchacha20-poly1305", "ed25519", "blake2b", "sha-256", "tls1.3",)"
        R"( "x25519", "aes-256-gcm", "chacha20-poly1305"]})");
  auto started = ControlService::start(strict, clock_, ServiceEnvironment{std::nullopt, false});
  ASSERT_TRUE(started.has_value()) << started.error().message;
  (*started)->stop();
  write(*strict.crypto_policy_file, R"({"version": 1, "allow": ["tls1.3", "md5"]})");
  refused = ControlService::start(strict, clock_, ServiceEnvironment{std::nullopt, false});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, ConfigErrorKind::kCryptoPolicy);
}

TEST_F(ControlMeshTest, StartupRefusesWithoutTheSigningKeyOrWithAWrongSecret) {
  service_->stop();
  service_.reset();
  ServiceConfig wrong_secret = config_;
  ASSERT_TRUE(base::atomic_write_file(dir_.file("wrong"), std::string("a different secret entirely\n")).has_value());
  wrong_secret.operator_secret_file = dir_.file("wrong");
  auto refused = ControlService::start(wrong_secret, clock_, ServiceEnvironment{std::nullopt, false});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, ConfigErrorKind::kStartup);
  EXPECT_NE(refused.error().message.find("custody"), std::string::npos) << refused.error().message;
  ServiceConfig no_secret = config_;
  no_secret.operator_secret_file.reset();
  refused = ControlService::start(no_secret, clock_, ServiceEnvironment{std::nullopt, false});
  ASSERT_FALSE(refused.has_value());
  EXPECT_NE(refused.error().message.find("custody"), std::string::npos) << refused.error().message;
}

TEST_F(ControlMeshTest, NodeAndAdminIdentitiesAreSeparatedAndVerified) {
  add_three_nodes();
  // A node token on its endpoint.
  EXPECT_EQ(sync("n1", 1, 0, 0).status, 200U);
  // A node token on an admin endpoint, an admin token on the node endpoint: forbidden.
  EXPECT_EQ(call("GET", "/v1/admin/nodes", token(key_from(1), "n1"), "", "127.0.0.2").status, 403U);
  EXPECT_EQ(call("POST", "/v1/node/sync", token(admin_, "admin"),
                 R"({"version":1,"known_generation":0,"wait_seconds":0,"listen_port":1})", "127.0.0.3")
                .status,
            403U);
  // A node key used as an admin key, an admin key used for a node: bad signature.
  auto reply = call("GET", "/v1/admin/nodes", token(key_from(1), "admin"), "", "127.0.0.4");
  EXPECT_EQ(reply.status, 401U);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["error"], "bad_signature");
  EXPECT_EQ(call("POST", "/v1/node/sync", token(admin_, "n2"), "{}", "127.0.0.5").status, 401U);
  // n1's token signed with n3's registered key: wrong key for the subject.
  EXPECT_EQ(call("POST", "/v1/node/sync", token(key_from(3), "n1"), "{}", "127.0.0.6").status, 401U);
  // Unknown node.
  EXPECT_EQ(call("POST", "/v1/node/sync", token(key_from(44), "n44"), "{}", "127.0.0.7").status, 401U);
  // Removed node: its next token fails at once.
  clock_.advance(std::chrono::minutes(20));  // lockouts from the failures above expire
  EXPECT_EQ(sync("n3", 3, 0, 0, nlohmann::json::array(), "127.0.0.8").status, 200U);
  ASSERT_EQ(admin("DELETE", "/v1/admin/nodes/n3").status, 200U);
  reply = sync("n3", 3, 0, 0, nlohmann::json::array(), "127.0.0.8");
  EXPECT_EQ(reply.status, 401U);
  EXPECT_EQ(nlohmann::json::parse(reply.body)["error"], "node_removed");
  // No token at all on either kind of endpoint.
  EXPECT_EQ(call("GET", "/v1/admin/policy", "", "", "127.0.0.9").status, 401U);
}

std::vector<nlohmann::json> events_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> events;
  for (std::string line; std::getline(in, line);) {
    events.push_back(nlohmann::json::parse(line));
  }
  return events;
}

std::string error_of(const HttpReply& reply) {
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  return json.is_object() && json.contains("error") ? json["error"].get<std::string>() : "";
}

// Issue 18: a household behind one address. A removed node keeps retrying and another node uses
// a wrong key; the others and the operator keep working, the two are held per identity, while a
// forger at a second address meets the spec 5.3 per-IP bucket and lockout exactly.
TEST_F(ControlMeshTest, HouseholdBehindOneAddressKeepsWorkingWhileForgersAreLockedOut) {
  add_three_nodes();
  ASSERT_EQ(add_node("n4", 4, "100.64.0.4", {"web"}).status, 201U);
  const std::string home = "127.0.0.50";
  const std::string forger = "127.0.0.60";
  ASSERT_EQ(admin("DELETE", "/v1/admin/nodes/n3").status, 200U);
  for (int round = 0; round < 4; ++round) {
    const auto removed = sync("n3", 3, 0, 0, nlohmann::json::array(), home);
    EXPECT_EQ(removed.status, round == 0 ? 401U : 429U) << round;
    EXPECT_EQ(error_of(removed), round == 0 ? "node_removed" : "locked_out") << round;
    const auto wrong = call("POST", "/v1/node/sync", token(key_from(77), "n2"), "{}", home);
    EXPECT_EQ(wrong.status, round == 0 ? 401U : 429U) << round;
    // Node traffic claiming the admin from the same address: the admin chain never sees it.
    EXPECT_NE(call("POST", "/v1/node/sync", token(key_from(1), "admin"), "{}", home).status, 200U);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(sync("n1", 1, 0, 0, nlohmann::json::array(), home).status, 200U) << round;
      EXPECT_EQ(sync("n4", 4, 0, 0, nlohmann::json::array(), home).status, 200U) << round;
      EXPECT_EQ(sync("n2", 2, 0, 0, nlohmann::json::array(), home).status, 200U) << round;  // its right key
      // The operator's reads, back to back, from the same address.
      EXPECT_EQ(call("GET", "/v1/admin/nodes", token(admin_, "admin"), "", home).status, 200U) << round;
    }
    clock_.advance(std::chrono::seconds(5));
  }
  // The forger: 20 through the per-IP bucket (the first a 401 that locks the address for 30 s),
  // then one token every 6 s.
  const control::TokenIssuer forged(key_from(66), "rustynet-control", clock_);
  auto client = HttpsClient::connect(service_->port(), forger);
  ASSERT_NE(client, nullptr);
  const auto first = client->request("POST", "/v1/node/sync", forged.issue("n-unknown").value(), "{}");
  EXPECT_EQ(first.status, 401U);
  EXPECT_EQ(error_of(first), "bad_signature");
  for (int i = 1; i < 20; ++i) {
    const auto locked = client->request("POST", "/v1/node/sync", forged.issue("n-unknown").value(), "{}");
    EXPECT_EQ(error_of(locked), "locked_out") << i;
    EXPECT_EQ(locked.retry_after, "30") << i;
  }
  const auto limited = client->request("POST", "/v1/node/sync", forged.issue("n-unknown").value(), "{}");
  EXPECT_EQ(limited.status, 429U);
  EXPECT_EQ(error_of(limited), "rate_limited_ip");
  EXPECT_EQ(limited.retry_after, "6");
  clock_.advance(std::chrono::seconds(30));
  EXPECT_EQ(client->request("POST", "/v1/node/sync", "garbage", "{}").status, 401U);
  EXPECT_EQ(client->request("POST", "/v1/node/sync", "garbage", "{}").retry_after, "60");
  // Admin endpoints have their own state: the forger's first admin attempt is a plain 401.
  EXPECT_EQ(error_of(client->request("GET", "/v1/admin/nodes", "garbage")), "malformed_token");
  // The household is still fine after all of it.
  EXPECT_EQ(sync("n1", 1, 0, 0, nlohmann::json::array(), home).status, 200U);
  EXPECT_EQ(call("PUT", "/v1/admin/policy", token(admin_, "admin"),
                 nlohmann::json({{"version", 1}, {"document", kPolicyWebDb}}).dump(), home)
                .status,
            200U);

  // The events say which key each decision used.
  int removed_identity = 0;
  int wrong_key_pair = 0;
  int forger_source = 0;
  for (const auto& event : events_of(dir_.file("events.log"))) {
    EXPECT_EQ(event["version"], 2);
    if (event["identity"] == "n3" && event["source_ip"] == home) {
      EXPECT_EQ(event["abuse_key"], "identity");
      ++removed_identity;
    }
    if (event["identity"] == "n2" && event["identity_verified"] == false) {
      EXPECT_EQ(event["abuse_key"], "source_identity");
      ++wrong_key_pair;
    }
    if (event["source_ip"] == forger) {
      EXPECT_EQ(event["abuse_key"], "source");
      ++forger_source;
    }
  }
  EXPECT_EQ(removed_identity, 4);
  EXPECT_EQ(wrong_key_pair, 4);
  EXPECT_EQ(forger_source, 24);
}

nlohmann::json batch_node(const std::string& id, std::uint8_t index, const std::string& address) {
  return {{"node_id", id},
          {"identity_public_key", key_from(index).public_key().to_base64()},
          {"tunnel_public_key", tunnel_key(index)},
          {"addresses", {address}},
          {"tags", {"web"}}};
}

// Issue 18 item 4: many nodes (and a policy) in one request and one store transaction.
TEST_F(ControlMeshTest, BatchRegistersAllOrNothingAndNamesTheBadEntry) {
  nlohmann::json nodes = nlohmann::json::array();
  for (int i = 1; i <= 200; ++i) {
    nodes.push_back(batch_node("b" + std::to_string(i), static_cast<std::uint8_t>(i),
                               "100.64." + std::to_string(i / 100) + "." + std::to_string(i % 100 + 1)));
  }
  const auto before = nlohmann::json::parse(admin("GET", "/v1/admin/policy").body)["generation"].get<std::uint64_t>();
  auto reply = admin("POST", "/v1/admin/batch", {{"version", 1}, {"nodes", nodes}, {"policy", kPolicyWebDb}});
  ASSERT_EQ(reply.status, 201U) << reply.body;
  auto answer = nlohmann::json::parse(reply.body);
  EXPECT_EQ(answer["nodes"].size(), 200U);
  EXPECT_EQ(answer["generation"], before + 1);
  EXPECT_EQ(nlohmann::json::parse(admin("GET", "/v1/admin/nodes").body)["nodes"].size(), 200U);
  EXPECT_EQ(verify(sync("b7", 7, 0, 0), "b7").peers.size(), 0U);  // tag web sees only db

  // Each refusal changes nothing: not the registry, not the policy.
  nlohmann::json changed_policy = kPolicyWebDb;
  changed_policy["rules"][0]["id"] = "changed";
  const auto refused = [&](const nlohmann::json& entries, unsigned status, const std::string& needle) {
    const auto bad = admin("POST", "/v1/admin/batch", {{"version", 1}, {"nodes", entries}, {"policy", changed_policy}});
    EXPECT_EQ(bad.status, status) << bad.body;
    EXPECT_NE(bad.body.find(needle), std::string::npos) << bad.body;
  };
  const auto fresh = batch_node("c1", 201, "100.64.9.1");
  refused({fresh, batch_node("c2", 202, "100.64.0.2")}, 409U, "nodes[1]: address already registered");
  refused({fresh, batch_node("c1", 203, "100.64.9.3")}, 409U, "nodes[1]: node_id repeated in the batch");
  refused({fresh, batch_node("b5", 204, "100.64.9.4")}, 409U, "nodes[1]: node_id already registered");
  auto bad_key = batch_node("c3", 205, "100.64.9.5");
  bad_key["identity_public_key"] = "AAAA";
  refused({fresh, fresh, bad_key}, 400U, "$.nodes[2]");
  auto reserved = batch_node("admin", 206, "100.64.9.6");
  refused({fresh, reserved}, 400U, "nodes[1]");
  nlohmann::json too_many = nlohmann::json::array();
  for (std::size_t i = 0; i <= kMaxBatchNodes; ++i) {
    too_many.push_back(fresh);
  }
  refused(too_many, 400U, "$.nodes");
  const auto invalid_policy =
      admin("POST", "/v1/admin/batch",
            {{"version", 1}, {"nodes", {fresh}}, {"policy", {{"version", 1}, {"rules", {{{"id", "x"}}}}}}});
  EXPECT_EQ(invalid_policy.status, 400U) << invalid_policy.body;
  EXPECT_EQ(admin("POST", "/v1/admin/batch", {{"version", 1}}).status, 400U);
  // The batch body is bounded (256 KiB): the declared length alone is refused.
  EXPECT_EQ(HttpsClient::connect(service_->port(), "127.0.0.1")
                ->raw("POST /v1/admin/batch HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n")
                .status,
            413U);
  const auto list = nlohmann::json::parse(admin("GET", "/v1/admin/nodes").body);
  EXPECT_EQ(list["nodes"].size(), 200U);
  const auto policy = nlohmann::json::parse(admin("GET", "/v1/admin/policy").body);
  EXPECT_EQ(policy["generation"], before + 1);
  EXPECT_EQ(policy["document"], kPolicyWebDb);
  // Nodes only, no policy: the policy in force stays.
  reply = admin("POST", "/v1/admin/batch", {{"version", 1}, {"nodes", {fresh}}});
  ASSERT_EQ(reply.status, 201U) << reply.body;
  EXPECT_EQ(nlohmann::json::parse(reply.body)["generation"], before + 1);
  // A node added by the batch is a node like any other.
  EXPECT_EQ(sync("c1", 201, 0, 0).status, 200U);
}

TEST_F(ControlMeshTest, RegistryRejectsConflictsAndReservedIds) {
  ASSERT_EQ(add_node("n1", 1, "100.64.0.1", {"web"}).status, 201U);
  auto conflict = [this](const nlohmann::json& node) {
    return admin("POST", "/v1/admin/nodes", {{"version", 1}, {"node", node}});
  };
  const nlohmann::json base_node = {{"node_id", "n2"},
                                    {"identity_public_key", key_from(2).public_key().to_base64()},
                                    {"tunnel_public_key", tunnel_key(2)},
                                    {"addresses", {"100.64.0.2"}},
                                    {"tags", nlohmann::json::array()}};
  auto same_id = base_node;
  same_id["node_id"] = "n1";
  auto same_identity = base_node;
  same_identity["identity_public_key"] = key_from(1).public_key().to_base64();
  auto same_tunnel = base_node;
  same_tunnel["tunnel_public_key"] = tunnel_key(1);
  auto same_address = base_node;
  same_address["addresses"] = {"100.64.0.1"};
  for (const auto& [node, field] :
       std::vector<std::pair<nlohmann::json, std::string>>{{same_id, "node_id"},
                                                           {same_identity, "identity_public_key"},
                                                           {same_tunnel, "tunnel_public_key"},
                                                           {same_address, "address"}}) {
    const auto reply = conflict(node);
    EXPECT_EQ(reply.status, 409U) << field << ": " << reply.body;
    EXPECT_NE(reply.body.find(field), std::string::npos) << reply.body;
  }
  auto reserved = base_node;
  reserved["node_id"] = "admin";
  EXPECT_EQ(conflict(reserved).status, 400U);
  auto bad_key = base_node;
  bad_key["identity_public_key"] = "AAAA";
  EXPECT_EQ(conflict(bad_key).status, 400U);
  EXPECT_EQ(admin("DELETE", "/v1/admin/nodes/nobody").status, 404U);
  // Nothing of the refused requests stuck.
  const auto list = nlohmann::json::parse(admin("GET", "/v1/admin/nodes").body);
  ASSERT_EQ(list["nodes"].size(), 1U);
  EXPECT_EQ(list["nodes"][0]["node_id"], "n1");
  // n2 itself is fine.
  EXPECT_EQ(conflict(base_node).status, 201U);
}

TEST_F(ControlMeshTest, InvalidPolicyKeepsTheOldOne) {
  auto reply = admin("GET", "/v1/admin/policy");
  ASSERT_EQ(reply.status, 200U);
  auto json = nlohmann::json::parse(reply.body);
  EXPECT_EQ(json["document"]["rules"], nlohmann::json::array());  // default: deny all
  const auto first_generation = json["generation"].get<std::uint64_t>();
  ASSERT_EQ(admin("PUT", "/v1/admin/policy", {{"version", 1}, {"document", kPolicyWebDb}}).status, 200U);
  auto broken = kPolicyWebDb;
  broken["rules"][0]["src"] = {"10.0.0.1/8"};  // host bits set
  reply = admin("PUT", "/v1/admin/policy", {{"version", 1}, {"document", broken}});
  EXPECT_EQ(reply.status, 400U);
  EXPECT_NE(reply.body.find("$.rules[0].src[0]"), std::string::npos) << reply.body;
  json = nlohmann::json::parse(admin("GET", "/v1/admin/policy").body);
  EXPECT_EQ(json["generation"].get<std::uint64_t>(), first_generation + 1);
  EXPECT_EQ(json["document"], kPolicyWebDb);
}

TEST_F(ControlMeshTest, UnenforceablePolicyIsRefusedNamingTheRuleAndChangesNothing) {
  ASSERT_EQ(admin("PUT", "/v1/admin/policy", {{"version", 1}, {"document", kPolicyWebDb}}).status, 200U);
  const auto before = nlohmann::json::parse(admin("GET", "/v1/admin/policy").body);
  auto lan = kPolicyWebDb;
  lan["rules"].push_back(
      {{"id", "lan"}, {"action", "allow"}, {"src", {"*"}}, {"dst", {"node:web-1", "192.168.1.0/24"}}});
  const auto reply = admin("PUT", "/v1/admin/policy", {{"version", 1}, {"document", lan}});
  EXPECT_EQ(reply.status, 422U);
  EXPECT_NE(reply.body.find("unenforceable"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("lan"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("dst[1]"), std::string::npos) << reply.body;
  const auto after = nlohmann::json::parse(admin("GET", "/v1/admin/policy").body);
  EXPECT_EQ(after, before);
}

TEST_F(ControlMeshTest, SyncReturnsAVerifiableStateWithOnlyVisiblePeers) {
  add_three_nodes();
  const auto n1 = verify(sync("n1", 1, 0, 0, nlohmann::json::array({"192.0.2.1:51820"})), "n1");
  EXPECT_EQ(n1.node_id, "n1");
  EXPECT_EQ(peer_ids(n1), std::vector<std::string>{"n2"});
  const auto n2 = verify(sync("n2", 2, 0, 0), "n2");
  ASSERT_EQ(peer_ids(n2), std::vector<std::string>{"n1"});  // reachable from n1: configured both ways
  EXPECT_EQ(n2.peers[0].endpoints.size(), 1U);
  EXPECT_EQ(n2.peers[0].endpoints[0].to_string(), "192.0.2.1:51820");
  ASSERT_EQ(n2.peers[0].allowed_prefixes.size(), 1U);
  EXPECT_EQ(n2.peers[0].allowed_prefixes[0].to_string(), "100.64.0.1/32");
  ASSERT_EQ(n2.routes.size(), 1U);
  EXPECT_EQ(n2.routes[0].via, "n1");
  const auto n3 = verify(sync("n3", 3, 0, 0), "n3");
  EXPECT_TRUE(n3.peers.empty());
  // No endpoints reported: the TLS source address and the listen port.
  const auto n1_again = verify(sync("n2", 2, 0, 0), "n2");
  const auto n1_view = verify(sync("n1", 1, 0, 0, nlohmann::json::array(), "127.0.0.20"), "n1");
  ASSERT_EQ(n1_view.peers.size(), 1U);
  EXPECT_EQ(n1_view.peers[0].endpoints[0].to_string(), "127.0.0.1:51820");
  EXPECT_EQ(n1_again.peers.size(), 1U);
}

TEST_F(ControlMeshTest, RelayedPairCarriesTheRelayInBothStatesAndOthersDoNot) {
  restart_with_relay();
  add_three_nodes();
  ASSERT_EQ(add_node("n4", 4, "100.64.0.4", {"web"}).status, 201U);
  const auto n1 = verify(sync("n1", 1, 0, 0), "n1");
  ASSERT_EQ(peer_ids(n1), std::vector<std::string>{"n2"});
  ASSERT_TRUE(n1.peers[0].relay.has_value());
  EXPECT_EQ(n1.peers[0].relay->relay_id, "r1");
  EXPECT_EQ(n1.peers[0].relay->address.to_string(), "198.51.100.7:4600");
  const auto n2 = verify(sync("n2", 2, 0, 0), "n2");
  ASSERT_EQ(peer_ids(n2), (std::vector<std::string>{"n1", "n4"}));
  ASSERT_TRUE(n2.peers[0].relay.has_value());  // the same relay from the other side
  EXPECT_EQ(n2.peers[0].relay, n1.peers[0].relay);
  EXPECT_FALSE(n2.peers[1].relay.has_value());  // n2 <-> n4: direct
}

TEST_F(ControlMeshTest, RelayTicketsNameTheirHolderAndShareOneSessionPerPair) {
  restart_with_relay();
  add_three_nodes();
  const auto control_key = service_->control_public_key();
  auto fetch = [&](const std::string& node, std::uint8_t index, const std::string& peer) {
    const HttpReply reply = relay_ticket(node, index, {{"version", 1}, {"peer", peer}});
    EXPECT_EQ(reply.status, 200U) << reply.body;
    const auto json = nlohmann::json::parse(reply.body);
    EXPECT_EQ(json["relay_id"], "r1");
    EXPECT_EQ(json["address"], "198.51.100.7:4600");
    const auto now = clock_.wall_now().value();
    EXPECT_EQ(json["expires_at"].get<std::int64_t>(), now.seconds + 120);
    auto claims = crypto::verify_relay_ticket(b64(json["ticket"]), control_key, "r1", now);
    EXPECT_TRUE(claims.has_value()) << claims.error().describe();
    EXPECT_EQ(claims->node_id, node);
    EXPECT_EQ(claims->peer_node_id, peer);
    EXPECT_EQ(claims->expires_at - claims->issued_at, 120);
    // Valid on r1 only.
    EXPECT_FALSE(crypto::verify_relay_ticket(b64(json["ticket"]), control_key, "r2", now).has_value());
    return *claims;
  };
  const auto first = fetch("n1", 1, "n2");
  const auto second = fetch("n2", 2, "n1");
  EXPECT_EQ(first.session_id, second.session_id);
  EXPECT_NE(first.ticket_id, second.ticket_id);
  clock_.advance(std::chrono::minutes(10));  // the first tickets expired; the pair's session remains
  const auto again = fetch("n1", 1, "n2");
  EXPECT_EQ(again.session_id, first.session_id);
  EXPECT_NE(again.ticket_id, first.ticket_id);
  // Stateless: the same session id after a control restart, and a different one for another pair.
  service_.reset();
  start();
  EXPECT_EQ(fetch("n2", 2, "n1").session_id, first.session_id);
  ASSERT_EQ(add_node("n4", 4, "100.64.0.4", {"db"}).status, 201U);  // web n1 reaches db n4: relayed
  EXPECT_NE(fetch("n1", 1, "n4").session_id, first.session_id);
}

TEST_F(ControlMeshTest, RelayTicketRefusals) {
  restart_with_relay();
  add_three_nodes();
  ASSERT_EQ(add_node("n4", 4, "100.64.0.4", {"web"}).status, 201U);
  struct Refusal {
    const char* name;
    std::string node;
    std::uint8_t index;
    nlohmann::json body;
    unsigned status;
  };
  const Refusal refusals[] = {
      {"peer not visible", "n1", 1, {{"version", 1}, {"peer", "n3"}}, 404},
      {"peer unknown", "n1", 1, {{"version", 1}, {"peer", "nobody"}}, 404},
      {"pair not relayed", "n2", 2, {{"version", 1}, {"peer", "n4"}}, 403},
      {"self", "n1", 1, {{"version", 1}, {"peer", "n1"}}, 400},
      {"bad peer id", "n1", 1, {{"version", 1}, {"peer", "n 2"}}, 400},
      {"missing peer", "n1", 1, {{"version", 1}}, 400},
      {"unknown field", "n1", 1, {{"version", 1}, {"peer", "n2"}, {"extra", 1}}, 400},
      {"unknown version", "n1", 1, {{"version", 2}, {"peer", "n2"}}, 400},
  };
  for (const auto& refusal : refusals) {
    const HttpReply reply = relay_ticket(refusal.node, refusal.index, refusal.body);
    EXPECT_EQ(reply.status, refusal.status) << refusal.name << ": " << reply.body;
    EXPECT_EQ(reply.body.find("ticket\""), std::string::npos) << refusal.name;
  }
  // Invisible and unknown peers are indistinguishable.
  EXPECT_EQ(relay_ticket("n1", 1, {{"version", 1}, {"peer", "n3"}}).body,
            relay_ticket("n1", 1, {{"version", 1}, {"peer", "nobody"}}).body);
  const std::string body = nlohmann::json({{"version", 1}, {"peer", "n2"}}).dump();
  EXPECT_EQ(call("GET", "/v1/node/relay-ticket", token(key_from(1), "n1"), body).status, 405U);
  // Separate source addresses: the 401 starts the per-source lockout.
  EXPECT_EQ(call("POST", "/v1/node/relay-ticket", token(admin_, "admin"), body, "127.0.0.31").status, 403U);
  EXPECT_EQ(call("POST", "/v1/node/relay-ticket", "", body, "127.0.0.32").status, 401U);
  // Fail closed without a wall clock (the auth chain refuses first; MeshState would answer 503).
  const std::string n1_token = token(key_from(1), "n1");  // issued while the clock still works
  clock_.set_wall_usable(false);
  EXPECT_NE(call("POST", "/v1/node/relay-ticket", n1_token, body, "127.0.0.33").status, 200U);
}

// n1 is behind r1 (always relayed); n4 may fall back to r2 (candidate). n2 (db) sees n1 and n4 (web).
TEST_F(ControlMeshTest, CandidatePairsCarryRelayCandidateAndGetTicketsOthersDoNot) {
  service_.reset();
  config_.relays = {RelaySite{"r1", policy::SocketAddress::parse("198.51.100.7:4600").value(), {"n1"}, {}},
                    RelaySite{"r2", policy::SocketAddress::parse("198.51.100.8:3478").value(), {}, {"n4"}}};
  start();
  add_three_nodes();
  ASSERT_EQ(add_node("n4", 4, "100.64.0.4", {"web"}).status, 201U);
  ASSERT_EQ(add_node("n5", 5, "100.64.0.5", {"web"}).status, 201U);
  const auto n2 = verify(sync("n2", 2, 0, 0), "n2");
  ASSERT_EQ(peer_ids(n2), (std::vector<std::string>{"n1", "n4", "n5"}));
  // n1: marked, never also a candidate.
  ASSERT_TRUE(n2.peers[0].relay.has_value());
  EXPECT_EQ(n2.peers[0].relay->relay_id, "r1");
  EXPECT_FALSE(n2.peers[0].relay_candidate.has_value());
  // n4: a candidate of r2, not marked; the same from n4's side.
  EXPECT_FALSE(n2.peers[1].relay.has_value());
  ASSERT_TRUE(n2.peers[1].relay_candidate.has_value());
  EXPECT_EQ(n2.peers[1].relay_candidate->relay_id, "r2");
  EXPECT_EQ(n2.peers[1].relay_candidate->address.to_string(), "198.51.100.8:3478");
  const auto n4 = verify(sync("n4", 4, 0, 0), "n4");
  ASSERT_EQ(peer_ids(n4), std::vector<std::string>{"n2"});
  EXPECT_EQ(n4.peers[0].relay_candidate, n2.peers[1].relay_candidate);
  // n5: neither.
  EXPECT_FALSE(n2.peers[2].relay.has_value());
  EXPECT_FALSE(n2.peers[2].relay_candidate.has_value());

  // Tickets: a candidate pair gets them (on r2, one session for both sides); a pair with neither
  // mark nor candidate does not, and neither does an invisible pair.
  const auto control_key = service_->control_public_key();
  const auto now = clock_.wall_now().value();
  auto ticket_of = [&](const std::string& node, std::uint8_t index, const std::string& peer) {
    const HttpReply reply = relay_ticket(node, index, {{"version", 1}, {"peer", peer}});
    EXPECT_EQ(reply.status, 200U) << reply.body;
    const auto json = nlohmann::json::parse(reply.body);
    EXPECT_EQ(json["relay_id"], "r2");
    EXPECT_EQ(json["address"], "198.51.100.8:3478");
    auto claims = crypto::verify_relay_ticket(b64(json["ticket"]), control_key, "r2", now);
    EXPECT_TRUE(claims.has_value()) << claims.error().describe();
    EXPECT_EQ(claims->node_id, node);
    EXPECT_EQ(claims->peer_node_id, peer);
    return *claims;
  };
  const auto from_n2 = ticket_of("n2", 2, "n4");
  const auto from_n4 = ticket_of("n4", 4, "n2");
  EXPECT_EQ(from_n2.session_id, from_n4.session_id);
  const HttpReply refused = relay_ticket("n2", 2, {{"version", 1}, {"peer", "n5"}});
  EXPECT_EQ(refused.status, 403U) << refused.body;
  EXPECT_EQ(refused.body.find("ticket\""), std::string::npos);
  EXPECT_EQ(relay_ticket("n5", 5, {{"version", 1}, {"peer", "n2"}}).status, 403U);
  EXPECT_EQ(relay_ticket("n4", 4, {{"version", 1}, {"peer", "n5"}}).status, 404U);  // web-web: not visible
  // The marked pair still gets r1.
  const HttpReply marked = relay_ticket("n2", 2, {{"version", 1}, {"peer", "n1"}});
  ASSERT_EQ(marked.status, 200U) << marked.body;
  EXPECT_EQ(nlohmann::json::parse(marked.body)["relay_id"], "r1");
}

TEST_F(ControlMeshTest, RelayConfigIsStrict) {
  const auto base_json = nlohmann::json::parse(base::read_file_bounded(dir_.file("control.json"), 1U << 20U).value());
  auto with_relays = [&](const nlohmann::json& relays) {
    auto json = base_json;
    json["relays"] = relays;
    return parse_service_config(json.dump());
  };
  const nlohmann::json good = {{"relay_id", "r1"}, {"address", "198.51.100.7:4600"}, {"nodes", {"n1", "n2"}}};
  auto parsed = with_relays(nlohmann::json::array({good}));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  ASSERT_EQ(parsed->relays.size(), 1U);
  EXPECT_EQ(parsed->relays[0].nodes, (std::vector<std::string>{"n1", "n2"}));
  EXPECT_TRUE(parse_service_config(base_json.dump())->relays.empty());  // optional
  auto with_candidates = good;
  with_candidates.erase("nodes");
  with_candidates["candidate_nodes"] = {"n3"};
  auto candidates = with_relays(nlohmann::json::array({with_candidates}));
  ASSERT_TRUE(candidates.has_value()) << candidates.error().message;
  EXPECT_TRUE(candidates->relays[0].nodes.empty());
  EXPECT_EQ(candidates->relays[0].candidate_nodes, std::vector<std::string>{"n3"});
  auto both_lists = good;
  both_lists["candidate_nodes"] = {"n3"};
  ASSERT_TRUE(with_relays(nlohmann::json::array({both_lists})).has_value());
  auto no_list = good;
  no_list.erase("nodes");

  auto changed = [&](const char* key, const nlohmann::json& value) {
    auto site = good;
    site[key] = value;
    return site;
  };
  auto other = good;
  other["relay_id"] = "r2";
  other["nodes"] = nlohmann::json::array({"n2"});
  const std::pair<const char*, nlohmann::json> bad[] = {
      {"unknown field", nlohmann::json::array({changed("extra", 1)})},
      {"bad relay id", nlohmann::json::array({changed("relay_id", "-r")})},
      {"bad address", nlohmann::json::array({changed("address", "198.51.100.7")})},
      {"no nodes", nlohmann::json::array({changed("nodes", nlohmann::json::array())})},
      {"bad node id", nlohmann::json::array({changed("nodes", nlohmann::json::array({"n 1"}))})},
      {"node id too long for a ticket",
       nlohmann::json::array({changed("nodes", nlohmann::json::array({std::string(65, 'n')}))})},
      {"duplicate relay id", nlohmann::json::array({good, good})},
      {"node behind two relays", nlohmann::json::array({good, other})},
      {"not an array", good},
      {"neither nodes nor candidate_nodes", nlohmann::json::array({no_list})},
      {"empty candidate_nodes", nlohmann::json::array({changed("candidate_nodes", nlohmann::json::array())})},
      {"bad candidate id", nlohmann::json::array({changed("candidate_nodes", nlohmann::json::array({"n 3"}))})},
      {"node always relayed and a candidate", nlohmann::json::array({changed("candidate_nodes", {"n2"})})},
      {"candidate of two relays",
       nlohmann::json::array({changed("candidate_nodes", {"n3"}), [&] {
                                auto site = other;
                                site["candidate_nodes"] = {"n3"};
                                return site;
                              }()})},
  };
  for (const auto& [name, relays] : bad) {
    auto result = with_relays(relays);
    ASSERT_FALSE(result.has_value()) << name;
    EXPECT_NE(result.error().message.find("$.relays"), std::string::npos) << name << ": " << result.error().message;
  }
}

TEST_F(ControlMeshTest, UnchangedStateKeepsItsGenerationAndWaitEndsWith204) {
  add_three_nodes();
  const auto first = nlohmann::json::parse(sync("n1", 1, 0, 0).body);
  const auto generation = first["generation"].get<std::uint64_t>();
  const auto again = nlohmann::json::parse(sync("n1", 1, 0, 0).body);
  EXPECT_EQ(again["generation"].get<std::uint64_t>(), generation);  // cached, not re-signed
  EXPECT_EQ(again["node_state"], first["node_state"]);
  const auto start = Clock::now();
  const auto reply = sync("n1", 1, generation, 1);
  const auto elapsed = Clock::now() - start;
  EXPECT_EQ(reply.status, 204U);
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(3));
  EXPECT_EQ(sync("n1", 1, generation, 0).status, 204U);
  // Half the lifetime later the same content is re-signed with a new generation.
  clock_.advance(std::chrono::hours(12));
  const auto renewed = nlohmann::json::parse(sync("n1", 1, generation, 0).body);
  EXPECT_GT(renewed["generation"].get<std::uint64_t>(), generation);
}

// Runs a long-poll on its own thread; returns when it answered.
struct PendingSync {
  std::thread thread;
  HttpReply reply;
  Clock::time_point answered;
  void join() { thread.join(); }
};

TEST_F(ControlMeshTest, LongPollWakesPromptlyOnPolicyAndEndpointChanges) {
  add_three_nodes();
  const auto n3_generation = nlohmann::json::parse(sync("n3", 3, 0, 0).body)["generation"].get<std::uint64_t>();

  // 1. A policy change reaches a held n3 long-poll.
  const std::string n3_token = token(key_from(3), "n3");
  PendingSync pending;
  pending.thread = std::thread([&] {
    pending.reply =
        call("POST", "/v1/node/sync", n3_token,
             nlohmann::json(
                 {{"version", 1}, {"known_generation", n3_generation}, {"wait_seconds", 20}, {"listen_port", 51820}})
                 .dump());
    pending.answered = Clock::now();
  });
  const auto wait_held = [this] {
    const auto limit = Clock::now() + std::chrono::seconds(5);
    while (service_->waiting() == 0 && Clock::now() < limit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return service_->waiting() > 0;
  };
  ASSERT_TRUE(wait_held());
  auto open = kPolicyWebDb;
  open["rules"].push_back(
      {{"id", "guest-db"}, {"action", "allow"}, {"src", {"node:n3"}}, {"dst", {"node:n2"}}, {"protocol", "any"}});
  const auto changed_at = Clock::now();
  ASSERT_EQ(admin("PUT", "/v1/admin/policy", {{"version", 1}, {"document", open}}).status, 200U);
  pending.join();
  const auto policy_latency = pending.answered - changed_at;
  EXPECT_LT(policy_latency, std::chrono::milliseconds(500));
  EXPECT_EQ(peer_ids(verify(pending.reply, "n3")), std::vector<std::string>{"n2"});
  std::printf("policy change -> long-poll answer: %.1f ms\n",
              std::chrono::duration<double, std::milli>(policy_latency).count());

  // 2. n2 reports a new endpoint: the held n1 long-poll wakes with it. (The policy change above
  // changed every node's state: the digest is part of it.)
  const auto n1_generation = nlohmann::json::parse(sync("n1", 1, 0, 0).body)["generation"].get<std::uint64_t>();
  const std::string n1_token = token(key_from(1), "n1");
  PendingSync n1_pending;
  n1_pending.thread = std::thread([&] {
    n1_pending.reply =
        call("POST", "/v1/node/sync", n1_token,
             nlohmann::json(
                 {{"version", 1}, {"known_generation", n1_generation}, {"wait_seconds", 20}, {"listen_port", 51820}})
                 .dump());
    n1_pending.answered = Clock::now();
  });
  ASSERT_TRUE(wait_held());
  const auto moved_at = Clock::now();
  ASSERT_EQ(sync("n2", 2, 0, 0, nlohmann::json::array({"198.51.100.7:4500"})).status, 200U);
  n1_pending.join();
  EXPECT_LT(n1_pending.answered - moved_at, std::chrono::milliseconds(500));
  const auto n1 = verify(n1_pending.reply, "n1");
  ASSERT_EQ(n1.peers.size(), 1U);
  ASSERT_EQ(n1.peers[0].endpoints.size(), 1U);
  EXPECT_EQ(n1.peers[0].endpoints[0].to_string(), "198.51.100.7:4500");

  // 3. Removing a node wakes its peers' long-polls too.
  const auto n2_generation =
      nlohmann::json::parse(sync("n2", 2, 0, 0, nlohmann::json::array({"198.51.100.7:4500"})).body)["generation"]
          .get<std::uint64_t>();
  const std::string n2_token = token(key_from(2), "n2");
  PendingSync n2_pending;
  n2_pending.thread = std::thread([&] {
    n2_pending.reply = call("POST", "/v1/node/sync", n2_token,
                            nlohmann::json({{"version", 1},
                                            {"known_generation", n2_generation},
                                            {"wait_seconds", 20},
                                            {"listen_port", 51820},
                                            {"endpoints", nlohmann::json::array({"198.51.100.7:4500"})}})
                                .dump());
    n2_pending.answered = Clock::now();
  });
  ASSERT_TRUE(wait_held());
  ASSERT_EQ(admin("DELETE", "/v1/admin/nodes/n3").status, 200U);
  n2_pending.join();
  EXPECT_EQ(peer_ids(verify(n2_pending.reply, "n2")), std::vector<std::string>{"n1"});
}

double process_cpu_ms() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto ms = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) * 1000.0 + static_cast<double>(tv.tv_usec) / 1000.0;
  };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

// Parked long-polls hold no thread and burn no CPU; one policy change answers all of them.
TEST_F(ControlMeshTest, ManyParkedLongPollsAreIdleAndAllWakeOnAPolicyChange) {
  constexpr int kNodes = 24;
  std::vector<std::uint64_t> generations;
  for (int i = 0; i < kNodes; ++i) {
    const auto index = static_cast<std::uint8_t>(10 + i);
    const std::string id = "m" + std::to_string(i);
    ASSERT_EQ(add_node(id, index, "100.64.1." + std::to_string(i + 1), {"mesh"}).status, 201U);
  }
  for (int i = 0; i < kNodes; ++i) {
    const auto reply = sync("m" + std::to_string(i), static_cast<std::uint8_t>(10 + i), 0, 0);
    ASSERT_EQ(reply.status, 200U);
    generations.push_back(nlohmann::json::parse(reply.body)["generation"].get<std::uint64_t>());
  }
  std::vector<PendingSync> pending(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    const std::string body = nlohmann::json({{"version", 1},
                                             {"known_generation", generations[static_cast<std::size_t>(i)]},
                                             {"wait_seconds", 30},
                                             {"listen_port", 51820}})
                                 .dump();
    const std::string bearer = token(key_from(static_cast<std::uint8_t>(10 + i)), "m" + std::to_string(i));
    auto& slot = pending[static_cast<std::size_t>(i)];
    slot.thread = std::thread([this, &slot, body, bearer] {
      slot.reply = call("POST", "/v1/node/sync", bearer, body);
      slot.answered = Clock::now();
    });
  }
  const auto limit = Clock::now() + std::chrono::seconds(20);
  while (service_->waiting() < static_cast<std::size_t>(kNodes) && Clock::now() < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(service_->waiting(), static_cast<std::size_t>(kNodes));
  // Idle: the whole process (server and the blocked client threads) over half a second.
  const double cpu_before = process_cpu_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const double idle_cpu = process_cpu_ms() - cpu_before;
  EXPECT_LT(idle_cpu, 50.0);
  const nlohmann::json all = {
      {"version", 1},
      {"rules",
       {{{"id", "all"}, {"action", "allow"}, {"src", {"tag:mesh"}}, {"dst", {"tag:mesh"}}, {"protocol", "any"}}}}};
  const double cpu_at_change = process_cpu_ms();
  const auto changed_at = Clock::now();
  ASSERT_EQ(admin("PUT", "/v1/admin/policy", {{"version", 1}, {"document", all}}).status, 200U);
  Clock::time_point last = changed_at;
  for (auto& slot : pending) {
    slot.join();
    EXPECT_EQ(slot.reply.status, 200U);
    last = std::max(last, slot.answered);
  }
  const auto all_answered = last - changed_at;
  const double wake_cpu = process_cpu_ms() - cpu_at_change;
  // Generous bound: shared CI cores and sanitizers; the measured figure is printed below.
  EXPECT_LT(all_answered, std::chrono::seconds(5));
  EXPECT_EQ(verify(pending[0].reply, "m0").peers.size(), static_cast<std::size_t>(kNodes - 1));
  std::printf(
      "%d parked long-polls: idle CPU %.1f ms over 500 ms; policy change -> all answered in %.1f ms "
      "(process CPU %.1f ms, incl. %d TLS client threads)\n",
      kNodes, idle_cpu, std::chrono::duration<double, std::milli>(all_answered).count(), wake_cpu, kNodes);
}

TEST_F(ControlMeshTest, GenerationsStrictlyIncreaseAcrossRestarts) {
  add_three_nodes();
  std::uint64_t last = 0;
  for (int round = 0; round < 3; ++round) {
    const auto reply = sync("n1", 1, 0, 0);
    ASSERT_EQ(reply.status, 200U);
    const auto generation = nlohmann::json::parse(reply.body)["generation"].get<std::uint64_t>();
    EXPECT_GT(generation, last) << "round " << round;
    last = generation;
    if (round < 2) {
      service_->stop();
      service_.reset();
      start();
    }
  }
}

// The binary's serve path under a fake systemd: READY=1 once listening, WATCHDOG=1 at half of
// WATCHDOG_USEC, a clean exit on SIGTERM.
TEST_F(ControlMeshTest, ServeNotifiesSystemdAndStopsOnSigterm) {
  service_->stop();
  service_.reset();
  std::uint16_t port = 0;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  auto json = nlohmann::json::parse(base::read_file_bounded(dir_.file("control.json"), 1U << 20U).value());
  json["listen"]["port"] = port;
  ASSERT_TRUE(base::atomic_write_file(dir_.file("serve.json"), json.dump()).has_value());

  boost::asio::io_context io;
  const std::string notify_path = dir_.file("notify");
  boost::asio::local::datagram_protocol::socket notify(io,
                                                       boost::asio::local::datagram_protocol::endpoint(notify_path));
  timeval timeout{5, 0};
  ASSERT_EQ(::setsockopt(notify.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)), 0);
  ASSERT_EQ(::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1), 0);
  ASSERT_EQ(::setenv("WATCHDOG_USEC", "100000", 1), 0);
  ASSERT_EQ(::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1), 0);

  std::ostringstream out;
  std::ostringstream err;
  int rc = -1;
  std::thread serving([&] { rc = run({"--config", dir_.file("serve.json")}, out, err); });
  std::vector<std::string> messages;
  std::array<char, 512> buffer{};
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  bool ready = false;
  int watchdogs = 0;
  while (Clock::now() < deadline && watchdogs < 2) {
    boost::system::error_code ec;
    const std::size_t size = notify.receive(boost::asio::buffer(buffer), 0, ec);
    if (ec) {
      break;
    }
    const std::string message(buffer.data(), size);
    if (message.find("READY=1") != std::string::npos) {
      ready = true;
      // Listening by now: the health endpoint answers.
      auto client = HttpsClient::connect(port, "127.0.0.1");
      ASSERT_NE(client, nullptr);
      EXPECT_EQ(client->request("GET", "/v1/health").status, 200U);
    }
    if (message == "WATCHDOG=1") {
      EXPECT_TRUE(ready);
      ++watchdogs;
    }
  }
  ::pthread_kill(serving.native_handle(), SIGTERM);
  serving.join();
  ::unsetenv("NOTIFY_SOCKET");
  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
  EXPECT_TRUE(ready);
  EXPECT_EQ(watchdogs, 2);
  EXPECT_EQ(rc, 0) << err.str();
  // The service log: JSON lines on stderr, "listening" (with the signing key) then "stopped".
  std::istringstream lines(err.str());
  std::vector<nlohmann::json> logged;
  for (std::string line; std::getline(lines, line);) {
    logged.push_back(nlohmann::json::parse(line, nullptr, false));
    ASSERT_TRUE(logged.back().is_object()) << line;
    EXPECT_EQ(logged.back()["program"], "rustynet-control");
  }
  ASSERT_EQ(logged.size(), 2U) << err.str();
  EXPECT_EQ(logged[0]["event"], "listening");
  EXPECT_EQ(logged[0]["port"], port);
  EXPECT_FALSE(logged[0].contains("metrics_port"));
  EXPECT_EQ(logged[1]["event"], "stopped");
}

// Metrics on loopback: responses by route and class, auth results, limiter/lockout decisions, a
// failed TLS handshake and an open connection, all from real requests over TLS.
TEST_F(ControlMeshTest, MetricsCountRequestsAuthDecisionsAndHandshakes) {
  EXPECT_FALSE(service_->metrics_port().has_value());  // absent: off
  service_.reset();
  config_.metrics_listen = base::parse_loopback_endpoint("127.0.0.1:0").value();
  start();
  const auto metrics_port = service_->metrics_port();
  ASSERT_TRUE(metrics_port.has_value());
  add_three_nodes();
  EXPECT_EQ(sync("n1", 1, 0, 0).status, 200U);
  // An unknown node's token fails, and its source is locked out at once (30 s initial backoff).
  EXPECT_EQ(call("POST", "/v1/node/sync", token(key_from(44), "n44"), "{}", "127.0.0.7").status, 401U);
  EXPECT_EQ(call("POST", "/v1/node/sync", token(key_from(44), "n44"), "{}", "127.0.0.7").status, 429U);
  // The per-IP bucket (burst 20) runs dry for a health prober.
  int limited = 0;
  for (int i = 0; i < 22; ++i) {
    limited += call("GET", "/v1/health", "", "", "127.0.0.9").status == 429U ? 1 : 0;
  }
  EXPECT_EQ(limited, 2);
  // Plain HTTP on the TLS port: the handshake fails.
  (void)rustynet::testing::http_exchange(service_->port(), "GET /v1/health HTTP/1.1\r\n\r\n");
  const auto held = HttpsClient::connect(service_->port(), "127.0.0.10");
  ASSERT_NE(held, nullptr);

  const std::string text = rustynet::testing::scrape_metrics(*metrics_port).value_or("");
  using rustynet::testing::sample_value;
  EXPECT_EQ(sample_value(text, R"(rustynet_control_requests_total{route="/v1/node/sync",class="2xx"})"), 1.0) << text;
  EXPECT_EQ(sample_value(text, R"(rustynet_control_requests_total{route="/v1/node/sync",class="4xx"})"), 2.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_requests_total{route="/v1/admin/nodes",class="2xx"})"), 3.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_requests_total{route="/v1/health",class="2xx"})"), 20.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_requests_total{route="/v1/health",class="4xx"})"), 2.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_limiter_decisions_total{decision="rate_limited_ip"})"), 2.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_limiter_decisions_total{decision="locked_out"})"), 1.0);
  // 3 node adds + 1 policy + 1 sync + 20 health + the failed token (it passed the limiters).
  EXPECT_EQ(sample_value(text, R"(rustynet_control_limiter_decisions_total{decision="allowed"})"), 26.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_auth_total{result="allowed"})"), 25.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_auth_total{result="locked_out"})"), 1.0);
  EXPECT_EQ(sample_value(text, R"(rustynet_control_auth_total{result="rate_limited_ip"})"), 2.0);
  EXPECT_EQ(sample_value(text, "rustynet_control_tls_handshake_failures_total"), 1.0);
  EXPECT_GE(sample_value(text, "rustynet_control_connections_active").value_or(0), 1.0);
  EXPECT_GE(sample_value(text, "rustynet_control_connections_accepted_total").value_or(0), 29.0);
  EXPECT_EQ(sample_value(text, "rustynet_control_connections_refused_total"), 0.0);
  EXPECT_EQ(sample_value(text, "rustynet_control_long_polls_waiting"), 0.0);
  // The security event log still receives every event the metrics counted.
  EXPECT_NE(base::read_file_bounded(dir_.file("events.log"), 1U << 20U).value_or("").find("locked_out"),
            std::string::npos);
}

TEST_F(ControlMeshTest, MetricsAddressMustBeLoopbackAndLogLevelKnown) {
  auto json = nlohmann::json::parse(base::read_file_bounded(dir_.file("control.json"), 1U << 20U).value());
  json["metrics"] = {{"listen", "127.0.0.1:9103"}};
  json["log_level"] = "debug";
  auto parsed = parse_service_config(json.dump());
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  EXPECT_EQ(parsed->metrics_listen->to_string(), "127.0.0.1:9103");
  EXPECT_EQ(parsed->log_level, base::LogLevel::kDebug);
  for (const char* refused : {"0.0.0.0:9103", "192.0.2.1:9103", "[::]:9103"}) {
    json["metrics"]["listen"] = refused;
    parsed = parse_service_config(json.dump());
    ASSERT_FALSE(parsed.has_value()) << refused;
    EXPECT_EQ(parsed.error().kind, ConfigErrorKind::kInvalidValue);
    EXPECT_NE(parsed.error().message.find("$.metrics.listen"), std::string::npos) << parsed.error().message;
  }
  json["metrics"] = {{"listen", "127.0.0.1:9103"}, {"path", "/m"}};
  EXPECT_EQ(parse_service_config(json.dump()).error().kind, ConfigErrorKind::kSyntax);
  json.erase("metrics");
  json["log_level"] = "loud";
  parsed = parse_service_config(json.dump());
  ASSERT_FALSE(parsed.has_value());
  EXPECT_NE(parsed.error().message.find("$.log_level"), std::string::npos);
}

}  // namespace
}  // namespace rustynet::apps::control_server

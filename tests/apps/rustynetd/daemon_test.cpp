// SPDX-License-Identifier: Apache-2.0
// Daemon: startup refusals with their exit codes, sync loop apply/refuse/backoff, local API,
// reload, clean shutdown; and one run against a real loopback HTTPS control.
#include "daemon.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <sstream>

#include "daemon_fixture.hpp"
#include "daemon_harness.hpp"
#include "daemon_main.hpp"
#include "rustynet/control/token.hpp"
#include "tls_responder.hpp"

namespace rustynet::apps::daemon {
namespace {

using testing::key_from;
using testing::kTestNow;
using testing::TestPeer;

const std::vector<TestPeer> kPeers{{"n2", "100.64.0.2", 2, "192.0.2.2:51820"},
                                   {"n3", "100.64.0.3", 3, "192.0.2.3:51820"}};

class DaemonTest : public DaemonHarness {
 protected:
  void expect_refusal(DaemonErrorKind kind, const std::string& fragment) {
    const auto daemon = start();
    ASSERT_FALSE(daemon.has_value()) << "expected " << to_string(kind);
    EXPECT_EQ(daemon.error().kind, kind) << daemon.error().describe();
    EXPECT_NE(daemon.error().describe().find(fragment), std::string::npos) << daemon.error().describe();
    // Nothing half-started: no socket left behind.
    EXPECT_FALSE(std::filesystem::exists(dir.file("api.sock")));
  }

  nlohmann::json api(Daemon& daemon, const std::string& method, Access access = Access::kAdmin) {
    return nlohmann::json::parse(handle_local_request(R"({"version":1,"method":")" + method + "\"}", access, daemon));
  }
};

TEST_F(DaemonTest, RefusesBadConfig) {
  config["listen_port"] = "51820";
  expect_refusal(DaemonErrorKind::kConfig, "$.listen_port");
  EXPECT_EQ(static_cast<int>(DaemonErrorKind::kConfig), 10);
}

TEST_F(DaemonTest, RefusesUnknownConfigVersion) {
  config["version"] = 7;
  expect_refusal(DaemonErrorKind::kConfig, "unsupported version 7");
}

TEST_F(DaemonTest, RefusesDeniedAlgorithmInCryptoPolicy) {
  const auto policy = dir.file("crypto-policy.json");
  testing::write_file(policy, R"({"version": 1, "allow": ["ed25519", "md5"]})");
  config["crypto_policy_file"] = policy;
  expect_refusal(DaemonErrorKind::kCryptoPolicy, "denied");
}

TEST_F(DaemonTest, RefusesCryptoPolicyThatDoesNotAllowWhatTheDaemonUses) {
  const auto policy = dir.file("crypto-policy.json");
  testing::write_file(policy, R"({"version": 1, "allow": ["ed25519"]})");
  config["crypto_policy_file"] = policy;
  expect_refusal(DaemonErrorKind::kCryptoPolicy, "not enabled by the policy");
}

TEST_F(DaemonTest, AlgorithmsInUseComeFromTheFacilitiesAndTheDataPlane) {
  const auto names = algorithms_in_use({"noise-ikpsk2", "blake2s"});
  for (const char* expected :
       {"argon2id", "xchacha20-poly1305", "ed25519", "blake2b", "x25519", "sha-256", "hmac-sha512-256", "tls1.3",
        "aes-256-gcm", "chacha20-poly1305", "noise-ikpsk2", "blake2s"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  EXPECT_EQ(std::find(names.begin(), names.end(), "aes-128-gcm"), names.end());
}

TEST_F(DaemonTest, RefusesCryptoPolicyThatDoesNotAllowTheDataPlane) {
  // Everything the daemon's own facilities use, but not the backend's BLAKE2s.
  const auto policy = dir.file("crypto-policy.json");
  nlohmann::json document{{"version", 1}, {"allow", algorithms_in_use({})}};
  testing::write_file(policy, document.dump());
  config["crypto_policy_file"] = policy;
  DaemonDeps without_data_plane = deps();
  EXPECT_TRUE(Daemon::start(write_config(), std::move(without_data_plane), log).has_value());
  DaemonDeps with_data_plane = deps();
  with_data_plane.data_plane_algorithms = [](const BackendConfig&) {
    return std::vector<std::string>{"noise-ikpsk2", "x25519", "chacha20-poly1305", "blake2s"};
  };
  const auto refused = Daemon::start(write_config(), std::move(with_data_plane), log);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, DaemonErrorKind::kCryptoPolicy);
  EXPECT_NE(refused.error().describe().find("noise-ikpsk2"), std::string::npos) << refused.error().describe();
  EXPECT_EQ(refused.error().exit_code(), 11);
}

TEST_F(DaemonTest, RefusesWrongKeyFileMode) {
  ASSERT_EQ(::chmod((keys.key_dir + "/node-identity.key").c_str(), 0644), 0);
  expect_refusal(DaemonErrorKind::kKeyCustody, "permissions");
}

TEST_F(DaemonTest, RefusesWrongKeyDirectoryMode) {
  ASSERT_EQ(::chmod(keys.key_dir.c_str(), 0755), 0);
  expect_refusal(DaemonErrorKind::kKeyCustody, "permissions");
}

TEST_F(DaemonTest, RefusesWithoutASecureKeyStore) {
  config["key_custody"].erase("operator_secret_file");
  expect_refusal(DaemonErrorKind::kKeyCustody, "no_secure_store");
}

TEST_F(DaemonTest, RefusesCorruptTrustState) {
  {
    auto daemon = start();
    ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  }
  auto bytes = base::read_file_bounded(dir.file("trust.state"), 1U << 20U).value();
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
  testing::write_file(dir.file("trust.state"), bytes);
  expect_refusal(DaemonErrorKind::kTrustState, "trust_state_corrupt");
}

TEST_F(DaemonTest, RefusesMissingTrustStateWithoutBootstrapKeys) {
  config["control"]["signing_public_keys"] = nlohmann::json::array();
  expect_refusal(DaemonErrorKind::kTrustState, "signing_public_keys");
}

TEST_F(DaemonTest, RefusesAnUnavailableBackendKind) {
  config["backend"]["kind"] = "wireguard";  // the app library alone links only the memory backend
  expect_refusal(DaemonErrorKind::kBackend, "memory backend");
}

TEST_F(DaemonTest, RefusesAnUnusableSocketPath) {
  config["local_api"]["socket"] = dir.file("no-such-dir/api.sock");
  const auto daemon = start();
  ASSERT_FALSE(daemon.has_value());
  EXPECT_EQ(daemon.error().kind, DaemonErrorKind::kLocalApi);
}

TEST_F(DaemonTest, ExitCodesThroughRun) {
  config["version"] = 9;
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run({"--check-config", "--config", write_config()}, out, err), 10);
  config["version"] = 1;
  EXPECT_EQ(run({"--check-config", "--config", write_config()}, out, err), 0);
  EXPECT_EQ(run({"--bogus"}, out, err), 64);
}

TEST_F(DaemonTest, AppliesSignedStatesAndServesTheLocalApi) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  Daemon& d = **daemon;
  EXPECT_EQ(api(d, "status")["result"]["state"], "starting");
  EXPECT_FALSE(d.tunnel_running());  // first start: the backend waits for the first state

  link->push(update(5, pair(5, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(5, std::chrono::seconds(10))) << log.str();
  EXPECT_TRUE(d.tunnel_running());
  const auto status = api(d, "status", Access::kRead)["result"];
  EXPECT_EQ(status["state"], "running");
  EXPECT_EQ(status["generation"], 5);
  EXPECT_EQ(status["backend"], "memory");
  EXPECT_EQ(status["addresses"][0], "100.64.0.1/32");
  EXPECT_EQ(status["peers_total"], 2);
  EXPECT_EQ(status["control"]["connected"], true);
  const auto peers = api(d, "peers", Access::kRead)["result"]["peers"];
  ASSERT_EQ(peers.size(), 2U);
  EXPECT_EQ(peers[0]["node_id"], "n2");
  EXPECT_EQ(peers[0]["endpoint"], "192.0.2.2:51820");
  EXPECT_EQ(api(d, "routes")["result"]["routes"].size(), 2U);
  const auto netmap = api(d, "netmap")["result"];
  EXPECT_EQ(netmap["generation"], 5);
  EXPECT_EQ(netmap["signer_key_id"], control.key_id());
  const auto check = nlohmann::json::parse(handle_local_request(
      R"({"version":1,"method":"policy_check","params":{"src":"100.64.0.1","dst":"100.64.0.2","proto":"tcp","port":22}})",
      Access::kRead, d));
  EXPECT_EQ(check["result"]["decision"], "allow");
  EXPECT_EQ(check["result"]["rule"], "mesh");
  EXPECT_FALSE(check["result"].contains("filter"));  // only with explain
  // The packet filter: installed before the peers, its generation beside the peer map's.
  EXPECT_EQ(status["filter"]["backend"], "memory");
  EXPECT_EQ(status["filter"]["generation"], 1);
  EXPECT_EQ(status["filter"]["restores"], 0);
  EXPECT_TRUE(status["filter"]["last_error"].is_null());
  const auto explained = nlohmann::json::parse(handle_local_request(
      R"({"version":1,"method":"policy_check","params":{"src":"n2","dst":"n1","proto":"tcp","port":22,"explain":true}})",
      Access::kRead, d));
  EXPECT_EQ(explained["result"]["decision"], "allow");
  EXPECT_EQ(explained["result"]["filter"]["enforced_here"], true);
  EXPECT_EQ(explained["result"]["filter"]["direction"], "inbound");
  EXPECT_EQ(explained["result"]["filter"]["holds"], true);
  EXPECT_EQ(explained["result"]["filter"]["remote"], "100.64.0.2");
  EXPECT_EQ(explained["result"]["filter"]["local"], "100.64.0.1");
  const auto elsewhere = nlohmann::json::parse(handle_local_request(
      R"({"version":1,"method":"policy_check","params":{"src":"n2","dst":"n3","proto":"tcp","port":22,"explain":true}})",
      Access::kRead, d));
  EXPECT_EQ(elsewhere["result"]["filter"]["enforced_here"], false);
  EXPECT_TRUE(elsewhere["result"]["filter"]["holds"].is_null());

  // The next long-poll carries the applied generation, listen port and endpoints.
  ASSERT_TRUE(d.wait_for_attempts(1, std::chrono::seconds(5)));
  link->push(SyncReply{});  // 204: nothing new
  ASSERT_TRUE(d.wait_for_attempts(2, std::chrono::seconds(5)));
  const auto requests = link->snapshot();
  ASSERT_GE(requests.size(), 2U);
  EXPECT_EQ(requests[0].known_generation, 0U);
  EXPECT_EQ(requests[1].known_generation, 5U);
  EXPECT_EQ(requests[1].listen_port, 51820);
  EXPECT_EQ(requests[1].wait_seconds, 5U);
  EXPECT_EQ(requests[1].endpoints, std::vector<std::string>{"192.0.2.10:51820"});

  d.stop();
  EXPECT_FALSE(d.tunnel_running());
  EXPECT_FALSE(std::filesystem::exists(dir.file("api.sock")));
}

// An underlay address change (AddressMonitor -> underlay_changed) interrupts the parked long-poll
// once (not abort(): the link stays usable) and the loop asks control again at once, without
// backoff and without reporting an error; every peer is sent an announcement.
TEST_F(DaemonTest, UnderlayChangeInterruptsTheParkedLongPollAndSyncsAgainAtOnce) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  Daemon& d = **daemon;
  link->push(update(5, pair(5, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(5, std::chrono::seconds(10))) << log.str();
  ASSERT_TRUE(link->wait_for_requests(2, std::chrono::seconds(5)));  // the next long-poll is parked

  d.underlay_changed(AddressChange{{"eth0 192.0.2.20"}, {"eth0 192.0.2.10"}});
  ASSERT_TRUE(d.wait_for_attempts(2, std::chrono::seconds(5)));
  ASSERT_TRUE(link->wait_for_requests(3, std::chrono::seconds(5))) << log.str();
  EXPECT_EQ(link->interrupts(), 1);
  const auto requests = link->snapshot();
  EXPECT_EQ(requests[2].known_generation, 5U);
  EXPECT_NE(log.str().find("underlay addresses changed (added eth0 192.0.2.20; removed eth0 192.0.2.10): "
                           "re-syncing with control, announced to 2 peer(s)"),
            std::string::npos)
      << log.str();
  EXPECT_NE(log.str().find("control sync interrupted"), std::string::npos) << log.str();
  EXPECT_EQ(log.str().find("control sync failed"), std::string::npos) << log.str();
  EXPECT_EQ(d.last_error(), "");
  EXPECT_EQ(api(d, "status", Access::kRead)["result"]["control"]["connected"], true);

  // The link still works (one-shot, unlike abort()): the re-sync is answered normally.
  link->push(update(6, pair(6, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(6, std::chrono::seconds(10))) << log.str();
  d.stop();
  d.underlay_changed(AddressChange{{"eth0 192.0.2.30"}, {}});  // after stop: ignored
  EXPECT_EQ(link->interrupts(), 1);
}

TEST_F(DaemonTest, RelayedPeerIsPointedAtALocalRelayLinkAndBackToDirectWhenUnmarked) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  Daemon& d = **daemon;
  auto relayed = testing::make_state("n1", "100.64.0.1", kPeers, testing::kAllowAllPolicy);
  relayed.peers[0].relay = policy::RelayAssignment{"r1", policy::SocketAddress::parse("192.0.2.99:3478").value()};
  link->push(update(5, testing::sign_pair(control, 5, relayed, testing::kAllowAllPolicy)));
  ASSERT_TRUE(d.wait_for_generation(5, std::chrono::seconds(10))) << log.str();
  auto peers = api(d, "peers", Access::kRead)["result"]["peers"];
  ASSERT_EQ(peers.size(), 2U);
  const std::string endpoint = peers[0]["endpoint"];
  EXPECT_EQ(endpoint.rfind("127.0.0.1:", 0), 0U) << endpoint;
  EXPECT_NE(endpoint.find(" via relay r1"), std::string::npos) << endpoint;
  EXPECT_EQ(peers[1]["endpoint"], "192.0.2.3:51820");  // not relayed: direct
  EXPECT_EQ(d.relays().relay_of("n2"), "r1");
  // The link's worker asks control for a ticket (the fake refuses: it backs off and retries).
  ASSERT_TRUE(link->wait_for_ticket_request("n2", std::chrono::seconds(10)));

  // Control unmarks the pair: back to the direct endpoint, link closed.
  link->push(update(6, pair(6, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(6, std::chrono::seconds(10))) << log.str();
  peers = api(d, "peers", Access::kRead)["result"]["peers"];
  EXPECT_EQ(peers[0]["endpoint"], "192.0.2.2:51820");
  EXPECT_EQ(d.relays().relay_of("n2"), std::nullopt);
  d.stop();
}

TEST_F(DaemonTest, RefusedStatesKeepTheOldStateAndAreReported) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  Daemon& d = **daemon;
  link->push(update(5, pair(5, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(5, std::chrono::seconds(10)));

  link->push(update(4, pair(4, {})));  // rolled back
  ASSERT_TRUE(d.wait_for_attempts(2, std::chrono::seconds(10)));
  EXPECT_NE(d.last_error().find("rollback"), std::string::npos) << d.last_error();
  EXPECT_EQ(api(d, "status")["result"]["state"], "degraded");

  const auto stranger = key_from(0x77);
  link->push(
      update(6, testing::sign_pair(stranger, 6, testing::make_state("n1", "100.64.0.1", {}, testing::kAllowAllPolicy),
                                   testing::kAllowAllPolicy)));
  ASSERT_TRUE(d.wait_for_attempts(3, std::chrono::seconds(10)));
  EXPECT_NE(d.last_error().find("unknown_signer"), std::string::npos) << d.last_error();

  testing::SignOptions expired;
  expired.issued_at = kTestNow - 5 * 86400;
  expired.expires_at = kTestNow - 2 * 86400;
  link->push(update(6, pair(6, {}, expired)));
  ASSERT_TRUE(d.wait_for_attempts(4, std::chrono::seconds(10)));
  EXPECT_NE(d.last_error().find("expired"), std::string::npos) << d.last_error();

  // Through all of it the verified state stayed in effect.
  EXPECT_EQ(api(d, "status")["result"]["generation"], 5);
  EXPECT_EQ(api(d, "peers")["result"]["peers"].size(), 2U);

  // A valid newer state recovers.
  link->push(update(6, pair(6, {kPeers[0]})));
  ASSERT_TRUE(d.wait_for_generation(6, std::chrono::seconds(10)));
  EXPECT_EQ(api(d, "status")["result"]["state"], "running");
  EXPECT_EQ(api(d, "peers")["result"]["peers"].size(), 1U);
}

TEST_F(DaemonTest, ControlUnreachableKeepsStateAndRetries) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value());
  Daemon& d = **daemon;
  link->push(update(5, pair(5, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(5, std::chrono::seconds(10)));
  for (int i = 0; i < 3; ++i) {
    link->push(base::unexpected(SyncFailure{DaemonError{DaemonErrorKind::kControl, "connect: refused"}, std::nullopt}));
  }
  ASSERT_TRUE(d.wait_for_attempts(4, std::chrono::seconds(10)));
  EXPECT_EQ(api(d, "status")["result"]["control"]["connected"], false);
  EXPECT_EQ(api(d, "status")["result"]["generation"], 5);
  EXPECT_TRUE(d.tunnel_running());
  EXPECT_NE(log.str().find("retry in"), std::string::npos);
}

TEST_F(DaemonTest, RemovedByControlBacksOffReportsRemovedAndReloadRetriesAtOnce) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value());
  Daemon& d = **daemon;
  link->push(update(5, pair(5, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(5, std::chrono::seconds(10)));
  link->push(base::unexpected(SyncFailure{DaemonError{DaemonErrorKind::kControl, "control answered HTTP 401"},
                                          std::nullopt, false, ControlRefusal{401, "node_removed"}}));
  ASSERT_TRUE(d.wait_for_attempts(2, std::chrono::seconds(10)));
  const auto removed = api(d, "status")["result"];
  EXPECT_EQ(removed["state"], "removed");
  EXPECT_EQ(removed["control"]["connected"], false);
  EXPECT_EQ(removed["control"]["removed"], "removed from the mesh by control (HTTP 401 node_removed)");
  EXPECT_NE(log.str().find("not a member"), std::string::npos);
  EXPECT_NE(log.str().find("next in 15 s"), std::string::npos) << log.str();  // random 0: the lowest delay
  EXPECT_FALSE(link->wait_for_requests(3, std::chrono::seconds(1)));          // no third attempt inside the 15 s
  // The operator re-added the node and reloads: the daemon asks at once; an answer ends "removed".
  EXPECT_EQ(api(d, "reload")["result"]["reloaded"], true);
  ASSERT_TRUE(link->wait_for_requests(3, std::chrono::seconds(5)));
  link->push(update(6, pair(6, kPeers)));
  ASSERT_TRUE(d.wait_for_generation(6, std::chrono::seconds(10)));
  EXPECT_EQ(api(d, "status")["result"]["state"], "running");
  EXPECT_NE(log.str().find("control accepts this node again"), std::string::npos);
}

TEST_F(DaemonTest, RestartComesBackFromTheLastVerifiedStateBeforeControlAnswers) {
  {
    auto daemon = start();
    ASSERT_TRUE(daemon.has_value());
    link->push(update(5, pair(5, kPeers)));
    ASSERT_TRUE((*daemon)->wait_for_generation(5, std::chrono::seconds(10)));
  }
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  // No reply queued: control is "down", yet the tunnel is up with generation 5.
  EXPECT_TRUE((*daemon)->tunnel_running());
  EXPECT_EQ(api(**daemon, "status")["result"]["generation"], 5);
  EXPECT_EQ(api(**daemon, "peers")["result"]["peers"].size(), 2U);
}

TEST_F(DaemonTest, ReloadAcceptsCompatibleChangesAndKeepsOldConfigOtherwise) {
  auto daemon = start();
  ASSERT_TRUE(daemon.has_value());
  Daemon& d = **daemon;
  config["persistent_keepalive_seconds"] = 15;
  write_config();
  EXPECT_TRUE(d.reload_config().has_value());

  config["node_id"] = "n9";
  write_config();
  const auto blocked = d.reload_config();
  ASSERT_FALSE(blocked.has_value());
  EXPECT_NE(blocked.error().message.find("node_id"), std::string::npos);

  testing::write_file(dir.file("rustynetd.json"), "{ not json");
  const auto invalid = d.reload_config();
  ASSERT_FALSE(invalid.has_value());
  EXPECT_EQ(invalid.error().kind, DaemonErrorKind::kConfig);
  const auto via_api = api(d, "reload");
  EXPECT_EQ(via_api["ok"], false);
  EXPECT_EQ(api(d, "reload", Access::kRead)["error"], "forbidden");
  EXPECT_EQ(api(d, "status")["result"]["node_id"], "n1");  // old config in force
}

// The real HTTPS link: pinned TLS 1.3 to a loopback responder that serves a signed state.
TEST_F(DaemonTest, SyncsOverHttpsWithAFreshNodeTokenPerRequest) {
  std::mutex mutex;
  std::vector<std::string> tokens;
  std::vector<std::string> bodies;
  const auto signed_pair = pair(3, kPeers);
  const std::string answer = testing::sync_body(3, signed_pair);
  testing::TlsResponder responder([&](const testing::ResponderRequest& request) {
    const std::lock_guard lock(mutex);
    tokens.push_back(request.authorization);
    bodies.push_back(request.body);
    if (request.method != "POST" || request.target != "/v1/node/sync") {
      return testing::ResponderReply{404, "{}"};
    }
    const auto known = nlohmann::json::parse(request.body)["known_generation"].get<std::uint64_t>();
    if (known >= 3) {
      testing::ResponderReply idle{204, ""};
      idle.delay = std::chrono::milliseconds(200);
      return idle;
    }
    return testing::ResponderReply{200, answer};
  });
  config["control"]["url"] = "127.0.0.1:" + std::to_string(responder.port());
  config["control"]["pin_sha256"] = responder.pin_sha256();
  DaemonDeps d = deps();
  d.link_factory = nullptr;  // production HTTPS link
  auto daemon = Daemon::start(write_config(), std::move(d), log);
  ASSERT_TRUE(daemon.has_value()) << daemon.error().describe();
  ASSERT_TRUE((*daemon)->wait_for_generation(3, std::chrono::seconds(10))) << log.str();
  ASSERT_TRUE((*daemon)->wait_for_attempts(2, std::chrono::seconds(10)));
  (*daemon)->stop();

  const std::lock_guard lock(mutex);
  ASSERT_GE(tokens.size(), 2U);
  EXPECT_NE(tokens[0], tokens[1]);
  for (const auto& header : tokens) {
    ASSERT_EQ(header.rfind("Bearer ", 0), 0U);
    const auto claims = control::peek_claims(header.substr(7));
    ASSERT_TRUE(claims.has_value());
    EXPECT_EQ(claims->subject, "n1");
    EXPECT_EQ(claims->audience, "rustynet-control");
    EXPECT_EQ(claims->key_id, key_from(0x21).key_id());
    EXPECT_EQ(claims->expires_at.seconds - claims->issued_at.seconds, 60);
  }
  EXPECT_EQ(nlohmann::json::parse(bodies[0])["listen_port"], 51820);
  EXPECT_EQ(responder.connections_accepted(), 1U);  // keep-alive across long-polls
}

}  // namespace
}  // namespace rustynet::apps::daemon

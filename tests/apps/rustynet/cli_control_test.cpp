// SPDX-License-Identifier: Apache-2.0
// `rustynet control ...` end to end against the real rustynet-control service on loopback TLS:
// init (admin key in its own encrypted key directory), node add/list/remove, policy get/set,
// revoke, the CLI config file, and the failure exit codes (pin mismatch, unknown admin key,
// control unreachable, server refusals).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <array>
#include <sstream>
#include <string>
#include <vector>

#include "cli_main.hpp"
#include "control_service.hpp"
#include "exit_codes.hpp"
#include "init_command.hpp"
#include "manual_clock.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/encoding.hpp"
#include "service_config.hpp"
#include "temp_dir.hpp"

namespace rustynet::apps::cli {
namespace {

using nlohmann::json;

std::string identity_key(std::uint8_t seed_byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value().public_key().to_base64();
}

std::string tunnel_key(std::uint8_t byte) {
  std::array<std::uint8_t, 32> bytes{};
  bytes.fill(byte);
  return crypto::base64_encode(bytes);
}

const json kPolicyWebDb = {
    {"version", 1},
    {"rules",
     {{{"id", "web-db"}, {"action", "allow"}, {"src", {"tag:web"}}, {"dst", {"tag:db"}}, {"protocol", "any"}}}}};

class CliControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base::atomic_write_file(secret_, std::string("correct horse battery staple\n")).has_value());
    std::ostringstream out;
    std::ostringstream err;
    ASSERT_EQ(control_server::run_init({"--state-dir", dir_.file("state"), "--config-out", dir_.file("control.json"),
                                        "--secret-file", secret_, "--listen", "127.0.0.1:8443", "--admin-key-dir",
                                        admin_dir_, "--event-log", dir_.file("events.log")},
                                       out, err),
              0)
        << err.str();
    auto config = control_server::load_service_config(dir_.file("control.json"));
    ASSERT_TRUE(config.has_value()) << config.error().message;
    config->port = 0;
    auto service =
        control_server::ControlService::start(*config, clock_, control_server::ServiceEnvironment{std::nullopt, false});
    ASSERT_TRUE(service.has_value()) << service.error().message;
    service_ = std::move(service).value();
    auto pem = base::read_file_bounded(dir_.file("state") + "/tls/cert.pem", 64U * 1024U);
    ASSERT_TRUE(pem.has_value());
    pin_ = control_server::certificate_pin(*pem);
    ASSERT_EQ(pin_.size(), 64U);
    control_ = "127.0.0.1:" + std::to_string(service_->port());
  }

  // Runs the CLI with the connection flags appended. Each admin call first lets 3 minutes of
  // injected time pass: the control allows an identity 5 requests per 15 minutes (spec 5.3).
  int run(std::vector<std::string> args, bool with_connection = true) {
    if (with_connection) {
      args.insert(args.end(),
                  {"--control", control_, "--pin", pin_, "--admin-key-dir", admin_dir_, "--secret-file", secret_});
    }
    clock_.advance(std::chrono::minutes(3));
    out_.str("");
    err_.str("");
    CliContext ctx{.out = out_,
                   .err = err_,
                   .clock = clock_,
                   .default_socket = dir_.file("unused.sock"),
                   .max_response_bytes = kMaxLocalResponseBytes,
                   .timeout = std::chrono::milliseconds{10'000},
                   .env = {},
                   .control_tuning = {},
                   .system_cli_config = system_config_};
    return cli::run(args, ctx);
  }

  std::vector<std::string> add_args(const std::string& id, std::uint8_t index, const std::string& address,
                                    const std::string& tag) {
    return {"control",   "node",  "add",   id, "--identity-key", identity_key(index), "--tunnel-key", tunnel_key(index),
            "--address", address, "--tag", tag};
  }

  testing::TempDir dir_;
  testing::ManualClock clock_{1'800'000'000};
  std::string secret_ = dir_.file("secret");
  std::string admin_dir_ = dir_.file("admin-keys");
  std::string system_config_;
  std::unique_ptr<control_server::ControlService> service_;
  std::string pin_;
  std::string control_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliControlTest, NodeAddListRemove) {
  ASSERT_EQ(run({"control", "node", "list"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "no nodes registered\n");

  ASSERT_EQ(run(add_args("n1", 1, "100.64.0.1", "web")), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "added node n1 (100.64.0.1; tags web)\n");
  ASSERT_EQ(run(add_args("n2", 2, "100.64.0.2", "db")), kExitOk) << err_.str();

  // Same id again: 409 from the registry, exit 1, the server's message shown.
  EXPECT_EQ(run(add_args("n1", 3, "100.64.0.3", "web")), kExitFailure);
  EXPECT_NE(err_.str().find("HTTP 409"), std::string::npos) << err_.str();

  ASSERT_EQ(run({"control", "node", "list"}), kExitOk) << err_.str();
  const std::string table = out_.str();
  EXPECT_EQ(table.rfind("NODE  ADDRESSES   TAGS  ENDPOINTS  TUNNEL KEY", 0), 0U) << table;
  EXPECT_NE(table.find("n1    100.64.0.1  web   -          " + tunnel_key(1) + "  " + identity_key(1)),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("n2    100.64.0.2  db"), std::string::npos) << table;

  ASSERT_EQ(run({"control", "node", "list", "--json"}), kExitOk) << err_.str();
  const json listed = json::parse(out_.str());
  ASSERT_EQ(listed["nodes"].size(), 2U);
  EXPECT_EQ(listed["version"], 1);

  ASSERT_EQ(run({"control", "node", "remove", "n1"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str().rfind("removed node n1", 0), 0U) << out_.str();
  EXPECT_EQ(run({"control", "node", "remove", "n1"}), kExitFailure);
  EXPECT_NE(err_.str().find("HTTP 404"), std::string::npos) << err_.str();
}

TEST_F(CliControlTest, NodeAddFromFileIsOneTransaction) {
  json nodes = json::array();
  for (int i = 1; i <= 12; ++i) {
    const auto index = static_cast<std::uint8_t>(i);
    nodes.push_back({{"node_id", "b" + std::to_string(i)},
                     {"identity_public_key", identity_key(index)},
                     {"tunnel_public_key", tunnel_key(index)},
                     {"addresses", {"100.64.1." + std::to_string(i)}},
                     {"tags", {i % 2 == 0 ? "db" : "web"}}});
  }
  const std::string file = dir_.file("batch.json");
  ASSERT_TRUE(base::atomic_write_file(file, json({{"version", 1}, {"nodes", nodes}, {"policy", kPolicyWebDb}}).dump(2))
                  .has_value());
  ASSERT_EQ(run({"control", "node", "add", "--from", file}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str().rfind("added 12 nodes (b1,b2,b3,b4,b5,b6,b7,b8,b9,b10,b11,b12); policy generation ", 0), 0U)
      << out_.str();

  // One bad entry (b13 takes b3's address): nothing of the file is applied, the entry is named.
  const json bad = {{"version", 1},
                    {"nodes",
                     {{{"node_id", "b14"},
                       {"identity_public_key", identity_key(14)},
                       {"tunnel_public_key", tunnel_key(14)},
                       {"addresses", {"100.64.1.14"}},
                       {"tags", json::array()}},
                      {{"node_id", "b13"},
                       {"identity_public_key", identity_key(13)},
                       {"tunnel_public_key", tunnel_key(13)},
                       {"addresses", {"100.64.1.3"}},
                       {"tags", json::array()}}}}};
  ASSERT_TRUE(base::atomic_write_file(file, bad.dump()).has_value());
  EXPECT_EQ(run({"control", "node", "add", "--from", file}), kExitFailure);
  EXPECT_NE(err_.str().find("HTTP 409"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("nodes[1]: address already registered"), std::string::npos) << err_.str();
  ASSERT_EQ(run({"control", "node", "list", "--json"}), kExitOk) << err_.str();
  EXPECT_EQ(json::parse(out_.str())["nodes"].size(), 12U);

  // Local refusals: not JSON, missing file, mixed with single-node flags.
  ASSERT_TRUE(base::atomic_write_file(file, std::string("[1,2]")).has_value());
  EXPECT_EQ(run({"control", "node", "add", "--from", file}), kExitUsage);
  EXPECT_EQ(run({"control", "node", "add", "--from", dir_.file("absent.json")}), kExitUsage);
  EXPECT_EQ(run({"control", "node", "add", "n9", "--from", file}), kExitUsage);
  EXPECT_EQ(run({"control", "node", "add", "--from", file, "--tag", "web"}), kExitUsage);
}

TEST_F(CliControlTest, PolicySetGetAndRefusal) {
  const std::string file = dir_.file("policy.json");
  ASSERT_TRUE(base::atomic_write_file(file, kPolicyWebDb.dump(2)).has_value());
  ASSERT_EQ(run({"control", "policy", "set", file}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str().rfind("policy accepted: generation ", 0), 0U) << out_.str();

  ASSERT_EQ(run({"control", "policy", "get"}), kExitOk) << err_.str();
  EXPECT_EQ(json::parse(out_.str()), kPolicyWebDb);  // round-trips into `policy set`
  EXPECT_NE(err_.str().find("policy generation "), std::string::npos);

  // A semantically invalid document: 400 with the JSON path; the old policy stays.
  json broken = kPolicyWebDb;
  broken["rules"][0]["src"] = {"10.0.0.1/8"};
  ASSERT_TRUE(base::atomic_write_file(file, broken.dump()).has_value());
  EXPECT_EQ(run({"control", "policy", "set", file}), kExitFailure);
  EXPECT_NE(err_.str().find("HTTP 400"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find("$.rules[0].src[0]"), std::string::npos) << err_.str();
  ASSERT_EQ(run({"control", "policy", "get", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(out_.str())["document"], kPolicyWebDb);

  // Not JSON at all: refused locally, nothing sent.
  ASSERT_TRUE(base::atomic_write_file(file, std::string("{\"rules\": [")).has_value());
  EXPECT_EQ(run({"control", "policy", "set", file}), kExitFailure);
  EXPECT_NE(err_.str().find(file), std::string::npos) << err_.str();
}

TEST_F(CliControlTest, RevokeBySubjectAndTokenId) {
  ASSERT_EQ(run({"control", "revoke", "--subject", "n9"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "revoked subject n9\n");
  ASSERT_EQ(run({"control", "revoke", "--token-id", "0123456789abcdef0123456789abcdef", "--json"}), kExitOk)
      << err_.str();
  EXPECT_EQ(json::parse(out_.str())["revoked"], "0123456789abcdef0123456789abcdef");
}

TEST_F(CliControlTest, ConfigFileSuppliesTheConnection) {
  system_config_ = dir_.file("cli.json");
  const json config = {{"version", 1},
                       {"control", {{"url", control_}, {"pin_sha256", pin_}}},
                       {"admin", {{"key_dir", admin_dir_}, {"secret_file", secret_}}}};
  ASSERT_TRUE(base::atomic_write_file(system_config_, config.dump()).has_value());
  ASSERT_EQ(run({"control", "node", "list"}, false), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(), "no nodes registered\n");
  // An explicit --config wins over the system file; a broken one is a usage error (64).
  const std::string broken = dir_.file("broken.json");
  ASSERT_TRUE(base::atomic_write_file(broken, std::string(R"({"version":1,"admin":{"secret":"x"}})")).has_value());
  EXPECT_EQ(run({"control", "node", "list", "--config", broken}, false), kExitUsage);
  EXPECT_NE(err_.str().find("secrets are never read from the config file"), std::string::npos) << err_.str();
  EXPECT_EQ(err_.str().find("\"x\""), std::string::npos);
}

TEST_F(CliControlTest, WrongPinIsRefused) {
  std::string wrong = pin_;
  wrong[0] = wrong[0] == '0' ? '1' : '0';
  EXPECT_EQ(run({"control", "node", "list", "--control", control_, "--pin", wrong, "--admin-key-dir", admin_dir_,
                 "--secret-file", secret_},
                false),
            kExitFailure);
  EXPECT_NE(err_.str().find("pin"), std::string::npos) << err_.str();
}

TEST_F(CliControlTest, UnknownAdminKeyExitsSeventySeven) {
  // A second admin key directory the control does not list.
  const std::string other = dir_.file("other-admin");
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(control_server::run_init({"--state-dir", dir_.file("state2"), "--config-out", dir_.file("c2.json"),
                                      "--secret-file", secret_, "--admin-key-dir", other},
                                     out, err),
            0)
      << err.str();
  EXPECT_EQ(run({"control", "node", "list", "--control", control_, "--pin", pin_, "--admin-key-dir", other,
                 "--secret-file", secret_},
                false),
            kExitPermission);
  EXPECT_NE(err_.str().find("HTTP 401"), std::string::npos) << err_.str();
}

TEST_F(CliControlTest, UnreachableControlExitsTwo) {
  const std::uint16_t port = service_->port();
  service_->stop();
  service_.reset();
  EXPECT_EQ(run({"control", "node", "list", "--control", "127.0.0.1:" + std::to_string(port), "--pin", pin_,
                 "--admin-key-dir", admin_dir_, "--secret-file", secret_},
                false),
            kExitUnreachable);
  EXPECT_NE(err_.str().find("rustynet-control at 127.0.0.1:"), std::string::npos) << err_.str();
}

TEST_F(CliControlTest, WrongOperatorSecretFailsWithoutContactingControl) {
  const std::string wrong = dir_.file("wrong-secret");
  ASSERT_TRUE(base::atomic_write_file(wrong, std::string("not the secret\n")).has_value());
  EXPECT_EQ(run({"control", "node", "list", "--control", control_, "--pin", pin_, "--admin-key-dir", admin_dir_,
                 "--secret-file", wrong},
                false),
            kExitFailure);
  EXPECT_NE(err_.str().find("admin key"), std::string::npos) << err_.str();
  EXPECT_EQ(err_.str().find("not the secret"), std::string::npos);
}

}  // namespace
}  // namespace rustynet::apps::cli

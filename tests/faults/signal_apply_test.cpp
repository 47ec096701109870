// SPDX-License-Identifier: Apache-2.0
// Signals during a state apply: rustynetd's real signal loop (daemon::run, as a process) receives
// SIGTERM, SIGINT or SIGHUP while it applies a large signed state; it finishes or never starts
// the apply, persists nothing partial, exits 0 within a bound and a restart applies everything.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "daemon_fixture.hpp"
#include "process_support.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/subkey.hpp"
#include "rustynet/crypto/trust_state.hpp"
#include "tls_responder.hpp"

namespace rustynet::testing {
namespace {

constexpr std::size_t kPeerCount = 2000;
constexpr int kGateAt = 1000;  // the apply pauses in configure_peer #1000 of 2000
constexpr std::uint64_t kGeneration = 7;
constexpr std::chrono::milliseconds kBound{kProcessBound};

std::int64_t wall_now() { return base::system_clock().wall_now().value().seconds; }

// A node state for n1 with `count` peers (unique keys, addresses, endpoints, one host route each).
policy::NodeState large_state(std::size_t count) {
  policy::NodeState state;
  state.node_id = "n1";
  state.tags = {"mesh"};
  state.addresses = {policy::IpAddress::parse("100.64.0.1").value()};
  state.policy_digest = crypto::sha256(bytes_of(kAllowAllPolicy));
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t j = i + 2;  // 100.64.0.2 onwards
    const std::string low = std::to_string(j / 256) + "." + std::to_string(j % 256);
    policy::PeerState peer;
    peer.node_id = "p" + std::to_string(i);
    peer.tags = {"mesh"};
    const auto address = policy::IpAddress::parse("100.64." + low).value();
    peer.addresses = {address};
    peer.tunnel_public_key.fill(0x5a);
    peer.tunnel_public_key[0] = static_cast<std::uint8_t>(i & 0xffU);
    peer.tunnel_public_key[1] = static_cast<std::uint8_t>((i >> 8U) & 0xffU);
    peer.endpoints = {policy::SocketAddress::parse("198.18." + low + ":51820").value()};
    peer.allowed_prefixes = {policy::IpPrefix::host(address)};
    state.peers.push_back(peer);
    state.routes.push_back({policy::IpPrefix::host(address), peer.node_id});
  }
  return state;
}

// What the daemon left on disk, read back the way a restarted daemon reads it.
struct Persisted {
  bool trust_usable = false;
  std::optional<std::uint64_t> node_generation;
  std::optional<std::uint64_t> policy_generation;
  std::optional<crypto::Sha256Digest> node_digest;
  std::optional<std::string> last_node_state;  // base64, as in the last-state file
  std::optional<std::string> last_policy;
  std::vector<std::string> stray_files;  // temporaries of an interrupted atomic write
};

// Loopback control serving one large state: 200 with it while the node reports an older
// generation, otherwise an idle long-poll (204 after 300 ms).
class LargeStateControl {
 public:
  LargeStateControl(const crypto::Ed25519SigningKey& signer, std::size_t peers, std::uint64_t generation)
      : generation_(generation) {
    const auto now = wall_now();
    SignOptions options;
    options.issued_at = now - 60;
    options.expires_at = now + 86400;
    pair_ = sign_pair(signer, generation, large_state(peers), kAllowAllPolicy, options);
    body_ = sync_body(generation, pair_);
    responder_ = std::make_unique<TlsResponder>([this](const ResponderRequest& request) { return answer(request); });
  }

  [[nodiscard]] const SignedPair& pair() const { return pair_; }
  [[nodiscard]] std::uint16_t port() const { return responder_->port(); }
  [[nodiscard]] const std::string& pin() const { return responder_->pin_sha256(); }
  [[nodiscard]] int full_answers() const { return full_answers_.load(); }
  // Called (on the responder's thread) right before each full answer is handed to TLS.
  void on_full_answer(std::function<void()> hook) {
    const std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
  }

 private:
  ResponderReply answer(const ResponderRequest& request) {
    if (request.method != "POST" || request.target != "/v1/node/sync") {
      return ResponderReply{404, "{}"};
    }
    const auto known = nlohmann::json::parse(request.body)["known_generation"].get<std::uint64_t>();
    if (known >= generation_) {
      ResponderReply idle{204, ""};
      idle.delay = std::chrono::milliseconds(300);
      return idle;
    }
    ++full_answers_;
    std::function<void()> hook;
    {
      const std::lock_guard lock(mutex_);
      hook = hook_;
    }
    if (hook) {
      hook();
    }
    return ResponderReply{200, body_};
  }

  std::uint64_t generation_;
  SignedPair pair_;
  std::string body_;
  std::atomic<int> full_answers_{0};
  std::mutex mutex_;
  std::function<void()> hook_;
  std::unique_ptr<TlsResponder> responder_;  // last: its thread stops before the rest goes
};

class SignalDuringApplyTest : public ::testing::Test {
 protected:
  SignalDuringApplyTest()
      : control_key(key_from(0x11)),
        keys(copy_of_provisioned_keys(dir)),
        control(control_key, kPeerCount, kGeneration),
        notify(dir.file("notify"), kProcessBound) {
    config = base_config(dir, keys, control_key.public_key());
    config["control"]["url"] = "127.0.0.1:" + std::to_string(control.port());
    config["control"]["pin_sha256"] = control.pin();
    write_config();
  }

  void write_config() { write_file(dir.file("rustynetd.json"), config.dump()); }

  std::vector<std::string> environment() const {
    std::vector<std::string> env{"NOTIFY_SOCKET=" + dir.file("notify"),
                                 "RUSTYNET_FAULT_REPORT=" + dir.file("backend-report.json"), "PATH=/usr/bin:/bin"};
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"}) {
      if (const char* value = std::getenv(name); value != nullptr) {  // NOLINT(concurrency-mt-unsafe)
        env.push_back(std::string(name) + "=" + value);
      }
    }
    return env;
  }

  // SIGTERM, STOPPING=1 on the notify socket, exit code 0 within the bound.
  void stop_cleanly(ChildProcess& child) {
    ASSERT_TRUE(child.signal(SIGTERM));
    ASSERT_TRUE(notify.wait_for("STOPPING=1")) << notify.seen_text();
    EXPECT_EQ(child.wait_exit(kBound), 0) << "raw status " << child.raw_status().value_or(-1) << "\n" << daemon_log();
  }

  // The gated daemon: pauses in configure_peer #kGateAt until release is written.
  std::unique_ptr<ChildProcess> start_gated(Pipe& paused, Pipe& release,
                                            const std::vector<std::string>& extra_env = {}) {
    auto env = environment();
    env.insert(env.end(), extra_env.begin(), extra_env.end());
    env.push_back("RUSTYNET_FAULT_GATE_AT=" + std::to_string(kGateAt));
    env.push_back("RUSTYNET_FAULT_GATE_FD=" + std::to_string(paused.write_fd()));
    env.push_back("RUSTYNET_FAULT_RELEASE_FD=" + std::to_string(release.read_fd()));
    auto child = std::make_unique<ChildProcess>(
        GATED_RUSTYNETD_BINARY, std::vector<std::string>{"--config", dir.file("rustynetd.json")}, env,
        dir.file("daemon.log"), std::vector<int>{paused.write_fd(), release.read_fd()});
    paused.close_write();  // only the child writes "paused"; EOF tells us it is gone
    return child;
  }

  std::unique_ptr<ChildProcess> start_plain(const std::string& binary = GATED_RUSTYNETD_BINARY) {
    return std::make_unique<ChildProcess>(binary, std::vector<std::string>{"--config", dir.file("rustynetd.json")},
                                          environment(), dir.file("daemon.log"));
  }

  Persisted persisted() const {
    Persisted out;
    auto mac_key = crypto::derive_trust_state_mac_key(key_from(0x21));  // provision_node_keys' identity
    const auto store = crypto::TrustStore::open({dir.file("trust.state"), true, {}}, std::move(mac_key).value());
    out.trust_usable = store.status().has_value();
    if (const auto* node = store.state().find_accepted(crypto::ArtifactType::kNodeState, "n1")) {
      out.node_generation = node->generation;
      out.node_digest = node->envelope_digest;
    }
    if (const auto* policy = store.state().find_accepted(crypto::ArtifactType::kPolicySnapshot, "")) {
      out.policy_generation = policy->generation;
    }
    if (std::ifstream last(dir.file("trust.state.last")); last) {
      const std::string text((std::istreambuf_iterator<char>(last)), std::istreambuf_iterator<char>());
      const auto doc = nlohmann::json::parse(text, nullptr, false);
      if (!doc.is_discarded() && doc.is_object() && doc.contains("node_state") && doc.contains("policy")) {
        out.last_node_state = doc["node_state"].get<std::string>();
        out.last_policy = doc["policy"].get<std::string>();
      }
    }
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      if (entry.path().filename().string().find(".tmp-") != std::string::npos) {
        out.stray_files.push_back(entry.path().filename().string());
      }
    }
    return out;
  }

  // Everything of generation kGeneration is on disk, consistently: trust state records both
  // envelopes (the exact bytes served), the last-state file holds them, no temporary is left.
  void expect_generation_persisted() const {
    const Persisted p = persisted();
    EXPECT_TRUE(p.trust_usable);
    EXPECT_EQ(p.node_generation, kGeneration);
    EXPECT_EQ(p.policy_generation, kGeneration);
    EXPECT_EQ(p.node_digest, crypto::sha256(control.pair().node_state));
    EXPECT_EQ(p.last_node_state, crypto::base64_encode(control.pair().node_state));
    EXPECT_EQ(p.last_policy, crypto::base64_encode(control.pair().policy));
    EXPECT_TRUE(p.stray_files.empty()) << p.stray_files.front();
  }

  nlohmann::json backend_report() const {
    std::ifstream in(dir.file("backend-report.json"));
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return nlohmann::json::parse(text, nullptr, false);
  }

  nlohmann::json status() const {
    const auto reply = local_api_call(dir.file("api.sock"), R"({"version":1,"method":"status"})");
    return nlohmann::json::parse(reply, nullptr, false);
  }

  std::string daemon_log() const {
    std::ifstream in(dir.file("daemon.log"));
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  // A restart with no gate: the daemon comes up from the persisted state with every peer and
  // route (checked through the local API), then stops cleanly on SIGTERM.
  void expect_restart_applies_everything() {
    auto child = start_plain();
    ASSERT_TRUE(child->started());
    ASSERT_TRUE(notify.wait_for("READY=1")) << daemon_log();
    auto now = status();
    ASSERT_TRUE(now.is_object() && now["result"].is_object()) << now.dump();
    if (now["result"]["generation"] != kGeneration) {
      // Nothing usable was persisted: the restarted daemon fetches the state from control.
      ASSERT_TRUE(notify.wait_for("generation " + std::to_string(kGeneration))) << daemon_log();
      now = status();
    }
    EXPECT_EQ(now["result"]["generation"], kGeneration) << now.dump();
    EXPECT_EQ(now["result"]["state"], "running") << now.dump();
    EXPECT_EQ(now["result"]["peers_total"], kPeerCount) << now.dump();
    stop_cleanly(*child);
    EXPECT_EQ(backend_report()["peers"], kPeerCount);
  }

  // SIGTERM / SIGINT while the apply is paused half-way: the signal is taken at once (STOPPING=1
  // while the apply still holds the state lock), shutdown waits for the apply to finish, the
  // backend is shut down holding every peer, the process exits 0, everything is persisted.
  void stop_mid_apply(int signal_number) {
    Pipe paused;
    Pipe release;
    auto child = start_gated(paused, release);
    ASSERT_TRUE(child->started());
    ASSERT_TRUE(notify.wait_for("READY=1")) << daemon_log();
    ASSERT_TRUE(paused.read_byte(kBound)) << "the apply never reached peer " << kGateAt << "\n" << daemon_log();

    // Mid-apply: the generation is committed before the backend is touched (docs/daemon.md),
    // so a crash here could not roll back to an older state either.
    expect_generation_persisted();

    ASSERT_TRUE(child->signal(signal_number));
    // The main thread took the signal and is in Daemon::stop(), which waits for the state lock
    // the paused apply holds.
    ASSERT_TRUE(notify.wait_for("STOPPING=1")) << notify.seen_text();
    ASSERT_TRUE(release.write_byte());

    EXPECT_EQ(child->wait_exit(kBound), 0) << "raw status " << child->raw_status().value_or(-1) << "\n" << daemon_log();
    const auto report = backend_report();
    EXPECT_EQ(report["configure_calls"], kPeerCount);  // the apply ran to its end ...
    EXPECT_EQ(report["peers"], kPeerCount);            // ... before the backend was shut down
    EXPECT_EQ(report["routes"], kPeerCount);
    EXPECT_EQ(report["shutdowns"], 1);
    EXPECT_FALSE(std::filesystem::exists(dir.file("api.sock")));
    EXPECT_NE(daemon_log().find("applied generation " + std::to_string(kGeneration)), std::string::npos)
        << daemon_log();
    expect_generation_persisted();
    expect_restart_applies_everything();
  }

  TempDir dir;
  crypto::Ed25519SigningKey control_key;
  NodeKeys keys;
  LargeStateControl control;
  NotifySocket notify;
  nlohmann::json config;
};

TEST_F(SignalDuringApplyTest, SigtermMidApplyFinishesTheApplyThenShutsDownCleanly) { stop_mid_apply(SIGTERM); }

TEST_F(SignalDuringApplyTest, SigintMidApplyFinishesTheApplyThenShutsDownCleanly) { stop_mid_apply(SIGINT); }

// SIGHUP mid-apply: the reload starts at once (RELOADING=1) but takes the state lock only after the
// apply; the new config is in force afterwards and the daemon keeps running.
TEST_F(SignalDuringApplyTest, SighupMidApplyReloadsAfterTheApplyAndKeepsRunning) {
  Pipe paused;
  Pipe release;
  auto child = start_gated(paused, release);
  ASSERT_TRUE(child->started());
  ASSERT_TRUE(notify.wait_for("READY=1")) << daemon_log();
  ASSERT_TRUE(paused.read_byte(kBound)) << daemon_log();

  config["persistent_keepalive_seconds"] = 15;  // reloadable
  write_config();
  ASSERT_TRUE(child->signal(SIGHUP));
  ASSERT_TRUE(notify.wait_for("RELOADING=1")) << notify.seen_text();
  ASSERT_TRUE(release.write_byte());
  ASSERT_TRUE(notify.wait_for("READY=1")) << notify.seen_text();

  const auto now = status();
  EXPECT_EQ(now["result"]["generation"], kGeneration) << now.dump();
  EXPECT_EQ(now["result"]["peers_total"], kPeerCount) << now.dump();
  EXPECT_EQ(now["result"]["state"], "running") << now.dump();
  const std::string log = daemon_log();
  const auto applied = log.find("applied generation " + std::to_string(kGeneration));
  const auto reloaded = log.find("config reloaded");
  ASSERT_NE(applied, std::string::npos) << log;
  ASSERT_NE(reloaded, std::string::npos) << log;
  EXPECT_LT(applied, reloaded) << log;  // the reload waited for the apply

  stop_cleanly(*child);
  EXPECT_EQ(backend_report()["peers"], kPeerCount);
  expect_generation_persisted();
}

// The systemd watchdog keeps being answered while a SIGHUP reload waits for a long apply: the
// reload runs off the signal thread (a reload on it would silence WATCHDOG=1 until the apply ends,
// and systemd would kill a daemon that is merely busy).
TEST_F(SignalDuringApplyTest, SighupMidApplyKeepsAnsweringTheWatchdog) {
  Pipe paused;
  Pipe release;
  auto child = start_gated(paused, release, {"WATCHDOG_USEC=400000"});  // a ping every 200 ms
  ASSERT_TRUE(child->started());
  ASSERT_TRUE(notify.wait_for("READY=1")) << daemon_log();
  ASSERT_TRUE(paused.read_byte(kBound)) << daemon_log();

  ASSERT_TRUE(child->signal(SIGHUP));
  ASSERT_TRUE(notify.wait_for("RELOADING=1")) << notify.seen_text();
  // The apply is still paused and the reload waits for it; the pings go on.
  for (int ping = 0; ping < 3; ++ping) {
    ASSERT_TRUE(notify.wait_for("WATCHDOG=1")) << "no watchdog ping during the reload\n" << notify.seen_text();
  }
  EXPECT_EQ(daemon_log().find("config reloaded"), std::string::npos) << daemon_log();
  ASSERT_TRUE(release.write_byte());
  ASSERT_TRUE(notify.wait_for("READY=1")) << notify.seen_text();
  EXPECT_NE(daemon_log().find("config reloaded"), std::string::npos) << daemon_log();
  stop_cleanly(*child);
  expect_generation_persisted();
}

// SIGTERM while the startup re-applies the last verified state (signals are blocked from the
// first instruction, so it waits): startup completes, READY=1, then a clean stop. The restore
// re-commits nothing: the trust state file is byte-identical.
TEST_F(SignalDuringApplyTest, SigtermDuringStartupRestoreStopsAfterTheRestore) {
  {
    auto first = start_plain();
    ASSERT_TRUE(first->started());
    ASSERT_TRUE(notify.wait_for("generation " + std::to_string(kGeneration))) << daemon_log();
    stop_cleanly(*first);
  }
  std::ifstream before_stream(dir.file("trust.state"), std::ios::binary);
  const std::string trust_before((std::istreambuf_iterator<char>(before_stream)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(trust_before.empty());

  Pipe paused;
  Pipe release;
  auto child = start_gated(paused, release);
  ASSERT_TRUE(child->started());
  ASSERT_TRUE(paused.read_byte(kBound)) << daemon_log();  // inside Daemon::start, before READY
  ASSERT_TRUE(child->signal(SIGTERM));
  ASSERT_TRUE(release.write_byte());
  ASSERT_TRUE(notify.wait_for("READY=1")) << notify.seen_text();
  ASSERT_TRUE(notify.wait_for("STOPPING=1")) << notify.seen_text();
  EXPECT_EQ(child->wait_exit(kBound), 0) << daemon_log();
  EXPECT_EQ(backend_report()["peers"], kPeerCount);  // the restore ran to its end before shutdown

  std::ifstream after_stream(dir.file("trust.state"), std::ios::binary);
  const std::string trust_after((std::istreambuf_iterator<char>(after_stream)), std::istreambuf_iterator<char>());
  EXPECT_EQ(trust_after, trust_before);
  expect_generation_persisted();
}

// The production binary (rustynetd: composition root, memory backend) without any gate. A first
// run measures how long the daemon takes from the moment control hands out the large state to
// "running, generation 7" (transfer, verification, commit, apply). Then SIGTERM is sent at fractions
// of that time, so the signals land spread over the transfer, verification, commit and apply, wherever
// they hit. Every run must exit 0 within the bound with either nothing or everything of the
// generation persisted (never a mix, no temporary file), and a restart must end with the full state.
TEST_F(SignalDuringApplyTest, ProductionDaemonStopsConsistentlyWhereverTheSignalLands) {
  using Clock = std::chrono::steady_clock;
  // Starts the production daemon on a fresh trust state and returns once control handed it the
  // state (the moment the hook ran).
  const auto start_and_hand_out = [this](std::unique_ptr<ChildProcess>& child) {
    std::filesystem::remove(dir.file("trust.state"));  // a first start each round
    std::filesystem::remove(dir.file("trust.state.last"));
    struct HandedOut {
      std::promise<void> promise;
      std::atomic<bool> fired{false};
    };
    const auto handed_out = std::make_shared<HandedOut>();  // the hook may outlive this round
    auto future = handed_out->promise.get_future();
    control.on_full_answer([handed_out] {
      if (!handed_out->fired.exchange(true)) {
        handed_out->promise.set_value();
      }
    });
    child = start_plain(RUSTYNETD_BINARY);
    const bool ok = child->started() && future.wait_for(kBound) == std::future_status::ready;
    control.on_full_answer(nullptr);
    return ok;
  };

  std::unique_ptr<ChildProcess> child;
  ASSERT_TRUE(start_and_hand_out(child)) << daemon_log();
  const auto handed_out_at = Clock::now();
  ASSERT_TRUE(notify.wait_for("generation " + std::to_string(kGeneration))) << daemon_log();
  const auto full_apply = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - handed_out_at) +
                          std::chrono::milliseconds(1);
  stop_cleanly(*child);
  expect_generation_persisted();

  int committed = 0;
  int not_committed = 0;
  std::string outcomes;
  for (const int eighths : {0, 1, 2, 4, 8, 12}) {
    const auto delay = full_apply * eighths / 8;
    SCOPED_TRACE("SIGTERM " + std::to_string(delay.count()) + " ms after the state was handed out");
    ASSERT_TRUE(start_and_hand_out(child)) << daemon_log();
    std::this_thread::sleep_for(delay);  // varies where the signal lands
    stop_cleanly(*child);

    const Persisted p = persisted();
    EXPECT_TRUE(p.trust_usable);
    EXPECT_TRUE(p.stray_files.empty());
    if (p.node_generation) {
      ++committed;
      expect_generation_persisted();
    } else {
      ++not_committed;
      EXPECT_FALSE(p.policy_generation.has_value());
      EXPECT_FALSE(p.last_node_state.has_value());
    }
    outcomes += " " + std::to_string(delay.count()) + (p.node_generation ? "ms:committed" : "ms:none");
    expect_restart_applies_everything();
  }
  std::cout << "[          ] hand-out to applied: " << full_apply.count() << " ms; SIGTERM at" << outcomes
            << "\n[          ] stopped before the commit: " << not_committed
            << " runs; committed and applied, then stopped: " << committed << " runs\n";
}

}  // namespace
}  // namespace rustynet::testing

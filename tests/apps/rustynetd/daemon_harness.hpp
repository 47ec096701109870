// SPDX-License-Identifier: Apache-2.0
// DaemonHarness: a Daemon over a temporary config, provisioned keys, a manual clock and a scripted
// control link (FakeLink): what the daemon's own tests and its metrics tests start from.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon.hpp"
#include "daemon_fixture.hpp"

namespace rustynet::apps::daemon {

class DaemonHarness : public ::testing::Test {
 protected:
  DaemonHarness()
      : clock(testing::kTestNow), control(testing::key_from(0x11)), keys(testing::copy_of_provisioned_keys(dir)) {
    config = testing::base_config(dir, keys, control.public_key());
  }

  std::string write_config() {
    const auto path = dir.file("rustynetd.json");
    testing::write_file(path, config.dump());
    return path;
  }

  DaemonDeps deps(testing::FakeLink** link_out = nullptr) {
    DaemonDeps d;
    d.clock = &clock;
    d.credentials_directory = std::optional<std::string>{};
    d.notify = [this](std::string_view state) {
      const std::lock_guard lock(notify_mutex);
      notifications.emplace_back(state);
    };
    d.random = [] { return std::uint64_t{0}; };  // shortest backoff: tests stay fast
    d.link_factory = [this, link_out](const DaemonConfig&, crypto::Ed25519SigningKey,
                                      const base::Clock&) -> DaemonResult<std::unique_ptr<ControlLink>> {
      auto fake = std::make_unique<testing::FakeLink>();
      link = fake.get();
      if (link_out != nullptr) {
        *link_out = fake.get();
      }
      return std::unique_ptr<ControlLink>(std::move(fake));
    };
    return d;
  }

  DaemonResult<std::unique_ptr<Daemon>> start() { return Daemon::start(write_config(), deps(), log); }

  testing::SignedPair pair(std::uint64_t generation, const std::vector<testing::TestPeer>& peers,
                           const testing::SignOptions& options = {}) {
    return testing::sign_pair(control, generation,
                              testing::make_state("n1", "100.64.0.1", peers, testing::kAllowAllPolicy),
                              testing::kAllowAllPolicy, options);
  }

  static testing::FakeLink::Outcome update(std::uint64_t generation, const testing::SignedPair& p) {
    return SyncReply{SyncPayload{generation, p.node_state, p.policy}};
  }

  testing::TempDir dir;
  testing::ManualClock clock;
  crypto::Ed25519SigningKey control;
  testing::NodeKeys keys;
  nlohmann::json config;
  std::ostringstream log;
  testing::FakeLink* link = nullptr;
  std::mutex notify_mutex;
  std::vector<std::string> notifications;
};

}  // namespace rustynet::apps::daemon

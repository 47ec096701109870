// SPDX-License-Identifier: Apache-2.0
// ControlLink: the daemon's view of rustynet-control (one long-poll sync at a time).
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include "daemon_config.hpp"
#include "daemon_error.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "state_applier.hpp"

namespace rustynet::apps::daemon {

struct SyncReply {
  std::optional<SyncPayload> update;  // nullopt: nothing newer within wait_seconds (204)
};

struct SyncFailure {
  DaemonError error;
  std::optional<std::chrono::seconds> retry_after;  // from 429/503
};

class ControlLink {
 public:
  virtual ~ControlLink() = default;
  ControlLink() = default;
  ControlLink(const ControlLink&) = delete;
  ControlLink& operator=(const ControlLink&) = delete;
  ControlLink(ControlLink&&) = delete;
  ControlLink& operator=(ControlLink&&) = delete;

  // Blocks for at most wait_seconds plus a margin.
  [[nodiscard]] virtual base::Result<SyncReply, SyncFailure> sync(const SyncRequest& request) = 0;
  // Thread-safe: makes a sync() in progress (and all later ones) return at once.
  virtual void abort() = 0;
};

// POST /v1/node/sync over control::HttpsClient, each request with a fresh node token (sub =
// node id, 60 s lifetime, fresh nonce) signed with the node identity key. Errors: kControl.
[[nodiscard]] DaemonResult<std::unique_ptr<ControlLink>> make_https_control_link(const DaemonConfig& config,
                                                                                 crypto::Ed25519SigningKey identity,
                                                                                 const base::Clock& clock);

}  // namespace rustynet::apps::daemon

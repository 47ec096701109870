// SPDX-License-Identifier: Apache-2.0
// ControlLink: the daemon's view of rustynet-control (one long-poll sync at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "daemon_config.hpp"
#include "daemon_error.hpp"
#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "state_applier.hpp"

namespace rustynet::apps::daemon {

struct SyncReply {
  std::optional<SyncPayload> update;  // nullopt: nothing newer within wait_seconds (204)
};

// Control's answer when it refused a request (an HTTP error status with the protocol's error object).
struct ControlRefusal {
  unsigned status = 0;      // e.g. 401
  std::string error_class;  // the error object's "error" (e.g. "bad_signature"); empty if absent
};

struct SyncFailure {
  // A constructor rather than an aggregate, so the many two-field call sites stay short.
  SyncFailure(DaemonError failure, std::optional<std::chrono::seconds> retry = std::nullopt,
              bool was_interrupted = false, std::optional<ControlRefusal> refused = std::nullopt)
      : error(std::move(failure)), retry_after(retry), interrupted(was_interrupted), refusal(std::move(refused)) {}

  DaemonError error;
  std::optional<std::chrono::seconds> retry_after;  // from 429/503
  bool interrupted = false;                         // interrupt() ended it (retry at once, no backoff)
  std::optional<ControlRefusal> refusal;            // set when control itself answered with an error
};

// True when control refused the node itself rather than this one request: its identity key is not
// registered (removed, or never added / a wrong key: "bad_signature"), revoked, or the endpoint is
// forbidden to it. Retrying soon cannot change that, unlike a clock problem ("expired",
// "not_yet_valid": a Raspberry Pi before NTP) or a limit (429), which keep the normal backoff.
[[nodiscard]] bool is_membership_refusal(const SyncFailure& failure);

// The body of a 200 answer to POST /v1/node/relay-ticket (docs/control-protocol.md), decoded. The
// ticket is opaque to the daemon (the relay verifies it); it is a bearer credential for 120 s, so
// it is never logged.
struct RelayTicketGrant {
  std::string relay_id;
  std::string address;  // ip:port of the relay, as control configured it
  std::vector<std::uint8_t> ticket;
  std::int64_t expires_at = 0;
};

// Errors: kRejected (strict JSON, version, base64, sizes).
[[nodiscard]] DaemonResult<RelayTicketGrant> parse_relay_ticket_response(std::string_view body);

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
  // Asks for this node's relay ticket towards `peer` (only for a pair control marked relayed).
  // Thread-safe with respect to sync(): the HTTPS link uses a separate connection, so a ticket
  // is never queued behind a long-poll. Errors: kControl (transport, HTTP status), kRejected.
  [[nodiscard]] virtual DaemonResult<RelayTicketGrant> relay_ticket(const std::string& peer);
  // Thread-safe: makes a sync() or relay_ticket() in progress (and all later ones) return at once.
  virtual void abort() = 0;
  // Thread-safe, one-shot: the underlay addresses changed, so the kept connection to control may
  // sit on an address that is gone. A sync() in progress returns at once with
  // SyncFailure::interrupted; otherwise the next request starts on a fresh connection. Later
  // requests are unaffected (unlike abort()). Default: nothing (the sync runs to its deadline).
  virtual void interrupt() {}
};

// POST /v1/node/sync over control::HttpsClient, each request with a fresh node token (sub =
// node id, 60 s lifetime, fresh nonce) signed with the node identity key. Errors: kControl.
[[nodiscard]] DaemonResult<std::unique_ptr<ControlLink>> make_https_control_link(const DaemonConfig& config,
                                                                                 crypto::Ed25519SigningKey identity,
                                                                                 const base::Clock& clock);

}  // namespace rustynet::apps::daemon

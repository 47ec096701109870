// SPDX-License-Identifier: Apache-2.0
// RelayCore: the relay's sans-I/O decision logic (sessions, tickets, cookies, limits, expiry).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/base/result.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/relay/endpoint.hpp"
#include "rustynet/relay/relay_limits.hpp"
#include "rustynet/relay/security_events.hpp"

namespace rustynet::relay {

enum class Action : std::uint8_t {
  kDrop,     // nothing to send (counted)
  kForward,  // send the datagram unchanged to `destination`
  kReply,    // send reply[0, reply_size) back to the datagram's source
};

struct Decision {
  Action action = Action::kDrop;
  RelayEndpoint destination;
  std::size_t reply_size = 0;
};

// Decides, per datagram, whether to drop, forward or answer. Holds no socket and no tunnel key:
// only the control public key (to verify tickets) and per-process random secrets (cookies and the
// pre-authentication table hash). Never decrypts or inspects forwarded payloads.
// Order of checks for a hello (cheap before expensive): size/layout -> per-source hello limit ->
// return-routability cookie (keyed BLAKE2b of the source address and a 30 s window) -> global
// verification budget -> Ed25519 ticket verification -> replay store -> session/node caps -> bind.
// Not thread-safe: one relay thread owns it.
class RelayCore {
 public:
  // `clock` and `sink` must outlive the core. Captures the wall clock as the start time: tickets
  // issued earlier are refused (the replay store does not survive a restart).
  // Errors: invalid limits, empty relay id, unusable wall clock, libsodium unavailable.
  [[nodiscard]] static base::Result<RelayCore, std::string> create(std::string relay_id,
                                                                   crypto::Ed25519PublicKey control_key,
                                                                   const RelayLimits& limits, const base::Clock& clock,
                                                                   EventSink& sink);
  RelayCore(RelayCore&&) noexcept;
  RelayCore& operator=(RelayCore&&) noexcept;
  RelayCore(const RelayCore&) = delete;
  RelayCore& operator=(const RelayCore&) = delete;
  ~RelayCore();

  // One datagram from `source`. `reply` must hold at least kMaxReplySize bytes. Does not allocate
  // on the forwarding path (allocation happens only when a session is created or an event is
  // written).
  [[nodiscard]] Decision handle(const RelayEndpoint& source, std::span<const std::uint8_t> datagram,
                                std::span<std::uint8_t> reply, base::MonotonicTime now);
  // A datagram the kernel truncated (larger than max_datagram_bytes): counted, never forwarded.
  void note_oversize() noexcept;
  void note_send_error() noexcept;
  // Removes idle and over-lifetime sessions and expired replay entries. Call about once a second.
  void expire(base::MonotonicTime now);

  [[nodiscard]] const RelayCounters& counters() const noexcept;
  [[nodiscard]] const RelayLimits& limits() const noexcept;
  [[nodiscard]] std::size_t session_count() const noexcept;
  [[nodiscard]] std::size_t bound_address_count() const noexcept;
  [[nodiscard]] std::size_t replay_entry_count() const noexcept;

 private:
  struct State;
  explicit RelayCore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The algorithm-policy names the relay core uses (its startup check): ticket signatures (Ed25519,
// crypto::relay_ticket_algorithms), hello cookies (keyed BLAKE2b) and the hello-rate table's
// keyed index (SipHash-2-4), as relay_core.cpp calls them.
[[nodiscard]] std::vector<std::string> relay_algorithms();

}  // namespace rustynet::relay

// SPDX-License-Identifier: Apache-2.0
// Relay wire protocol: the few control messages exchanged between a node's relay client and the relay.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"
#include "rustynet/crypto/relay_ticket.hpp"

namespace rustynet::relay {

// Every control message starts with kMagic, a version byte and a type byte. Tunnel datagrams are
// forwarded untouched and never start with 0xFF followed by "RNR" (the tunnel protocol's messages
// start with a small type number followed by reserved zero bytes), so the two cannot be confused.
// Docs: docs/relay.md ("Wire protocol").
inline constexpr std::array<std::uint8_t, 4> kMagic = {0xFF, 'R', 'N', 'R'};
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kHeaderSize = 6;
inline constexpr std::size_t kCookieSize = 16;
// A hello is padded to at least this size so that no relay reply is larger than the request that
// caused it (no amplification towards a spoofed source).
inline constexpr std::size_t kMinHelloSize = 128;
inline constexpr std::size_t kMaxHelloSize = kMinHelloSize + crypto::kMaxRelayTicketBytes + 64;
// Every relay-to-client message fits in this many bytes.
inline constexpr std::size_t kMaxReplySize = 32;

using Cookie = std::array<std::uint8_t, kCookieSize>;

enum class MessageType : std::uint8_t {
  kHello = 1,         // client -> relay: cookie (zero when none yet) + ticket
  kCookie = 2,        // relay -> client: return-routability cookie for the hello's source address
  kAccept = 3,        // relay -> client: side bound; says whether the peer side is bound yet
  kReject = 4,        // relay -> client: reason; sent only to cookie-verified addresses
  kKeepalive = 5,     // client -> relay, from a bound address: keeps the session alive
  kKeepaliveAck = 6,  // relay -> client: session alive, peer bound or not
};

// Stable numbers; append only.
enum class RejectReason : std::uint8_t {
  kBadTicket = 1,         // malformed, wrong signer, bad signature, wrong relay, bad claims
  kExpired = 2,           // expired or not yet valid
  kReplayed = 3,          // ticket id already used (from another address)
  kRelayFull = 4,         // max_sessions or replay store capacity reached
  kNodeLimit = 5,         // max_sessions_per_node reached for the holder or the peer
  kAddressInUse = 6,      // this source address is bound to another session side
  kSessionMismatch = 7,   // session id exists with other node ids
  kBusy = 8,              // ticket verification budget exhausted; retry later
  kStaleTicket = 9,       // issued before the relay started (its replay store is empty); get a new one
  kClockUnavailable = 10  // relay wall clock unusable: validity cannot be judged
};

[[nodiscard]] std::string_view to_string(RejectReason reason) noexcept;

struct HelloMessage {
  Cookie cookie{};                       // all zero: "send me a cookie"
  std::span<const std::uint8_t> ticket;  // view into the datagram
};

struct ServerMessage {
  MessageType type = MessageType::kCookie;
  Cookie cookie{};                                 // kCookie
  crypto::RelaySessionId session_id{};             // kAccept
  bool peer_bound = false;                         // kAccept, kKeepaliveAck
  std::uint32_t idle_timeout_seconds = 0;          // kAccept
  RejectReason reason = RejectReason::kBadTicket;  // kReject
};

// True when `datagram` starts with the control magic (cheap; no further validation).
[[nodiscard]] bool is_control_message(std::span<const std::uint8_t> datagram) noexcept;

// --- client side (a node's relay client) ---
// Hello carrying `ticket` and `cookie` (zero cookie to request one), zero-padded to kMinHelloSize.
// Errors: ticket empty or above crypto::kMaxRelayTicketBytes.
[[nodiscard]] base::Result<std::vector<std::uint8_t>, std::string> build_hello(std::span<const std::uint8_t> ticket,
                                                                               const Cookie& cookie);
[[nodiscard]] std::vector<std::uint8_t> build_keepalive();
// Strict parse of a relay-to-client message (exact sizes, known type, version).
[[nodiscard]] base::Result<ServerMessage, std::string> parse_server_message(std::span<const std::uint8_t> datagram);

// --- relay side ---
// Parses a kHello (exact layout: header, cookie, u16 ticket length, ticket, zero padding only,
// total within kMinHelloSize..kMaxHelloSize). The ticket is a view into `datagram`.
[[nodiscard]] base::Result<HelloMessage, std::string> parse_hello(std::span<const std::uint8_t> datagram);
// Writers into a caller buffer of at least kMaxReplySize bytes; return the message size. No allocation.
std::size_t write_cookie(std::span<std::uint8_t> out, const Cookie& cookie) noexcept;
std::size_t write_accept(std::span<std::uint8_t> out, const crypto::RelaySessionId& session_id, bool peer_bound,
                         std::uint32_t idle_timeout_seconds) noexcept;
std::size_t write_reject(std::span<std::uint8_t> out, RejectReason reason) noexcept;
std::size_t write_keepalive_ack(std::span<std::uint8_t> out, bool peer_bound) noexcept;

}  // namespace rustynet::relay

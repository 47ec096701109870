// SPDX-License-Identifier: Apache-2.0
// Relay control message encoding and strict decoding (big-endian, exact sizes).
#include "rustynet/relay/protocol.hpp"

#include <algorithm>
#include <string>

namespace rustynet::relay {
namespace {

constexpr std::size_t kCookieMessageSize = kHeaderSize + kCookieSize;
constexpr std::size_t kAcceptMessageSize = kHeaderSize + crypto::kRelaySessionIdSize + 1 + 4;
constexpr std::size_t kRejectMessageSize = kHeaderSize + 1;
constexpr std::size_t kKeepaliveAckSize = kHeaderSize + 1;
static_assert(kAcceptMessageSize <= kMaxReplySize && kCookieMessageSize <= kMaxReplySize);

std::size_t write_header(std::span<std::uint8_t> out, MessageType type) noexcept {
  std::copy(kMagic.begin(), kMagic.end(), out.begin());
  out[4] = kProtocolVersion;
  out[5] = static_cast<std::uint8_t>(type);
  return kHeaderSize;
}

base::Status<std::string> check_header(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kHeaderSize || !is_control_message(datagram)) {
    return base::unexpected(std::string("not a relay control message"));
  }
  if (datagram[4] != kProtocolVersion) {
    return base::unexpected(std::string("unsupported relay protocol version"));
  }
  return {};
}

}  // namespace

std::string_view to_string(RejectReason reason) noexcept {
  switch (reason) {
    case RejectReason::kBadTicket: return "bad-ticket";
    case RejectReason::kExpired: return "expired";
    case RejectReason::kReplayed: return "replayed";
    case RejectReason::kRelayFull: return "relay-full";
    case RejectReason::kNodeLimit: return "node-limit";
    case RejectReason::kAddressInUse: return "address-in-use";
    case RejectReason::kSessionMismatch: return "session-mismatch";
    case RejectReason::kBusy: return "busy";
    case RejectReason::kStaleTicket: return "stale-ticket";
    case RejectReason::kClockUnavailable: return "clock-unavailable";
  }
  return "unknown";
}

bool is_control_message(std::span<const std::uint8_t> datagram) noexcept {
  return datagram.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), datagram.begin());
}

base::Result<std::vector<std::uint8_t>, std::string> build_hello(std::span<const std::uint8_t> ticket,
                                                                 const Cookie& cookie) {
  if (ticket.empty() || ticket.size() > crypto::kMaxRelayTicketBytes) {
    return base::unexpected(std::string("ticket size out of range"));
  }
  std::vector<std::uint8_t> out(std::max(kMinHelloSize, kHeaderSize + kCookieSize + 2 + ticket.size()), 0);
  std::size_t pos = write_header(out, MessageType::kHello);
  std::copy(cookie.begin(), cookie.end(), out.begin() + static_cast<std::ptrdiff_t>(pos));
  pos += kCookieSize;
  out[pos++] = static_cast<std::uint8_t>(ticket.size() >> 8U);
  out[pos++] = static_cast<std::uint8_t>(ticket.size() & 0xFFU);
  std::copy(ticket.begin(), ticket.end(), out.begin() + static_cast<std::ptrdiff_t>(pos));
  return out;
}

std::vector<std::uint8_t> build_keepalive() {
  std::vector<std::uint8_t> out(kHeaderSize);
  write_header(out, MessageType::kKeepalive);
  return out;
}

base::Result<HelloMessage, std::string> parse_hello(std::span<const std::uint8_t> datagram) {
  RUSTYNET_RETURN_IF_ERROR(check_header(datagram));
  if (datagram[5] != static_cast<std::uint8_t>(MessageType::kHello)) {
    return base::unexpected(std::string("not a hello"));
  }
  if (datagram.size() < kMinHelloSize || datagram.size() > kMaxHelloSize) {
    return base::unexpected(std::string("hello size out of range"));
  }
  HelloMessage hello;
  std::size_t pos = kHeaderSize;
  std::copy_n(datagram.begin() + static_cast<std::ptrdiff_t>(pos), kCookieSize, hello.cookie.begin());
  pos += kCookieSize;
  const std::size_t ticket_size = (static_cast<std::size_t>(datagram[pos]) << 8U) | datagram[pos + 1];
  pos += 2;
  if (ticket_size == 0 || ticket_size > crypto::kMaxRelayTicketBytes || ticket_size > datagram.size() - pos) {
    return base::unexpected(std::string("ticket length out of range"));
  }
  hello.ticket = datagram.subspan(pos, ticket_size);
  const auto padding = datagram.subspan(pos + ticket_size);
  if (!std::all_of(padding.begin(), padding.end(), [](std::uint8_t b) { return b == 0; })) {
    return base::unexpected(std::string("non-zero padding"));
  }
  return hello;
}

base::Result<ServerMessage, std::string> parse_server_message(std::span<const std::uint8_t> datagram) {
  RUSTYNET_RETURN_IF_ERROR(check_header(datagram));
  ServerMessage message;
  const auto body = datagram.subspan(kHeaderSize);
  switch (datagram[5]) {
    case static_cast<std::uint8_t>(MessageType::kCookie):
      if (datagram.size() != kCookieMessageSize) {
        break;
      }
      message.type = MessageType::kCookie;
      std::copy(body.begin(), body.end(), message.cookie.begin());
      return message;
    case static_cast<std::uint8_t>(MessageType::kAccept): {
      if (datagram.size() != kAcceptMessageSize || body[crypto::kRelaySessionIdSize] > 1) {
        break;
      }
      message.type = MessageType::kAccept;
      std::copy_n(body.begin(), crypto::kRelaySessionIdSize, message.session_id.begin());
      message.peer_bound = body[crypto::kRelaySessionIdSize] == 1;
      std::uint32_t idle = 0;
      for (std::size_t i = 0; i < 4; ++i) {
        idle = (idle << 8U) | body[crypto::kRelaySessionIdSize + 1 + i];
      }
      message.idle_timeout_seconds = idle;
      return message;
    }
    case static_cast<std::uint8_t>(MessageType::kReject):
      if (datagram.size() != kRejectMessageSize || body[0] < 1 || body[0] > 10) {
        break;
      }
      message.type = MessageType::kReject;
      message.reason = static_cast<RejectReason>(body[0]);
      return message;
    case static_cast<std::uint8_t>(MessageType::kKeepaliveAck):
      if (datagram.size() != kKeepaliveAckSize || body[0] > 1) {
        break;
      }
      message.type = MessageType::kKeepaliveAck;
      message.peer_bound = body[0] == 1;
      return message;
    default: break;
  }
  return base::unexpected(std::string("malformed relay message"));
}

std::size_t write_cookie(std::span<std::uint8_t> out, const Cookie& cookie) noexcept {
  const std::size_t pos = write_header(out, MessageType::kCookie);
  std::copy(cookie.begin(), cookie.end(), out.begin() + static_cast<std::ptrdiff_t>(pos));
  return kCookieMessageSize;
}

std::size_t write_accept(std::span<std::uint8_t> out, const crypto::RelaySessionId& session_id, bool peer_bound,
                         std::uint32_t idle_timeout_seconds) noexcept {
  std::size_t pos = write_header(out, MessageType::kAccept);
  std::copy(session_id.begin(), session_id.end(), out.begin() + static_cast<std::ptrdiff_t>(pos));
  pos += session_id.size();
  out[pos++] = peer_bound ? 1 : 0;
  for (unsigned i = 4; i > 0; --i) {
    out[pos++] = static_cast<std::uint8_t>((idle_timeout_seconds >> (8U * (i - 1U))) & 0xFFU);
  }
  return kAcceptMessageSize;
}

std::size_t write_reject(std::span<std::uint8_t> out, RejectReason reason) noexcept {
  write_header(out, MessageType::kReject);
  out[kHeaderSize] = static_cast<std::uint8_t>(reason);
  return kRejectMessageSize;
}

std::size_t write_keepalive_ack(std::span<std::uint8_t> out, bool peer_bound) noexcept {
  write_header(out, MessageType::kKeepaliveAck);
  out[kHeaderSize] = peer_bound ? 1 : 0;
  return kKeepaliveAckSize;
}

}  // namespace rustynet::relay

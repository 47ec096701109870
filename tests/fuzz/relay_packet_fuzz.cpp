// SPDX-License-Identifier: Apache-2.0
// Fuzz target: relay wire protocol parsers (parse_hello, parse_server_message) and the relay's whole
// datagram path (RelayCore::handle) fed with a sequence of datagrams from a few sources.
//
// Input: records of [control byte][u16 big-endian length, at most 2047][length bytes]. Control
// bits 0-1 pick the source address, bit 2 advances the clock by one second, bit 3 writes the last
// cookie the relay sent to that source into the hello's cookie field (so the fuzzer gets past the
// return-routability check it cannot guess).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_support.hpp"
#include "manual_clock.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/relay/endpoint.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/relay_core.hpp"
#include "rustynet/relay/relay_limits.hpp"
#include "rustynet/relay/security_events.hpp"

namespace relay = rustynet::relay;
namespace crypto = rustynet::crypto;

namespace {

class NullSink final : public relay::EventSink {
 public:
  void record(const relay::SecurityEvent& /*event*/) override {}
};

// The control key of the seed tickets (seed bytes 0x11, as in relay_ticket_fuzz.cpp).
const crypto::Ed25519PublicKey& control_public_key() {
  static const crypto::Ed25519PublicKey key = [] {
    std::array<std::uint8_t, 32> seed{};
    seed.fill(0x11);
    return crypto::Ed25519SigningKey::from_seed(seed).value().public_key();
  }();
  return key;
}

// Parser round-trips on one datagram.
void check_parsers(std::span<const std::uint8_t> datagram) {
  if (auto hello = relay::parse_hello(datagram); hello.has_value()) {
    FUZZ_CHECK(relay::is_control_message(datagram));
    FUZZ_CHECK(datagram.size() >= relay::kMinHelloSize && datagram.size() <= relay::kMaxHelloSize);
    auto rebuilt = relay::build_hello(hello->ticket, hello->cookie);
    FUZZ_CHECK(rebuilt.has_value());
    auto again = relay::parse_hello(*rebuilt);
    FUZZ_CHECK(again.has_value());
    FUZZ_CHECK(again->cookie == hello->cookie);
    FUZZ_CHECK(std::equal(again->ticket.begin(), again->ticket.end(), hello->ticket.begin(), hello->ticket.end()));
  }
  if (auto message = relay::parse_server_message(datagram); message.has_value()) {
    // Relay-to-client messages have one exact encoding: writing the parsed fields reproduces it.
    std::array<std::uint8_t, relay::kMaxReplySize> out{};
    std::size_t written = 0;
    switch (message->type) {
      case relay::MessageType::kCookie: written = relay::write_cookie(out, message->cookie); break;
      case relay::MessageType::kAccept:
        written = relay::write_accept(out, message->session_id, message->peer_bound, message->idle_timeout_seconds);
        break;
      case relay::MessageType::kReject: written = relay::write_reject(out, message->reason); break;
      case relay::MessageType::kKeepaliveAck: written = relay::write_keepalive_ack(out, message->peer_bound); break;
      default: FUZZ_CHECK(false && "parse_server_message returned a client message type");
    }
    FUZZ_CHECK(written == datagram.size());
    FUZZ_CHECK(
        std::equal(datagram.begin(), datagram.end(), out.begin(), out.begin() + static_cast<std::ptrdiff_t>(written)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::testing::ManualClock clock;
  NullSink sink;
  relay::RelayLimits limits;
  auto core = relay::RelayCore::create("relay-1", control_public_key(), limits, clock, sink);
  FUZZ_CHECK(core.has_value());

  std::array<relay::RelayEndpoint, 4> sources{};
  for (std::size_t i = 0; i < sources.size(); ++i) {
    sources[i].address = {192, 0, 2, static_cast<std::uint8_t>(10 + i)};
    sources[i].port = static_cast<std::uint16_t>(40000 + i);
  }
  std::array<relay::Cookie, 4> last_cookie{};
  std::array<bool, 4> accepted{};  // the relay sent this source an accept (its address is bound)
  rustynet::fuzz::FuzzInput input(data, size);
  while (!input.empty()) {
    const std::uint8_t control = input.take_byte();
    const std::size_t length_hi = input.take_byte();
    const std::size_t length = ((length_hi << 8U) | input.take_byte()) & 0x7FFU;  // up to 2047 bytes
    const auto rest = input.rest();
    std::vector<std::uint8_t> datagram(rest.begin(),
                                       rest.begin() + static_cast<std::ptrdiff_t>(std::min(length, rest.size())));
    input = rustynet::fuzz::FuzzInput(rest.data() + datagram.size(), rest.size() - datagram.size());
    const std::size_t source = control & 0x3U;
    if ((control & 0x4U) != 0) {
      clock.advance(std::chrono::seconds(1));
    }
    if ((control & 0x8U) != 0 && datagram.size() >= relay::kHeaderSize + relay::kCookieSize) {
      std::copy(last_cookie[source].begin(), last_cookie[source].end(),
                datagram.begin() + static_cast<std::ptrdiff_t>(relay::kHeaderSize));
    }
    check_parsers(datagram);

    std::array<std::uint8_t, relay::kMaxReplySize> reply{};
    const relay::Decision decision = core->handle(sources[source], datagram, reply, clock.monotonic_now());
    if (decision.action == relay::Action::kReply) {
      // Every reply is a well-formed relay-to-client message of at most kMaxReplySize bytes.
      FUZZ_CHECK(decision.reply_size <= relay::kMaxReplySize);
      const std::span<const std::uint8_t> sent(reply.data(), decision.reply_size);
      auto parsed = relay::parse_server_message(sent);
      FUZZ_CHECK(parsed.has_value());
      // No amplification towards an unverified (possibly spoofed) source: a reply is never larger
      // than the datagram that caused it. The one exception is the 7-byte keepalive-ack to a
      // 6-byte keepalive, which goes only to an address bound by a verified ticket (docs/relay.md
      // says "never more bytes than it received"; see docs/fuzzing.md, findings).
      if (parsed->type == relay::MessageType::kKeepaliveAck) {
        FUZZ_CHECK(accepted[source]);
        FUZZ_CHECK(decision.reply_size <= datagram.size() + 1);
      } else {
        FUZZ_CHECK(decision.reply_size <= datagram.size());
      }
      if (parsed->type == relay::MessageType::kCookie) {
        last_cookie[source] = parsed->cookie;
      }
      if (parsed->type == relay::MessageType::kAccept) {
        accepted[source] = true;
      }
    } else if (decision.action == relay::Action::kForward) {
      // Only tunnel datagrams are forwarded, never to their own sender.
      FUZZ_CHECK(!relay::is_control_message(datagram));
      FUZZ_CHECK(!(decision.destination == sources[source]));
    }
    FUZZ_CHECK(core->session_count() <= limits.max_sessions);
  }
  core->expire(clock.monotonic_now() + std::chrono::hours(1));
  return 0;
}

// SPDX-License-Identifier: Apache-2.0
// Test-only helper for the relay namespace test: control-key/ticket issuing and a node-side relay
// link (handshake, then forwarding between a local tunnel socket and the relay). Not shipped.
#include <poll.h>

#include <array>
#include <atomic>
#include <charconv>
#include <csignal>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/udp_socket.hpp"

namespace {

using rustynet::relay::RelayEndpoint;
using rustynet::relay::UdpSocket;
namespace relay = rustynet::relay;
namespace crypto = rustynet::crypto;
using std::chrono::milliseconds;

std::atomic<bool> g_stop{false};
extern "C" void on_signal(int /*signal*/) { g_stop.store(true); }

// The test control key: a fixed seed (this tool exists only for the namespace test).
crypto::Ed25519SigningKey control_key() {
  const std::vector<std::uint8_t> seed(crypto::kEd25519SeedSize, 0x42);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

std::vector<std::uint8_t> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

int issue(const std::vector<std::string>& args) {
  // ticket NODE PEER SESSION_BYTE RELAY_ID OUT [AGE_SECONDS] [LIFETIME]
  if (args.size() < 6) {
    std::cerr << "usage: ticket NODE PEER SESSION_BYTE RELAY_ID OUT [AGE_SECONDS] [LIFETIME]\n";
    return 64;
  }
  unsigned session_byte = 0;
  std::from_chars(args[3].data(), args[3].data() + args[3].size(), session_byte);
  std::int64_t age = 0;
  std::int64_t lifetime = 120;
  if (args.size() > 6) {
    std::from_chars(args[6].data(), args[6].data() + args[6].size(), age);
  }
  if (args.size() > 7) {
    std::from_chars(args[7].data(), args[7].data() + args[7].size(), lifetime);
  }
  crypto::RelayTicketClaims claims;
  claims.relay_id = args[4];
  claims.session_id.fill(static_cast<std::uint8_t>(session_byte));
  std::array<std::uint8_t, 16> random{};
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  urandom.read(static_cast<char*>(static_cast<void*>(random.data())), random.size());
  claims.ticket_id = random;
  claims.node_id = args[1];
  claims.peer_node_id = args[2];
  claims.issued_at = rustynet::base::system_clock().wall_now().value().seconds - age;
  claims.expires_at = claims.issued_at + lifetime;
  auto ticket = crypto::issue_relay_ticket(control_key(), claims);
  if (!ticket.has_value()) {
    std::cerr << ticket.error().describe() << "\n";
    return 1;
  }
  std::ofstream out(args[5], std::ios::binary | std::ios::trunc);
  out.write(static_cast<const char*>(static_cast<const void*>(ticket->data())),
            static_cast<std::streamsize>(ticket->size()));
  return out.good() ? 0 : 1;
}

// Handshake with retries; returns true on accept, false on reject or timeout.
bool handshake(const UdpSocket& socket, const RelayEndpoint& relay_at, const std::vector<std::uint8_t>& ticket) {
  relay::Cookie cookie{};
  std::array<std::uint8_t, 2048> buffer{};
  for (int attempt = 0; attempt < 20 && !g_stop.load(); ++attempt) {
    const auto hello = relay::build_hello(ticket, cookie);
    if (!hello.has_value() || !socket.send_to(relay_at, *hello).has_value()) {
      return false;
    }
    auto got = socket.receive(buffer, milliseconds(500));
    if (!got.has_value() || !got->has_value() || (*got)->source != relay_at) {
      continue;
    }
    const auto message = relay::parse_server_message(std::span<const std::uint8_t>(buffer).first((*got)->size));
    if (!message.has_value()) {
      continue;
    }
    if (message->type == relay::MessageType::kCookie) {
      cookie = message->cookie;
      continue;
    }
    if (message->type == relay::MessageType::kAccept) {
      std::cerr << "link: accepted (peer bound: " << message->peer_bound << ")\n";
      return true;
    }
    if (message->type == relay::MessageType::kReject) {
      std::cerr << "link: rejected: " << relay::to_string(message->reason) << "\n";
      return false;
    }
  }
  std::cerr << "link: no answer from relay\n";
  return false;
}

int link(const std::vector<std::string>& args) {
  // link RELAY LOCAL TUNNEL TICKET_FILE [--once]
  if (args.size() < 5) {
    std::cerr << "usage: link RELAY_IP:PORT LOCAL_IP:PORT TUNNEL_IP:PORT TICKET_FILE [--once]\n";
    return 64;
  }
  const RelayEndpoint relay_at = RelayEndpoint::parse(args[1]).value();
  const RelayEndpoint local_at = RelayEndpoint::parse(args[2]).value();
  const RelayEndpoint tunnel_at = RelayEndpoint::parse(args[3]).value();
  const bool once = args.size() > 5 && args[5] == "--once";
  const UdpSocket upstream = UdpSocket::bind(RelayEndpoint::parse("0.0.0.0:0").value()).value();
  const UdpSocket local = UdpSocket::bind(local_at).value();
  upstream.set_buffer_sizes(4 << 20);
  local.set_buffer_sizes(4 << 20);
  (void)std::signal(SIGTERM, on_signal);
  (void)std::signal(SIGINT, on_signal);
  bool linked = handshake(upstream, relay_at, read_all(args[4]));
  if (once) {
    return linked ? 0 : 3;
  }
  std::array<std::uint8_t, 65536> buffer{};
  const auto keepalive = relay::build_keepalive();
  auto& clock = rustynet::base::system_clock();
  auto last_ack = clock.monotonic_now();
  auto last_keepalive = clock.monotonic_now();
  while (!g_stop.load()) {
    const auto now = clock.monotonic_now();
    if (!linked || now - last_ack > std::chrono::seconds(6)) {
      // Relay restarted or session gone: fetch the (possibly renewed) ticket and allocate again.
      linked = handshake(upstream, relay_at, read_all(args[4]));
      last_ack = clock.monotonic_now();
      if (!linked) {
        std::array<pollfd, 1> idle{{{local.fd(), 0, 0}}};
        (void)::poll(idle.data(), 0, 1000);
        continue;
      }
    }
    if (now - last_keepalive > std::chrono::seconds(2)) {
      (void)upstream.send_to(relay_at, keepalive);
      last_keepalive = now;
    }
    std::array<pollfd, 2> fds{{{upstream.fd(), POLLIN, 0}, {local.fd(), POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), 500) <= 0) {
      continue;
    }
    for (int burst = 0; burst < 64 && (fds[1].revents & POLLIN) != 0; ++burst) {
      auto got = local.receive(buffer, milliseconds(0));
      if (!got.has_value() || !got->has_value()) {
        break;
      }
      (void)upstream.send_to(relay_at, std::span<const std::uint8_t>(buffer).first((*got)->size));
    }
    for (int burst = 0; burst < 64 && (fds[0].revents & POLLIN) != 0; ++burst) {
      auto got = upstream.receive(buffer, milliseconds(0));
      if (!got.has_value() || !got->has_value()) {
        break;
      }
      const auto datagram = std::span<const std::uint8_t>(buffer).first((*got)->size);
      if ((*got)->source != relay_at) {
        continue;
      }
      if (relay::is_control_message(datagram)) {
        const auto message = relay::parse_server_message(datagram);
        if (message.has_value() && message->type == relay::MessageType::kKeepaliveAck) {
          last_ack = clock.monotonic_now();
        }
        continue;
      }
      last_ack = clock.monotonic_now();
      (void)local.send_to(tunnel_at, datagram);
    }
  }
  return 0;
}

int flood(const std::vector<std::string>& args) {
  // flood RELAY SECONDS: junk datagrams and cookie-less forged hellos from one unauthorised source.
  if (args.size() < 3) {
    return 64;
  }
  const RelayEndpoint relay_at = RelayEndpoint::parse(args[1]).value();
  int seconds = 0;
  std::from_chars(args[2].data(), args[2].data() + args[2].size(), seconds);
  const UdpSocket socket = UdpSocket::bind(RelayEndpoint::parse("0.0.0.0:0").value()).value();
  const std::vector<std::uint8_t> junk(1200, 0x04);
  const std::vector<std::uint8_t> fake_ticket(200, 0x11);
  const auto hello = relay::build_hello(fake_ticket, relay::Cookie{}).value();
  auto& clock = rustynet::base::system_clock();
  const auto end = clock.monotonic_now() + std::chrono::seconds(seconds);
  std::uint64_t sent = 0;
  while (clock.monotonic_now() < end) {
    for (int i = 0; i < 100; ++i) {
      sent += socket.send_to(relay_at, junk).has_value() ? 1U : 0U;
      sent += socket.send_to(relay_at, hello).has_value() ? 1U : 0U;
    }
  }
  std::cerr << "flood: sent " << sent << " datagrams\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "usage: relay_netns_tool pubkey|ticket|link|flood ...\n";
    return 64;
  }
  if (args[0] == "pubkey") {
    std::cout << control_key().public_key().to_base64() << "\n";
    return 0;
  }
  if (args[0] == "ticket") {
    return issue(args);
  }
  if (args[0] == "link") {
    return link(args);
  }
  if (args[0] == "flood") {
    return flood(args);
  }
  std::cerr << "unknown command\n";
  return 64;
}

// SPDX-License-Identifier: Apache-2.0
// Test-only helper for the relay namespace test: control-key/ticket issuing and a node-side relay
// link (handshake, then forwarding between a local tunnel socket and the relay). Not shipped.
#include <poll.h>

#include <array>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "rustynet/base/clock.hpp"
#include "rustynet/crypto/ed25519.hpp"
#include "rustynet/crypto/relay_ticket.hpp"
#include "rustynet/relay/protocol.hpp"
#include "rustynet/relay/relay_link.hpp"
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

int link(const std::vector<std::string>& args) {
  // link RELAY LOCAL TUNNEL TICKET_FILE [--once]
  if (args.size() < 5) {
    std::cerr << "usage: link RELAY_IP:PORT LOCAL_IP:PORT TUNNEL_IP:PORT TICKET_FILE [--once]\n";
    return 64;
  }
  relay::RelayLink::Options options;
  options.relay = RelayEndpoint::parse(args[1]).value();
  options.upstream_bind = RelayEndpoint::parse("0.0.0.0:0").value();
  options.local_listen = RelayEndpoint::parse(args[2]).value();
  options.tunnel = RelayEndpoint::parse(args[3]).value();
  options.keepalive_interval = std::chrono::seconds(2);
  options.dead_after = std::chrono::seconds(6);
  // RELAY_LINK_OFFLOAD=off: the plain one-datagram-per-message path (the test runs both ways).
  const char* offload = std::getenv("RELAY_LINK_OFFLOAD");  // NOLINT(concurrency-mt-unsafe): single-threaded tool
  const bool use_offload = offload == nullptr || std::string(offload) != "off";
  options.offload = relay::UdpOffload{use_offload, use_offload};
  const bool once = args.size() > 5 && args[5] == "--once";
  auto& clock = rustynet::base::system_clock();
  auto created = relay::RelayLink::create(options, clock);
  if (!created.has_value()) {
    std::cerr << "link: " << created.error().describe() << "\n";
    return 1;
  }
  relay::RelayLink link = std::move(created).value();
  (void)std::signal(SIGTERM, on_signal);
  (void)std::signal(SIGINT, on_signal);
  // Returns true when accepted; prints the relay's answer.
  const auto allocate = [&]() {
    auto answer = link.allocate(read_all(args[4]));
    if (!answer.has_value()) {
      std::cerr << "link: " << answer.error() << "\n";
      return false;
    }
    if (answer->type == relay::MessageType::kReject) {
      std::cerr << "link: rejected: " << relay::to_string(answer->reason) << "\n";
      return false;
    }
    std::cerr << "link: accepted (peer bound: " << answer->peer_bound << ")\n";
    return true;
  };
  bool linked = allocate();
  if (once) {
    return linked ? 0 : 3;
  }
  while (!g_stop.load()) {
    if (!linked) {
      // Relay restarted or session gone: re-read the (renewed) ticket and allocate again.
      linked = allocate();
      if (!linked) {
        (void)link.pump(milliseconds(1000));
      }
      continue;
    }
    auto alive = link.pump(milliseconds(200));
    if (!alive.has_value()) {
      std::cerr << "link: " << alive.error().describe() << "\n";
      return 1;
    }
    linked = *alive;
  }
  for (const auto& [name, io] :
       {std::pair{"relay side", link.relay_side_stats()}, std::pair{"tunnel side", link.tunnel_side_stats()}}) {
    std::cerr << "link: " << name << ": gso " << (io.gso_enabled ? "on" : "off") << ", gro "
              << (io.gro_enabled ? "on" : "off") << ", received " << io.received_datagrams << " datagrams in "
              << io.received_messages << " messages, sent " << io.sent_messages << " messages (" << io.gso_messages
              << " gso, " << io.gso_fallbacks << " fallbacks)\n";
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

// SPDX-License-Identifier: Apache-2.0
// Two namespaces joined by a veth, one adapter in each, configured through the contract only:
// ping and TCP through the tunnel, stats, route replace-all, session survival, removal, restart.
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "rustynet/backend_api/exit_mode.hpp"
#include "rustynet/backend_api/route.hpp"
#include "rustynet/base/unix_socket.hpp"
#include "tunnel_support.hpp"
#include "uapi_codec.hpp"
#include "uapi_driver.hpp"

namespace rustynet::backend_wireguard::testing {
namespace {

namespace api = backend_api;

constexpr const char* kTunnelA = "100.96.0.1";
constexpr const char* kTunnelB = "100.96.0.2";
constexpr std::uint16_t kPort = 51820;

const api::PeerStats* find_peer(const api::TunnelStats& stats, const std::string& node) {
  for (const api::PeerStats& peer : stats.peers) {
    if (peer.node_id.value() == node) {
      return &peer;
    }
  }
  return nullptr;
}

api::Route route(const std::string& destination, const std::string& via, api::RouteKind kind) {
  return api::Route{api::IpPrefix::parse(destination).value(), api::NodeId::parse(via).value(), kind};
}

// Sends raw UAPI bytes (the test's control experiment uses what the library refuses to send).
std::string raw_uapi(const std::string& socket_path, const std::string& request) {
  auto fd = base::connect_unix_stream(socket_path);
  if (!fd.has_value()) {
    return "connect failed: " + fd.error().describe();
  }
  if (::write(fd->get(), request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    return "write failed";
  }
  std::string reply;
  std::array<char, 4096> buffer{};
  while (reply.find("\n\n") == std::string::npos) {
    const ssize_t got = ::read(fd->get(), buffer.data(), buffer.size());
    if (got <= 0) {
      break;
    }
    reply.append(buffer.data(), static_cast<std::size_t>(got));
  }
  return reply;
}

class TunnelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(pair_.ok());
    name_a_ = unique_interface_name("rnta");
    name_b_ = unique_interface_name("rntb");
    a_ = make_backend_in(pair_.a);
    b_ = make_backend_in(pair_.b);
    ASSERT_TRUE(a_->start(make_context("node-a", name_a_, std::string(kTunnelA) + "/24", kPort, keys_a_)).has_value());
    ASSERT_TRUE(b_->start(make_context("node-b", name_b_, std::string(kTunnelB) + "/24", kPort, keys_b_)).has_value());
    peer_b_ = make_peer("node-b", keys_b_.public_key, std::string(NetnsPair::kAddressB) + ":51820",
                        std::string(kTunnelB) + "/32");
    peer_a_ = make_peer("node-a", keys_a_.public_key, std::string(NetnsPair::kAddressA) + ":51820",
                        std::string(kTunnelA) + "/32");
    ASSERT_TRUE(a_->configure_peer(peer_b_).has_value());
    ASSERT_TRUE(b_->configure_peer(peer_a_).has_value());
  }

  void TearDown() override {
    if (a_) {
      (void)a_->shutdown();
    }
    if (b_) {
      (void)b_->shutdown();
    }
    // No leftover interfaces in either namespace.
    for (const Netns* ns : {&pair_.a, &pair_.b}) {
      for (const std::string& link : ns->link_names()) {
        EXPECT_EQ(link.rfind("rnt", 0), std::string::npos) << "leftover interface " << link;
      }
    }
  }

  NetnsPair pair_;
  KeyPair keys_a_ = make_key_pair();
  KeyPair keys_b_ = make_key_pair();
  std::string name_a_;
  std::string name_b_;
  std::unique_ptr<WireGuardBackend> a_;
  std::unique_ptr<WireGuardBackend> b_;
  api::PeerConfig peer_a_{make_peer("node-a", keys_a_.public_key, "", "100.96.0.1/32")};
  api::PeerConfig peer_b_{make_peer("node-b", keys_b_.public_key, "", "100.96.0.2/32")};
};

TEST_F(TunnelTest, PingTcpAndStatsThroughTheTunnel) {
  ASSERT_TRUE(eventually(10, [&] { return ping_from(pair_.a, kTunnelB); })) << "ping through the tunnel failed";

  // 4 MiB over TCP, server in b, client in a; the server reports the byte count and a digest.
  const std::string server_code =
      "import socket,hashlib\n"
      "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('100.96.0.2',5001));"
      "s.listen(1);s.settimeout(20)\n"
      "c,_=s.accept();h=hashlib.sha256();n=0\n"
      "while True:\n d=c.recv(65536)\n if not d: break\n n+=len(d);h.update(d)\n"
      "print(n,h.hexdigest())\n";
  const std::string client_code =
      "import socket,time,hashlib\n"
      "data=bytes(i%251 for i in range(4*1024*1024))\n"
      "for _ in range(100):\n"
      " try:\n  c=socket.create_connection(('100.96.0.2',5001),timeout=5);break\n"
      " except OSError: time.sleep(0.1)\n"
      "c.sendall(data);c.close();print(len(data),hashlib.sha256(data).hexdigest())\n";
  CommandResult server;
  std::thread server_thread([&] { server = pair_.b.exec({"python3", "-c", server_code}); });
  const CommandResult client = pair_.a.exec({"python3", "-c", client_code});
  server_thread.join();
  ASSERT_EQ(client.exit_code, 0) << client.output;
  ASSERT_EQ(server.exit_code, 0) << server.output;
  EXPECT_EQ(server.output, client.output);
  EXPECT_EQ(server.output.rfind("4194304 ", 0), 0U) << server.output;

  auto stats = a_->stats();
  ASSERT_TRUE(stats.has_value()) << stats.error().describe();
  const api::PeerStats* b_stats = find_peer(*stats, "node-b");
  ASSERT_NE(b_stats, nullptr);
  EXPECT_GT(b_stats->tx_bytes, 4U * 1024U * 1024U);
  EXPECT_GT(b_stats->rx_bytes, 0U);
  ASSERT_TRUE(b_stats->last_handshake_unix_seconds.has_value());
  EXPECT_GT(*b_stats->last_handshake_unix_seconds, 1600000000);
  EXPECT_EQ(b_stats->endpoint, peer_b_.endpoint);
  EXPECT_EQ(b_stats->allowed_prefixes, peer_b_.allowed_prefixes);
  EXPECT_EQ(stats->total_tx_bytes, b_stats->tx_bytes);
}

TEST_F(TunnelTest, UnrelatedPeerSessionSurvivesUpdates) {
  ASSERT_TRUE(eventually(10, [&] { return ping_from(pair_.a, kTunnelB); }));
  auto before = a_->stats();
  ASSERT_TRUE(before.has_value());
  const api::PeerStats b_before = *find_peer(*before, "node-b");
  ASSERT_TRUE(b_before.last_handshake_unix_seconds.has_value());

  // Add, change, batch-update and remove an unrelated peer c on a.
  const KeyPair keys_c = make_key_pair();
  api::PeerConfig peer_c = make_peer("node-c", keys_c.public_key, "192.168.241.3:51820", "100.96.0.3/32");
  ASSERT_TRUE(a_->configure_peer(peer_c).has_value());
  peer_c.allowed_prefixes.push_back(api::IpPrefix::parse("10.33.0.0/16").value());
  peer_c.persistent_keepalive_seconds = 25;
  ASSERT_TRUE(a_->configure_peer(peer_c).has_value());
  peer_c.endpoint = api::SocketEndpoint::parse("192.168.241.4:51820").value();
  const std::vector<api::PeerConfig> batch{peer_c};
  ASSERT_TRUE(a_->configure_peers(batch).has_value());
  ASSERT_TRUE(a_->remove_peer(peer_c.node_id).has_value());

  auto after = a_->stats();
  ASSERT_TRUE(after.has_value());
  const api::PeerStats* b_after = find_peer(*after, "node-b");
  ASSERT_NE(b_after, nullptr);
  // Same session: the handshake was not redone and the counters were not reset.
  EXPECT_EQ(b_after->last_handshake_unix_seconds, b_before.last_handshake_unix_seconds);
  EXPECT_GE(b_after->tx_bytes, b_before.tx_bytes);
  EXPECT_GE(b_after->rx_bytes, b_before.rx_bytes);
  EXPECT_GT(b_after->tx_bytes, 0U);
  ASSERT_TRUE(ping_from(pair_.a, kTunnelB));
  auto still = a_->stats();
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(find_peer(*still, "node-b")->last_handshake_unix_seconds, b_before.last_handshake_unix_seconds);

  // Control experiment: the same peer set written with replace_peers=true (what `wg setconf`
  // does) drops b's session even though b's configuration is unchanged.
  const std::string socket_path = uapi_socket_path(kDefaultUapiSocketDir, name_a_);
  const std::string reply =
      raw_uapi(socket_path, "set=1\nreplace_peers=true\npublic_key=" + peer_b_.public_key.to_hex() +
                                "\nendpoint=" + peer_b_.endpoint->to_string() + "\nallowed_ip=100.96.0.2/32\n\n");
  EXPECT_EQ(reply, "errno=0\n\n");
  auto dropped = a_->stats();
  ASSERT_TRUE(dropped.has_value());
  const api::PeerStats* b_dropped = find_peer(*dropped, "node-b");
  ASSERT_NE(b_dropped, nullptr);
  EXPECT_FALSE(b_dropped->last_handshake_unix_seconds.has_value()) << "replace_peers kept the session?";
  EXPECT_EQ(b_dropped->tx_bytes, 0U);
}

TEST_F(TunnelTest, RouteReplaceAllIsVisibleInTheRoutingTable) {
  ASSERT_TRUE(a_->apply_routes(std::vector{route("10.200.1.0/24", "node-b", api::RouteKind::kLan),
                                           route("10.200.2.0/24", "node-b", api::RouteKind::kMesh)})
                  .has_value());
  std::string table = pair_.a.ip({"route", "show", "proto", "142"}).output;
  EXPECT_NE(table.find("10.200.1.0/24 dev " + name_a_), std::string::npos) << table;
  EXPECT_NE(table.find("10.200.2.0/24 dev " + name_a_), std::string::npos) << table;

  // Watch the routing table while replacing: the unchanged route must not be flapped.
  CommandResult monitor;
  std::thread watcher([&] { monitor = pair_.a.exec({"timeout", "2", "ip", "monitor", "route"}); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(a_->apply_routes(std::vector{route("10.200.2.0/24", "node-b", api::RouteKind::kMesh),
                                           route("10.200.3.0/24", "node-b", api::RouteKind::kLan),
                                           route("fd00:200::/64", "node-b", api::RouteKind::kLan)})
                  .has_value());
  watcher.join();
  EXPECT_NE(monitor.output.find("Deleted 10.200.1.0/24"), std::string::npos) << monitor.output;
  EXPECT_NE(monitor.output.find("10.200.3.0/24 dev"), std::string::npos) << monitor.output;
  EXPECT_EQ(monitor.output.find("10.200.2.0/24"), std::string::npos) << "unchanged route flapped:\n" << monitor.output;
  table = pair_.a.ip({"route", "show", "proto", "142"}).output;
  EXPECT_EQ(table.find("10.200.1.0/24"), std::string::npos) << table;
  EXPECT_NE(table.find("10.200.2.0/24 dev " + name_a_), std::string::npos) << table;
  EXPECT_NE(table.find("10.200.3.0/24 dev " + name_a_), std::string::npos) << table;
  const std::string table6 = pair_.a.ip({"-6", "route", "show", "proto", "142"}).output;
  EXPECT_NE(table6.find("fd00:200::/64 dev " + name_a_), std::string::npos) << table6;

  auto stats = a_->stats();
  ASSERT_TRUE(stats.has_value());
  ASSERT_EQ(stats->routes.size(), 3U);
  EXPECT_EQ(stats->routes[0].destination.to_string(), "10.200.2.0/24");
  EXPECT_EQ(stats->routes[2].destination.to_string(), "fd00:200::/64");

  // Traffic to a routed prefix enters the tunnel: b owns 10.200.2.0/24 once it is in its allowed
  // prefixes, and a route via b sends a's packets to b (counted in b's rx).
  ASSERT_TRUE(a_->apply_routes(std::vector<api::Route>{}).has_value());
  table = pair_.a.ip({"route", "show", "proto", "142"}).output;
  EXPECT_TRUE(table.empty()) << table;
  EXPECT_EQ(pair_.a.ip({"-6", "route", "show", "proto", "142"}).output, "");
}

TEST_F(TunnelTest, RemovePeerStopsTraffic) {
  ASSERT_TRUE(eventually(10, [&] { return ping_from(pair_.a, kTunnelB); }));
  ASSERT_TRUE(a_->apply_routes(std::vector{route("10.200.9.0/24", "node-b", api::RouteKind::kMesh)}).has_value());
  auto refused = a_->remove_peer(peer_b_.node_id);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, api::BackendErrorKind::kInvalidInput);  // still the via of a route
  ASSERT_TRUE(a_->apply_routes(std::vector<api::Route>{}).has_value());
  ASSERT_TRUE(a_->remove_peer(peer_b_.node_id).has_value());
  EXPECT_FALSE(ping_from(pair_.a, kTunnelB));
  EXPECT_FALSE(ping_from(pair_.b, kTunnelA));
  auto stats = a_->stats();
  ASSERT_TRUE(stats.has_value());
  EXPECT_TRUE(stats->peers.empty());
  // Re-adding restores traffic (a fresh session).
  ASSERT_TRUE(a_->configure_peer(peer_b_).has_value());
  EXPECT_TRUE(eventually(10, [&] { return ping_from(pair_.a, kTunnelB); }));
}

TEST_F(TunnelTest, DaemonCrashIsRestartedAndStateReapplied) {
  ASSERT_TRUE(a_->apply_routes(std::vector{route("10.200.7.0/24", "node-b", api::RouteKind::kMesh)}).has_value());
  ASSERT_TRUE(eventually(10, [&] { return ping_from(pair_.a, kTunnelB); }));
  const int old_pid = a_->daemon_pid();
  ASSERT_GT(old_pid, 0);
  ASSERT_EQ(::kill(old_pid, SIGKILL), 0);
  ASSERT_TRUE(eventually(15, [&] { return a_->daemon_restarts() >= 1; })) << "no restart";
  EXPECT_NE(a_->daemon_pid(), old_pid);
  EXPECT_TRUE(eventually(10, [&] { return ping_from(pair_.a, kTunnelB); })) << "no traffic after restart";
  auto stats = a_->stats();
  ASSERT_TRUE(stats.has_value()) << stats.error().describe();
  ASSERT_EQ(stats->peers.size(), 1U);
  ASSERT_EQ(stats->routes.size(), 1U);
  const std::string table = pair_.a.ip({"route", "show", "proto", "142"}).output;
  EXPECT_NE(table.find("10.200.7.0/24 dev " + name_a_), std::string::npos) << table;
  const std::string link = pair_.a.ip({"link", "show", name_a_}).output;
  EXPECT_NE(link.find("mtu 1420"), std::string::npos) << link;
  EXPECT_NE(link.find("alias rustynet-managed"), std::string::npos) << link;
}

TEST_F(TunnelTest, ExitModeFailsClosed) {
  auto via = a_->set_exit_mode(api::ExitMode::via(peer_b_.node_id));
  ASSERT_FALSE(via.has_value());
  EXPECT_EQ(via.error().kind, api::BackendErrorKind::kUnsupported);
  EXPECT_TRUE(a_->set_exit_mode(api::ExitMode::off()).has_value());
  EXPECT_FALSE(a_->capabilities().supports_exit_nodes);
}

}  // namespace
}  // namespace rustynet::backend_wireguard::testing

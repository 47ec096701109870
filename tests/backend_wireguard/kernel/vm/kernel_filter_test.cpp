// SPDX-License-Identifier: Apache-2.0
// The nftables packet filter on a kernel-WireGuard interface, with real packets through the kernel
// tunnel (runs inside the qemu VM, docs/kernel-vm.md): two namespaces joined by a veth, one adapter
// with driver=kernel in each, the filter on node A's mesh interface, peer B on the other side.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "filter/nft_names.hpp"
#include "filter_probe.hpp"
#include "netns_fixture.hpp"
#include "rustynet/backend_wireguard/factory.hpp"
#include "tunnel_support.hpp"

namespace rustynet::backend_wireguard::testing {
namespace {

namespace api = backend_api;
using std::chrono::milliseconds;

constexpr const char* kMeshA = "rnkfa0";  // the filtered interface (node A)
constexpr const char* kMeshB = "rnkfb0";
constexpr const char* kNode = "100.97.0.1";
constexpr const char* kPeer = "100.97.0.2";
constexpr std::uint16_t kListenPort = 51820;
constexpr const char* kNft = "/usr/sbin/nft";
// The emulated CPU is slow, but a packet through the tunnel still takes milliseconds: an expected
// packet gets a generous bound (it costs nothing when it arrives), an unexpected one a short one.
constexpr milliseconds kPass{5000};
constexpr milliseconds kDrop{800};

// Node A and peer B with a kernel-WireGuard tunnel between them, configured only through the
// TunnelBackend contract; the handshake has completed when ok() is true.
class KernelMesh {
 public:
  KernelMesh() {
    if (!pair.ok()) {
      return;
    }
    node = start(pair.a, "node-a", kMeshA, kNode, keys_a_);
    peer = start(pair.b, "node-b", kMeshB, kPeer, keys_b_);
    if (node == nullptr || peer == nullptr) {
      return;
    }
    const std::string endpoint_b = std::string(NetnsPair::kAddressB) + ":" + std::to_string(kListenPort);
    const std::string endpoint_a = std::string(NetnsPair::kAddressA) + ":" + std::to_string(kListenPort);
    const auto to_b =
        node->configure_peer(make_peer("node-b", keys_b_.public_key, endpoint_b, std::string(kPeer) + "/32"));
    const auto to_a =
        peer->configure_peer(make_peer("node-a", keys_a_.public_key, endpoint_a, std::string(kNode) + "/32"));
    EXPECT_TRUE(to_b.has_value()) << to_b.error().describe();
    EXPECT_TRUE(to_a.has_value()) << to_a.error().describe();
    ok_ = to_b.has_value() && to_a.has_value() && eventually(15, [this] {
            return pair.b.exec({"ping", "-c", "1", "-W", "1", "-q", kNode}).exit_code == 0;
          });
    EXPECT_TRUE(ok_) << "no ping through the kernel tunnel";
  }
  ~KernelMesh() {
    for (const auto& backend : {node.get(), peer.get()}) {
      if (backend != nullptr) {
        (void)backend->shutdown();
      }
    }
  }
  KernelMesh(const KernelMesh&) = delete;
  KernelMesh& operator=(const KernelMesh&) = delete;

  [[nodiscard]] bool ok() const noexcept { return ok_; }

  NetnsPair pair;
  std::unique_ptr<api::TunnelBackend> node;
  std::unique_ptr<api::TunnelBackend> peer;

 private:
  std::unique_ptr<api::TunnelBackend> start(const Netns& netns, const std::string& id, const std::string& interface,
                                            const std::string& address, const KeyPair& keys) {
    WireGuardBackendOptions options = options_in(netns);
    options.driver = DriverKind::kKernel;
    auto backend = make_wireguard_backend(options);
    const auto started = backend->start(make_context(id, interface, address + "/24", kListenPort, keys));
    EXPECT_TRUE(started.has_value()) << started.error().describe();
    return started.has_value() ? std::move(backend) : nullptr;
  }

  KeyPair keys_a_ = make_key_pair();
  KeyPair keys_b_ = make_key_pair();
  bool ok_ = false;
};

api::FilterRule with_peer(api::FilterProtocol protocol, std::uint16_t first = 0, std::uint16_t last = 65535) {
  return api::FilterRule{api::IpPrefix::parse(std::string(kPeer) + "/32").value(), api::IpAddress::parse(kNode).value(),
                         protocol, api::PortRange{first, last}};
}

api::FilterRule with_peer_port(api::FilterProtocol protocol, std::uint16_t port) {
  return with_peer(protocol, port, port);
}

class KernelFilterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { mesh_ = std::make_unique<KernelMesh>(); }
  static void TearDownTestSuite() { mesh_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(mesh_->ok()) << "the kernel tunnel could not be built";
    NftablesFilterOptions options;
    options.interface_name = kMeshA;
    options.network_namespace_path = node();
    options.nft_binary = kNft;
    options.command_timeout = std::chrono::seconds(60);  // nft under an emulated CPU on a busy host
    filter_ = make_nftables_filter(options);
    ASSERT_TRUE(filter_->remove().has_value());
  }
  void TearDown() override {
    if (filter_ != nullptr) {
      (void)filter_->remove();
    }
  }

  void apply(std::uint64_t generation, std::vector<api::FilterRule> inbound,
             std::vector<api::FilterRule> outbound = {}) {
    const auto status = filter_->apply(api::FilterSpec{generation, std::move(inbound), std::move(outbound)});
    ASSERT_TRUE(status.has_value()) << status.error().describe();
  }

  static std::string node() { return mesh_->pair.a.path(); }
  static std::string peer() { return mesh_->pair.b.path(); }
  static std::string table() { return filter::table_name_for(kMeshA); }
  static CommandResult nft_in_node(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kNft};
    argv.insert(argv.end(), args.begin(), args.end());
    return mesh_->pair.a.exec(argv);
  }

  // ping's exit status: 0 answered, 1 no answer (anything else: the probe itself failed). An
  // answer is awaited for up to 5 s, the absence of one for 1 s.
  static int ping(const Netns& from, const std::string& address, bool expect_answer) {
    return from.exec({"ping", "-c", "1", "-W", expect_answer ? "5" : "1", "-q", address}).exit_code;
  }

  // Packets the mesh_in chain's final "counter drop" has dropped so far.
  static std::optional<std::uint64_t> final_drops() {
    std::istringstream lines(nft_in_node({"list", "chain", "inet", table(), "mesh_in"}).output);
    std::optional<std::uint64_t> last;
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::string counter;
      std::string packets;
      std::uint64_t count = 0;
      if (words >> counter >> packets >> count && counter == "counter" && packets == "packets") {
        last = count;  // "counter packets N bytes M drop": the chain's last rule
      }
    }
    return last;
  }

  // Through the kernel tunnel.
  static bool peer_reaches_node_tcp(std::uint16_t port) { return tcp_exchange(peer(), node(), kNode, port, kPass); }
  static bool peer_to_node_dropped(std::uint16_t port) { return tcp_syn_dropped(peer(), node(), kNode, port, kDrop); }
  static bool udp_peer_to_node(std::uint16_t port, milliseconds timeout) {
    return udp_delivered(peer(), kPeer, node(), kNode, port, timeout);
  }

  static std::unique_ptr<KernelMesh> mesh_;
  std::unique_ptr<api::PacketFilterBackend> filter_;
};

std::unique_ptr<KernelMesh> KernelFilterTest::mesh_;

TEST_F(KernelFilterTest, WithoutAFilterTheKernelTunnelCarriesEverything) {
  // The mesh interface is the kernel driver's (a wireguard link, not wireguard-go's tun).
  EXPECT_NE(mesh_->pair.a.ip({"-d", "link", "show", "dev", kMeshA}).output.find("wireguard"), std::string::npos);
  EXPECT_TRUE(peer_reaches_node_tcp(2001));
  EXPECT_TRUE(udp_peer_to_node(2001, kPass));
  EXPECT_EQ(ping(mesh_->pair.b, kNode, true), 0);
  EXPECT_EQ(ping(mesh_->pair.a, kPeer, true), 0);
}

TEST_F(KernelFilterTest, TcpAllowedOneWayOnlyAndOnlyOnItsPort) {
  apply(1, {with_peer_port(api::FilterProtocol::kTcp, 22)});
  const auto state = filter_->verify();
  ASSERT_TRUE(state.has_value()) << state.error().describe();
  EXPECT_TRUE(state->installed);
  EXPECT_EQ(state->generation, 1U);
  EXPECT_TRUE(state->intact);

  EXPECT_TRUE(peer_reaches_node_tcp(22));
  const std::optional<std::uint64_t> drops_before = final_drops();
  ASSERT_TRUE(drops_before.has_value());
  EXPECT_TRUE(peer_to_node_dropped(23));
  // The reverse SYN: the node's SYN to the peer's port 22 leaves (output is not filtered), but the
  // SYN-ACK is a reply that no outbound rule lets in.
  const base::UniqueFd listener = tcp_listen(peer(), kPeer, 22);
  ASSERT_TRUE(listener.valid());
  EXPECT_EQ(tcp_connect(node(), kPeer, 22, kDrop).outcome, ConnectOutcome::kTimedOut);
  // Both were dropped by this table's final rule, after the kernel decrypted them.
  const std::optional<std::uint64_t> drops_after = final_drops();
  ASSERT_TRUE(drops_after.has_value());
  EXPECT_GE(*drops_after, *drops_before + 2);
}

TEST_F(KernelFilterTest, UdpAllowedPortOnly) {
  apply(2, {with_peer_port(api::FilterProtocol::kUdp, 5353)});
  EXPECT_TRUE(udp_peer_to_node(5353, kPass));
  EXPECT_FALSE(udp_peer_to_node(5354, kDrop));
}

TEST_F(KernelFilterTest, PingOnlyWhenIcmpIsAllowed) {
  apply(3, {with_peer(api::FilterProtocol::kIcmp)});
  EXPECT_EQ(ping(mesh_->pair.b, kNode, true), 0);
  EXPECT_EQ(ping(mesh_->pair.a, kPeer, false), 1);  // the echo reply needs an outbound icmp rule
  apply(4, {with_peer(api::FilterProtocol::kTcp)}, {with_peer(api::FilterProtocol::kIcmp)});
  EXPECT_EQ(ping(mesh_->pair.b, kNode, false), 1);
  EXPECT_EQ(ping(mesh_->pair.a, kPeer, true), 0);
}

TEST_F(KernelFilterTest, RepliesOfOutboundFlowsPassUnsolicitedPacketsDoNot) {
  apply(5, {}, {with_peer_port(api::FilterProtocol::kTcp, 443), with_peer_port(api::FilterProtocol::kUdp, 5300)});
  // TCP: the node connects to the peer's 443 and hears from it.
  base::UniqueFd peer_listener = tcp_listen(peer(), kPeer, 443);
  ASSERT_TRUE(peer_listener.valid());
  const Connection client = tcp_connect(node(), kPeer, 443, kPass);
  ASSERT_EQ(client.outcome, ConnectOutcome::kConnected);
  const base::UniqueFd server = accept_within(peer_listener.get(), kPass);
  ASSERT_TRUE(server.valid());
  ASSERT_TRUE(send_text(server.get(), "from peer"));
  EXPECT_EQ(receive_within(client.fd.get(), kPass), std::optional<std::string>("from peer"));
  // The peer starting a flow from that port is not a reply.
  peer_listener.reset();  // a listening socket would keep the source port from being bound again
  const base::UniqueFd node_listener = tcp_listen(node(), kNode, 42303);
  ASSERT_TRUE(node_listener.valid());
  EXPECT_EQ(tcp_connect(peer(), kNode, 42303, kDrop, 443).outcome, ConnectOutcome::kTimedOut);

  // UDP: the node asks the peer's 5300 from 42301 and hears the answer; the same peer port
  // towards another node port is unsolicited.
  const base::UniqueFd node_socket = udp_bind(node(), kNode, 42301);
  const base::UniqueFd peer_socket = udp_bind(peer(), kPeer, 5300);
  ASSERT_TRUE(node_socket.valid() && peer_socket.valid());
  ASSERT_TRUE(udp_send_to(node_socket.get(), kPeer, 5300, "request"));
  const auto request = receive_datagram_within(peer_socket.get(), kPass);
  ASSERT_TRUE(request.has_value());
  ASSERT_TRUE(udp_send_to(peer_socket.get(), kNode, request->source_port, "reply"));
  EXPECT_EQ(receive_within(node_socket.get(), kPass), std::optional<std::string>("reply"));
  const base::UniqueFd other_node_socket = udp_bind(node(), kNode, 42302);
  ASSERT_TRUE(udp_send_to(peer_socket.get(), kNode, 42302, "unsolicited"));
  EXPECT_FALSE(receive_within(other_node_socket.get(), kDrop).has_value());
}

TEST_F(KernelFilterTest, AFilterChangeCutsAnOpenTcpFlow) {
  apply(6, {with_peer_port(api::FilterProtocol::kTcp, 2401)});
  const base::UniqueFd listener = tcp_listen(node(), kNode, 2401);
  const Connection connection = tcp_connect(peer(), kNode, 2401, kPass);
  ASSERT_EQ(connection.outcome, ConnectOutcome::kConnected);
  const base::UniqueFd server = accept_within(listener.get(), kPass);
  ASSERT_TRUE(server.valid());
  ASSERT_TRUE(send_text(connection.fd.get(), "before"));
  EXPECT_EQ(receive_within(server.get(), kPass), std::optional<std::string>("before"));

  apply(7, {with_peer_port(api::FilterProtocol::kTcp, 9)});
  ASSERT_TRUE(send_text(connection.fd.get(), "after"));
  EXPECT_FALSE(receive_within(server.get(), kDrop).has_value());

  // The rule back: the same connection continues (TCP retransmits what was dropped).
  apply(8, {with_peer_port(api::FilterProtocol::kTcp, 2401)});
  EXPECT_EQ(receive_within(server.get(), milliseconds(15000)), std::optional<std::string>("after"));
}

TEST_F(KernelFilterTest, VerifyReportsIntactAndDetectsTampering) {
  apply(9, {with_peer_port(api::FilterProtocol::kTcp, 2801)});
  EXPECT_TRUE(filter_->verify()->intact);
  EXPECT_EQ(nft_in_node({"list", "table", "inet", table()}).exit_code, 0);  // reading is no change
  EXPECT_TRUE(filter_->verify()->intact);

  // An element added behind the owner's back: detected, and really in force for tunnel traffic.
  ASSERT_EQ(nft_in_node({"add", "element", "inet", table(), "in4_l4",
                         std::string("{ ") + kPeer + " . " + kNode + " . 6 . 2802 }"})
                .exit_code,
            0);
  const auto tampered = filter_->verify();
  ASSERT_TRUE(tampered.has_value()) << tampered.error().describe();
  EXPECT_TRUE(tampered->installed);
  EXPECT_EQ(tampered->generation, 9U);
  EXPECT_FALSE(tampered->intact);
  EXPECT_TRUE(peer_reaches_node_tcp(2802));

  // apply() restores it; then the whole table deleted behind its back.
  apply(9, {with_peer_port(api::FilterProtocol::kTcp, 2801)});
  EXPECT_TRUE(filter_->verify()->intact);
  EXPECT_TRUE(peer_to_node_dropped(2802));
  ASSERT_EQ(nft_in_node({"delete", "table", "inet", table()}).exit_code, 0);
  const auto deleted = filter_->verify();
  ASSERT_TRUE(deleted.has_value()) << deleted.error().describe();
  EXPECT_FALSE(deleted->installed);
  EXPECT_FALSE(deleted->intact);
}

}  // namespace
}  // namespace rustynet::backend_wireguard::testing

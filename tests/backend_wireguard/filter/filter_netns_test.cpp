// SPDX-License-Identifier: Apache-2.0
// The nftables filter against real packets: three namespaces (peer -- rnf0 -- node -- rno0 -- far),
// the filter on the node's mesh-like interface rnf0, driven from outside the namespace.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "filter/nft_runner.hpp"
#include "filter/nftables_filter.hpp"
#include "filter_probe.hpp"
#include "netns_fixture.hpp"
#include "rustynet/backend_wireguard/factory.hpp"
#include "temp_dir.hpp"

namespace rustynet::backend_wireguard::testing {
namespace {

namespace api = backend_api;
using std::chrono::milliseconds;

constexpr const char* kMesh = "rnf0";
constexpr const char* kNode = "10.99.0.1";
constexpr const char* kPeer = "10.99.0.2";
constexpr const char* kNode6 = "fd99::1";
constexpr const char* kPeer6 = "fd99::2";
constexpr const char* kNodeOther = "10.98.0.1";
constexpr const char* kFar = "10.98.0.2";
constexpr const char* kNft = "/usr/sbin/nft";
constexpr milliseconds kPass{3000};  // generous: the packet is expected to arrive
constexpr milliseconds kDrop{600};   // the packet is expected never to arrive

std::string mac_of(const Netns& netns, const std::string& link) {
  // "rnf0@if2  UP  aa:bb:cc:dd:ee:ff <...>"
  std::istringstream fields(netns.ip({"-br", "link", "show", "dev", link}).output);
  std::string name;
  std::string state;
  std::string mac;
  fields >> name >> state >> mac;
  return mac;
}

// peer (rnfp0) <-> node (rnf0, filtered) ; node (rno0) <-> far (rnop0). The node forwards, so the
// forward hook can be shown to drop what arrives from the mesh. IPv6 neighbours are static: the
// filter drops neighbour discovery arriving on the mesh interface (WireGuard has none).
class Topology {
 public:
  Topology() {
    if (!node.ok() || !peer.ok() || !far.ok()) {
      return;
    }
    ok_ = run_checked({"ip", "-n", node.name(), "link", "add", kMesh, "type", "veth", "peer", "name", "rnfp0", "netns",
                       peer.name()}) &&
          run_checked({"ip", "-n", node.name(), "link", "add", "rno0", "type", "veth", "peer", "name", "rnop0", "netns",
                       far.name()}) &&
          run_checked({"ip", "-n", node.name(), "addr", "add", std::string(kNode) + "/24", "dev", kMesh}) &&
          run_checked({"ip", "-n", node.name(), "addr", "add", std::string(kNode6) + "/64", "dev", kMesh, "nodad"}) &&
          run_checked({"ip", "-n", node.name(), "addr", "add", std::string(kNodeOther) + "/24", "dev", "rno0"}) &&
          run_checked({"ip", "-n", peer.name(), "addr", "add", std::string(kPeer) + "/24", "dev", "rnfp0"}) &&
          run_checked({"ip", "-n", peer.name(), "addr", "add", std::string(kPeer6) + "/64", "dev", "rnfp0", "nodad"}) &&
          run_checked({"ip", "-n", far.name(), "addr", "add", std::string(kFar) + "/24", "dev", "rnop0"}) &&
          run_checked({"ip", "-n", node.name(), "link", "set", kMesh, "up"}) &&
          run_checked({"ip", "-n", node.name(), "link", "set", "rno0", "up"}) &&
          run_checked({"ip", "-n", peer.name(), "link", "set", "rnfp0", "up"}) &&
          run_checked({"ip", "-n", far.name(), "link", "set", "rnop0", "up"}) &&
          run_checked({"ip", "-n", peer.name(), "route", "add", "10.98.0.0/24", "via", kNode}) &&
          run_checked({"ip", "-n", far.name(), "route", "add", "10.99.0.0/24", "via", kNodeOther}) &&
          run_checked({"ip", "netns", "exec", node.name(), "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"});
    if (ok_) {
      ok_ = run_checked({"ip", "-n", peer.name(), "neigh", "replace", kNode6, "lladdr", mac_of(node, kMesh), "dev",
                         "rnfp0", "nud", "permanent"}) &&
            run_checked({"ip", "-n", node.name(), "neigh", "replace", kPeer6, "lladdr", mac_of(peer, "rnfp0"), "dev",
                         kMesh, "nud", "permanent"});
    }
  }
  [[nodiscard]] bool ok() const noexcept { return ok_; }

  Netns node{"rnf-node"};
  Netns peer{"rnf-peer"};
  Netns far{"rnf-far"};

 private:
  bool ok_ = false;
};

api::FilterRule rule(const std::string& remote, const std::string& local, api::FilterProtocol protocol,
                     std::uint16_t first = 0, std::uint16_t last = 65535) {
  return api::FilterRule{api::IpPrefix::parse(remote).value(), api::IpAddress::parse(local).value(), protocol,
                         api::PortRange{first, last}};
}

api::FilterRule from_peer(api::FilterProtocol protocol, std::uint16_t first = 0, std::uint16_t last = 65535) {
  return rule(std::string(kPeer) + "/32", kNode, protocol, first, last);
}

class FilterNetnsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { topology_ = std::make_unique<Topology>(); }
  static void TearDownTestSuite() { topology_.reset(); }

  void SetUp() override {
    ASSERT_TRUE(topology_->ok()) << "namespace topology could not be built";
    filter_ = make_filter();
    ASSERT_TRUE(filter_->remove().has_value());
  }
  void TearDown() override {
    if (filter_ != nullptr) {
      (void)filter_->remove();
    }
  }

  static std::unique_ptr<api::PacketFilterBackend> make_filter(const std::string& binary = kNft,
                                                               milliseconds timeout = milliseconds(10000)) {
    NftablesFilterOptions options;
    options.interface_name = kMesh;
    options.network_namespace_path = topology_->node.path();
    options.nft_binary = binary;
    options.command_timeout = timeout;
    return make_nftables_filter(options);
  }

  void apply(std::uint64_t generation, std::vector<api::FilterRule> inbound,
             std::vector<api::FilterRule> outbound = {}) {
    const auto status = filter_->apply(api::FilterSpec{generation, std::move(inbound), std::move(outbound)});
    ASSERT_TRUE(status.has_value()) << status.error().describe();
  }

  static std::string node() { return topology_->node.path(); }
  static std::string peer() { return topology_->peer.path(); }
  static std::string far() { return topology_->far.path(); }
  static CommandResult nft_in_node(const std::vector<std::string>& args) {
    std::vector<std::string> argv{kNft};
    argv.insert(argv.end(), args.begin(), args.end());
    return topology_->node.exec(argv);
  }
  // ping's exit status: 0 answered, 1 no answer (anything else: the probe itself failed).
  static int ping(const Netns& from, const std::string& address) {
    return from.exec({"ping", "-c", "1", "-W", "1", "-q", address}).exit_code;
  }

  static bool peer_reaches_node_tcp(const std::string& node_address, std::uint16_t port, milliseconds timeout) {
    return tcp_exchange(peer(), node(), node_address, port, timeout);
  }
  static bool peer_to_node_dropped(const std::string& node_address, std::uint16_t port) {
    return tcp_syn_dropped(peer(), node(), node_address, port, kDrop);
  }
  static bool udp_peer_to_node(std::uint16_t port, milliseconds timeout) {
    return udp_delivered(peer(), kPeer, node(), kNode, port, timeout);
  }

  static std::unique_ptr<Topology> topology_;
  std::unique_ptr<api::PacketFilterBackend> filter_;
};

std::unique_ptr<Topology> FilterNetnsTest::topology_;

TEST_F(FilterNetnsTest, WithoutAFilterEverythingPasses) {
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 2001, kPass));
  EXPECT_TRUE(udp_peer_to_node(2001, kPass));
  EXPECT_EQ(ping(topology_->peer, kNode), 0);
}

TEST_F(FilterNetnsTest, TcpAllowedOneWayOnlyAndOnlyOnItsPort) {
  apply(1, {from_peer(api::FilterProtocol::kTcp, 2101, 2101)});
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 2101, kPass));
  EXPECT_TRUE(peer_to_node_dropped(kNode, 2102));  // the SYN is dropped
  // The same port the other way: the node's SYN leaves, the peer's SYN-ACK is a reply no
  // outbound rule lets in.
  const base::UniqueFd listener = tcp_listen(peer(), kPeer, 2101);
  ASSERT_TRUE(listener.valid());
  EXPECT_EQ(tcp_connect(node(), kPeer, 2101, kDrop).outcome, ConnectOutcome::kTimedOut);
}

TEST_F(FilterNetnsTest, UdpAllowedPortOnly) {
  apply(2, {from_peer(api::FilterProtocol::kUdp, 2201, 2201)});
  EXPECT_TRUE(udp_peer_to_node(2201, kPass));
  EXPECT_FALSE(udp_peer_to_node(2202, kDrop));
}

TEST_F(FilterNetnsTest, PingOnlyWhenIcmpIsAllowed) {
  apply(3, {from_peer(api::FilterProtocol::kTcp)});
  EXPECT_EQ(ping(topology_->peer, kNode), 1);
  EXPECT_EQ(ping(topology_->node, kPeer), 1);  // the echo reply needs an outbound icmp rule
  apply(4, {from_peer(api::FilterProtocol::kIcmp)});
  EXPECT_EQ(ping(topology_->peer, kNode), 0);
  EXPECT_EQ(ping(topology_->node, kPeer), 1);
  apply(5, {}, {from_peer(api::FilterProtocol::kIcmp)});
  EXPECT_EQ(ping(topology_->peer, kNode), 1);
  EXPECT_EQ(ping(topology_->node, kPeer), 0);
}

TEST_F(FilterNetnsTest, RepliesOfOutboundFlowsPassUnsolicitedPacketsDoNot) {
  apply(6, {}, {from_peer(api::FilterProtocol::kUdp, 2301, 2301), from_peer(api::FilterProtocol::kTcp, 2302, 2302)});
  // UDP: the node asks the peer's port 2301 from 42301 and hears the answer.
  const base::UniqueFd node_socket = udp_bind(node(), kNode, 42301);
  const base::UniqueFd peer_socket = udp_bind(peer(), kPeer, 2301);
  ASSERT_TRUE(node_socket.valid() && peer_socket.valid());
  ASSERT_TRUE(udp_send_to(node_socket.get(), kPeer, 2301, "request"));
  const auto request = receive_datagram_within(peer_socket.get(), kPass);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->source_port, 42301);
  ASSERT_TRUE(udp_send_to(peer_socket.get(), kNode, request->source_port, "reply"));
  EXPECT_EQ(receive_within(node_socket.get(), kPass), std::optional<std::string>("reply"));
  // The same source port towards another node port is a flow the peer starts: dropped.
  const base::UniqueFd other_node_socket = udp_bind(node(), kNode, 42302);
  ASSERT_TRUE(udp_send_to(peer_socket.get(), kNode, 42302, "unsolicited"));
  EXPECT_FALSE(receive_within(other_node_socket.get(), kDrop).has_value());

  // TCP: the node connects to the peer's 2302; the peer connecting from 2302 to the node is not.
  base::UniqueFd peer_listener = tcp_listen(peer(), kPeer, 2302);
  ASSERT_TRUE(peer_listener.valid());
  const Connection client = tcp_connect(node(), kPeer, 2302, kPass);
  ASSERT_EQ(client.outcome, ConnectOutcome::kConnected);
  const base::UniqueFd server = accept_within(peer_listener.get(), kPass);
  ASSERT_TRUE(server.valid());
  ASSERT_TRUE(send_text(server.get(), "from peer"));
  EXPECT_EQ(receive_within(client.fd.get(), kPass), std::optional<std::string>("from peer"));
  peer_listener.reset();  // a listening socket would keep the source port from being bound again
  const base::UniqueFd node_listener = tcp_listen(node(), kNode, 42303);
  ASSERT_TRUE(node_listener.valid());
  EXPECT_EQ(tcp_connect(peer(), kNode, 42303, kDrop, 2302).outcome, ConnectOutcome::kTimedOut);
}

TEST_F(FilterNetnsTest, OpenFlowsStopWhenTheirRuleGoes) {
  apply(7, {from_peer(api::FilterProtocol::kTcp, 2401, 2401)}, {from_peer(api::FilterProtocol::kTcp, 2402, 2402)});
  // A flow the peer started...
  const base::UniqueFd listener = tcp_listen(node(), kNode, 2401);
  const Connection connection = tcp_connect(peer(), kNode, 2401, kPass);
  ASSERT_EQ(connection.outcome, ConnectOutcome::kConnected);
  const base::UniqueFd& client = connection.fd;
  const base::UniqueFd server = accept_within(listener.get(), kPass);
  ASSERT_TRUE(server.valid());
  ASSERT_TRUE(send_text(client.get(), "before"));
  EXPECT_EQ(receive_within(server.get(), kPass), std::optional<std::string>("before"));
  // ...and one the node started.
  const base::UniqueFd peer_listener = tcp_listen(peer(), kPeer, 2402);
  const Connection outgoing_connection = tcp_connect(node(), kPeer, 2402, kPass);
  ASSERT_EQ(outgoing_connection.outcome, ConnectOutcome::kConnected);
  const base::UniqueFd& outgoing = outgoing_connection.fd;
  const base::UniqueFd peer_side = accept_within(peer_listener.get(), kPass);
  ASSERT_TRUE(peer_side.valid());
  ASSERT_TRUE(send_text(peer_side.get(), "before"));
  EXPECT_EQ(receive_within(outgoing.get(), kPass), std::optional<std::string>("before"));

  apply(8, {from_peer(api::FilterProtocol::kTcp, 9, 9)});
  ASSERT_TRUE(send_text(client.get(), "after"));
  EXPECT_FALSE(receive_within(server.get(), kDrop).has_value());
  ASSERT_TRUE(send_text(peer_side.get(), "after"));
  EXPECT_FALSE(receive_within(outgoing.get(), kDrop).has_value());

  // Putting the rules back lets the same flows continue (TCP retransmits what was dropped).
  apply(9, {from_peer(api::FilterProtocol::kTcp, 2401, 2401)}, {from_peer(api::FilterProtocol::kTcp, 2402, 2402)});
  EXPECT_EQ(receive_within(server.get(), milliseconds(5000)), std::optional<std::string>("after"));
  EXPECT_EQ(receive_within(outgoing.get(), milliseconds(5000)), std::optional<std::string>("after"));
}

TEST_F(FilterNetnsTest, Ipv6FlowsFollowTheRules) {
  apply(10, {rule(std::string(kPeer6) + "/128", kNode6, api::FilterProtocol::kTcp, 2501, 2501)});
  EXPECT_TRUE(peer_reaches_node_tcp(kNode6, 2501, kPass));
  EXPECT_TRUE(peer_to_node_dropped(kNode6, 2502));
  EXPECT_TRUE(peer_to_node_dropped(kNode, 2501));  // the rule is for IPv6 only
}

TEST_F(FilterNetnsTest, OtherInterfacesAreUntouched) {
  ASSERT_TRUE(filter_->ensure_installed().has_value());  // deny everything from the mesh
  EXPECT_TRUE(peer_to_node_dropped(kNode, 2601));
  EXPECT_EQ(ping(topology_->peer, kNode), 1);
  // The far side reaches the node over rno0, even at the node's mesh address.
  const base::UniqueFd listener = tcp_listen(node(), kNodeOther, 2602);
  EXPECT_EQ(tcp_connect(far(), kNodeOther, 2602, kPass).outcome, ConnectOutcome::kConnected);
  EXPECT_EQ(ping(topology_->far, kNodeOther), 0);
  EXPECT_EQ(ping(topology_->far, kNode), 0);
}

TEST_F(FilterNetnsTest, NothingFromTheMeshIsForwarded) {
  // Routing works without the filter...
  const base::UniqueFd listener = tcp_listen(far(), kFar, 2701);
  ASSERT_TRUE(listener.valid());
  EXPECT_EQ(tcp_connect(peer(), kFar, 2701, kPass).outcome, ConnectOutcome::kConnected);
  EXPECT_EQ(ping(topology_->peer, kFar), 0);
  // ...and with it nothing the node would forward gets through, even with every inbound rule.
  apply(11, {rule("0.0.0.0/0", kNode, api::FilterProtocol::kTcp), rule("0.0.0.0/0", kFar, api::FilterProtocol::kTcp),
             rule("0.0.0.0/0", kFar, api::FilterProtocol::kIcmp)});
  EXPECT_EQ(tcp_connect(peer(), kFar, 2701, kDrop).outcome, ConnectOutcome::kTimedOut);
  EXPECT_EQ(ping(topology_->peer, kFar), 1);
}

TEST_F(FilterNetnsTest, ChangesBehindTheOwnersBackAreDetectedAndUndone) {
  apply(12, {from_peer(api::FilterProtocol::kTcp, 2801, 2801)});
  const std::string table = "rustynet_rnf0";
  EXPECT_TRUE(filter_->verify()->intact);
  // Reading is not a change.
  EXPECT_EQ(nft_in_node({"list", "table", "inet", table}).exit_code, 0);
  EXPECT_TRUE(filter_->verify()->intact);

  // An element added behind our back: detected, and really in force until apply() undoes it.
  ASSERT_EQ(nft_in_node({"add", "element", "inet", table, "in4_l4", "{ 10.99.0.2 . 10.99.0.1 . 6 . 2802 }"}).exit_code,
            0);
  auto state = filter_->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->installed);
  EXPECT_EQ(state->generation, 12U);
  EXPECT_FALSE(state->intact);
  const api::FlowQuery tampered{api::FlowDirection::kInbound, api::IpAddress::parse(kPeer).value(),
                                api::IpAddress::parse(kNode).value(), api::FilterProtocol::kTcp, 2802};
  EXPECT_TRUE(filter_->allows(tampered).value());  // allows() asks the kernel, not a cache
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 2802, kPass));
  apply(12, {from_peer(api::FilterProtocol::kTcp, 2801, 2801)});
  EXPECT_TRUE(filter_->verify()->intact);
  EXPECT_FALSE(filter_->allows(tampered).value());
  EXPECT_TRUE(peer_to_node_dropped(kNode, 2802));

  // A rule inserted in front, and a rule appended after the final drop: both are changes.
  ASSERT_EQ(nft_in_node({"insert", "rule", "inet", table, "mesh_in", "tcp", "dport", "2803", "accept"}).exit_code, 0);
  EXPECT_FALSE(filter_->verify()->intact);
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 2803, kPass));
  apply(13, {from_peer(api::FilterProtocol::kTcp, 2801, 2801)});
  EXPECT_TRUE(filter_->verify()->intact);
  EXPECT_TRUE(peer_to_node_dropped(kNode, 2803));
  ASSERT_EQ(nft_in_node({"add", "rule", "inet", table, "mesh_in", "counter"}).exit_code, 0);
  EXPECT_FALSE(filter_->verify()->intact);

  // An element deleted, and the whole table deleted.
  apply(14, {from_peer(api::FilterProtocol::kTcp, 2801, 2801)});
  ASSERT_EQ(
      nft_in_node({"delete", "element", "inet", table, "in4_l4", "{ 10.99.0.2 . 10.99.0.1 . 6 . 2801 }"}).exit_code, 0);
  EXPECT_FALSE(filter_->verify()->intact);
  ASSERT_EQ(nft_in_node({"delete", "table", "inet", table}).exit_code, 0);
  state = filter_->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_FALSE(state->installed);
  EXPECT_FALSE(state->intact);
}

// The kernel's handle of our table ("table inet T { # handle N"): a replacement gets a new one.
std::string table_handle(const CommandResult& listing) {
  const std::string& out = listing.output;
  const std::size_t at = out.find("# handle ");
  return at == std::string::npos ? std::string() : out.substr(at, out.find('\n', at) - at);
}

TEST_F(FilterNetnsTest, AnUntouchedTableIsUpdatedInPlaceAndOtherTablesCommitsAreNoTampering) {
  apply(20, {from_peer(api::FilterProtocol::kTcp, 3001, 3001)});
  const std::vector<std::string> list{"-a", "list", "table", "inet", "rustynet_rnf0"};
  const std::string handle = table_handle(nft_in_node(list));
  ASSERT_FALSE(handle.empty());
  ASSERT_TRUE(filter_->verify()->intact);
  apply(21, {from_peer(api::FilterProtocol::kTcp, 3001, 3001), from_peer(api::FilterProtocol::kTcp, 3002, 3002)});
  EXPECT_EQ(table_handle(nft_in_node(list)), handle);  // an update: same table, same base chains
  auto state = filter_->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->intact);
  EXPECT_EQ(state->generation, 21U);
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 3002, kPass));
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 3001, kPass));

  // Another program's commit moves the namespace's generation; our table is unchanged, so intact.
  ASSERT_EQ(nft_in_node({"add", "table", "inet", "someone_else"}).exit_code, 0);
  EXPECT_TRUE(filter_->verify()->intact);
  ASSERT_EQ(nft_in_node({"delete", "table", "inet", "someone_else"}).exit_code, 0);
  EXPECT_TRUE(filter_->verify()->intact);  // proven again, so the next apply may update
  apply(22, {from_peer(api::FilterProtocol::kTcp, 3002, 3002)});
  EXPECT_EQ(table_handle(nft_in_node(list)), handle);
  EXPECT_TRUE(peer_to_node_dropped(kNode, 3001));
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 3002, kPass));
  EXPECT_EQ(filter_->verify()->generation, 22U);

  // A change behind the daemon's back: never updated on top of, the whole table is replaced.
  ASSERT_EQ(nft_in_node({"add", "element", "inet", "rustynet_rnf0", "in4_l4", "{ 10.99.0.2 . 10.99.0.1 . 6 . 3003 }"})
                .exit_code,
            0);
  EXPECT_FALSE(filter_->verify()->intact);
  apply(23, {from_peer(api::FilterProtocol::kTcp, 3002, 3002)});
  EXPECT_NE(table_handle(nft_in_node(list)), handle);
  EXPECT_TRUE(filter_->verify()->intact);
  EXPECT_TRUE(peer_to_node_dropped(kNode, 3003));
}

TEST_F(FilterNetnsTest, TheFilterSurvivesItsOwner) {
  apply(15, {from_peer(api::FilterProtocol::kTcp, 2901, 2901)});
  filter_.reset();  // no remove(): what a crash leaves behind
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 2901, kPass));
  EXPECT_TRUE(peer_to_node_dropped(kNode, 2902));
  // The successor finds it, keeps it through ensure_installed(), and does not vouch for it.
  filter_ = make_filter();
  ASSERT_TRUE(filter_->ensure_installed().has_value());
  auto state = filter_->verify();
  ASSERT_TRUE(state.has_value());
  EXPECT_TRUE(state->installed);
  EXPECT_EQ(state->generation, 15U);
  EXPECT_FALSE(state->intact);
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 2901, kPass));
  apply(16, {from_peer(api::FilterProtocol::kTcp, 2902, 2902)});
  EXPECT_TRUE(filter_->verify()->intact);
  EXPECT_TRUE(peer_reaches_node_tcp(kNode, 2902, kPass));
  EXPECT_TRUE(peer_to_node_dropped(kNode, 2901));
}

// Appends `extra` to every transaction, so a valid spec's apply fails inside nft or the kernel.
class InjectingRunner final : public filter::NftRunner {
 public:
  InjectingRunner(std::unique_ptr<filter::NftRunner> inner, std::string extra)
      : inner_(std::move(inner)), extra_(std::move(extra)) {}
  base::Result<filter::NftOutput, std::string> run(const std::vector<std::string>& arguments,
                                                   const std::string& input) override {
    return inner_->run(arguments, arguments == std::vector<std::string>{"-f", "-"} ? input + extra_ : input);
  }

 private:
  std::unique_ptr<filter::NftRunner> inner_;
  std::string extra_;
};

TEST_F(FilterNetnsTest, AFailedApplyLeavesThePreviousFilterExactlyInForce) {
  apply(20, {from_peer(api::FilterProtocol::kTcp, 3001, 3001)});
  const std::string before = nft_in_node({"-s", "list", "table", "inet", "rustynet_rnf0"}).output;
  const api::FilterSpec next{21, {from_peer(api::FilterProtocol::kTcp, 3002, 3002)}, {}};

  auto expect_unchanged = [&](const char* how) {
    auto state = filter_->verify();
    ASSERT_TRUE(state.has_value()) << how;
    EXPECT_EQ(state->generation, 20U) << how;
    EXPECT_TRUE(state->intact) << how;
    EXPECT_EQ(nft_in_node({"-s", "list", "table", "inet", "rustynet_rnf0"}).output, before) << how;
    EXPECT_TRUE(peer_reaches_node_tcp(kNode, 3001, kPass)) << how;
    EXPECT_TRUE(peer_to_node_dropped(kNode, 3002)) << how;
  };

  // nft is not there.
  auto missing = make_filter("/nonexistent/nft");
  auto status = missing->apply(next);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInternal);
  expect_unchanged("missing binary");

  // nft refuses the script while parsing (an invalid element after the whole new table).
  filter::NftablesPacketFilter unparsable(
      kMesh,
      std::make_unique<InjectingRunner>(filter::make_process_nft_runner(kNft, node(), milliseconds(10000)),
                                        "add element inet rustynet_rnf0 in4_l4 { 300.0.0.1 . 10.99.0.1 . 6 . 1 }\n"));
  status = unparsable.apply(next);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInternal);
  EXPECT_NE(status.error().message.find("300.0.0.1"), std::string::npos) << status.error().message;
  expect_unchanged("parse error");

  // The kernel refuses the transaction at commit (a chain loop is only found there): the delete
  // and the new table, already sent, are rolled back with it.
  filter::NftablesPacketFilter looping(
      kMesh, std::make_unique<InjectingRunner>(filter::make_process_nft_runner(kNft, node(), milliseconds(10000)),
                                               "add rule inet rustynet_rnf0 mesh_in jump mesh_in\n"));
  status = looping.apply(next);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInternal);
  expect_unchanged("kernel refusal");

  // nft hangs: killed at the timeout.
  rustynet::testing::TempDir dir;
  const std::string hanging = dir.file("nft");
  {
    std::ofstream script(hanging);
    script << "#!/bin/sh\nexec sleep 30\n";
  }
  std::filesystem::permissions(hanging, std::filesystem::perms::owner_all);
  auto slow = make_filter(hanging, milliseconds(300));
  const auto start = std::chrono::steady_clock::now();
  status = slow->apply(next);
  ASSERT_FALSE(status.has_value());
  EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInternal);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  expect_unchanged("timeout");
}

api::FilterSpec large_spec(std::size_t count, std::uint64_t generation) {
  api::FilterSpec spec;
  spec.generation = generation;
  for (std::size_t i = 0; i < count; ++i) {
    const auto b = static_cast<std::uint8_t>((i >> 8U) & 0xFFU);
    const auto c = static_cast<std::uint8_t>(i & 0xFFU);
    const auto port = static_cast<std::uint16_t>(1000 + (i % 100) * 10);
    spec.inbound.push_back(api::FilterRule{api::IpPrefix::create(api::IpAddress::v4({10, 50, b, c}), 32).value(),
                                           api::IpAddress::parse(kNode).value(),
                                           i % 2 == 0 ? api::FilterProtocol::kTcp : api::FilterProtocol::kUdp,
                                           api::PortRange{port, static_cast<std::uint16_t>(port + 4)}});
  }
  return spec;
}

// Not a benchmark (Debug build, shared CI host): prints what one apply of a big spec costs, so a
// regression by an order of magnitude is visible. The bound only catches pathologies.
TEST_F(FilterNetnsTest, ApplyTimeOfLargeSpecs) {
  filter_ = make_filter(kNft, std::chrono::minutes(2));
  for (const std::size_t count : {std::size_t{1000}, std::size_t{10000}}) {
    const api::FilterSpec spec = large_spec(count, count);
    const auto start = std::chrono::steady_clock::now();
    const auto status = filter_->apply(spec);
    const auto applied = std::chrono::steady_clock::now();
    ASSERT_TRUE(status.has_value()) << status.error().describe();
    const auto state = filter_->verify();
    const auto verified = std::chrono::steady_clock::now();
    ASSERT_TRUE(state.has_value());
    EXPECT_TRUE(state->intact);
    const api::FlowQuery flow{api::FlowDirection::kInbound, api::IpAddress::v4({10, 50, 0, 2}),
                              api::IpAddress::parse(kNode).value(), api::FilterProtocol::kTcp, 1020};
    EXPECT_TRUE(filter_->allows(flow).value());
    const auto asked = std::chrono::steady_clock::now();
    using std::chrono::duration_cast;
    std::cout << "[ timing ] " << count << " rules: apply (incl. read-back) "
              << duration_cast<milliseconds>(applied - start).count() << " ms, verify "
              << duration_cast<milliseconds>(verified - applied).count() << " ms, allows "
              << duration_cast<milliseconds>(asked - verified).count() << " ms\n";
    EXPECT_LT(applied - start, std::chrono::seconds(120));
  }
}

}  // namespace
}  // namespace rustynet::backend_wireguard::testing

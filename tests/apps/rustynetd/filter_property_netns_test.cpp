// SPDX-License-Identifier: Apache-2.0
// Property test (root, netns): for random policies and random flows, what two real WireGuard nodes
// deliver to each other through their filters (filter_spec_from, nftables) equals evaluate().
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "filter_spec.hpp"
#include "policy_test_support.hpp"
#include "rustynet/backend_wireguard/factory.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/policy/compiled_policy.hpp"
#include "rustynet/policy/enforceability.hpp"
#include "rustynet/policy/node_state.hpp"
#include "tunnel_support.hpp"

namespace rustynet::apps::daemon {
namespace {

namespace api = backend_api;
namespace wgt = backend_wireguard::testing;
using Clock = std::chrono::steady_clock;
using policy::IpFamily;
using policy::IpProtocol;
using policy::test_support::Generator;
using std::chrono::milliseconds;

// ---- What is being checked --------------------------------------------------------------------
//
// A flow F = (initiator I, receiver R, family, protocol p, destination port d; d = 0 for icmp) is
// sent as real packets from I's tunnel address to R's, through wireguard-go, with a listener on R
// (icmp: R's kernel answers the echo). The receiver answers, and F counts as DELIVERED when the
// answer is back at the initiator. Each node's nftables filter was installed from
// filter_spec_from(policy compiled against inventory_of(its NodeState), its NodeState).
//
// On the way there, every packet of F arrives on R's mesh interface in conntrack's ORIGINAL
// direction and passes iff R's inbound set holds (a_I . a_R . p . d), i.e. iff
//   R.inbound  = flow_space({I, a_I}, {R, a_R}).allows(p, d)  == evaluate(I -> R, p, d).allowed().
// On the way back, every answer arrives on I's mesh interface in conntrack's REPLY direction
// (source R, source port d) and passes iff I's outbound set holds (a_R . a_I . p . d), i.e. iff
//   I.outbound = flow_space({I, a_I}, {R, a_R}).allows(p, d)  == evaluate(I -> R, p, d).allowed(),
// the same decision by design: the initiator's filter lets in exactly the replies of the flows it
// may start. Outbound packets are not filtered on their sender. evaluate(R -> I) plays no part
// (flows allowed one way only are counted as "one-way" and must be delivered one way only).
// Hence the property asserted for every flow:
//   delivered(F)                 == evaluate({I, a_I, R, a_R, p, d}).allowed()
// and, where the first half is observable on its own (udp: the datagram reaches R's socket even
// if the answer were dropped; tcp: R accepts and reads only after the handshake's reply passed):
//   arrived at R(F)              == evaluate({I, a_I, R, a_R, p, d}).allowed().
//
// Timing: a delivered flow is seen within milliseconds. Every round of probes runs concurrently and
// waits at least kDropWindow, so a flow the filter wrongly lets through is caught however fast the
// others finish; while a flow evaluate() allows is still missing the round waits on, up to
// kPassDeadline, so a loaded host cannot make an allowed flow look dropped.
// ------------------------------------------------------------------------------------------------

constexpr std::uint32_t kDefaultSeed = 0x17006;
constexpr std::size_t kDefaultPolicies = 24;
constexpr std::size_t kFlowsPerPolicy = 40;
constexpr const char* kSeedVariable = "RUSTYNET_FILTER_PROPERTY_SEED";
constexpr const char* kPoliciesVariable = "RUSTYNET_FILTER_PROPERTY_POLICIES";

constexpr milliseconds kDropWindow{200};
constexpr milliseconds kPassDeadline{5000};
constexpr milliseconds kResendInterval{50};  // udp and icmp requests are repeated until answered

// Every probe binds its own source port from this pool, never reused within a run, and no flow
// ever goes *to* a pool port: so no probe's 5-tuple can be an earlier probe's, nor its reverse
// (which conntrack would file as the earlier flow's reply direction).
constexpr std::uint16_t kSourcePortFirst = 48000;
constexpr std::uint16_t kSourcePortCount = 2000;
constexpr std::uint16_t kWireGuardPort = 51820;  // wireguard-go's UDP socket in both namespaces

// The two nodes with tunnels (n0 in namespace a, n1 in b); n2..n5 exist only in the inventory.
// Addresses are inside the generator's address space so that its prefix selectors can hit them.
constexpr std::array<const char*, 2> kNodeIds{"n0", "n1"};
constexpr std::array<const char*, 2> kTunnel4{"10.0.1.1", "10.0.1.2"};
constexpr std::array<const char*, 2> kTunnel6{"fd7a::1", "fd7a::2"};
constexpr std::size_t kInventoryNodes = 6;

// ---- sockets -----------------------------------------------------------------------------------

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  [[nodiscard]] const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

SocketAddress socket_address(const policy::IpAddress& address, std::uint16_t port) {
  SocketAddress out;
  const std::string text = address.to_string();
  if (address.family() == IpFamily::kV4) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = htons(port);
    EXPECT_EQ(::inet_pton(AF_INET, text.c_str(), &v4.sin_addr), 1) << text;
    std::memcpy(&out.storage, &v4, sizeof(v4));
    out.length = sizeof(v4);
  } else {
    sockaddr_in6 v6{};
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(port);
    EXPECT_EQ(::inet_pton(AF_INET6, text.c_str(), &v6.sin6_addr), 1) << text;
    std::memcpy(&out.storage, &v6, sizeof(v6));
    out.length = sizeof(v6);
  }
  return out;
}

int domain_of(IpFamily family) { return family == IpFamily::kV4 ? AF_INET : AF_INET6; }

// A non-blocking socket created inside the namespace (a helper thread enters it for socket() only;
// the socket stays in that namespace wherever it is used from).
base::UniqueFd socket_in(const std::string& netns_path, int domain, int type, int protocol) {
  base::UniqueFd result;
  std::thread worker([&] {
    const base::UniqueFd netns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (netns.valid() && ::setns(netns.get(), CLONE_NEWNET) == 0) {
      result.reset(::socket(domain, type | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol));
    }
  });
  worker.join();
  return result;
}

bool bind_reusable(int fd, const SocketAddress& address) {
  const int one = 1;
  return ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
         ::bind(fd, address.get(), address.length) == 0;
}

std::string sys_error(std::string operation, int error) {
  return base::SysError{std::move(operation), error}.describe();
}

std::optional<std::string> receive_some(int fd) {
  std::array<char, 2048> buffer{};
  const ssize_t got = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
  if (got <= 0) {
    return std::nullopt;
  }
  return std::string(buffer.data(), static_cast<std::size_t>(got));
}

// ICMP / ICMPv6 echo request for a ping socket (the kernel fills in the identifier and checksum).
std::string echo_request(IpFamily family, std::uint16_t sequence, const std::string& payload) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(family == IpFamily::kV4 ? 8 : 128);
  out[6] = static_cast<char>(sequence >> 8U);
  out[7] = static_cast<char>(sequence & 0xffU);
  return out + payload;
}

bool is_echo_reply(IpFamily family, const std::string& message, const std::string& payload) {
  const char reply_type = static_cast<char>(family == IpFamily::kV4 ? 0 : 129);
  return message.size() == 8 + payload.size() && message[0] == reply_type && message.substr(8) == payload;
}

// ---- the two nodes -----------------------------------------------------------------------------

// Two namespaces joined by a veth, a wireguard-go backend in each with an IPv4 and an IPv6 tunnel
// address, each the other's peer, and an nftables filter on each mesh interface.
class Mesh {
 public:
  Mesh() = default;
  Mesh(const Mesh&) = delete;
  Mesh& operator=(const Mesh&) = delete;
  ~Mesh() {
    for (auto& filter : filter_) {
      if (filter != nullptr) {
        (void)filter->remove();
      }
    }
    for (auto& backend : backend_) {
      if (backend != nullptr) {
        (void)backend->shutdown();
      }
    }
  }

  void start() {
    ASSERT_TRUE(pair_.ok()) << "namespaces could not be built";
    const std::array<const char*, 2> underlay{wgt::NetnsPair::kAddressA, wgt::NetnsPair::kAddressB};
    for (std::size_t k = 0; k < 2; ++k) {
      // Ping sockets (unprivileged ICMP echo) for root; the default range in a new namespace is empty.
      ASSERT_TRUE(wgt::run_checked(
          {"ip", "netns", "exec", netns(k).name(), "sysctl", "-q", "-w", "net.ipv4.ping_group_range=0 2147483647"}));
      interface_[k] = wgt::unique_interface_name(k == 0 ? "rnpa" : "rnpb");
      backend_[k] = wgt::make_backend_in(netns(k));
      auto context =
          wgt::make_context(kNodeIds[k], interface_[k], std::string(kTunnel4[k]) + "/24", kWireGuardPort, keys_[k]);
      context.interface_addresses.push_back(api::InterfaceAddress::parse(std::string(kTunnel6[k]) + "/64").value());
      const auto started = backend_[k]->start(context);
      ASSERT_TRUE(started.has_value()) << started.error().describe();
    }
    for (std::size_t k = 0; k < 2; ++k) {
      const std::size_t other = 1 - k;
      auto peer = wgt::make_peer(kNodeIds[other], keys_[other].public_key,
                                 std::string(underlay[other]) + ":" + std::to_string(kWireGuardPort),
                                 std::string(kTunnel4[other]) + "/32");
      peer.allowed_prefixes.push_back(api::IpPrefix::parse(std::string(kTunnel6[other]) + "/128").value());
      const auto configured = backend_[k]->configure_peer(peer);
      ASSERT_TRUE(configured.has_value()) << configured.error().describe();
    }
    for (std::size_t k = 0; k < 2; ++k) {
      for (const char* address : {kTunnel4[1 - k], kTunnel6[1 - k]}) {
        ASSERT_TRUE(wgt::eventually(15, [&] { return wgt::ping_from(netns(k), address); }))
            << "no ping through the tunnel from " << kNodeIds[k] << " to " << address;
      }
    }
    for (std::size_t k = 0; k < 2; ++k) {
      backend_wireguard::NftablesFilterOptions options;
      options.interface_name = interface_[k];
      options.network_namespace_path = netns(k).path();
      options.command_timeout = milliseconds(10000);
      filter_[k] = backend_wireguard::make_nftables_filter(options);
      const auto installed = filter_[k]->ensure_installed();
      ASSERT_TRUE(installed.has_value()) << installed.error().describe();
    }
  }

  [[nodiscard]] const wgt::Netns& netns(std::size_t k) const { return k == 0 ? pair_.a : pair_.b; }
  [[nodiscard]] api::PacketFilterBackend& filter(std::size_t k) const { return *filter_.at(k); }

 private:
  wgt::NetnsPair pair_;
  std::array<wgt::KeyPair, 2> keys_{wgt::make_key_pair(), wgt::make_key_pair()};
  std::array<std::string, 2> interface_;
  std::array<std::unique_ptr<backend_wireguard::WireGuardBackend>, 2> backend_;
  std::array<std::unique_ptr<api::PacketFilterBackend>, 2> filter_;
};

// ---- random policies ---------------------------------------------------------------------------

policy::IpAddress tunnel_address(std::size_t node, IpFamily family) {
  return policy::IpAddress::parse(family == IpFamily::kV4 ? kTunnel4.at(node) : kTunnel6.at(node)).value();
}

// n0 and n1 at their tunnel addresses, n2..n5 at other distinct addresses of the generator's space;
// random tags t0..t3 (the generator's selectors also name t4, which nobody carries).
std::vector<policy::NodeRecord> random_nodes(Generator& g) {
  std::vector<policy::NodeRecord> nodes;
  std::set<policy::IpAddress> used;
  for (std::size_t n = 0; n < kInventoryNodes; ++n) {
    policy::NodeRecord node{"n" + std::to_string(n), {}, {}};
    if (n < 2) {
      node.addresses = {tunnel_address(n, IpFamily::kV4), tunnel_address(n, IpFamily::kV6)};
    } else {
      const bool with_v6 = g.chance(0.4);
      while (node.addresses.size() < (with_v6 ? 2U : 1U)) {
        const policy::IpAddress address = g.address();
        const bool wanted =
            node.addresses.empty() ? address.family() == IpFamily::kV4 : address.family() == IpFamily::kV6;
        if (wanted && !used.contains(address) && address != tunnel_address(0, address.family()) &&
            address != tunnel_address(1, address.family())) {
          node.addresses.push_back(address);
        }
      }
    }
    used.insert(node.addresses.begin(), node.addresses.end());
    for (std::size_t t = 0; t < 4; ++t) {
      if (g.chance(0.35)) {
        node.tags.push_back("t" + std::to_string(t));
      }
    }
    nodes.push_back(std::move(node));
  }
  return nodes;
}

// The generator's document, shaped into one the control server accepts (check_enforceable: no
// destination prefixes; they are redrawn as node/tag/group/"*") and with source prefixes that
// often contain a tunnel address (the generator's own rarely hit n0 or n1).
policy::PolicyDocument random_document(Generator& g) {
  policy::PolicyDocument document = g.document(3 + g.pick(8));
  for (auto& rule : document.rules) {
    for (auto& selector : rule.dst) {
      while (selector.kind == policy::SelectorKind::kPrefix ||
             std::count(rule.dst.begin(), rule.dst.end(), selector) > 1) {
        selector = g.selector();
      }
    }
    for (auto& selector : rule.src) {
      if (selector.kind != policy::SelectorKind::kPrefix || !g.chance(0.6)) {
        continue;
      }
      const IpFamily family = g.chance(0.75) ? IpFamily::kV4 : IpFamily::kV6;
      const policy::IpAddress address = tunnel_address(g.pick(2), family);
      const unsigned length = address.max_prefix_length() - static_cast<unsigned>(g.pick(9));
      policy::Selector replacement{policy::SelectorKind::kPrefix,
                                   {},
                                   policy::IpPrefix::create(policy::mask_address(address, length), length).value()};
      if (std::find(rule.src.begin(), rule.src.end(), replacement) == rule.src.end()) {
        selector = std::move(replacement);
      }
    }
  }
  return document;
}

policy::NodeState node_state(const std::vector<policy::NodeRecord>& nodes, std::size_t self) {
  policy::NodeState state;
  state.node_id = nodes[self].id;
  state.tags = nodes[self].tags;
  state.addresses = nodes[self].addresses;
  for (std::size_t n = 0; n < nodes.size(); ++n) {
    if (n == self) {
      continue;
    }
    policy::PeerState peer;
    peer.node_id = nodes[n].id;
    peer.tags = nodes[n].tags;
    peer.addresses = nodes[n].addresses;
    peer.tunnel_public_key.fill(static_cast<std::uint8_t>(n + 1));
    for (const auto& address : nodes[n].addresses) {
      peer.allowed_prefixes.push_back(policy::IpPrefix::host(address));
    }
    state.peers.push_back(std::move(peer));
  }
  return state;
}

std::string describe(const policy::PolicyDocument& document, const std::vector<policy::NodeRecord>& nodes) {
  std::ostringstream out;
  for (const auto& node : nodes) {
    out << "  node " << node.id << " tags=[";
    for (const auto& tag : node.tags) {
      out << tag << (&tag == &node.tags.back() ? "" : ",");
    }
    out << "] addresses=[";
    for (const auto& address : node.addresses) {
      out << address.to_string() << (&address == &node.addresses.back() ? "" : ",");
    }
    out << "]\n";
  }
  for (const auto& [name, members] : document.groups) {
    out << "  group " << name << " = [";
    for (const auto& member : members) {
      out << member << (&member == &members.back() ? "" : ",");
    }
    out << "]\n";
  }
  for (const auto& rule : document.rules) {
    out << "  rule " << rule.id << " " << policy::to_string(rule.action) << " src=[";
    for (const auto& selector : rule.src) {
      out << selector.to_string() << (&selector == &rule.src.back() ? "" : ",");
    }
    out << "] dst=[";
    for (const auto& selector : rule.dst) {
      out << selector.to_string() << (&selector == &rule.dst.back() ? "" : ",");
    }
    out << "] " << policy::to_string(rule.protocol);
    for (const auto& range : rule.ports) {
      out << " " << range.first << "-" << range.last;
    }
    out << "\n";
  }
  return out.str();
}

// ---- random flows ------------------------------------------------------------------------------

struct Flow {
  std::size_t initiator = 0;  // 0: n0 -> n1, 1: n1 -> n0
  IpFamily family = IpFamily::kV4;
  IpProtocol protocol = IpProtocol::kTcp;
  std::uint16_t port = 0;        // destination port; 0 for icmp
  policy::Decision decision;     // evaluate(initiator -> receiver)
  bool reverse_allowed = false;  // evaluate(receiver -> initiator), same protocol and port

  [[nodiscard]] std::size_t receiver() const { return 1 - initiator; }
  [[nodiscard]] policy::AccessRequest request() const {
    return policy::AccessRequest{kNodeIds.at(initiator),
                                 tunnel_address(initiator, family),
                                 kNodeIds.at(receiver()),
                                 tunnel_address(receiver(), family),
                                 protocol,
                                 port};
  }
  [[nodiscard]] std::string to_string() const {
    std::ostringstream out;
    out << kNodeIds.at(initiator) << " " << tunnel_address(initiator, family).to_string() << " -> "
        << kNodeIds.at(receiver()) << " " << tunnel_address(receiver(), family).to_string() << " "
        << (protocol == IpProtocol::kTcp   ? "tcp/" + std::to_string(port)
            : protocol == IpProtocol::kUdp ? "udp/" + std::to_string(port)
                                           : std::string("icmp echo"))
        << "; evaluate: " << policy::to_string(decision.verdict) << " (" << policy::to_string(decision.reason)
        << (decision.rule_id.empty() ? "" : " " + decision.rule_id) << ")";
    return out.str();
  }
};

bool usable_destination_port(std::uint32_t port) {
  return port >= 1 && port <= 65535 && port != kWireGuardPort &&
         (port < kSourcePortFirst || port >= kSourcePortFirst + kSourcePortCount);
}

// Ports where some rule's port set starts or stops, and their neighbours.
std::vector<std::uint32_t> rule_boundaries(const policy::PolicyDocument& document) {
  std::vector<std::uint32_t> out;
  for (const auto& rule : document.rules) {
    for (const auto& range : rule.ports) {
      out.insert(out.end(), {range.first - 1U, range.first, range.last, range.last + 1U});
    }
  }
  return out;
}

std::uint16_t random_port(Generator& g, const std::vector<std::uint32_t>& boundaries) {
  static constexpr std::array<std::uint32_t, 12> kEdges{1, 2, 21, 22, 23, 53, 80, 443, 1023, 1024, 65534, 65535};
  while (true) {
    const std::size_t roll = g.pick(100);
    std::uint32_t port = 0;
    if (roll < 45 && !boundaries.empty()) {
      port = boundaries[g.pick(boundaries.size())];
    } else if (roll < 60) {
      port = kEdges[g.pick(kEdges.size())];
    } else if (roll < 75) {
      port = static_cast<std::uint32_t>(g.pick(130));  // where the generator's narrow ranges live
    } else {
      port = static_cast<std::uint32_t>(g.pick(65536));
    }
    if (usable_destination_port(port)) {
      return static_cast<std::uint16_t>(port);
    }
  }
}

// Both directions, both families, tcp/udp/icmp; no two tcp or udp flows share a listener.
std::vector<Flow> random_flows(Generator& g, const policy::PolicyDocument& document, std::size_t count) {
  const std::vector<std::uint32_t> boundaries = rule_boundaries(document);
  std::set<std::tuple<std::size_t, IpFamily, IpProtocol, std::uint16_t>> listeners;
  std::vector<Flow> flows;
  while (flows.size() < count) {
    Flow flow;
    flow.initiator = g.pick(2);
    flow.family = g.chance(0.25) ? IpFamily::kV6 : IpFamily::kV4;
    const std::size_t roll = g.pick(10);
    flow.protocol = roll < 4 ? IpProtocol::kTcp : roll < 8 ? IpProtocol::kUdp : IpProtocol::kIcmp;
    if (flow.protocol != IpProtocol::kIcmp) {
      flow.port = random_port(g, boundaries);
      if (!listeners.emplace(flow.receiver(), flow.family, flow.protocol, flow.port).second) {
        continue;
      }
    }
    flows.push_back(flow);
  }
  return flows;
}

// ---- one round of concurrent probes ------------------------------------------------------------

struct Probe {
  Flow flow;
  std::string token;
  std::uint16_t source_port = 0;  // tcp/udp
  base::UniqueFd client;          // on the initiator: tcp connection, udp socket or ping socket
  base::UniqueFd server;          // on the receiver: tcp listener or udp socket
  base::UniqueFd accepted;        // on the receiver: the accepted tcp connection
  bool connected = false;
  bool request_seen = false;  // the receiver read the initiator's token
  bool reply_seen = false;    // the initiator read the receiver's answer: delivered
  Clock::duration reply_after{};
  std::uint16_t sequence = 0;
  Clock::time_point next_send{};
  std::string anomaly;  // anything a filter that only drops can never cause (a test or setup bug)

  [[nodiscard]] std::string answer() const { return "re:" + token; }
};

class SourcePorts {
 public:
  std::uint16_t next() {
    EXPECT_LT(used_, kSourcePortCount) << "source port pool exhausted";
    return static_cast<std::uint16_t>(kSourcePortFirst + (used_++ % kSourcePortCount));
  }

 private:
  std::uint16_t used_ = 0;
};

void send_request(Probe& probe, Clock::time_point now) {
  const Flow& flow = probe.flow;
  const std::string message =
      flow.protocol == IpProtocol::kIcmp ? echo_request(flow.family, ++probe.sequence, probe.token) : probe.token;
  if (::send(probe.client.get(), message.data(), message.size(), MSG_NOSIGNAL) < 0 && errno != EAGAIN) {
    probe.anomaly = sys_error("send", errno);
  }
  probe.next_send = now + kResendInterval;
}

// Receiver first, then the initiator's first packet. Sockets are non-blocking.
void set_up(const Mesh& mesh, Probe& probe, SourcePorts& ports) {
  const Flow& flow = probe.flow;
  const std::string& initiator_ns = mesh.netns(flow.initiator).path();
  const std::string& receiver_ns = mesh.netns(flow.receiver()).path();
  const int domain = domain_of(flow.family);
  const SocketAddress destination = socket_address(tunnel_address(flow.receiver(), flow.family), flow.port);
  if (flow.protocol == IpProtocol::kIcmp) {
    probe.client =
        socket_in(initiator_ns, domain, SOCK_DGRAM,
                  flow.family == IpFamily::kV4 ? static_cast<int>(IPPROTO_ICMP) : static_cast<int>(IPPROTO_ICMPV6));
    if (!probe.client.valid() || ::connect(probe.client.get(), destination.get(), destination.length) != 0) {
      probe.anomaly = sys_error("ping socket", errno);
      return;
    }
    send_request(probe, Clock::now());
    return;
  }
  const int type = flow.protocol == IpProtocol::kTcp ? SOCK_STREAM : SOCK_DGRAM;
  probe.source_port = ports.next();
  const SocketAddress source = socket_address(tunnel_address(flow.initiator, flow.family), probe.source_port);
  probe.server = socket_in(receiver_ns, domain, type, 0);
  if (!probe.server.valid() || !bind_reusable(probe.server.get(), destination) ||
      (type == SOCK_STREAM && ::listen(probe.server.get(), 4) != 0)) {
    probe.anomaly = sys_error("receiver socket", errno);
    return;
  }
  probe.client = socket_in(initiator_ns, domain, type, 0);
  if (!probe.client.valid() || !bind_reusable(probe.client.get(), source)) {
    probe.anomaly = sys_error("initiator socket", errno);
    return;
  }
  if (::connect(probe.client.get(), destination.get(), destination.length) != 0 && errno != EINPROGRESS) {
    probe.anomaly = sys_error("connect", errno);
    return;
  }
  if (type == SOCK_DGRAM) {
    send_request(probe, Clock::now());
  }
}

enum class Role : std::uint8_t { kClient, kServer, kAccepted };

void on_ready(Probe& probe, Role role, short revents, Clock::duration elapsed) {
  const Flow& flow = probe.flow;
  if (role == Role::kClient && flow.protocol == IpProtocol::kTcp && !probe.connected) {
    int error = 0;
    socklen_t length = sizeof(error);
    if (::getsockopt(probe.client.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      probe.anomaly = sys_error("tcp connect", error);  // refused or unreachable: never a silent drop
      probe.client.reset();
      return;
    }
    probe.connected = true;
    if (::send(probe.client.get(), probe.token.data(), probe.token.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(probe.token.size())) {
      probe.anomaly = sys_error("tcp send", errno);
    }
    return;
  }
  if (role == Role::kClient) {
    const auto message = receive_some(probe.client.get());
    if (!message.has_value()) {
      if ((revents & POLLERR) != 0) {
        int error = 0;
        socklen_t length = sizeof(error);
        (void)::getsockopt(probe.client.get(), SOL_SOCKET, SO_ERROR, &error, &length);
        probe.anomaly = sys_error("initiator socket error", error);
        probe.client.reset();
      }
      return;
    }
    const bool answered = flow.protocol == IpProtocol::kIcmp ? is_echo_reply(flow.family, *message, probe.token)
                                                             : *message == probe.answer();
    if (answered && !probe.reply_seen) {
      probe.reply_seen = true;
      probe.reply_after = elapsed;
    }
    return;
  }
  if (role == Role::kServer && flow.protocol == IpProtocol::kTcp) {
    probe.accepted.reset(::accept4(probe.server.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    return;
  }
  if (role == Role::kServer) {  // udp: answer every copy of the request, from where it came
    std::array<char, 2048> buffer{};
    SocketAddress from;
    from.length = sizeof(from.storage);
    const ssize_t got =
        ::recvfrom(probe.server.get(), buffer.data(), buffer.size(), MSG_DONTWAIT, from.get(), &from.length);
    if (got > 0 && std::string(buffer.data(), static_cast<std::size_t>(got)) == probe.token) {
      probe.request_seen = true;
      const std::string answer = probe.answer();
      (void)::sendto(probe.server.get(), answer.data(), answer.size(), MSG_NOSIGNAL, from.get(), from.length);
    }
    return;
  }
  const auto message = receive_some(probe.accepted.get());  // tcp, on the receiver
  if (!message.has_value()) {
    probe.accepted.reset();  // end of stream or error: nothing more to read
    return;
  }
  if (*message == probe.token) {
    probe.request_seen = true;
    const std::string answer = probe.answer();
    (void)::send(probe.accepted.get(), answer.data(), answer.size(), MSG_NOSIGNAL);
  }
}

// All probes at once in one poll loop; returns the round's duration.
Clock::duration run_round(std::vector<Probe>& probes) {
  const Clock::time_point start = Clock::now();
  const auto waiting_for_allowed = [&] {
    return std::any_of(probes.begin(), probes.end(), [](const Probe& probe) {
      return probe.flow.decision.allowed() && !probe.reply_seen && probe.anomaly.empty();
    });
  };
  std::vector<pollfd> fds;
  std::vector<std::pair<Probe*, Role>> owners;
  while (true) {
    const Clock::time_point now = Clock::now();
    const Clock::duration elapsed = now - start;
    if (elapsed >= kPassDeadline || (elapsed >= kDropWindow && !waiting_for_allowed())) {
      return elapsed;
    }
    fds.clear();
    owners.clear();
    const auto watch = [&](Probe& probe, const base::UniqueFd& fd, Role role, short events) {
      if (fd.valid()) {
        fds.push_back(pollfd{.fd = fd.get(), .events = events, .revents = 0});
        owners.emplace_back(&probe, role);
      }
    };
    for (Probe& probe : probes) {
      if (!probe.anomaly.empty()) {
        continue;
      }
      const bool tcp = probe.flow.protocol == IpProtocol::kTcp;
      if (!tcp && !probe.reply_seen && now >= probe.next_send) {
        send_request(probe, now);
      }
      watch(probe, probe.client, Role::kClient, tcp && !probe.connected ? POLLOUT : POLLIN);
      if (!(tcp && probe.accepted.valid())) {
        watch(probe, probe.server, Role::kServer, POLLIN);
      }
      watch(probe, probe.accepted, Role::kAccepted, POLLIN);
    }
    const int ready = ::poll(fds.data(), fds.size(), 10);
    if (ready < 0 && errno != EINTR) {
      ADD_FAILURE() << sys_error("poll", errno);
      return Clock::now() - start;
    }
    for (std::size_t i = 0; ready > 0 && i < fds.size(); ++i) {
      if (fds[i].revents != 0) {
        on_ready(*owners[i].first, owners[i].second, fds[i].revents, Clock::now() - start);
      }
    }
  }
}

// ---- diagnostics for a disagreement ------------------------------------------------------------

api::FilterProtocol filter_protocol(IpProtocol protocol) {
  switch (protocol) {
    case IpProtocol::kTcp: return api::FilterProtocol::kTcp;
    case IpProtocol::kUdp: return api::FilterProtocol::kUdp;
    case IpProtocol::kIcmp: return api::FilterProtocol::kIcmp;
    case IpProtocol::kOther: break;
  }
  return api::FilterProtocol::kOther;
}

std::string kernel_view(const Mesh& mesh, const Flow& flow) {
  const auto initiator = api::IpAddress::parse(tunnel_address(flow.initiator, flow.family).to_string()).value();
  const auto receiver = api::IpAddress::parse(tunnel_address(flow.receiver(), flow.family).to_string()).value();
  const auto answer = [](const api::BackendResult<bool>& result) {
    return result.has_value() ? (*result ? std::string("yes") : std::string("no")) : result.error().describe();
  };
  std::ostringstream out;
  out << "kernel: receiver's inbound set holds it: "
      << answer(mesh.filter(flow.receiver())
                    .allows(api::FlowQuery{api::FlowDirection::kInbound, initiator, receiver,
                                           filter_protocol(flow.protocol), flow.port}))
      << "; initiator's outbound set holds it: "
      << answer(mesh.filter(flow.initiator)
                    .allows(api::FlowQuery{api::FlowDirection::kOutbound, receiver, initiator,
                                           filter_protocol(flow.protocol), flow.port}));
  return out.str();
}

std::string spec_rules_for(const api::FilterSpec& spec, const std::string& remote, const std::string& local) {
  std::ostringstream out;
  for (const auto* rules : {&spec.inbound, &spec.outbound}) {
    for (const auto& rule : *rules) {
      if (rule.remote.address().to_string() == remote && rule.local.to_string() == local) {
        out << "    " << (rules == &spec.inbound ? "in " : "out ") << rule.remote.to_string() << " -> "
            << rule.local.to_string() << " " << api::to_string(rule.protocol) << " " << rule.ports.first << "-"
            << rule.ports.last << "\n";
      }
    }
  }
  return out.str();
}

// ---- the test ----------------------------------------------------------------------------------

std::optional<std::uint64_t> number_from_environment(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread starts
  if (text == nullptr || *text == '\0') {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  const char* end = text + std::strlen(text);
  const auto [last, error] = std::from_chars(text, end, value);
  if (error != std::errc{} || last != end) {
    ADD_FAILURE() << name << "=" << text << " is not a decimal number; using the default";
    return std::nullopt;
  }
  return value;
}

// Independent streams per policy (seed + index would make seeds s and s + 1 share all but one).
std::uint32_t policy_seed(std::uint32_t seed, std::size_t index) {
  std::seed_seq sequence{seed, static_cast<std::uint32_t>(index)};
  std::array<std::uint32_t, 1> out{};
  sequence.generate(out.begin(), out.end());
  return out[0];
}

struct Totals {
  std::size_t flows = 0;
  std::size_t allowed = 0;
  std::size_t denied = 0;
  std::array<std::size_t, 4> by_kind{};          // tcp, udp, icmp, ipv6 (of any protocol)
  std::array<std::size_t, 4> allowed_by_kind{};  // the same, allowed only
  std::size_t one_way = 0;                       // allowed this way, denied the other way (same protocol and port)
  std::size_t slow = 0;                          // delivered only after the drop window
  std::size_t disagreements = 0;

  void count(const Flow& flow) {
    const bool allowed_flow = flow.decision.allowed();
    ++flows;
    ++(allowed_flow ? allowed : denied);
    const std::size_t protocol = flow.protocol == IpProtocol::kTcp ? 0 : flow.protocol == IpProtocol::kUdp ? 1 : 2;
    const auto add = [&](std::size_t kind) {
      by_kind.at(kind) += 1;
      allowed_by_kind.at(kind) += allowed_flow ? 1U : 0U;
    };
    add(protocol);
    if (flow.family == IpFamily::kV6) {
      add(3);
    }
    one_way += allowed_flow && !flow.reverse_allowed ? 1U : 0U;
  }
  [[nodiscard]] std::string kind(std::size_t k) const {
    return std::to_string(allowed_by_kind.at(k)) + "/" + std::to_string(by_kind.at(k));
  }
};

TEST(FilterPropertyNetnsTest, KernelDeliversExactlyWhatEvaluateAllows) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "needs root (network namespaces, wireguard-go, nft)";
  }
  const auto run_start = Clock::now();
  const auto seed = static_cast<std::uint32_t>(number_from_environment(kSeedVariable).value_or(kDefaultSeed));
  const std::size_t policies = number_from_environment(kPoliciesVariable).value_or(kDefaultPolicies);
  std::cout << "filter property: seed " << seed << " (" << kSeedVariable << " overrides), " << policies << " policies ("
            << kPoliciesVariable << ") x " << kFlowsPerPolicy << " flows\n";
  ASSERT_LE(policies * kFlowsPerPolicy, kSourcePortCount) << "more flows than source ports";

  Mesh mesh;
  ASSERT_NO_FATAL_FAILURE(mesh.start());
  const auto setup_done = Clock::now();

  SourcePorts ports;
  Totals totals;
  for (std::size_t index = 0; index < policies; ++index) {
    Generator g(policy_seed(seed, index));
    if (index % 2 == 0) {
      g.use_wide_ports();  // ranges anywhere in 0-65535; odd policies keep the generator's small ones
    }
    const std::vector<policy::NodeRecord> nodes = random_nodes(g);
    const policy::PolicyDocument document = random_document(g);
    const std::string context =
        "policy " + std::to_string(index) + " of seed " + std::to_string(seed) + ":\n" + describe(document, nodes);
    ASSERT_TRUE(policy::check_enforceable(document).has_value()) << context;

    // Each node compiles the policy against its own state's inventory and installs its own filter,
    // as the daemon does.
    std::vector<policy::CompiledPolicy> compiled;
    std::array<api::FilterSpec, 2> specs;
    for (std::size_t k = 0; k < 2; ++k) {
      const policy::NodeState state = node_state(nodes, k);
      const auto valid = policy::validate_node_state(state);
      ASSERT_TRUE(valid.has_value()) << valid.error().describe() << "\n" << context;
      auto policy_k = policy::CompiledPolicy::compile(document, policy::inventory_of(state));
      ASSERT_TRUE(policy_k.has_value()) << policy_k.error().describe() << "\n" << context;
      auto spec = filter_spec_from(*policy_k, state);
      ASSERT_TRUE(spec.has_value()) << spec.error().describe() << "\n" << context;
      spec->generation = index + 1;
      const auto applied = mesh.filter(k).apply(*spec);
      ASSERT_TRUE(applied.has_value()) << applied.error().describe() << "\n" << context;
      specs.at(k) = std::move(*spec);
      compiled.push_back(std::move(*policy_k));
    }

    std::vector<Probe> probes;
    for (Flow flow : random_flows(g, document, kFlowsPerPolicy)) {
      flow.decision = compiled[0].evaluate(flow.request());
      ASSERT_EQ(compiled[1].evaluate(flow.request()), flow.decision) << "the two nodes' compilations disagree\n"
                                                                     << flow.to_string() << "\n"
                                                                     << context;
      Flow reverse = flow;
      reverse.initiator = flow.receiver();
      flow.reverse_allowed = compiled[0].evaluate(reverse.request()).allowed();
      Probe probe;
      probe.flow = flow;
      probe.token = "rn-" + std::to_string(index) + "-" + std::to_string(probes.size());
      probes.push_back(std::move(probe));
    }
    for (Probe& probe : probes) {
      set_up(mesh, probe, ports);
    }
    (void)run_round(probes);

    for (const Probe& probe : probes) {
      const Flow& flow = probe.flow;
      const bool allowed = flow.decision.allowed();
      totals.count(flow);
      totals.slow += probe.reply_seen && probe.reply_after > kDropWindow ? 1U : 0U;
      EXPECT_TRUE(probe.anomaly.empty()) << probe.anomaly << "\n" << flow.to_string() << "\n" << context;
      const bool arrived_observable = flow.protocol != IpProtocol::kIcmp;
      if (probe.reply_seen != allowed || (arrived_observable && probe.request_seen != allowed)) {
        ++totals.disagreements;
        const std::string initiator = tunnel_address(flow.initiator, flow.family).to_string();
        const std::string receiver = tunnel_address(flow.receiver(), flow.family).to_string();
        ADD_FAILURE() << "kernel and evaluate() disagree: " << flow.to_string() << "\n  delivered=" << probe.reply_seen
                      << " arrived at receiver=" << (arrived_observable ? (probe.request_seen ? "1" : "0") : "n/a")
                      << " source port=" << probe.source_port << "\n  " << kernel_view(mesh, flow)
                      << "\n  receiver's spec for the pair:\n"
                      << spec_rules_for(specs.at(flow.receiver()), initiator, receiver)
                      << "  initiator's spec for the pair:\n"
                      << spec_rules_for(specs.at(flow.initiator), receiver, initiator) << context;
      }
    }
  }

  const double seconds = std::chrono::duration<double>(Clock::now() - run_start).count();
  const double probing = std::chrono::duration<double>(Clock::now() - setup_done).count();
  std::cout << "filter property: seed=" << seed << " policies=" << policies << " flows=" << totals.flows
            << " allowed=" << totals.allowed << " denied=" << totals.denied << " (allowed/all: tcp " << totals.kind(0)
            << ", udp " << totals.kind(1) << ", icmp " << totals.kind(2) << ", ipv6 " << totals.kind(3) << "; one-way "
            << totals.one_way << "; slow " << totals.slow << ") disagreements=" << totals.disagreements
            << " seconds=" << seconds << " (probing " << probing << ")\n";
}

}  // namespace
}  // namespace rustynet::apps::daemon

// SPDX-License-Identifier: Apache-2.0
// KernelWgDriver against the real kernel module (runs inside the qemu VM, see docs/kernel-vm.md):
// two namespaces joined by a veth, a WireGuard interface in each, configured only through the
// driver; handshake + ping, stats, session survival across unrelated updates, 1,000+ peers.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "kernel/kernel_host.hpp"
#include "kernel/kernel_wg_driver.hpp"
#include "kernel/wireguard_link.hpp"
#include "vm_support.hpp"

namespace rustynet::backend_wireguard::kernel::vm {
namespace {

constexpr std::uint16_t kPortA = 51820;
constexpr std::uint16_t kPortB = 51821;

WgAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  WgAddress address;
  address.bytes[0] = a;
  address.bytes[1] = b;
  address.bytes[2] = c;
  address.bytes[3] = d;
  return address;
}

WgAllowedIp prefix(WgAddress address, std::uint8_t cidr) { return WgAllowedIp{address, cidr}; }

WgPublicKey key_for(std::uint32_t index) {
  WgPublicKey key;
  key.bytes.fill(0x5c);
  key.bytes[0] = static_cast<std::uint8_t>(index & 0xFFU);
  key.bytes[1] = static_cast<std::uint8_t>((index >> 8U) & 0xFFU);
  key.bytes[2] = static_cast<std::uint8_t>((index >> 16U) & 0xFFU);
  return key;
}

const WgPeerState* find_peer(const WgDeviceState& state, const WgPublicKey& key) {
  const auto found = std::find_if(state.peers.begin(), state.peers.end(),
                                  [&](const WgPeerState& peer) { return peer.public_key == key; });
  return found == state.peers.end() ? nullptr : &*found;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

class KernelVmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cleanup();
    ASSERT_EQ(ip({"netns", "add", "rn-a"}), 0);
    ASSERT_EQ(ip({"netns", "add", "rn-b"}), 0);
    ASSERT_EQ(ip({"link", "add", "veth-a", "netns", "rn-a", "type", "veth", "peer", "name", "veth-b", "netns", "rn-b"}),
              0);
    ASSERT_NO_FATAL_FAILURE(setup_side("rn-a", "veth-a", "192.168.77.1/24", "wg-a", "10.77.0.1/24"));
    ASSERT_NO_FATAL_FAILURE(setup_side("rn-b", "veth-b", "192.168.77.2/24", "wg-b", "10.77.0.2/24"));
    a_ = open_driver("rn-a", "wg-a");
    b_ = open_driver("rn-b", "wg-b");
    ASSERT_TRUE(a_ && b_);
    public_a_ = set_identity(*a_, kPortA);
    public_b_ = set_identity(*b_, kPortB);
  }

  void TearDown() override {
    a_.reset();
    b_.reset();
    cleanup();
  }

  static void cleanup() {
    (void)ip({"netns", "del", "rn-a"});
    (void)ip({"netns", "del", "rn-b"});
  }

  static void setup_side(const std::string& ns, const std::string& veth, const std::string& veth_address,
                         const std::string& wg, const std::string& wg_address) {
    ASSERT_EQ(ip({"-n", ns, "link", "set", "lo", "up"}), 0);
    ASSERT_EQ(ip({"-n", ns, "addr", "add", veth_address, "dev", veth}), 0);
    ASSERT_EQ(ip({"-n", ns, "link", "set", veth, "up"}), 0);
    {
      NetnsScope scope(ns);
      ASSERT_TRUE(scope.entered());
      const auto created = create_wireguard_link(wg);
      ASSERT_TRUE(created.has_value()) << created.error().describe();
    }
    ASSERT_EQ(ip({"-n", ns, "addr", "add", wg_address, "dev", wg}), 0);
    ASSERT_EQ(ip({"-n", ns, "link", "set", wg, "up"}), 0);
  }

  static std::unique_ptr<KernelWgDriver> open_driver(const std::string& ns, const std::string& wg) {
    NetnsScope scope(ns);
    EXPECT_TRUE(scope.entered());
    auto driver = KernelWgDriver::open(wg);
    EXPECT_TRUE(driver.has_value()) << driver.error().describe();
    return driver.has_value() ? std::move(driver).value() : nullptr;
  }

  // Sets a fresh private key and listen port; returns the public key the kernel derived.
  static WgPublicKey set_identity(KernelWgDriver& driver, std::uint16_t port) {
    WgDeviceUpdate update;
    update.private_key = random_key();
    update.listen_port = port;
    const auto applied = driver.set_device(update);
    EXPECT_TRUE(applied.has_value()) << applied.error().describe();
    const auto state = driver.get_device();
    EXPECT_TRUE(state.has_value() && state->public_key.has_value());
    EXPECT_EQ(state->listen_port, port);
    return state.has_value() && state->public_key.has_value() ? *state->public_key : WgPublicKey{};
  }

  static WgPeerUpdate peer_update(const WgPublicKey& key, WgAddress endpoint, std::uint16_t port,
                                  WgAddress tunnel_address) {
    WgPeerUpdate peer;
    peer.public_key = key;
    peer.endpoint = WgEndpoint{endpoint, port};
    peer.allowed_ips.push_back(prefix(tunnel_address, 32));
    return peer;
  }

  void connect_pair() {
    WgDeviceUpdate on_a;
    on_a.peers.push_back(peer_update(public_b_, v4(192, 168, 77, 2), kPortB, v4(10, 77, 0, 2)));
    const auto a = a_->set_device(on_a);
    ASSERT_TRUE(a.has_value()) << a.error().describe();
    WgDeviceUpdate on_b;
    on_b.peers.push_back(peer_update(public_a_, v4(192, 168, 77, 1), kPortA, v4(10, 77, 0, 1)));
    const auto b = b_->set_device(on_b);
    ASSERT_TRUE(b.has_value()) << b.error().describe();
  }

  static int ping_from_a() { return ip({"netns", "exec", "rn-a", "ping", "-c", "3", "-w", "15", "10.77.0.2"}); }

  std::unique_ptr<KernelWgDriver> a_;
  std::unique_ptr<KernelWgDriver> b_;
  WgPublicKey public_a_;
  WgPublicKey public_b_;
};

TEST_F(KernelVmTest, HandshakePingAndStatsThroughTheDriver) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  ASSERT_EQ(ping_from_a(), 0);

  const auto state = a_->get_device();
  ASSERT_TRUE(state.has_value()) << state.error().describe();
  ASSERT_EQ(state->peers.size(), 1U);
  const WgPeerState& b = state->peers[0];
  EXPECT_EQ(b.public_key, public_b_);
  EXPECT_GT(b.last_handshake_unix_seconds, 1600000000) << "a completed handshake has a wall-clock time";
  EXPECT_GT(b.rx_bytes, 0U);
  EXPECT_GT(b.tx_bytes, 0U);
  ASSERT_TRUE(b.endpoint.has_value());
  EXPECT_EQ(b.endpoint->address, v4(192, 168, 77, 2));
  EXPECT_EQ(b.endpoint->port, kPortB);
  ASSERT_EQ(b.allowed_ips.size(), 1U);
  EXPECT_EQ(b.allowed_ips[0], prefix(v4(10, 77, 0, 2), 32));
  (void)std::printf("vm-test: handshake at %lld, rx %llu tx %llu bytes\n",
                    static_cast<long long>(b.last_handshake_unix_seconds), static_cast<unsigned long long>(b.rx_bytes),
                    static_cast<unsigned long long>(b.tx_bytes));

  const auto state_b = b_->get_device();
  ASSERT_TRUE(state_b.has_value());
  ASSERT_EQ(state_b->peers.size(), 1U);
  EXPECT_GT(state_b->peers[0].last_handshake_unix_seconds, 0);
  ASSERT_TRUE(state_b->peers[0].endpoint.has_value());
  EXPECT_EQ(state_b->peers[0].endpoint->address, v4(192, 168, 77, 1));
}

TEST_F(KernelVmTest, UnrelatedPeerSessionSurvivesIncrementalUpdates) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  ASSERT_EQ(ping_from_a(), 0);
  const auto before = a_->get_device();
  ASSERT_TRUE(before.has_value());
  const WgPeerState* b_before = find_peer(*before, public_b_);
  ASSERT_NE(b_before, nullptr);
  const std::int64_t handshake = b_before->last_handshake_unix_seconds;
  const std::int64_t handshake_ns = b_before->last_handshake_nanoseconds;
  ASSERT_GT(handshake, 0);

  // Add 200 peers, then change one's allowed IPs and remove another: B is never named.
  WgDeviceUpdate add;
  for (std::uint32_t i = 0; i < 200; ++i) {
    WgPeerUpdate peer;
    peer.public_key = key_for(i);
    peer.allowed_ips.push_back(
        prefix(v4(10, 99, static_cast<std::uint8_t>(i >> 8U), static_cast<std::uint8_t>(i)), 32));
    add.peers.push_back(peer);
  }
  ASSERT_TRUE(a_->set_device(add).has_value());
  WgDeviceUpdate change;
  WgPeerUpdate moved;
  moved.public_key = key_for(7);
  moved.allowed_ips.push_back(prefix(v4(10, 98, 0, 0), 24));
  change.peers.push_back(moved);
  WgPeerUpdate removed;
  removed.public_key = key_for(8);
  removed.remove = true;
  change.peers.push_back(removed);
  ASSERT_TRUE(a_->set_device(change).has_value());

  const auto after = a_->get_device();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->peers.size(), 200U);
  const WgPeerState* b_after = find_peer(*after, public_b_);
  ASSERT_NE(b_after, nullptr);
  EXPECT_EQ(b_after->last_handshake_unix_seconds, handshake);
  EXPECT_EQ(b_after->last_handshake_nanoseconds, handshake_ns);
  EXPECT_EQ(find_peer(*after, key_for(8)), nullptr);
  const WgPeerState* seven = find_peer(*after, key_for(7));
  ASSERT_NE(seven, nullptr);
  ASSERT_EQ(seven->allowed_ips.size(), 1U);
  EXPECT_EQ(seven->allowed_ips[0], prefix(v4(10, 98, 0, 0), 24));

  // Traffic keeps flowing on the existing session: no new handshake was needed.
  ASSERT_EQ(ping_from_a(), 0);
  const auto later = a_->get_device();
  ASSERT_TRUE(later.has_value());
  const WgPeerState* b_later = find_peer(*later, public_b_);
  ASSERT_NE(b_later, nullptr);
  EXPECT_EQ(b_later->last_handshake_unix_seconds, handshake);
  EXPECT_EQ(b_later->last_handshake_nanoseconds, handshake_ns);
  EXPECT_GT(b_later->rx_bytes, b_before->rx_bytes);

  // Control: removing and re-adding B (what a replace-all does) does lose the session, so the
  // assertions above can tell the difference.
  WgDeviceUpdate drop;
  WgPeerUpdate gone;
  gone.public_key = public_b_;
  gone.remove = true;
  drop.peers.push_back(gone);
  drop.peers.push_back(peer_update(public_b_, v4(192, 168, 77, 2), kPortB, v4(10, 77, 0, 2)));
  ASSERT_TRUE(a_->set_device(drop).has_value());
  const auto dropped = a_->get_device();
  ASSERT_TRUE(dropped.has_value());
  const WgPeerState* b_dropped = find_peer(*dropped, public_b_);
  ASSERT_NE(b_dropped, nullptr);
  EXPECT_EQ(b_dropped->last_handshake_unix_seconds, 0);
}

TEST_F(KernelVmTest, ThousandsOfPeersSplitAcrossMessagesAndReadBack) {
  constexpr std::uint32_t kPeers = 1000;
  constexpr std::uint32_t kWideIps = 1500;
  WgDeviceUpdate update;
  std::map<WgPublicKey, std::vector<WgAllowedIp>> expected;
  for (std::uint32_t i = 0; i < kPeers; ++i) {
    WgPeerUpdate peer;
    peer.public_key = key_for(i);
    peer.endpoint =
        WgEndpoint{v4(192, 168, 78, static_cast<std::uint8_t>(1 + i % 250)), static_cast<std::uint16_t>(10000 + i)};
    peer.persistent_keepalive_seconds = 25;
    peer.allowed_ips.push_back(
        prefix(v4(10, 100 + static_cast<std::uint8_t>(i >> 8U), static_cast<std::uint8_t>(i), 0), 24));
    WgAddress v6;
    v6.is_v6 = true;
    v6.bytes[0] = 0xfd;
    v6.bytes[1] = 0x77;
    v6.bytes[14] = static_cast<std::uint8_t>(i >> 8U);
    v6.bytes[15] = static_cast<std::uint8_t>(i);
    peer.allowed_ips.push_back(prefix(v6, 128));
    update.peers.push_back(peer);
  }
  // One peer with so many allowed IPs that both our request and the kernel's dump split it.
  WgPeerUpdate wide;
  wide.public_key = key_for(0xABCDE);
  for (std::uint32_t i = 0; i < kWideIps; ++i) {
    wide.allowed_ips.push_back(
        prefix(v4(172, 16 + static_cast<std::uint8_t>(i >> 8U), static_cast<std::uint8_t>(i), 0), 24));
  }
  update.peers.push_back(wide);
  for (const auto& peer : update.peers) {
    auto ips = peer.allowed_ips;
    std::sort(ips.begin(), ips.end());
    expected[peer.public_key] = ips;
  }

  const auto start = std::chrono::steady_clock::now();
  const auto applied = a_->set_device(update);
  const double set_seconds = seconds_since(start);
  ASSERT_TRUE(applied.has_value()) << applied.error().describe();
  EXPECT_GT(a_->last_request_count(), 10U);

  const auto read_start = std::chrono::steady_clock::now();
  const auto state = a_->get_device();
  const double get_seconds = seconds_since(read_start);
  ASSERT_TRUE(state.has_value()) << state.error().describe();
  (void)std::printf("vm-test: %u peers + 1 with %u allowed IPs: set_device %.3f s in %zu requests, get_device %.3f s\n",
                    kPeers, kWideIps, set_seconds, a_->last_request_count(), get_seconds);
  ASSERT_EQ(state->peers.size(), expected.size());
  std::size_t checked = 0;
  for (const auto& peer : state->peers) {
    const auto found = expected.find(peer.public_key);
    ASSERT_NE(found, expected.end());
    auto ips = peer.allowed_ips;
    std::sort(ips.begin(), ips.end());
    EXPECT_EQ(ips, found->second);
    if (peer.public_key != wide.public_key) {
      EXPECT_EQ(peer.persistent_keepalive_seconds, 25);
      EXPECT_TRUE(peer.endpoint.has_value());
    }
    ++checked;
  }
  EXPECT_EQ(checked, kPeers + 1);
}

TEST_F(KernelVmTest, FailurePathsAreTypedErrors) {
  {
    NetnsScope scope("rn-a");
    ASSERT_TRUE(scope.entered());
    const auto collision = create_wireguard_link("wg-a");
    ASSERT_FALSE(collision.has_value());
    EXPECT_EQ(collision.error().error_number, EEXIST);
  }
  auto missing = open_driver("rn-a", "rn-missing0");
  ASSERT_TRUE(missing);
  const auto get = missing->get_device();
  ASSERT_FALSE(get.has_value());
  EXPECT_EQ(get.error().error_number, ENODEV) << get.error().describe();
  WgDeviceUpdate update;
  update.private_key = random_key();
  const auto set = missing->set_device(update);
  ASSERT_FALSE(set.has_value());
  EXPECT_EQ(set.error().error_number, ENODEV);
  EXPECT_NE(set.error().describe().find("WG_CMD_SET_DEVICE rn-missing0"), std::string::npos);

  {
    NetnsScope scope("rn-a");
    ASSERT_TRUE(scope.entered());
    const auto deleted = delete_link("wg-a");
    ASSERT_TRUE(deleted.has_value()) << deleted.error().describe();
    const auto again = delete_link("wg-a");
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().error_number, ENODEV);
  }
  const auto after_delete = a_->get_device();
  ASSERT_FALSE(after_delete.has_value());
  EXPECT_EQ(after_delete.error().error_number, ENODEV);
}

TEST_F(KernelVmTest, DetectsTheLoadedModule) {
  const auto here = kernel_wireguard_available(std::nullopt);
  ASSERT_TRUE(here.has_value()) << here.error().describe();
  EXPECT_TRUE(*here);
  const auto in_namespace = kernel_wireguard_available(std::string("/run/netns/rn-b"));
  ASSERT_TRUE(in_namespace.has_value()) << in_namespace.error().describe();
  EXPECT_TRUE(*in_namespace);
}

TEST_F(KernelVmTest, KernelHostManagesTheLinkInsideANamespace) {
  KernelHostOptions options;
  options.netns_path = "/run/netns/rn-a";
  {
    KernelHost host(options);
    const auto created = host.create("rn-host0");
    ASSERT_TRUE(created.has_value()) << created.error().error.describe();
    EXPECT_EQ(ip({"-n", "rn-a", "link", "show", "rn-host0"}), 0);
    WgDeviceUpdate update;
    update.private_key = random_key();
    update.listen_port = 40000;
    ASSERT_TRUE(host.driver().set_device(update).has_value());
    const auto state = host.driver().get_device();
    ASSERT_TRUE(state.has_value());
    EXPECT_TRUE(state->public_key.has_value());
    EXPECT_EQ(state->listen_port, 40000);

    KernelHost rival(options);
    const auto collision = rival.create("rn-host0");
    ASSERT_FALSE(collision.has_value());
    EXPECT_EQ(collision.error().failure, HostFailure::kNameInUse);
    rival.destroy();
    EXPECT_EQ(ip({"-n", "rn-a", "link", "show", "rn-host0"}), 0)
        << "a failed create never deletes a link it did not make";
  }
  EXPECT_NE(ip({"-n", "rn-a", "link", "show", "rn-host0"}), 0) << "destroy removed the link";
  EXPECT_NE(ip({"link", "show", "rn-host0"}), 0) << "nothing was created outside the namespace";
}

}  // namespace
}  // namespace rustynet::backend_wireguard::kernel::vm

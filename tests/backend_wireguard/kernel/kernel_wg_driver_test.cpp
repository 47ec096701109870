// SPDX-License-Identifier: Apache-2.0
// KernelWgDriver request/ack/dump loops against a scripted in-memory kernel.
#include "kernel/kernel_wg_driver.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "fake_kernel.hpp"
#include "kernel/wireguard_link.hpp"

namespace rustynet::backend_wireguard::kernel {
namespace {

using testing::Bytes;
using testing::FakeKernel;
using testing::FakeNetlinkSocket;

struct Harness {
  FakeKernel kernel;
  std::vector<Bytes> sent;
  KernelWgDriver driver;

  explicit Harness(KernelWgDriverOptions options = {})
      : driver("wg0",
               std::make_unique<FakeNetlinkSocket>(
                   [this](std::span<const std::uint8_t> r) { return kernel.respond(r); }, &sent),
               options) {}
};

WgDeviceUpdate many_peers(std::uint32_t count, std::size_t ips_each) {
  WgDeviceUpdate update;
  update.private_key = base::SecretBytes(Bytes(32, 0x5a));
  update.listen_port = 51820;
  for (std::uint32_t i = 0; i < count; ++i) {
    WgPeerUpdate peer;
    peer.public_key = testing::key_for(i);
    for (std::size_t j = 0; j < ips_each; ++j) {
      peer.allowed_ips.push_back(testing::v4_prefix(10, static_cast<std::uint8_t>(i >> 8U),
                                                    static_cast<std::uint8_t>(i & 0xFFU), static_cast<std::uint8_t>(j),
                                                    32));
    }
    update.peers.push_back(peer);
  }
  return update;
}

bool contains(const Bytes& haystack, const Bytes& needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) != haystack.end();
}

TEST(KernelWgDriver, AppliesAndReadsBackThousandPeersThroughSplitMessages) {
  KernelWgDriverOptions options;
  options.max_message_size = 1024;
  Harness h(options);
  h.kernel.peers_per_message = 7;
  h.kernel.ips_per_chunk = 2;
  const WgDeviceUpdate update = many_peers(1000, 3);
  const auto applied = h.driver.set_device(update);
  ASSERT_TRUE(applied.has_value()) << applied.error().describe();
  EXPECT_GT(h.driver.last_request_count(), 100U);
  EXPECT_EQ(h.kernel.set_requests, h.driver.last_request_count());

  const auto state = h.driver.get_device();
  ASSERT_TRUE(state.has_value()) << state.error().describe();
  ASSERT_EQ(state->peers.size(), 1000U);
  for (std::uint32_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(state->peers[i].public_key, testing::key_for(i));
    EXPECT_EQ(state->peers[i].allowed_ips, update.peers[i].allowed_ips);
  }
  EXPECT_EQ(state->listen_port, 51820);
  EXPECT_EQ(h.kernel.family_requests, 1U) << "family id is resolved once and cached";
}

TEST(KernelWgDriver, PrivateKeyOnlyInTheFirstRequestAndNeverInErrors) {
  KernelWgDriverOptions options;
  options.max_message_size = 1024;
  Harness h(options);
  h.kernel.fail_set_request = 3;
  const auto applied = h.driver.set_device(many_peers(100, 1));
  ASSERT_FALSE(applied.has_value());
  EXPECT_EQ(applied.error().error_number, EINVAL);
  const std::string text = applied.error().describe();
  EXPECT_NE(text.find("WG_CMD_SET_DEVICE wg0 (request 3 of"), std::string::npos) << text;
  EXPECT_EQ(text.find("5a5a"), std::string::npos);
  EXPECT_EQ(text.find("ZZZZ"), std::string::npos);
  // Stopped at the failing request: nothing after it was sent.
  EXPECT_EQ(h.kernel.set_requests, 3U);
  EXPECT_EQ(h.driver.last_request_count(), 3U);
  const Bytes key(32, 0x5a);
  std::size_t with_key = 0;
  for (const auto& request : h.sent) {
    with_key += contains(request, key) ? 1U : 0U;
  }
  EXPECT_EQ(with_key, 1U);
  EXPECT_TRUE(contains(h.sent[1], key)) << "sent[0] is the family lookup, sent[1] the first SET_DEVICE";
}

TEST(KernelWgDriver, IncrementalUpdateTouchesOnlyNamedPeers) {
  Harness h;
  ASSERT_TRUE(h.driver.set_device(many_peers(3, 1)).has_value());
  WgDeviceUpdate change;
  WgPeerUpdate remove;
  remove.public_key = testing::key_for(0);
  remove.remove = true;
  change.peers.push_back(remove);
  WgPeerUpdate extend;
  extend.public_key = testing::key_for(2);
  extend.replace_allowed_ips = false;
  extend.allowed_ips.push_back(testing::v4_prefix(192, 168, 7, 0, 24));
  change.peers.push_back(extend);
  ASSERT_TRUE(h.driver.set_device(change).has_value());
  const auto state = h.driver.get_device();
  ASSERT_TRUE(state.has_value());
  ASSERT_EQ(state->peers.size(), 2U);
  EXPECT_EQ(state->peers[0].public_key, testing::key_for(1));
  EXPECT_EQ(state->peers[0].allowed_ips.size(), 1U);
  EXPECT_EQ(state->peers[1].allowed_ips.size(), 2U);
}

TEST(KernelWgDriver, RetriesInterruptedDumps) {
  Harness h;
  ASSERT_TRUE(h.driver.set_device(many_peers(10, 1)).has_value());
  h.kernel.interrupt_dumps = 2;
  const auto state = h.driver.get_device();
  ASSERT_TRUE(state.has_value()) << state.error().describe();
  EXPECT_EQ(state->peers.size(), 10U);

  h.kernel.interrupt_dumps = 100;
  const auto gave_up = h.driver.get_device();
  ASSERT_FALSE(gave_up.has_value());
  EXPECT_EQ(gave_up.error().error_number, EINTR);
}

TEST(KernelWgDriver, MissingModuleIsATypedError) {
  Harness h;
  h.kernel.module_loaded = false;
  const auto state = h.driver.get_device();
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().error_number, ENOENT);
  EXPECT_NE(state.error().describe().find("module"), std::string::npos);
}

TEST(KernelWgDriver, SocketFailureCarriesOperationAndErrno) {
  // A kernel that never answers: the receive times out (EAGAIN in the fake).
  KernelWgDriver driver(
      "wg0", std::make_unique<FakeNetlinkSocket>([](std::span<const std::uint8_t>) { return std::vector<Bytes>{}; }));
  const auto state = driver.get_device();
  ASSERT_FALSE(state.has_value());
  EXPECT_EQ(state.error().error_number, EAGAIN);
  EXPECT_NE(state.error().operation.find("CTRL_CMD_GETFAMILY"), std::string::npos);
}

TEST(WireguardLink, CreateRequestMatchesKnownBytes) {
  const auto request = build_create_link_request("wg0", 5);
  ASSERT_TRUE(request.has_value());
  const Bytes expected = {
      0x3c, 0x00, 0x00, 0x00,                          // len 60
      0x10, 0x00,                                      // RTM_NEWLINK
      0x05, 0x06,                                      // NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE
      0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq 5, port id
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // ifinfomsg: AF_UNSPEC, type, index 0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // flags, change
      0x08, 0x00, 0x03, 0x00, 'w',  'g',  '0',  0x00,  // IFLA_IFNAME
      0x14, 0x00, 0x12, 0x80,                          // IFLA_LINKINFO nest, len 20
      0x0e, 0x00, 0x01, 0x00,                          // IFLA_INFO_KIND, len 14
      'w',  'i',  'r',  'e',  'g',  'u',  'a',  'r',  'd', 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(Bytes(request->bytes().begin(), request->bytes().end()), expected);
}

TEST(WireguardLink, CollisionIsEexistAndDeleteSendsDellink) {
  std::vector<Bytes> sent;
  FakeNetlinkSocket socket(
      [](std::span<const std::uint8_t> request) {
        return std::vector<Bytes>{testing::error_message(testing::seq_of(request), EEXIST)};
      },
      &sent);
  const auto created = create_wireguard_link(socket, "wg0", 1);
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().error_number, EEXIST);
  EXPECT_NE(created.error().operation.find("RTM_NEWLINK"), std::string::npos);

  FakeNetlinkSocket ok(
      [](std::span<const std::uint8_t> request) {
        return std::vector<Bytes>{testing::error_message(testing::seq_of(request), 0)};
      },
      &sent);
  ASSERT_TRUE(delete_link(ok, "wg0", 2).has_value());
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_EQ(testing::type_of(sent[1]), 17U);  // RTM_DELLINK
  EXPECT_FALSE(build_delete_link_request("", 1).has_value());
}

}  // namespace
}  // namespace rustynet::backend_wireguard::kernel

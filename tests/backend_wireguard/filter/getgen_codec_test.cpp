// SPDX-License-Identifier: Apache-2.0
// NFT_MSG_GETGEN codec: the request's header and the reply's generation, errors and strays (the
// real kernel answers in the netns tests, which read the generation of their own namespaces).
#include "filter/getgen_codec.hpp"

#include <gtest/gtest.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <vector>

namespace rustynet::backend_wireguard::filter {
namespace {

constexpr std::uint16_t kNewGen = (NFNL_SUBSYS_NFTABLES << 8U) | NFT_MSG_NEWGEN;

void put_u16(std::vector<std::uint8_t>& out, std::uint16_t value) {  // host order (little endian here)
  out.push_back(static_cast<std::uint8_t>(value & 0xFFU));
  out.push_back(static_cast<std::uint8_t>(value >> 8U));
}
void put_u32(std::vector<std::uint8_t>& out, std::uint32_t value) {
  for (unsigned shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<std::uint8_t>((value >> shift) & 0xFFU));
  }
}

// One netlink message: header, then `payload`, padded to 4 bytes.
std::vector<std::uint8_t> message(std::uint16_t type, std::uint32_t seq, const std::vector<std::uint8_t>& payload) {
  std::vector<std::uint8_t> out;
  put_u32(out, static_cast<std::uint32_t>(16 + payload.size()));
  put_u16(out, type);
  put_u16(out, 0);
  put_u32(out, seq);
  put_u32(out, 0);
  out.insert(out.end(), payload.begin(), payload.end());
  while (out.size() % 4 != 0) {
    out.push_back(0);
  }
  return out;
}

// nfgenmsg + NFTA_GEN_ID (big endian), as the kernel sends it.
std::vector<std::uint8_t> newgen_payload(std::uint32_t id, std::size_t id_bytes = 4) {
  std::vector<std::uint8_t> out{0, NFNETLINK_V0, 0, 0};
  put_u16(out, static_cast<std::uint16_t>(4 + id_bytes));
  put_u16(out, NFTA_GEN_ID);
  for (std::size_t i = 0; i < id_bytes; ++i) {
    out.push_back(static_cast<std::uint8_t>(id >> (8U * static_cast<unsigned>(id_bytes - 1 - i))));
  }
  while (out.size() % 4 != 0) {
    out.push_back(0);
  }
  return out;
}

std::vector<std::uint8_t> error_payload(int error_number) {
  std::vector<std::uint8_t> out;
  put_u32(out, static_cast<std::uint32_t>(-error_number));
  out.resize(out.size() + 16, 0);  // the echoed request header
  return out;
}

TEST(RulesetGenerationCodecTest, TheRequestIsAGetgenOfTheNftablesSubsystem) {
  const kernel::NetlinkBuffer request = build_getgen_request(77);
  const auto bytes = request.bytes();
  ASSERT_EQ(bytes.size(), 20U);
  EXPECT_EQ(bytes[0], 20U);  // nlmsg_len
  EXPECT_EQ(bytes[4] | (bytes[5] << 8), (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN);
  EXPECT_EQ(bytes[6] | (bytes[7] << 8), NLM_F_REQUEST);  // no dump, no ack needed
  EXPECT_EQ(bytes[8], 77U);                              // seq
  EXPECT_EQ(bytes[17], NFNETLINK_V0);
}

TEST(RulesetGenerationCodecTest, ReadsTheBigEndianGenerationOfItsOwnReply) {
  const auto reply = message(kNewGen, 5, newgen_payload(0x01020304U));
  const auto generation = parse_getgen_reply(reply, 5);
  ASSERT_TRUE(generation.has_value());
  EXPECT_EQ(generation.value(), std::optional<std::uint32_t>(0x01020304U));
}

TEST(RulesetGenerationCodecTest, SkipsRepliesToOtherRequestsAndAcks) {
  std::vector<std::uint8_t> datagram = message(kNewGen, 4, newgen_payload(9));
  const auto ack = message(NLMSG_ERROR, 5, error_payload(0));
  datagram.insert(datagram.end(), ack.begin(), ack.end());
  const auto generation = parse_getgen_reply(datagram, 5);
  ASSERT_TRUE(generation.has_value());
  EXPECT_FALSE(generation.value().has_value());
}

TEST(RulesetGenerationCodecTest, AKernelErrorIsAnErrorWithItsErrno) {
  const auto reply = message(NLMSG_ERROR, 5, error_payload(EPERM));
  const auto generation = parse_getgen_reply(reply, 5);
  ASSERT_FALSE(generation.has_value());
  EXPECT_EQ(generation.error().error_number, EPERM);
}

TEST(RulesetGenerationCodecTest, MalformedRepliesAreErrorsNeverGuesses) {
  EXPECT_FALSE(parse_getgen_reply(message(kNewGen, 5, newgen_payload(9, 2)), 5).has_value());     // short id
  EXPECT_FALSE(parse_getgen_reply(message(kNewGen, 5, {0, 0}), 5).has_value());                   // no nfgenmsg
  EXPECT_FALSE(parse_getgen_reply(message(kNewGen, 5, {0, NFNETLINK_V0, 0, 0}), 5).has_value());  // no id
  auto truncated = message(kNewGen, 5, newgen_payload(9));
  truncated.resize(truncated.size() - 2);
  EXPECT_FALSE(parse_getgen_reply(truncated, 5).has_value());
}

}  // namespace
}  // namespace rustynet::backend_wireguard::filter

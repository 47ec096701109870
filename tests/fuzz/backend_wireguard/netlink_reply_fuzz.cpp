// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the kernel driver's netlink reply parsers: the generic-netlink device dump
// (DeviceDumpParser), the family lookup reply, the nftables ruleset generation reply of the packet
// filter, ACKs, and the rtnetlink link/address/route dump
// parsers. Kernel replies are trusted less than they look: a fuzzed reply must never crash the
// daemon, and whatever parses must survive a round trip through the request encoders.
//
// Input: a mode byte, then datagrams as [length/4 byte][bytes]; each datagram is copied into its
// own heap buffer (netlink parsing needs 4-byte alignment, as recv() into a vector gives).
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "filter/getgen_codec.hpp"
#include "fuzz_support.hpp"
#include "kernel/genl_wireguard.hpp"
#include "kernel/netlink_message.hpp"
#include "rtnl.hpp"
#include "wg_model.hpp"

namespace tunnel = rustynet::backend_wireguard;
namespace kernel = rustynet::backend_wireguard::kernel;

namespace {

constexpr std::uint16_t kFamilyId = 0x1B;
constexpr std::uint32_t kSeq = 7;

void put_u32(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint32_t value) {
  const auto raw = std::bit_cast<std::array<std::uint8_t, 4>>(value);
  std::copy(raw.begin(), raw.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
}

void put_u16(std::vector<std::uint8_t>& bytes, std::size_t offset, std::uint16_t value) {
  const auto raw = std::bit_cast<std::array<std::uint8_t, 2>>(value);
  std::copy(raw.begin(), raw.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offset));
}

// NLMSG_DONE with status 0 for kSeq.
std::vector<std::uint8_t> done_message() {
  std::vector<std::uint8_t> bytes(NLMSG_HDRLEN + 4, 0);
  put_u32(bytes, 0, static_cast<std::uint32_t>(bytes.size()));
  put_u16(bytes, 4, NLMSG_DONE);
  put_u16(bytes, 6, NLM_F_MULTI);
  put_u32(bytes, 8, kSeq);
  return bytes;
}

// The settable part of a dumped device, as the update that would configure it.
tunnel::WgDeviceUpdate update_for(const tunnel::WgDeviceState& state) {
  tunnel::WgDeviceUpdate update;
  update.listen_port = state.listen_port;
  update.fwmark = state.fwmark;
  for (const auto& peer : state.peers) {
    tunnel::WgPeerUpdate entry;
    entry.public_key = peer.public_key;
    entry.endpoint = peer.endpoint;
    entry.persistent_keepalive_seconds = peer.persistent_keepalive_seconds;
    entry.allowed_ips = peer.allowed_ips;
    update.peers.push_back(std::move(entry));
  }
  return update;
}

// Dump -> update -> WG_CMD_SET_DEVICE requests -> the same messages presented as a dump reply
// (command and sequence patched) -> DeviceDumpParser: the settable fields come back unchanged,
// also when small messages split peers across continuation messages.
void check_round_trip(const tunnel::WgDeviceState& state, std::size_t max_message_size) {
  auto requests = kernel::build_set_device_requests(kFamilyId, "rn0", update_for(state), 1, max_message_size);
  FUZZ_CHECK(requests.has_value());
  kernel::DeviceDumpParser parser(kFamilyId, kSeq, "fuzz round trip");
  for (const auto& request : *requests) {
    std::vector<std::uint8_t> bytes(request.bytes().begin(), request.bytes().end());
    FUZZ_CHECK(bytes.size() > NLMSG_HDRLEN + GENL_HDRLEN);
    put_u32(bytes, 8, kSeq);
    bytes[NLMSG_HDRLEN] = WG_CMD_GET_DEVICE;
    auto progress = parser.feed(bytes);
    FUZZ_CHECK(progress.has_value() && *progress == kernel::ReplyProgress::kMore);
  }
  auto progress = parser.feed(done_message());
  FUZZ_CHECK(progress.has_value() && *progress == kernel::ReplyProgress::kDone);
  const tunnel::WgDeviceState& again = parser.state();
  FUZZ_CHECK(again.listen_port == state.listen_port && again.fwmark == state.fwmark);
  FUZZ_CHECK(again.peers.size() == state.peers.size());
  for (std::size_t i = 0; i < state.peers.size(); ++i) {
    FUZZ_CHECK(again.peers[i].public_key == state.peers[i].public_key);
    FUZZ_CHECK(again.peers[i].endpoint == state.peers[i].endpoint);
    FUZZ_CHECK(again.peers[i].persistent_keepalive_seconds == state.peers[i].persistent_keepalive_seconds);
    FUZZ_CHECK(again.peers[i].allowed_ips == state.peers[i].allowed_ips);
  }
}

// Consecutive dump entries for the same key are merged by the parser, so a round trip can only
// reproduce states without such neighbours.
bool has_adjacent_duplicate(const tunnel::WgDeviceState& state) {
  for (std::size_t i = 1; i < state.peers.size(); ++i) {
    if (state.peers[i].public_key == state.peers[i - 1].public_key) {
      return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rustynet::fuzz::FuzzInput input(data, size);
  const std::uint8_t mode = input.take_byte();
  std::vector<std::vector<std::uint8_t>> datagrams;
  while (!input.empty() && datagrams.size() < 16) {
    const std::size_t length = std::size_t{input.take_byte()} * 4U;
    const auto rest = input.rest();
    const std::size_t taken = std::min(length, rest.size());
    datagrams.emplace_back(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(taken));
    input = rustynet::fuzz::FuzzInput(rest.data() + taken, rest.size() - taken);
  }

  switch (mode % 4U) {
    case 0: {
      kernel::DeviceDumpParser parser(kFamilyId, kSeq, "fuzz dump");
      bool done = false;
      for (const auto& datagram : datagrams) {
        auto progress = parser.feed(datagram);
        if (!progress.has_value()) {
          return 0;
        }
        if (*progress == kernel::ReplyProgress::kDone) {
          done = true;
          break;
        }
      }
      if (!done) {
        return 0;
      }
      // Once done, the parser stays done.
      auto after = parser.feed(done_message());
      FUZZ_CHECK(after.has_value() && *after == kernel::ReplyProgress::kDone);
      const tunnel::WgDeviceState& state = parser.state();
      for (const auto& peer : state.peers) {
        for (const auto& allowed_ip : peer.allowed_ips) {
          FUZZ_CHECK(allowed_ip.cidr <= (allowed_ip.address.is_v6 ? 128U : 32U));
        }
      }
      if (!has_adjacent_duplicate(state)) {
        check_round_trip(state, kernel::kMinMaxMessageSize + static_cast<std::size_t>(mode >> 2U) * 256U);
      }
      break;
    }
    case 1:
      for (const auto& datagram : datagrams) {
        (void)rustynet::backend_wireguard::filter::parse_getgen_reply(datagram, kSeq);
        auto family = kernel::parse_get_family_reply(datagram, kSeq);
        if (!family.has_value() || family->has_value()) {
          break;
        }
      }
      break;
    case 2:
      for (const auto& datagram : datagrams) {
        auto ack = kernel::parse_ack(datagram, kSeq, "fuzz ack");
        if (ack.has_value() && *ack == kernel::ReplyProgress::kDone) {
          break;
        }
        if (!ack.has_value()) {
          FUZZ_CHECK(ack.error().error_number >= 0);
          break;
        }
      }
      break;
    default: {
      const int index = 1 + (mode >> 2U);
      for (const auto& datagram : datagrams) {
        (void)tunnel::parse_link_message(datagram);
        if (auto address = tunnel::parse_address_message(datagram); address.has_value()) {
          const auto rebuilt = tunnel::build_address(1, true, address->first, address->second);
          auto again = tunnel::parse_address_message(rebuilt);
          FUZZ_CHECK(again.has_value() && *again == *address);
        }
        if (auto route = tunnel::parse_route_message(datagram, index); route.has_value()) {
          const auto rebuilt = tunnel::build_route(1, true, index, *route);
          auto again = tunnel::parse_route_message(rebuilt, index);
          FUZZ_CHECK(again.has_value() && *again == *route);
        }
      }
      break;
    }
  }
  return 0;
}

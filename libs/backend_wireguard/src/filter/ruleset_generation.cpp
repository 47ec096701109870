// SPDX-License-Identifier: Apache-2.0
// NFT_MSG_GETGEN over a netlink socket kept between reads.
#include "filter/ruleset_generation.hpp"

#include <linux/netlink.h>

#include <cerrno>

#include "filter/getgen_codec.hpp"
#include "kernel/kernel_host.hpp"
#include "kernel/netlink_socket.hpp"

namespace rustynet::backend_wireguard::filter {
namespace {

constexpr std::string_view kOperation = kGetGenOperation;
constexpr int kMaxDatagrams = 8;

class NetlinkRulesetGeneration final : public RulesetGeneration {
 public:
  explicit NetlinkRulesetGeneration(std::optional<std::string> netns_path) : netns_path_(std::move(netns_path)) {}

  base::Result<std::uint32_t, std::string> read() override {
    auto generation = round_trip();
    if (!generation.has_value()) {
      socket_.reset();  // a reply of this request may still arrive: never reuse the socket
      return base::unexpected(generation.error().describe());
    }
    return *generation;
  }

 private:
  base::Result<std::uint32_t, WgError> round_trip() {
    if (!socket_) {
      auto opened = kernel::open_netlink_socket_in(NETLINK_NETFILTER, netns_path_);
      if (!opened.has_value()) {
        return base::unexpected(std::move(opened).error());
      }
      socket_ = std::move(opened).value();
    }
    const std::uint32_t seq = ++seq_;
    const kernel::NetlinkBuffer request = build_getgen_request(seq);
    if (auto sent = socket_->send(request.bytes()); !sent.has_value()) {
      return base::unexpected(kernel::make_error(kOperation, sent.error().error_number, sent.error().operation));
    }
    kernel::NetlinkBuffer reply(kernel::kReceiveBufferSize);
    for (int i = 0; i < kMaxDatagrams; ++i) {
      auto received = socket_->receive(reply.storage());
      if (!received.has_value()) {
        return base::unexpected(
            kernel::make_error(kOperation, received.error().error_number, received.error().operation));
      }
      reply.set_size(*received);
      RUSTYNET_ASSIGN_OR_RETURN(const std::optional<std::uint32_t> generation, parse_getgen_reply(reply.bytes(), seq));
      if (generation.has_value()) {
        return *generation;
      }
    }
    return base::unexpected(kernel::make_error(kOperation, EPROTO, "no reply to the request"));
  }

  std::optional<std::string> netns_path_;
  std::unique_ptr<kernel::NetlinkSocket> socket_;
  std::uint32_t seq_ = 0;
};

}  // namespace

std::unique_ptr<RulesetGeneration> make_netlink_ruleset_generation(std::optional<std::string> netns_path) {
  return std::make_unique<NetlinkRulesetGeneration>(std::move(netns_path));
}

}  // namespace rustynet::backend_wireguard::filter

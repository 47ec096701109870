// SPDX-License-Identifier: Apache-2.0
// Interface plumbing over rtnetlink (libmnl): links, addresses, routes. No shelling out to ip(8).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rustynet/base/result.hpp"
#include "wg_model.hpp"

struct mnl_socket;

namespace rustynet::backend_wireguard {

// Routes we install carry this rtm_protocol, so a dump tells ours apart from anyone else's
// (kernel subnet routes, an operator's static routes) and replace-all never touches theirs.
inline constexpr std::uint8_t kRouteProtocol = 142;
// IFLA_IFALIAS written on every interface we bring up; together with the configured name prefix it
// proves (after a crash) that a leftover interface is ours and may be deleted.
inline constexpr std::string_view kOwnershipAlias = "rustynet-managed";

struct NetPrefix {
  WgAddress address;
  std::uint8_t length = 0;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend bool operator==(const NetPrefix&, const NetPrefix&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend auto operator<=>(const NetPrefix&, const NetPrefix&) = default;
};

struct LinkInfo {
  int index = 0;
  std::string name;
  std::uint32_t flags = 0;  // IFF_*
  std::uint32_t mtu = 0;
  std::string alias;  // IFLA_IFALIAS, empty if unset
};

struct RouteEntry {
  NetPrefix destination;
  std::optional<WgAddress> gateway;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend bool operator==(const RouteEntry&, const RouteEntry&) = default;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 false positive on defaulted comparisons
  friend auto operator<=>(const RouteEntry&, const RouteEntry&) = default;
};

// Pure message builders (unit-tested against known byte layouts). Each returns one complete
// netlink message with NLM_F_REQUEST|NLM_F_ACK and the given sequence number.
struct LinkChange {
  int index = 0;
  std::optional<bool> up;
  std::optional<std::uint32_t> mtu;
  std::optional<std::string> alias;
};
[[nodiscard]] std::vector<std::uint8_t> build_link_change(std::uint32_t seq, const LinkChange& change);
[[nodiscard]] std::vector<std::uint8_t> build_link_delete(std::uint32_t seq, int index);
[[nodiscard]] std::vector<std::uint8_t> build_address(std::uint32_t seq, bool add, int index, const NetPrefix& prefix);
[[nodiscard]] std::vector<std::uint8_t> build_route(std::uint32_t seq, bool add, int index, const RouteEntry& route);

// Parsers for dump replies (also unit-tested): one message in, one entry out (nullopt to skip).
[[nodiscard]] std::optional<LinkInfo> parse_link_message(std::span<const std::uint8_t> message);
[[nodiscard]] std::optional<std::pair<int, NetPrefix>> parse_address_message(std::span<const std::uint8_t> message);
// Returns routes of the main table with kRouteProtocol on `index` only.
[[nodiscard]] std::optional<RouteEntry> parse_route_message(std::span<const std::uint8_t> message, int index);

// One NETLINK_ROUTE socket, opened inside a given network namespace (or the caller's). Every
// request is acknowledged; errors carry the request name and the kernel's errno. Not thread-safe.
class Rtnl {
 public:
  [[nodiscard]] static base::Result<Rtnl, WgError> open(const std::optional<std::string>& netns_path);
  Rtnl(Rtnl&&) noexcept;
  Rtnl& operator=(Rtnl&&) noexcept;
  ~Rtnl();

  [[nodiscard]] base::Result<std::vector<LinkInfo>, WgError> dump_links();
  [[nodiscard]] base::Result<std::optional<LinkInfo>, WgError> find_link(const std::string& name);
  [[nodiscard]] base::Status<WgError> change_link(const LinkChange& change);
  [[nodiscard]] base::Status<WgError> delete_link(int index);

  [[nodiscard]] base::Result<std::vector<NetPrefix>, WgError> dump_addresses(int index);
  [[nodiscard]] base::Status<WgError> add_address(int index, const NetPrefix& prefix);
  [[nodiscard]] base::Status<WgError> delete_address(int index, const NetPrefix& prefix);

  // Our routes (kRouteProtocol, main table) on `index`, both families.
  [[nodiscard]] base::Result<std::vector<RouteEntry>, WgError> dump_routes(int index);
  [[nodiscard]] base::Status<WgError> add_route(int index, const RouteEntry& route);
  [[nodiscard]] base::Status<WgError> delete_route(int index, const RouteEntry& route);

 private:
  struct SocketCloser {
    void operator()(mnl_socket* socket) const noexcept;
  };
  explicit Rtnl(std::unique_ptr<mnl_socket, SocketCloser> socket, std::uint32_t port_id) noexcept;

  [[nodiscard]] base::Status<WgError> request(std::vector<std::uint8_t> message, const std::string& operation);
  // Sends a dump request and hands every reply message to `on_message`.
  template <class F>
  [[nodiscard]] base::Status<WgError> dump(std::uint16_t type, std::uint8_t family, const std::string& operation,
                                           F&& on_message);

  std::unique_ptr<mnl_socket, SocketCloser> socket_;
  std::uint32_t port_id_ = 0;
  std::uint32_t seq_ = 0;
};

[[nodiscard]] std::string format_prefix(const NetPrefix& prefix);

}  // namespace rustynet::backend_wireguard

// SPDX-License-Identifier: Apache-2.0
// Real packets for the packet-filter netns tests: TCP and UDP sockets created inside a namespace,
// every wait bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "rustynet/base/unique_fd.hpp"

namespace rustynet::backend_wireguard::testing {

using std::chrono::milliseconds;

// A socket created inside `netns_path` (a helper thread enters the namespace for socket() only).
// The socket belongs to that namespace wherever it is used from afterwards.
base::UniqueFd socket_in_netns(const std::string& netns_path, int domain, int type);

// Listening TCP socket on address:port inside the namespace.
base::UniqueFd tcp_listen(const std::string& netns_path, const std::string& address, std::uint16_t port);

enum class ConnectOutcome {
  kConnected,
  kTimedOut,     // no answer: what a dropped SYN (or SYN-ACK) looks like
  kRefused,      // an answer, but a reset or an ICMP error
  kSetupFailed,  // the probe itself could not be set up (a test bug, never a filter verdict)
};

struct Connection {
  ConnectOutcome outcome = ConnectOutcome::kSetupFailed;
  base::UniqueFd fd;  // valid iff kConnected (blocking mode)
};

// Connects from the namespace to address:port within `timeout`, from `source_port` if non-zero.
Connection tcp_connect(const std::string& netns_path, const std::string& address, std::uint16_t port,
                       milliseconds timeout, std::uint16_t source_port = 0);

// The next connection on `listener` within `timeout` (invalid if none).
base::UniqueFd accept_within(int listener, milliseconds timeout);

// UDP socket bound to address:port inside the namespace.
base::UniqueFd udp_bind(const std::string& netns_path, const std::string& address, std::uint16_t port);

bool send_text(int fd, const std::string& text);
bool udp_send_to(int fd, const std::string& address, std::uint16_t port, const std::string& text);

// Whatever arrives on `fd` within `timeout`; nullopt if nothing (or end of stream).
std::optional<std::string> receive_within(int fd, milliseconds timeout);

// For UDP: a datagram and the port it came from.
struct Datagram {
  std::string text;
  std::uint16_t source_port = 0;
};
std::optional<Datagram> receive_datagram_within(int fd, milliseconds timeout);

// Flows between two namespaces, for the filter tests (TCP listeners and UDP receivers are set up
// in `to_netns` first). A probe socket that cannot be created is reported as a test failure
// (ADD_FAILURE) and makes every check false, so a broken probe never reads as "dropped".

// `from_netns` connects to address:port; true iff the connection is established within `timeout`
// and carries data both ways.
bool tcp_exchange(const std::string& from_netns, const std::string& to_netns, const std::string& address,
                  std::uint16_t port, milliseconds timeout);
// `from_netns`'s SYN to address:port gets no answer at all within `timeout` (dropped, not refused).
bool tcp_syn_dropped(const std::string& from_netns, const std::string& to_netns, const std::string& address,
                     std::uint16_t port, milliseconds timeout);
// A datagram from `from_address` in `from_netns` arrives at address:port within `timeout`; false
// if it does not (and, with ADD_FAILURE, if a socket could not be made).
bool udp_delivered(const std::string& from_netns, const std::string& from_address, const std::string& to_netns,
                   const std::string& address, std::uint16_t port, milliseconds timeout);

}  // namespace rustynet::backend_wireguard::testing

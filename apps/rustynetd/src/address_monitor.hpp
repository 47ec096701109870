// SPDX-License-Identifier: Apache-2.0
// AddressMonitor: tells the daemon when the host's underlay addresses change (rtnetlink wake-up + getifaddrs).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "daemon_error.hpp"

namespace rustynet::apps::daemon {

// The host's underlay addresses, one "<interface> <numeric address>" entry each, sorted.
using AddressSnapshot = std::set<std::string>;

// One address as getifaddrs() lists it (already in text form).
struct InterfaceAddressEntry {
  std::string interface;
  std::string address;  // numeric; IPv6 link-local with "%scope"
  bool ipv6 = false;
  bool loopback = false;  // IFF_LOOPBACK
};

// The underlay view of `entries`: IPv4 and IPv6 addresses of every interface except loopback and
// `tunnel_interface` (the tunnel's own addresses come from control, not from the network), without
// IPv6 link-local ones (never a usable endpoint; they come and go with links).
[[nodiscard]] AddressSnapshot underlay_snapshot(const std::vector<InterfaceAddressEntry>& entries,
                                                std::string_view tunnel_interface);

struct AddressChange {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  // "added eth0 10.0.0.2; removed eth0 10.0.0.1"
  [[nodiscard]] std::string describe() const;
};

// Sans-I/O core: debounce of wake-ups and the diff of snapshots. A wake-up arms a check
// `debounce` later (later wake-ups do not move it, so a steady stream of notifications cannot
// postpone the check for ever); the check compares a fresh snapshot with the last one.
class AddressChangeDetector {
 public:
  using Time = std::chrono::steady_clock::time_point;
  AddressChangeDetector(AddressSnapshot baseline, std::chrono::milliseconds debounce);

  void wake(Time now);
  // When the armed check is due (nullopt: nothing armed).
  [[nodiscard]] std::optional<Time> deadline() const noexcept { return deadline_; }
  [[nodiscard]] bool due(Time now) const noexcept { return deadline_.has_value() && now >= *deadline_; }
  // Disarms, and compares `current` with the last snapshot, which it then replaces: the change,
  // or nullopt if the addresses are the same (say, one added and removed again).
  [[nodiscard]] std::optional<AddressChange> settle(AddressSnapshot current);
  [[nodiscard]] const AddressSnapshot& last() const noexcept { return last_; }

 private:
  AddressSnapshot last_;
  std::chrono::milliseconds debounce_;
  std::optional<Time> deadline_;
};

// The I/O edge: one thread that sleeps in poll() on a NETLINK_ROUTE socket subscribed to the
// IPv4/IPv6 address and link groups (used only as a wake-up; messages are read and dropped, never
// parsed) and an eventfd (stop, poke). On a due check it takes a snapshot and reports a change
// through `on_change` (called on the monitor's thread; it must not call stop()).
//
// Fail-safe: a monitor that cannot open or read its socket logs why and stops watching the
// network (the daemon keeps working on its long-poll timeout, as without a monitor); a failed
// snapshot is logged and the previous one kept. It never spins: every wake-up is a netlink
// message, a poke, stop, or the debounce deadline.
class AddressMonitor {
 public:
  using OnChange = std::function<void(const AddressChange&)>;
  using Log = std::function<void(const std::string&)>;
  using SnapshotSource = std::function<DaemonResult<AddressSnapshot>()>;

  struct Options {
    std::string tunnel_interface;
    std::chrono::milliseconds debounce{200};
    SnapshotSource snapshot;  // default: getifaddrs() through underlay_snapshot()
    bool subscribe = true;    // open the rtnetlink socket (tests: false, and wake with poke())
  };

  // Takes the baseline snapshot and starts the thread. Errors: kInternal (eventfd);
  // a netlink or snapshot failure is not an error (logged; see above).
  [[nodiscard]] static DaemonResult<std::unique_ptr<AddressMonitor>> start(Options options, OnChange on_change,
                                                                           Log log);
  ~AddressMonitor();
  AddressMonitor(const AddressMonitor&) = delete;
  AddressMonitor& operator=(const AddressMonitor&) = delete;
  AddressMonitor(AddressMonitor&&) = delete;
  AddressMonitor& operator=(AddressMonitor&&) = delete;

  // Idempotent; joins the thread. Thread-safe.
  void stop();
  // Acts like a netlink notification (tests; thread-safe).
  void poke();
  // Whether the rtnetlink subscription is live (false after a socket error, or subscribe = false).
  [[nodiscard]] bool watching() const noexcept;

  struct Impl;
  explicit AddressMonitor(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

// The host's addresses now (getifaddrs), as underlay_snapshot() sees them. Errors: kInternal.
[[nodiscard]] DaemonResult<AddressSnapshot> host_underlay_snapshot(std::string_view tunnel_interface);

}  // namespace rustynet::apps::daemon

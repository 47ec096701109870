// SPDX-License-Identifier: Apache-2.0
// AddressMonitor: rtnetlink wake-ups, getifaddrs() snapshots, debounce and diff.
#include "address_monitor.hpp"

#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <iterator>
#include <mutex>
#include <thread>
#include <utility>

#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace rustynet::apps::daemon {
namespace {

// The one cast of this file: bind() takes the generic sockaddr; sockaddr_nl is layout-compatible
// with it by design (the sockets API's own convention).
int bind_netlink(int fd, std::uint32_t groups) {
  sockaddr_nl address{};
  address.nl_family = AF_NETLINK;
  address.nl_groups = groups;
  return ::bind(fd, reinterpret_cast<const sockaddr*>(&address),  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
                sizeof address);
}

bool is_ipv6_link_local(std::string_view address) {
  return address.size() >= 4 && (address.substr(0, 4) == "fe80" || address.substr(0, 4) == "FE80");
}

}  // namespace

AddressSnapshot underlay_snapshot(const std::vector<InterfaceAddressEntry>& entries,
                                  std::string_view tunnel_interface) {
  AddressSnapshot out;
  for (const auto& entry : entries) {
    if (entry.loopback || entry.interface == tunnel_interface || (entry.ipv6 && is_ipv6_link_local(entry.address))) {
      continue;
    }
    out.insert(entry.interface + " " + entry.address);
  }
  return out;
}

std::string AddressChange::describe() const {
  std::string out;
  const auto list = [&out](const char* what, const std::vector<std::string>& items) {
    if (items.empty()) {
      return;
    }
    out += (out.empty() ? "" : "; ") + std::string(what);
    for (std::size_t i = 0; i < items.size(); ++i) {
      out += (i == 0 ? " " : ", ") + items[i];
    }
  };
  list("added", added);
  list("removed", removed);
  return out;
}

AddressChangeDetector::AddressChangeDetector(AddressSnapshot baseline, std::chrono::milliseconds debounce)
    : last_(std::move(baseline)), debounce_(debounce) {}

void AddressChangeDetector::wake(Time now) {
  if (!deadline_) {
    deadline_ = now + debounce_;
  }
}

std::optional<AddressChange> AddressChangeDetector::settle(AddressSnapshot current) {
  deadline_.reset();
  AddressChange change;
  std::set_difference(current.begin(), current.end(), last_.begin(), last_.end(), std::back_inserter(change.added));
  std::set_difference(last_.begin(), last_.end(), current.begin(), current.end(), std::back_inserter(change.removed));
  last_ = std::move(current);
  if (change.added.empty() && change.removed.empty()) {
    return std::nullopt;
  }
  return change;
}

DaemonResult<AddressSnapshot> host_underlay_snapshot(std::string_view tunnel_interface) {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return daemon_fail(DaemonErrorKind::kInternal, base::last_sys_error("getifaddrs").describe());
  }
  std::vector<InterfaceAddressEntry> entries;
  for (const ifaddrs* entry = list; entry != nullptr; entry = entry->ifa_next) {
    if (entry->ifa_addr == nullptr || entry->ifa_name == nullptr) {
      continue;
    }
    const int family = entry->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) {
      continue;
    }
    std::array<char, NI_MAXHOST> host{};
    const socklen_t length = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (::getnameinfo(entry->ifa_addr, length, host.data(), host.size(), nullptr, 0, NI_NUMERICHOST) != 0) {
      continue;
    }
    entries.push_back(InterfaceAddressEntry{entry->ifa_name, host.data(), family == AF_INET6,
                                            (entry->ifa_flags & static_cast<unsigned>(IFF_LOOPBACK)) != 0U});
  }
  ::freeifaddrs(list);
  return underlay_snapshot(entries, tunnel_interface);
}

struct AddressMonitor::Impl {
  Options options;
  OnChange on_change;
  Log log;
  base::UniqueFd wake_fd;  // eventfd: stop() and poke()
  base::UniqueFd netlink;  // reset on a read error (the monitor then only waits for stop)
  std::atomic<bool> watching{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> poked{false};
  std::mutex stop_mutex;
  std::thread thread;
  std::optional<AddressChangeDetector> detector;

  void signal() const {
    const std::uint64_t one = 1;
    if (::write(wake_fd.get(), &one, sizeof one) < 0) {
      return;  // EAGAIN: the counter is full, which wakes poll() just the same
    }
  }

  void drain_wake_fd() const {
    std::uint64_t value = 0;
    if (::read(wake_fd.get(), &value, sizeof value) < 0) {
      return;  // EAGAIN: already drained (a spurious wake-up is harmless)
    }
  }

  // Reads and drops everything queued on the netlink socket; true if it said anything.
  bool drain_netlink() {
    std::array<std::uint8_t, 8192> buffer{};
    bool woke = false;
    while (netlink.valid()) {
      const ssize_t got = ::recv(netlink.get(), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (got > 0) {
        woke = true;
        continue;
      }
      if (got == 0 || errno == EAGAIN || errno == EWOULDBLOCK) {
        break;
      }
      if (errno == EINTR) {
        continue;
      }
      if (errno == ENOBUFS) {  // notifications were dropped: something changed, look
        woke = true;
        continue;
      }
      log("address monitor: " + base::last_sys_error("recv rtnetlink").describe() +
          "; no longer watching addresses (control learns a move on the next long-poll)");
      netlink.reset();
      watching.store(false);
    }
    return woke;
  }

  void run() {
    while (!stopping.load()) {
      int timeout = -1;
      if (const auto deadline = detector->deadline()) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(*deadline - std::chrono::steady_clock::now());
        timeout = static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, INT_MAX));
      }
      std::array<pollfd, 2> fds{pollfd{wake_fd.get(), POLLIN, 0},
                                pollfd{netlink.valid() ? netlink.get() : -1, POLLIN, 0}};
      if (::poll(fds.data(), fds.size(), timeout) < 0) {
        if (errno == EINTR) {
          continue;
        }
        log("address monitor: " + base::last_sys_error("poll").describe() + "; stopped");
        watching.store(false);
        return;
      }
      if (stopping.load()) {
        return;
      }
      const auto now = std::chrono::steady_clock::now();
      if ((fds[0].revents & POLLIN) != 0) {
        drain_wake_fd();
      }
      if (poked.exchange(false)) {
        detector->wake(now);
      }
      if (fds[1].revents != 0 && drain_netlink()) {
        detector->wake(now);
      }
      if (!detector->due(now)) {
        continue;
      }
      auto current = options.snapshot();
      if (!current.has_value()) {
        log("address monitor: snapshot failed, previous kept: " + current.error().describe());
        (void)detector->settle(AddressSnapshot(detector->last()));  // disarm
        continue;
      }
      if (auto change = detector->settle(std::move(current).value())) {
        on_change(*change);
      }
    }
  }
};

AddressMonitor::AddressMonitor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AddressMonitor::~AddressMonitor() { stop(); }

DaemonResult<std::unique_ptr<AddressMonitor>> AddressMonitor::start(Options options, OnChange on_change, Log log) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->on_change = std::move(on_change);
  impl->log = std::move(log);
  if (!impl->options.snapshot) {
    impl->options.snapshot = [name = impl->options.tunnel_interface] { return host_underlay_snapshot(name); };
  }
  impl->wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->wake_fd.valid()) {
    return daemon_fail(DaemonErrorKind::kInternal, base::last_sys_error("eventfd").describe());
  }
  if (impl->options.subscribe) {
    // Subscribed before the baseline is taken, so no change falls between the two.
    base::UniqueFd socket(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
    const std::uint32_t groups =
        std::uint32_t{RTMGRP_LINK} | std::uint32_t{RTMGRP_IPV4_IFADDR} | std::uint32_t{RTMGRP_IPV6_IFADDR};
    if (!socket.valid()) {
      impl->log("address monitor: " + base::last_sys_error("socket(NETLINK_ROUTE)").describe() +
                "; not watching addresses");
    } else if (bind_netlink(socket.get(), groups) != 0) {
      impl->log("address monitor: " + base::last_sys_error("bind rtnetlink groups").describe() +
                "; not watching addresses");
    } else {
      impl->netlink = std::move(socket);
      impl->watching.store(true);
    }
  }
  auto baseline = impl->options.snapshot();
  if (!baseline.has_value()) {
    impl->log("address monitor: first snapshot failed: " + baseline.error().describe());
  }
  impl->detector.emplace(baseline.has_value() ? std::move(baseline).value() : AddressSnapshot{},
                         impl->options.debounce);
  Impl& running = *impl;
  running.thread = std::thread([&running] { running.run(); });
  return std::make_unique<AddressMonitor>(std::move(impl));
}

void AddressMonitor::stop() {
  const std::lock_guard lock(impl_->stop_mutex);
  impl_->stopping.store(true);
  impl_->signal();
  if (impl_->thread.joinable()) {
    impl_->thread.join();
  }
}

void AddressMonitor::poke() {
  impl_->poked.store(true);
  impl_->signal();
}

bool AddressMonitor::watching() const noexcept { return impl_->watching.load(); }

}  // namespace rustynet::apps::daemon

// SPDX-License-Identifier: Apache-2.0
// AddressMonitor: the underlay filter, the debounce/diff core (explicit times), and the thread
// (injected snapshots, poke() instead of netlink, clean stop).
#include "address_monitor.hpp"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>

namespace rustynet::apps::daemon {
namespace {

using Time = AddressChangeDetector::Time;
const Time kT0{std::chrono::seconds(50)};

TEST(UnderlaySnapshotTest, KeepsUnderlayAddressesOnly) {
  const std::vector<InterfaceAddressEntry> entries{
      {"lo", "127.0.0.1", false, true},
      {"lo", "::1", true, true},
      {"eth0", "10.77.0.12", false, false},
      {"eth0", "fe80::1%eth0", true, false},
      {"eth0", "2001:db8::12", true, false},
      {"rn0", "100.64.0.2", false, false},  // the tunnel: its addresses come from control
      {"wlan0", "192.168.1.7", false, false},
  };
  EXPECT_EQ(underlay_snapshot(entries, "rn0"),
            (AddressSnapshot{"eth0 10.77.0.12", "eth0 2001:db8::12", "wlan0 192.168.1.7"}));
}

TEST(AddressChangeDetectorTest, FirstWakeArmsTheCheckAndLaterWakesDoNotPostponeIt) {
  AddressChangeDetector detector({"eth0 10.77.0.12"}, std::chrono::milliseconds(200));
  EXPECT_FALSE(detector.deadline().has_value());
  EXPECT_FALSE(detector.due(kT0));
  detector.wake(kT0);
  detector.wake(kT0 + std::chrono::milliseconds(150));  // the second half of a move
  ASSERT_TRUE(detector.deadline().has_value());
  EXPECT_EQ(*detector.deadline(), kT0 + std::chrono::milliseconds(200));
  EXPECT_FALSE(detector.due(kT0 + std::chrono::milliseconds(199)));
  EXPECT_TRUE(detector.due(kT0 + std::chrono::milliseconds(200)));
}

TEST(AddressChangeDetectorTest, SettleReportsTheDiffOnceAndDisarms) {
  AddressChangeDetector detector({"eth0 10.77.0.12", "eth1 192.0.2.1"}, std::chrono::milliseconds(200));
  detector.wake(kT0);
  const auto change = detector.settle({"eth0 10.77.0.112", "eth1 192.0.2.1"});
  ASSERT_TRUE(change.has_value());
  EXPECT_EQ(change->added, std::vector<std::string>{"eth0 10.77.0.112"});
  EXPECT_EQ(change->removed, std::vector<std::string>{"eth0 10.77.0.12"});
  EXPECT_EQ(change->describe(), "added eth0 10.77.0.112; removed eth0 10.77.0.12");
  EXPECT_FALSE(detector.deadline().has_value());
  // The new snapshot is the baseline now: the same addresses again are no change.
  detector.wake(kT0 + std::chrono::seconds(1));
  EXPECT_FALSE(detector.settle({"eth0 10.77.0.112", "eth1 192.0.2.1"}).has_value());
}

TEST(AddressChangeDetectorTest, AddedAndRemovedAgainWithinTheDebounceIsNoChange) {
  AddressChangeDetector detector({"eth0 10.77.0.12"}, std::chrono::milliseconds(200));
  detector.wake(kT0);                                  // 10.77.0.13 added...
  detector.wake(kT0 + std::chrono::milliseconds(50));  // ...and removed
  EXPECT_FALSE(detector.settle({"eth0 10.77.0.12"}).has_value());
  EXPECT_EQ((AddressChange{{"eth0 10.0.0.1"}, {}}.describe()), "added eth0 10.0.0.1");
}

// The thread with an injected snapshot source; poke() stands in for a netlink notification.
struct MonitorHarness {
  std::mutex mutex;
  std::condition_variable cv;
  AddressSnapshot current{"eth0 10.77.0.12"};
  bool fail_snapshot = false;
  int snapshots = 0;
  std::vector<AddressChange> changes;
  std::vector<std::string> logs;

  AddressMonitor::Options options() {
    AddressMonitor::Options out;
    out.tunnel_interface = "rn0";
    out.debounce = std::chrono::milliseconds(20);
    out.subscribe = false;
    out.snapshot = [this]() -> DaemonResult<AddressSnapshot> {
      const std::lock_guard lock(mutex);
      ++snapshots;
      cv.notify_all();
      if (fail_snapshot) {
        return daemon_fail(DaemonErrorKind::kInternal, "getifaddrs: injected");
      }
      return current;
    };
    return out;
  }
  DaemonResult<std::unique_ptr<AddressMonitor>> start() {
    return AddressMonitor::start(
        options(),
        [this](const AddressChange& change) {
          const std::lock_guard lock(mutex);
          changes.push_back(change);
          cv.notify_all();
        },
        [this](const std::string& line) {
          const std::lock_guard lock(mutex);
          logs.push_back(line);
        });
  }
  bool wait_for(const std::function<bool()>& condition) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(10), condition);
  }
};

TEST(AddressMonitorTest, PokeLeadsToOneSnapshotAndReportsAChange) {
  MonitorHarness harness;
  auto monitor = harness.start();
  ASSERT_TRUE(monitor.has_value()) << monitor.error().describe();
  EXPECT_FALSE((*monitor)->watching());  // subscribe = false
  {
    const std::lock_guard lock(harness.mutex);
    harness.current = {"eth0 10.77.0.112"};
  }
  (*monitor)->poke();
  ASSERT_TRUE(harness.wait_for([&] { return !harness.changes.empty(); }));
  {
    const std::lock_guard lock(harness.mutex);
    EXPECT_EQ(harness.changes[0].describe(), "added eth0 10.77.0.112; removed eth0 10.77.0.12");
    EXPECT_EQ(harness.snapshots, 2);  // the baseline and one check
  }
  // Nothing changed since: a poke takes a snapshot and reports nothing.
  (*monitor)->poke();
  ASSERT_TRUE(harness.wait_for([&] { return harness.snapshots == 3; }));
  (*monitor)->stop();
  (*monitor)->stop();  // idempotent
  const std::lock_guard lock(harness.mutex);
  EXPECT_EQ(harness.changes.size(), 1U);
}

TEST(AddressMonitorTest, FailedSnapshotIsLoggedAndThePreviousOneKept) {
  MonitorHarness harness;
  auto monitor = harness.start();
  ASSERT_TRUE(monitor.has_value());
  {
    const std::lock_guard lock(harness.mutex);
    harness.fail_snapshot = true;
    harness.current = {"eth0 10.77.0.112"};
  }
  (*monitor)->poke();
  ASSERT_TRUE(harness.wait_for([&] { return harness.snapshots == 2; }));
  {
    const std::lock_guard lock(harness.mutex);
    harness.fail_snapshot = false;
  }
  (*monitor)->poke();  // compared with the last good snapshot: the move is still reported
  ASSERT_TRUE(harness.wait_for([&] { return !harness.changes.empty(); }));
  (*monitor)->stop();
  const std::lock_guard lock(harness.mutex);
  ASSERT_FALSE(harness.logs.empty());
  EXPECT_NE(harness.logs[0].find("snapshot failed, previous kept"), std::string::npos) << harness.logs[0];
  EXPECT_EQ(harness.changes[0].removed, std::vector<std::string>{"eth0 10.77.0.12"});
}

// The real rtnetlink subscription (no privilege needed to listen) and the real snapshot; the
// destructor stops the thread.
TEST(AddressMonitorTest, SubscribesToRtnetlinkAndStopsCleanly) {
  AddressMonitor::Options options;
  options.tunnel_interface = "rn0";
  std::vector<std::string> logs;
  auto monitor = AddressMonitor::start(
      options, [](const AddressChange&) {}, [&logs](const std::string& line) { logs.push_back(line); });
  ASSERT_TRUE(monitor.has_value()) << monitor.error().describe();
  EXPECT_TRUE((*monitor)->watching());
  EXPECT_TRUE(host_underlay_snapshot("rn0").has_value());
  monitor->reset();
  EXPECT_TRUE(logs.empty()) << logs[0];
}

}  // namespace
}  // namespace rustynet::apps::daemon

// SPDX-License-Identifier: Apache-2.0
// Failure paths against the real system: missing daemon binary, control socket permission denied,
// interface name collisions, crash leftovers, invalid peers. Typed errors, nothing left behind.
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>

#include "kernel/kernel_host.hpp"
#include "rtnl.hpp"
#include "rustynet/base/unique_fd.hpp"
#include "rustynet/base/unix_socket.hpp"
#include "tunnel_support.hpp"
#include "uapi_driver.hpp"
#include "userspace_process.hpp"

namespace rustynet::backend_wireguard::testing {
namespace {

namespace api = backend_api;

std::string link_target(const std::string& path) {
  std::error_code error;
  const auto target = std::filesystem::read_symlink(path, error);
  return error ? std::string() : target.string();
}

bool has_link(const Netns& netns, const std::string& name) {
  for (const std::string& link : netns.link_names()) {
    if (link == name) {
      return true;
    }
  }
  return false;
}

// Drops the file-permission override capabilities from the calling thread only (capabilities are
// per thread), so root is subject to file modes like any other user.
bool drop_dac_override_on_this_thread() {
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;
  std::array<__user_cap_data_struct, 2> data{};
  if (::syscall(SYS_capget, &header, data.data()) != 0) {
    return false;
  }
  for (const unsigned cap : {unsigned{CAP_DAC_OVERRIDE}, unsigned{CAP_DAC_READ_SEARCH}, unsigned{CAP_FOWNER}}) {
    data[0].effective &= ~(1U << cap);
  }
  return ::syscall(SYS_capset, &header, data.data()) == 0;
}

class FailureTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(netns_.ok()); }
  void TearDown() override {
    for (const std::string& link : netns_.link_names()) {
      EXPECT_NE(link.rfind("rnf", 0), 0U) << "leftover interface " << link;
    }
  }
  api::RuntimeContext context(const std::string& name) {
    return make_context("node-a", name, "100.97.0.1/24", 0, keys_);
  }
  // A userspace daemon serving `name` in the test namespace, started outside any backend.
  base::Result<UserspaceProcess, SpawnError> spawn_daemon(const std::string& name) {
    return UserspaceProcess::spawn(UserspaceProcessOptions{.binary_path = "/usr/bin/wireguard-go",
                                                           .interface_name = name,
                                                           .socket_path = uapi_socket_path(kDefaultUapiSocketDir, name),
                                                           .netns_path = netns_.path(),
                                                           .start_timeout = std::chrono::seconds(10),
                                                           .terminate_with_owner = true});
  }

  Netns netns_{"rnwgt-fail"};
  KeyPair keys_ = make_key_pair();
};

TEST_F(FailureTest, MissingDaemonBinaryIsATypedError) {
  WireGuardBackendOptions options = options_in(netns_);
  options.userspace_binary = "/nonexistent/wireguard-go";
  auto backend = make_wireguard_backend(options);
  const std::string name = unique_interface_name("rnf");
  auto started = backend->start(context(name));
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().kind, api::BackendErrorKind::kInternal);
  EXPECT_NE(started.error().message.find("/nonexistent/wireguard-go"), std::string::npos) << started.error().message;
  EXPECT_NE(started.error().message.find("errno 2"), std::string::npos) << started.error().message;
  EXPECT_FALSE(has_link(netns_, name));
  auto stats = backend->stats();
  ASSERT_FALSE(stats.has_value());
  EXPECT_EQ(stats.error().kind, api::BackendErrorKind::kNotRunning);
}

TEST_F(FailureTest, ControlSocketPermissionDenied) {
  const std::string name = unique_interface_name("rnf");
  const std::string socket_path = uapi_socket_path(kDefaultUapiSocketDir, name);
  ::mkdir(std::string(kDefaultUapiSocketDir).c_str(), 0755);
  auto listener = base::listen_unix_stream(socket_path);
  ASSERT_TRUE(listener.has_value()) << listener.error().describe();
  ASSERT_EQ(::chown(socket_path.c_str(), 65534, 65534), 0);
  ASSERT_EQ(::chmod(socket_path.c_str(), 0600), 0);

  auto backend = make_wireguard_backend(options_in(netns_));
  api::BackendStatus started;
  bool dropped = false;
  std::thread worker([&] {
    dropped = drop_dac_override_on_this_thread();
    started = backend->start(context(name));
  });
  worker.join();
  ::unlink(socket_path.c_str());
  ASSERT_TRUE(dropped);
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().kind, api::BackendErrorKind::kInternal);
  EXPECT_NE(started.error().message.find("errno 13"), std::string::npos) << started.error().message;
  EXPECT_NE(started.error().message.find(socket_path), std::string::npos) << started.error().message;
  EXPECT_FALSE(has_link(netns_, name));
}

TEST_F(FailureTest, ForeignInterfaceWithTheSameNameIsNeverTouched) {
  const std::string name = unique_interface_name("rnf");
  // A veth pair stands in for any foreign interface (this kernel may lack the dummy driver).
  ASSERT_TRUE(
      run_checked({"ip", "-n", netns_.name(), "link", "add", name, "type", "veth", "peer", "name", name + "p"}));
  auto backend = make_wireguard_backend(options_in(netns_));
  auto started = backend->start(context(name));
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_NE(started.error().message.find("collision"), std::string::npos) << started.error().message;
  EXPECT_TRUE(has_link(netns_, name)) << "deleted an interface it did not create";
  // Our name prefix alone is not proof of ownership either.
  ASSERT_TRUE(run_checked({"ip", "-n", netns_.name(), "link", "set", name, "alias", "someone-else"}));
  EXPECT_FALSE(backend->start(context(name)).has_value());
  EXPECT_TRUE(has_link(netns_, name));
  ASSERT_TRUE(run_checked({"ip", "-n", netns_.name(), "link", "del", name}));
}

TEST_F(FailureTest, SameNameServedByADaemonInAnotherNamespaceCollides) {
  Netns other("rnwgt-other");
  ASSERT_TRUE(other.ok());
  const std::string name = unique_interface_name("rnf");
  auto first = make_wireguard_backend(options_in(other));
  ASSERT_TRUE(first->start(context(name)).has_value());
  auto second = make_wireguard_backend(options_in(netns_));
  auto started = second->start(context(name));
  ASSERT_FALSE(started.has_value());
  EXPECT_EQ(started.error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_NE(started.error().message.find("already serves"), std::string::npos) << started.error().message;
  EXPECT_FALSE(has_link(netns_, name));
  // The first backend is unaffected.
  auto stats = first->stats();
  EXPECT_TRUE(stats.has_value());
  EXPECT_TRUE(first->shutdown().has_value());
  EXPECT_FALSE(has_link(other, name));
}

TEST_F(FailureTest, CrashLeftoverThatIsProvablyOursIsReplaced) {
  const std::string name = unique_interface_name("rnf");
  // Simulate a crashed run: a daemon still serving the interface, which carries our marker.
  auto stale = spawn_daemon(name);
  ASSERT_TRUE(stale.has_value()) << stale.error().error.describe();
  ASSERT_TRUE(run_checked({"ip", "-n", netns_.name(), "link", "set", name, "alias", std::string(kOwnershipAlias)}));

  auto backend = make_backend_in(netns_);
  auto started = backend->start(context(name));
  ASSERT_TRUE(started.has_value()) << started.error().describe();
  EXPECT_TRUE(eventually(5, [&] { return !stale->alive(); })) << "the stale daemon should exit with its device";
  EXPECT_NE(backend->daemon_pid(), stale->pid());
  const std::string details = netns_.ip({"-d", "link", "show", name}).output;
  EXPECT_NE(details.find("tun"), std::string::npos) << details;
  EXPECT_NE(details.find("mtu 1420"), std::string::npos) << details;
  const std::string addresses = netns_.ip({"addr", "show", name}).output;
  EXPECT_NE(addresses.find("100.97.0.1/24"), std::string::npos) << addresses;
  ASSERT_TRUE(backend->shutdown().has_value());
  EXPECT_FALSE(has_link(netns_, name));
}

// The tunnel process must not inherit the daemon's descriptors (e.g. its control TLS socket,
// which Asio opens without SOCK_CLOEXEC).
TEST_F(FailureTest, TunnelProcessInheritsNoDescriptorOfTheDaemon) {
  base::UniqueFd leaky(::socket(AF_INET, SOCK_DGRAM, 0));  // deliberately without SOCK_CLOEXEC
  ASSERT_TRUE(leaky.valid());
  const std::string leaky_target = link_target("/proc/self/fd/" + std::to_string(leaky.get()));
  ASSERT_EQ(leaky_target.rfind("socket:[", 0), 0U) << leaky_target;

  const std::string name = unique_interface_name("rnf");
  auto process = spawn_daemon(name);
  ASSERT_TRUE(process.has_value()) << process.error().error.describe();
  const std::filesystem::path child_fds = "/proc/" + std::to_string(process->pid()) + "/fd";
  int seen = 0;
  for (const auto& entry : std::filesystem::directory_iterator(child_fds)) {
    ++seen;
    EXPECT_NE(link_target(entry.path().string()), leaky_target) << "inherited as fd " << entry.path().filename();
  }
  EXPECT_GT(seen, 2) << "the child's descriptor table was not read";
  process->stop();
}

TEST_F(FailureTest, DriverSelectionFollowsKernelModuleAvailability) {
  auto available = kernel::kernel_wireguard_available(netns_.path());
  ASSERT_TRUE(available.has_value()) << available.error().describe();
  const std::string name = unique_interface_name("rnf");
  // Detection picks the kernel module when present, the userspace daemon otherwise.
  auto detected = make_backend_in(netns_);
  ASSERT_TRUE(detected->start(context(name)).has_value());
  EXPECT_EQ(detected->active_driver(), *available ? DriverKind::kKernel : DriverKind::kUserspace);
  EXPECT_EQ(detected->daemon_pid() > 0, !*available);
  ASSERT_TRUE(detected->shutdown().has_value());
  // An explicit kernel request never falls back silently.
  WireGuardBackendOptions options = options_in(netns_);
  options.driver = DriverKind::kKernel;
  WireGuardBackend forced(options);
  auto started = forced.start(context(name));
  if (*available) {
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    EXPECT_EQ(forced.daemon_pid(), -1);
    ASSERT_TRUE(forced.shutdown().has_value());
  } else {
    ASSERT_FALSE(started.has_value());
    EXPECT_EQ(started.error().kind, api::BackendErrorKind::kInternal);
    EXPECT_NE(started.error().message.find("unavailable"), std::string::npos) << started.error().message;
  }
  EXPECT_FALSE(has_link(netns_, name));
}

TEST_F(FailureTest, InvalidPeerKeyIsRejectedAndChangesNothing) {
  auto backend = make_backend_in(netns_);
  const std::string name = unique_interface_name("rnf");
  ASSERT_TRUE(backend->start(context(name)).has_value());
  EXPECT_FALSE(api::PeerPublicKey::from_bytes(std::vector<std::uint8_t>(31, 1)).has_value());
  api::PeerConfig zero = make_peer("node-z", api::PeerPublicKey{}, "192.0.2.1:51820", "100.97.0.9/32");
  auto configured = backend->configure_peer(zero);
  ASSERT_FALSE(configured.has_value());
  EXPECT_EQ(configured.error().kind, api::BackendErrorKind::kInvalidInput);
  // In a batch the valid prefix is applied, the invalid element and the rest are not.
  const KeyPair good = make_key_pair();
  const std::vector<api::PeerConfig> batch{make_peer("node-g", good.public_key, "192.0.2.2:51820", "100.97.0.2/32"),
                                           zero};
  auto batched = backend->configure_peers(batch);
  ASSERT_FALSE(batched.has_value());
  EXPECT_EQ(batched.error().kind, api::BackendErrorKind::kInvalidInput);
  EXPECT_NE(batched.error().message.find("element 1"), std::string::npos) << batched.error().message;
  auto stats = backend->stats();
  ASSERT_TRUE(stats.has_value());
  ASSERT_EQ(stats->peers.size(), 1U);
  EXPECT_EQ(stats->peers[0].node_id.value(), "node-g");
  ASSERT_TRUE(backend->shutdown().has_value());
  EXPECT_FALSE(has_link(netns_, name));
}

TEST_F(FailureTest, ErrorsAndLogsNeverContainThePrivateKey) {
  auto backend = make_backend_in(netns_);
  const std::string name = unique_interface_name("rnf");
  const api::RuntimeContext ctx = context(name);
  ASSERT_TRUE(backend->start(ctx).has_value());
  auto again = backend->start(ctx);
  ASSERT_FALSE(again.has_value());
  std::ostringstream printed;
  printed << ctx;
  const std::string private_hex = [&] {
    std::string hex;
    for (const std::uint8_t byte : keys_.private_key) {
      const char* digits = "0123456789abcdef";
      hex.push_back(digits[byte >> 4U]);
      hex.push_back(digits[byte & 0x0FU]);
    }
    return hex;
  }();
  EXPECT_EQ(again.error().message.find(private_hex), std::string::npos);
  EXPECT_EQ(printed.str().find(private_hex), std::string::npos);
  ASSERT_TRUE(backend->shutdown().has_value());
}

}  // namespace
}  // namespace rustynet::backend_wireguard::testing

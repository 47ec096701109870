// SPDX-License-Identifier: Apache-2.0
// KernelHost link lifecycle and error classification over scripted netlink sockets.
#include "kernel/kernel_host.hpp"

#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <cerrno>

#include "fake_kernel.hpp"

namespace rustynet::backend_wireguard::kernel {
namespace {

using testing::Bytes;
using testing::FakeKernel;
using testing::FakeNetlinkSocket;

struct Fixture {
  FakeKernel kernel;
  int newlink_error = 0;
  std::vector<Bytes> route_sent;

  NetlinkSocketFactory factory() {
    return [this](int protocol) -> base::Result<std::unique_ptr<NetlinkSocket>, WgError> {
      if (protocol == NETLINK_ROUTE) {
        return std::unique_ptr<NetlinkSocket>(std::make_unique<FakeNetlinkSocket>(
            [this](std::span<const std::uint8_t> request) {
              const int error = testing::type_of(request) == RTM_NEWLINK ? newlink_error : 0;
              return std::vector<Bytes>{testing::error_message(testing::seq_of(request), error)};
            },
            &route_sent));
      }
      return std::unique_ptr<NetlinkSocket>(std::make_unique<FakeNetlinkSocket>(
          [this](std::span<const std::uint8_t> request) { return kernel.respond(request); }));
    };
  }

  std::size_t count(std::uint16_t type) const {
    std::size_t n = 0;
    for (const auto& request : route_sent) {
      n += testing::type_of(request) == type ? 1U : 0U;
    }
    return n;
  }
};

TEST(KernelHost, CreatesConfiguresAndDeletesItsLink) {
  Fixture f;
  {
    KernelHost host(KernelHostOptions{}, f.factory());
    const auto created = host.create("rn0");
    ASSERT_TRUE(created.has_value()) << created.error().error.describe();
    EXPECT_TRUE(host.alive());
    EXPECT_EQ(host.exit_fd(), -1);
    WgDeviceUpdate update;
    update.listen_port = 51820;
    ASSERT_TRUE(host.driver().set_device(update).has_value());
    EXPECT_EQ(f.count(RTM_NEWLINK), 1U);
    EXPECT_EQ(f.count(RTM_DELLINK), 0U);
  }
  EXPECT_EQ(f.count(RTM_DELLINK), 1U) << "the destructor deletes the link it created";
}

TEST(KernelHost, NameCollisionLeavesTheExistingLinkAlone) {
  Fixture f;
  f.newlink_error = EEXIST;
  KernelHost host(KernelHostOptions{}, f.factory());
  const auto created = host.create("rn0");
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().failure, HostFailure::kNameInUse);
  host.destroy();
  EXPECT_EQ(f.count(RTM_DELLINK), 0U);
}

TEST(KernelHost, MissingModuleIsImplementationMissing) {
  Fixture f;
  f.newlink_error = EOPNOTSUPP;
  KernelHost host(KernelHostOptions{}, f.factory());
  const auto created = host.create("rn0");
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().failure, HostFailure::kImplementationMissing);
}

TEST(KernelHost, FailureAfterCreatingTheLinkDeletesIt) {
  Fixture f;
  f.kernel.module_loaded = false;  // the genl family lookup fails after RTM_NEWLINK succeeded
  KernelHost host(KernelHostOptions{}, f.factory());
  const auto created = host.create("rn0");
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().failure, HostFailure::kImplementationMissing);
  EXPECT_FALSE(host.alive());
  EXPECT_EQ(f.count(RTM_DELLINK), 1U) << "no leftover interface";
}

TEST(KernelHost, PermissionDeniedIsClassified) {
  Fixture f;
  f.newlink_error = EPERM;
  KernelHost host(KernelHostOptions{}, f.factory());
  const auto created = host.create("rn0");
  ASSERT_FALSE(created.has_value());
  EXPECT_EQ(created.error().failure, HostFailure::kPermissionDenied);
}

TEST(KernelHost, DetectsTheModuleThroughTheFamilyLookup) {
  FakeKernel loaded;
  auto present =
      kernel_wireguard_available(std::make_unique<FakeNetlinkSocket>([&](std::span<const std::uint8_t> request) {
        // The probe interface does not exist: the dump fails with ENODEV after the family resolved.
        if (testing::type_of(request) == FakeKernel::kFamily) {
          return std::vector<Bytes>{testing::error_message(testing::seq_of(request), ENODEV)};
        }
        return loaded.respond(request);
      }));
  ASSERT_TRUE(present.has_value()) << present.error().describe();
  EXPECT_TRUE(*present);

  FakeKernel missing;
  missing.module_loaded = false;
  auto absent = kernel_wireguard_available(std::make_unique<FakeNetlinkSocket>(
      [&](std::span<const std::uint8_t> request) { return missing.respond(request); }));
  ASSERT_TRUE(absent.has_value());
  EXPECT_FALSE(*absent);

  auto broken =
      kernel_wireguard_available(std::make_unique<FakeNetlinkSocket>([](std::span<const std::uint8_t> request) {
        return std::vector<Bytes>{testing::error_message(testing::seq_of(request), EPERM)};
      }));
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().error_number, EPERM);
}

}  // namespace
}  // namespace rustynet::backend_wireguard::kernel

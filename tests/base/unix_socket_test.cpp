// SPDX-License-Identifier: Apache-2.0
// Unix-domain stream socket helpers: connect/listen round trip and the typed failures.
#include "rustynet/base/unix_socket.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <string>

#include "temp_dir.hpp"

namespace rustynet::base {
namespace {

TEST(UnixSocket, ConnectsToAListenerAndCarriesBytes) {
  rustynet::testing::TempDir dir;
  const std::string path = dir.file("api.sock");
  auto listener = listen_unix_stream(path);
  ASSERT_TRUE(listener.has_value()) << listener.error().describe();

  auto client = connect_unix_stream(path);
  ASSERT_TRUE(client.has_value()) << client.error().describe();
  UniqueFd accepted(::accept4(listener->get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted.valid());

  const std::string message = "ping\n";
  ASSERT_EQ(::write(client->get(), message.data(), message.size()), static_cast<ssize_t>(message.size()));
  std::array<char, 16> buffer{};
  ASSERT_EQ(::read(accepted.get(), buffer.data(), buffer.size()), static_cast<ssize_t>(message.size()));
  EXPECT_EQ(std::string(buffer.data(), message.size()), message);
}

TEST(UnixSocket, NothingListeningKeepsErrnoAndNamesThePath) {
  rustynet::testing::TempDir dir;
  const std::string path = dir.file("absent.sock");
  auto client = connect_unix_stream(path);
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().error_number, ENOENT);
  EXPECT_NE(client.error().describe().find(path), std::string::npos);
}

TEST(UnixSocket, PathTooLongForSockaddrIsRefusedBeforeAnySystemCall) {
  const std::string path(200, 'x');
  auto client = connect_unix_stream(path);
  ASSERT_FALSE(client.has_value());
  EXPECT_EQ(client.error().error_number, ENAMETOOLONG);
  auto listener = listen_unix_stream(path);
  ASSERT_FALSE(listener.has_value());
  EXPECT_EQ(listener.error().error_number, ENAMETOOLONG);
  EXPECT_EQ(connect_unix_stream("").error().error_number, ENAMETOOLONG);
}

TEST(UnixSocket, BindingAnExistingPathFails) {
  rustynet::testing::TempDir dir;
  const std::string path = dir.file("busy.sock");
  auto first = listen_unix_stream(path);
  ASSERT_TRUE(first.has_value());
  auto second = listen_unix_stream(path);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().error_number, EADDRINUSE);
}

}  // namespace
}  // namespace rustynet::base

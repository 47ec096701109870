// SPDX-License-Identifier: Apache-2.0
// Local API server under hostile local clients (issue 19): idle floods, per-uid caps, deadlines,
// clients that do not read, and an admin lane that read-only load cannot block.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "connection_slots.hpp"
#include "temp_dir.hpp"
#include "unix_socket_server.hpp"

namespace rustynet::apps::daemon {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The socket's group (read access). It need not exist in /etc/group: the children take it as
// their primary gid, which SO_PEERCRED reports and classify_peer checks.
constexpr gid_t kReadGid = 4242;
constexpr uid_t kNobody = 65534;
constexpr uid_t kOtherUid = 65533;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

bool wait_until(const std::function<bool()>& done, milliseconds timeout = milliseconds(5000)) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(milliseconds(1));  // polling a condition, not waiting for time
  }
  return true;
}

// Blocks peers() until opened; status() can answer with a large body.
class FakeHandler final : public LocalApiHandler {
 public:
  Reply status() override {
    const std::size_t padding = status_padding.load();  // before the call is counted: tests change it then
    status_calls.fetch_add(1);
    if (padding == 0) {
      return Reply{true, R"({"state":"running"})", {}};
    }
    return Reply{true, R"({"state":"running","pad":")" + std::string(padding, 'x') + "\"}", {}};
  }
  Reply peers() override {
    peers_entered.fetch_add(1);
    std::unique_lock lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
    return Reply{true, R"({"peers":[]})", {}};
  }
  Reply routes() override { return Reply{true, R"({"routes":[]})", {}}; }
  Reply netmap() override { return Reply{true, R"({"nodes":[]})", {}}; }
  Reply policy_check(const PolicyQuery& /*query*/) override { return Reply{true, R"({"decision":"deny"})", {}}; }
  Reply reload() override { return Reply{true, R"({"reloaded":true})", {}}; }

  void close_gate() {
    const std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open_gate() {
    {
      const std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }

  std::atomic<int> status_calls{0};
  std::atomic<int> peers_entered{0};
  std::atomic<std::size_t> status_padding{0};

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = true;
};

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), std::begin(address.sun_path));
  return address;
}

int connect_to(const sockaddr_un& address) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  if (::connect(fd, static_cast<const sockaddr*>(static_cast<const void*>(&address)), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads until EOF or the timeout; returns what arrived.
std::string read_all(int fd, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string out;
  std::array<char, 65536> buffer{};
  while (true) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      break;
    }
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, static_cast<int>(left)) <= 0) {
      break;
    }
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      break;
    }
    out.append(buffer.data(), static_cast<std::size_t>(n));
  }
  return out;
}

// One request from this (root, so admin) process; the response line or "" on failure.
std::string roundtrip(const std::string& path, const std::string& request) {
  const int fd = connect_to(unix_address(path));
  if (fd < 0) {
    return "";
  }
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response = read_all(fd, milliseconds(5000));
  ::close(fd);
  return response;
}

bool is_ok(const std::string& line) {
  const auto json = nlohmann::json::parse(line, nullptr, false);
  return !json.is_discarded() && json.is_object() && json.value("ok", false);
}

const std::string kStatus = "{\"version\":1,\"method\":\"status\"}\n";

// A forked client process with another uid (setgroups/setgid/setuid), driven over two pipes:
// each command is one byte plus a 32-bit argument, each reply a 32-bit count. Forked before the
// server starts, so the child is single-threaded.
class ClientProcess {
 public:
  enum Op : char {
    kConnect = 'c',   // arg connections more; reply: how many connect() calls succeeded
    kSend = 's',      // on connections that sent nothing yet: arg 0 status, 1 peers, 2 an
                      // unterminated prefix; reply: sends that worked
    kProbe = 'o',     // reply: connections still open (EOF seen on the others)
    kRefusals = 'u',  // reply: closed connections whose data said "unavailable"
    kAnswers = 'a',   // read every open connection to EOF (arg ms); reply: "ok":true responses
    kQuit = 'q',
  };

  ClientProcess(uid_t uid, gid_t gid, const std::string& socket_path) {
    std::array<int, 2> commands{-1, -1};
    std::array<int, 2> replies{-1, -1};
    if (::pipe2(commands.data(), O_CLOEXEC) != 0 || ::pipe2(replies.data(), O_CLOEXEC) != 0) {
      return;
    }
    const sockaddr_un address = unix_address(socket_path);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(commands[1]);
      ::close(replies[0]);
      child_main(commands[0], replies[1], uid, gid, address);
    }
    ::close(commands[0]);
    ::close(replies[1]);
    commands_ = commands[1];
    replies_ = replies[0];
  }
  ~ClientProcess() {
    if (pid_ > 0) {
      (void)command(kQuit, 0);
      ::close(commands_);
      ::close(replies_);
      int status = 0;
      (void)::waitpid(pid_, &status, 0);
    }
  }
  ClientProcess(const ClientProcess&) = delete;
  ClientProcess& operator=(const ClientProcess&) = delete;
  ClientProcess(ClientProcess&&) = delete;
  ClientProcess& operator=(ClientProcess&&) = delete;

  // -1 when the child is gone or does not answer within 10 s.
  int command(Op op, std::uint32_t arg) const {
    std::array<char, 5> message{static_cast<char>(op), 0, 0, 0, 0};
    std::copy_n(static_cast<const char*>(static_cast<const void*>(&arg)), sizeof(arg), message.begin() + 1);
    if (::write(commands_, message.data(), message.size()) != static_cast<ssize_t>(message.size())) {
      return -1;
    }
    if (op == kQuit) {
      return 0;
    }
    pollfd entry{replies_, POLLIN, 0};
    std::int32_t reply = -1;
    if (::poll(&entry, 1, 10000) != 1 || ::read(replies_, &reply, sizeof(reply)) != sizeof(reply)) {
      return -1;
    }
    return reply;
  }

 private:
  struct Held {
    int fd = -1;
    bool refused = false;
    bool sent = false;
  };

  [[noreturn]] static void child_main(int commands, int replies, uid_t uid, gid_t gid, const sockaddr_un& address) {
    if (::setgroups(0, nullptr) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0 || ::geteuid() != uid) {
      ::_exit(3);
    }
    std::vector<Held> held;
    std::array<char, 5> message{};
    while (::read(commands, message.data(), message.size()) == static_cast<ssize_t>(message.size())) {
      std::uint32_t arg = 0;
      std::copy_n(message.begin() + 1, sizeof(arg), static_cast<char*>(static_cast<void*>(&arg)));
      std::int32_t reply = 0;
      switch (message[0]) {
        case kConnect:
          for (std::uint32_t i = 0; i < arg; ++i) {
            const int fd = connect_to(address);
            if (fd >= 0) {
              held.push_back(Held{fd, false, false});
              ++reply;
            }
          }
          break;
        case kSend: {
          static const std::array<std::string_view, 3> kRequests{
              "{\"version\":1,\"method\":\"status\"}\n", "{\"version\":1,\"method\":\"peers\"}\n", "{\"version\":1,"};
          const std::string_view request = kRequests.at(std::min<std::uint32_t>(arg, 2));
          for (Held& h : held) {
            if (h.fd >= 0 && !h.sent && ::send(h.fd, request.data(), request.size(), MSG_NOSIGNAL) > 0) {
              h.sent = true;
              ++reply;
            }
          }
          break;
        }
        case kProbe:
          for (Held& h : held) {
            reply += probe(h) ? 1 : 0;
          }
          break;
        case kRefusals:
          for (const Held& h : held) {
            reply += (h.fd < 0 && h.refused) ? 1 : 0;
          }
          break;
        case kAnswers:
          for (Held& h : held) {
            if (h.fd >= 0) {
              reply += is_ok(read_all(h.fd, milliseconds(arg))) ? 1 : 0;
              ::close(h.fd);
              h.fd = -1;
            }
          }
          break;
        default: ::_exit(0);
      }
      if (::write(replies, &reply, sizeof(reply)) != sizeof(reply)) {
        ::_exit(4);
      }
    }
    ::_exit(0);
  }

  // True while the server keeps the connection open; reads what it sent without blocking.
  static bool probe(Held& h) {
    if (h.fd < 0) {
      return false;
    }
    std::array<char, 1024> buffer{};
    while (true) {
      const ssize_t n = ::recv(h.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n > 0) {
        h.refused = h.refused || std::string_view(buffer.data(), static_cast<std::size_t>(n)).find("unavailable") !=
                                     std::string_view::npos;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return true;
      }
      ::close(h.fd);  // EOF or reset: the server closed it
      h.fd = -1;
      return false;
    }
  }

  pid_t pid_ = -1;
  int commands_ = -1;
  int replies_ = -1;
};

class LocalApiServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) {
      GTEST_SKIP() << "needs root to run clients as other uids";
    }
    // The children (other uids) must reach the socket inside the private temp dir.
    ASSERT_EQ(::chmod(dir_.path().c_str(), 0711), 0);
    options_.socket_path = dir_.file("api.sock");
    options_.socket_gid = kReadGid;
    options_.rules = AccessRules{::geteuid(), kReadGid, std::nullopt};
  }
  void TearDown() override {
    handler_.open_gate();  // a blocked handler call would hold stop()
    if (server_) {
      server_->stop();
    }
  }

  void start() {
    auto started = LocalApiServer::start(options_, handler_);
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    server_ = std::move(*started);
  }
  [[nodiscard]] LocalApiServerStats stats() const { return server_->stats(); }
  std::unique_ptr<ClientProcess> client(uid_t uid) {
    return std::make_unique<ClientProcess>(uid, kReadGid, options_.socket_path);
  }
  // Root's status request: {response, milliseconds from connect to the last byte}.
  std::pair<std::string, double> timed_root_status() {
    const auto began = Clock::now();
    std::string response = roundtrip(options_.socket_path, kStatus);
    return {response, ms_since(began)};
  }

  rustynet::testing::TempDir dir_;
  FakeHandler handler_;
  LocalApiServerOptions options_;
  std::unique_ptr<LocalApiServer> server_;
};

// The issue's acceptance: 100 idle read-only connections (uid 65534, a member of the socket's
// group) must not delay root. With the default caps 4 are held and 96 refused at once.
TEST_F(LocalApiServerFixture, HundredIdleReadOnlyConnectionsDoNotDelayRoot) {
  auto nobody = client(kNobody);
  start();
  ASSERT_EQ(nobody->command(ClientProcess::kConnect, 100), 100);
  ASSERT_TRUE(wait_until([&] { return stats().accepted + stats().refused_uid == 100; }));
  EXPECT_EQ(stats().read_open, 4U);
  EXPECT_EQ(stats().refused_uid, 96U);

  const auto [response, elapsed] = timed_root_status();
  std::cout << "[measured] root status with 100 idle read-only connections (default caps): " << elapsed << " ms\n";
  EXPECT_TRUE(is_ok(response)) << response;
  EXPECT_LT(elapsed, 100.0);
  EXPECT_TRUE(is_ok(roundtrip(options_.socket_path, "{\"version\":1,\"method\":\"reload\"}\n")));
  EXPECT_EQ(nobody->command(ClientProcess::kProbe, 0), 4);  // still held, idle: not served, not closed
  EXPECT_EQ(nobody->command(ClientProcess::kRefusals, 0), 96);
}

// Same flood with caps wide enough to hold all 100: the admin lane has slots and a worker of
// its own, so root is still answered at once.
TEST_F(LocalApiServerFixture, RootIsAnsweredWhileTheReadCapsHoldAHundredIdleConnections) {
  options_.limits.max_read_connections = 128;
  options_.limits.max_connections_per_uid = 128;
  auto nobody = client(kNobody);
  start();
  ASSERT_EQ(nobody->command(ClientProcess::kConnect, 100), 100);
  ASSERT_TRUE(wait_until([&] { return stats().read_open == 100; }));
  const auto [response, elapsed] = timed_root_status();
  std::cout << "[measured] root status with 100 idle read-only connections held: " << elapsed << " ms\n";
  EXPECT_TRUE(is_ok(response)) << response;
  EXPECT_LT(elapsed, 100.0);
  EXPECT_EQ(nobody->command(ClientProcess::kProbe, 0), 100);
}

TEST_F(LocalApiServerFixture, PerUidCapRefusesTheExcessWhileAnotherUidIsServed) {
  options_.limits.max_connections_per_uid = 4;
  options_.limits.max_read_connections = 8;
  auto greedy = client(kNobody);
  auto other = client(kOtherUid);
  start();
  ASSERT_EQ(greedy->command(ClientProcess::kConnect, 10), 10);
  ASSERT_TRUE(wait_until([&] { return stats().refused_uid == 6; }));
  EXPECT_EQ(greedy->command(ClientProcess::kProbe, 0), 4);
  EXPECT_EQ(greedy->command(ClientProcess::kRefusals, 0), 6);  // told "unavailable", then closed

  ASSERT_EQ(other->command(ClientProcess::kConnect, 1), 1);
  ASSERT_TRUE(wait_until([&] { return stats().accepted == 5; }));
  EXPECT_EQ(other->command(ClientProcess::kSend, 0), 1);
  EXPECT_EQ(other->command(ClientProcess::kAnswers, 2000), 1);
  EXPECT_EQ(stats().refused_uid, 6U);
  // The greedy uid's held connections are served too once they send.
  EXPECT_EQ(greedy->command(ClientProcess::kSend, 0), 4);
  EXPECT_EQ(greedy->command(ClientProcess::kAnswers, 2000), 4);
}

TEST_F(LocalApiServerFixture, IdleAndSlowConnectionsAreClosedAtTheDeadline) {
  options_.limits.request_deadline = milliseconds(200);
  auto nobody = client(kNobody);
  start();
  const auto began = Clock::now();
  ASSERT_EQ(nobody->command(ClientProcess::kConnect, 4), 4);  // the uid's whole cap
  EXPECT_EQ(nobody->command(ClientProcess::kSend, 2), 4);     // an unterminated prefix, then nothing
  ASSERT_TRUE(wait_until([&] { return stats().expired == 4; }));
  const double expired_after = ms_since(began);
  std::cout << "[measured] 4 idle read-only connections closed after " << expired_after << " ms (deadline 200)\n";
  EXPECT_GE(expired_after, 200.0);
  EXPECT_LT(expired_after, 1000.0);
  EXPECT_EQ(nobody->command(ClientProcess::kProbe, 0), 0);
  EXPECT_EQ(stats().read_open, 0U);
  // The slots are free again.
  ASSERT_EQ(nobody->command(ClientProcess::kConnect, 1), 1);
  EXPECT_EQ(nobody->command(ClientProcess::kSend, 0), 1);
  EXPECT_EQ(nobody->command(ClientProcess::kAnswers, 2000), 1);

  // Slowloris: one byte every 20 ms keeps the connection busy but the deadline is for the whole
  // request, so it is cut at 200 ms all the same.
  const int fd = connect_to(unix_address(options_.socket_path));
  ASSERT_GE(fd, 0);
  const auto dripping = Clock::now();
  while (ms_since(dripping) < 2000 && ::send(fd, " ", 1, MSG_NOSIGNAL) == 1) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 20) == 1) {
      break;
    }
  }
  const double cut_after = ms_since(dripping);
  const std::string received = read_all(fd, milliseconds(500));
  ::close(fd);
  std::cout << "[measured] slowloris (1 byte / 20 ms) cut after " << cut_after << " ms\n";
  EXPECT_GE(cut_after, 200.0);
  EXPECT_LT(cut_after, 1000.0);
  EXPECT_NE(received.find("malformed"), std::string::npos) << received;
}

TEST_F(LocalApiServerFixture, AClientThatDoesNotReadItsResponseBlocksNoOne) {
  options_.limits.request_deadline = milliseconds(2000);  // headroom: the others finish in ~1/10 of it
  handler_.status_padding = std::size_t{4} << 20U;        // far more than a socket buffer holds
  auto nobody = client(kNobody);
  start();
  const int stuck = connect_to(unix_address(options_.socket_path));
  ASSERT_GE(stuck, 0);
  ASSERT_EQ(::send(stuck, kStatus.data(), kStatus.size(), MSG_NOSIGNAL), static_cast<ssize_t>(kStatus.size()));
  ASSERT_TRUE(wait_until([&] { return handler_.status_calls.load() == 1; }));
  handler_.status_padding = 0;

  const auto began = Clock::now();
  EXPECT_TRUE(is_ok(roundtrip(options_.socket_path, "{\"version\":1,\"method\":\"routes\"}\n")));
  ASSERT_EQ(nobody->command(ClientProcess::kConnect, 1), 1);
  EXPECT_EQ(nobody->command(ClientProcess::kSend, 0), 1);
  EXPECT_EQ(nobody->command(ClientProcess::kAnswers, 2000), 1);
  const double others = ms_since(began);
  std::cout << "[measured] admin and read-only requests beside a non-reading client: " << others << " ms\n";
  EXPECT_EQ(stats().expired, 0U);  // served while the stuck client still held its response
  EXPECT_EQ(stats().admin_open, 1U);

  ASSERT_TRUE(wait_until([&] { return stats().expired == 1; }));
  const std::string partial = read_all(stuck, milliseconds(3000));
  ::close(stuck);
  EXPECT_LT(partial.size(), std::size_t{4} << 20U);  // cut at the deadline, not delivered
  EXPECT_EQ(stats().admin_open, 0U);
}

TEST_F(LocalApiServerFixture, AdminIsAnsweredWhileReadRequestsBlockInTheHandler) {
  options_.limits.max_connections_per_uid = 8;
  options_.limits.read_queue_depth = 2;
  handler_.close_gate();
  auto nobody = client(kNobody);
  start();
  ASSERT_EQ(nobody->command(ClientProcess::kConnect, 1), 1);
  EXPECT_EQ(nobody->command(ClientProcess::kSend, 1), 1);  // peers: blocks in the handler
  ASSERT_TRUE(wait_until([&] { return handler_.peers_entered.load() == 1; }));
  // Two more wait in the bounded queue, the fourth is told the API is busy.
  ASSERT_EQ(nobody->command(ClientProcess::kConnect, 3), 3);
  EXPECT_EQ(nobody->command(ClientProcess::kSend, 1), 3);
  ASSERT_TRUE(wait_until([&] { return stats().refused_busy == 1; }));

  const auto [response, elapsed] = timed_root_status();
  std::cout << "[measured] root status while read requests block in the handler: " << elapsed << " ms\n";
  EXPECT_TRUE(is_ok(response)) << response;
  EXPECT_LT(elapsed, 100.0);
  EXPECT_TRUE(is_ok(roundtrip(options_.socket_path, "{\"version\":1,\"method\":\"reload\"}\n")));
  EXPECT_EQ(handler_.peers_entered.load(), 1);

  handler_.open_gate();
  EXPECT_EQ(nobody->command(ClientProcess::kAnswers, 3000), 3);
  EXPECT_EQ(handler_.peers_entered.load(), 3);
}

TEST(LocalApiLimitsTest, OutOfRangeLimitsAreRefusedBeforeTheSocketExists) {
  rustynet::testing::TempDir dir;
  FakeHandler handler;
  const auto refused = [&](const std::function<void(LocalApiLimits&)>& change) {
    LocalApiServerOptions options;
    options.socket_path = dir.file("api.sock");
    options.socket_gid = ::getegid();
    change(options.limits);
    auto server = LocalApiServer::start(options, handler);
    struct stat info {};
    return !server.has_value() && server.error().kind == DaemonErrorKind::kLocalApi &&
           ::lstat(options.socket_path.c_str(), &info) != 0;
  };
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.max_read_connections = 0; }));
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.max_read_connections = kMaxLocalApiConnections + 1; }));
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.max_connections_per_uid = 0; }));
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.max_connections_per_uid = l.max_read_connections + 1; }));
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.max_admin_connections = 0; }));
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.read_queue_depth = 0; }));
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.request_deadline = milliseconds(49); }));
  EXPECT_TRUE(refused([](LocalApiLimits& l) { l.request_deadline = milliseconds(60001); }));
  EXPECT_TRUE(validate_limits(LocalApiLimits{}).has_value());
}

TEST(ConnectionSlotsTest, PerUidTotalAndAdminCapsAreIndependent) {
  LocalApiLimits limits;
  limits.max_read_connections = 3;
  limits.max_connections_per_uid = 2;
  limits.max_admin_connections = 1;
  ConnectionSlots slots(limits);
  EXPECT_EQ(slots.admit(1000, Access::kRead), Admission::kAdmitted);
  EXPECT_EQ(slots.admit(1000, Access::kRead), Admission::kAdmitted);
  EXPECT_EQ(slots.admit(1000, Access::kRead), Admission::kUidFull);
  EXPECT_EQ(slots.admit(1001, Access::kRead), Admission::kAdmitted);
  EXPECT_EQ(slots.admit(1002, Access::kRead), Admission::kReadFull);
  // Root is admin: the full read side does not concern it.
  EXPECT_EQ(slots.admit(0, Access::kAdmin), Admission::kAdmitted);
  EXPECT_EQ(slots.admit(0, Access::kAdmin), Admission::kAdminFull);
  EXPECT_EQ(slots.admit(1003, Access::kNone), Admission::kForbidden);
  EXPECT_EQ(slots.read_open(), 3U);
  EXPECT_EQ(slots.admin_open(), 1U);
  slots.release(1000, Access::kRead);
  EXPECT_EQ(slots.open_for(1000), 1U);
  EXPECT_EQ(slots.admit(1002, Access::kRead), Admission::kAdmitted);
  slots.release(0, Access::kAdmin);
  EXPECT_EQ(slots.admit(0, Access::kAdmin), Admission::kAdmitted);
  slots.release(1001, Access::kRead);
  slots.release(1001, Access::kRead);  // a second release of a uid with no slot changes nothing
  EXPECT_EQ(slots.read_open(), 2U);
  EXPECT_EQ(slots.open_for(1001), 0U);
}

}  // namespace
}  // namespace rustynet::apps::daemon

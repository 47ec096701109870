// SPDX-License-Identifier: Apache-2.0
// Local API: authorisation classes, request validation, dispatch, and the real Unix socket.
#include "local_api.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>

#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "unix_socket_server.hpp"

namespace rustynet::apps::daemon {
namespace {

class RecordingHandler final : public LocalApiHandler {
 public:
  Reply status() override { return record("status", R"({"state":"running"})"); }
  Reply peers() override { return record("peers", R"({"peers":[]})"); }
  Reply routes() override { return record("routes", R"({"routes":[]})"); }
  Reply netmap() override { return Reply{false, {}, LocalApiError{"unavailable", "no state"}}; }
  Reply policy_check(const PolicyQuery& query) override {
    last_query = query;
    return record("policy_check", R"({"decision":"deny","rule":null,"reason":"default_deny"})");
  }
  Reply reload() override { return record("reload", R"({"reloaded":true})"); }

  std::vector<std::string> calls;
  PolicyQuery last_query;

 private:
  Reply record(const std::string& name, const std::string& result) {
    calls.push_back(name);
    return Reply{true, result, {}};
  }
};

nlohmann::json call(std::string_view line, Access access, LocalApiHandler& handler) {
  return nlohmann::json::parse(handle_local_request(line, access, handler));
}

TEST(LocalApiAccessTest, Classes) {
  const AccessRules rules{1000, 500, 600};
  EXPECT_EQ(classify_peer({0, 0, {}}, rules), Access::kAdmin);
  EXPECT_EQ(classify_peer({1000, 1000, {}}, rules), Access::kAdmin);         // the daemon's own uid
  EXPECT_EQ(classify_peer({2000, 600, {}}, rules), Access::kAdmin);          // primary admin group
  EXPECT_EQ(classify_peer({2000, 2000, {42, 600}}, rules), Access::kAdmin);  // supplementary
  EXPECT_EQ(classify_peer({2000, 500, {}}, rules), Access::kRead);
  EXPECT_EQ(classify_peer({2000, 2000, {500}}, rules), Access::kRead);
  EXPECT_EQ(classify_peer({2000, 2000, {42}}, rules), Access::kNone);
  const AccessRules no_admin{1000, 500, std::nullopt};
  EXPECT_EQ(classify_peer({2000, 600, {}}, no_admin), Access::kNone);
}

TEST(LocalApiProtocolTest, ReadMethodsDispatch) {
  RecordingHandler handler;
  const auto status = call(R"({"version":1,"method":"status"})", Access::kRead, handler);
  EXPECT_EQ(status["ok"], true);
  EXPECT_EQ(status["version"], 1);
  EXPECT_EQ(status["result"]["state"], "running");
  EXPECT_EQ(call(R"({"version":1,"method":"peers"})", Access::kRead, handler)["ok"], true);
  EXPECT_EQ(call(R"({"version":1,"method":"routes"})", Access::kRead, handler)["ok"], true);
  const auto netmap = call(R"({"version":1,"method":"netmap"})", Access::kRead, handler);
  EXPECT_EQ(netmap["ok"], false);
  EXPECT_EQ(netmap["error"], "unavailable");
  const auto check =
      call(R"({"version":1,"method":"policy_check","params":{"src":"n1","dst":"100.64.0.2","proto":"tcp","port":22}})",
           Access::kRead, handler);
  EXPECT_EQ(check["ok"], true);
  EXPECT_EQ(handler.last_query.dst, "100.64.0.2");
  EXPECT_EQ(handler.last_query.port, 22);
  EXPECT_EQ(handler.calls, (std::vector<std::string>{"status", "peers", "routes", "policy_check"}));
}

TEST(LocalApiProtocolTest, ReloadNeedsAdmin) {
  RecordingHandler handler;
  const auto denied = call(R"({"version":1,"method":"reload"})", Access::kRead, handler);
  EXPECT_EQ(denied["ok"], false);
  EXPECT_EQ(denied["error"], "forbidden");
  EXPECT_TRUE(handler.calls.empty());
  const auto allowed = call(R"({"version":1,"method":"reload"})", Access::kAdmin, handler);
  EXPECT_EQ(allowed["ok"], true);
  EXPECT_EQ(allowed["result"]["reloaded"], true);
}

TEST(LocalApiProtocolTest, NoAccessIsForbiddenForEverything) {
  RecordingHandler handler;
  EXPECT_EQ(call(R"({"version":1,"method":"status"})", Access::kNone, handler)["error"], "forbidden");
  EXPECT_TRUE(handler.calls.empty());
}

TEST(LocalApiProtocolTest, MalformedRequests) {
  RecordingHandler handler;
  for (const char* line :
       {"", "{", "[]", R"({"version":1})", R"({"version":2,"method":"status"})", R"({"method":"status"})",
        R"({"version":1,"method":"status","extra":1})", R"({"version":1,"method":"status","method":"peers"})",
        R"({"version":1,"method":"status","params":{}})", R"({"version":1,"method":"policy_check"})",
        R"({"version":1,"method":"policy_check","params":{"src":"a","dst":"b","proto":"sctp","port":1}})",
        R"({"version":1,"method":"policy_check","params":{"src":"a","dst":"b","proto":"tcp","port":70000}})",
        R"({"version":1,"method":7})"}) {
    const auto reply = call(line, Access::kAdmin, handler);
    EXPECT_EQ(reply["ok"], false) << line;
    EXPECT_EQ(reply["error"], "malformed") << line;
  }
  EXPECT_EQ(call(R"({"version":1,"method":"shutdown"})", Access::kAdmin, handler)["error"], "unknown_method");
  EXPECT_EQ(call(std::string(kMaxLocalRequestBytes + 1, ' '), Access::kAdmin, handler)["error"], "too_large");
  EXPECT_TRUE(handler.calls.empty());
}

std::string roundtrip(const std::string& path, const std::string& request) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::copy(path.begin(), path.end(), std::begin(address.sun_path));
  if (::connect(fd, static_cast<const sockaddr*>(static_cast<const void*>(&address)), sizeof(address)) != 0) {
    ::close(fd);
    return "connect failed";
  }
  (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  std::array<char, 4096> buffer{};
  while (true) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n <= 0) {
      break;
    }
    response.append(buffer.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  return response;
}

TEST(LocalApiServerTest, SocketModeGroupAndRoundTrip) {
  testing::TempDir dir;
  RecordingHandler handler;
  LocalApiServerOptions options;
  options.socket_path = dir.file("api.sock");
  options.socket_gid = ::getegid();
  options.rules = AccessRules{::geteuid(), ::getegid(), std::nullopt};
  options.limits.request_deadline = std::chrono::milliseconds(500);
  auto server = LocalApiServer::start(options, handler);
  ASSERT_TRUE(server.has_value()) << server.error().describe();
  struct stat info {};
  ASSERT_EQ(::lstat(options.socket_path.c_str(), &info), 0);
  EXPECT_TRUE(S_ISSOCK(info.st_mode));
  EXPECT_EQ(info.st_mode & 07777U, 0660U);
  EXPECT_EQ(info.st_gid, ::getegid());

  const auto reply = roundtrip(options.socket_path, "{\"version\":1,\"method\":\"status\"}\n");
  ASSERT_FALSE(reply.empty());
  EXPECT_EQ(reply.back(), '\n');
  EXPECT_EQ(nlohmann::json::parse(reply)["result"]["state"], "running");
  // The test runs as the daemon's uid: admin.
  EXPECT_EQ(nlohmann::json::parse(roundtrip(options.socket_path, "{\"version\":1,\"method\":\"reload\"}\n"))["ok"],
            true);
  // Malformed, unterminated and oversize requests get an error line, and the server keeps serving.
  EXPECT_EQ(nlohmann::json::parse(roundtrip(options.socket_path, "garbage\n"))["error"], "malformed");
  EXPECT_EQ(nlohmann::json::parse(roundtrip(options.socket_path, "{\"version\":1"))["error"], "malformed");
  EXPECT_EQ(
      nlohmann::json::parse(roundtrip(options.socket_path, std::string(kMaxLocalRequestBytes + 10, 'x')))["error"],
      "too_large");
  EXPECT_EQ(nlohmann::json::parse(roundtrip(options.socket_path, "{\"version\":1,\"method\":\"peers\"}\n"))["ok"],
            true);

  (*server)->stop();
  EXPECT_NE(::lstat(options.socket_path.c_str(), &info), 0);  // socket removed
}

TEST(LocalApiServerTest, RefusesToReplaceANonSocket) {
  testing::TempDir dir;
  RecordingHandler handler;
  LocalApiServerOptions options;
  options.socket_path = dir.file("api.sock");
  { std::ofstream(options.socket_path) << "x"; }
  const auto server = LocalApiServer::start(options, handler);
  ASSERT_FALSE(server.has_value());
  EXPECT_EQ(server.error().kind, DaemonErrorKind::kLocalApi);
}

}  // namespace
}  // namespace rustynet::apps::daemon

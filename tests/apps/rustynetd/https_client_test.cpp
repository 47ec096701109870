// SPDX-License-Identifier: Apache-2.0
// Tests of control::HttpsClient against a loopback TLS 1.3 responder.
#include "rustynet/control/https_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

#include "temp_dir.hpp"
#include "tls_responder.hpp"

namespace rustynet::control {
namespace {

using testing::ResponderReply;
using testing::ResponderRequest;
using testing::TlsResponder;

HttpsClientOptions pinned(const TlsResponder& responder) {
  HttpsClientOptions options;
  options.host = "127.0.0.1";
  options.port = responder.port();
  options.pin_sha256 = responder.pin_sha256();
  options.connect_timeout = std::chrono::seconds(5);
  options.request_timeout = std::chrono::seconds(5);
  return options;
}

ResponderReply echo(const ResponderRequest& request) {
  return ResponderReply{200, request.method + " " + request.target + " " + request.authorization + " " + request.body};
}

TEST(HttpsClientTest, PinnedRequestCarriesMethodPathBearerAndBody) {
  TlsResponder responder(echo);
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value()) << client.error();
  auto response = (*client)->send({"POST", "/v1/node/sync", "tok123", R"({"version":1})", std::nullopt});
  ASSERT_TRUE(response.has_value()) << response.error();
  EXPECT_EQ(response->status, 200U);
  EXPECT_EQ(response->body, R"(POST /v1/node/sync Bearer tok123 {"version":1})");
}

TEST(HttpsClientTest, KeepAliveReusesOneConnection) {
  TlsResponder responder(echo);
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  for (int i = 0; i < 5; ++i) {
    auto response = (*client)->send({"GET", "/v1/health", "", "", std::nullopt});
    ASSERT_TRUE(response.has_value()) << response.error();
  }
  EXPECT_EQ((*client)->connections_opened(), 1U);
  EXPECT_EQ(responder.connections_accepted(), 1U);
}

TEST(HttpsClientTest, ServerClosingReconnectsTransparently) {
  TlsResponder responder([](const ResponderRequest&) { return ResponderReply{204, "", false}; });
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  for (int i = 0; i < 3; ++i) {
    auto response = (*client)->send({"GET", "/", "", "", std::nullopt});
    ASSERT_TRUE(response.has_value()) << response.error();
    EXPECT_EQ(response->status, 204U);
  }
  EXPECT_EQ((*client)->connections_opened(), 3U);
}

// Waits (bounded) for an event of the responder's io thread; no fixed sleeps.
bool eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::yield();
  }
  return true;
}

TEST(HttpsClientTest, IdleConnectionClosedByTheServerIsReplacedBeforeSending) {
  std::atomic<int> handled{0};
  TlsResponder responder([&](const ResponderRequest&) {
    handled.fetch_add(1);
    ResponderReply reply{200, "ok"};
    reply.close_after = true;  // says keep-alive, then closes: an idle timeout on the server
    return reply;
  });
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  for (std::uint64_t i = 1; i <= 3; ++i) {
    auto response = (*client)->send({"GET", "/", "", "", std::nullopt});
    ASSERT_TRUE(response.has_value()) << response.error();
    ASSERT_TRUE(eventually([&] { return responder.connections_closed_after_reply() == i; }));
  }
  EXPECT_EQ(handled.load(), 3);
  EXPECT_EQ((*client)->connections_opened(), 3U);
}

// Every request carries a single-use token: a connection that dies after the request left may
// have delivered it, so the client reports the failure and never resends the same request.
TEST(HttpsClientTest, RequestIsNeverResentAfterTheConnectionDied) {
  std::atomic<int> handled{0};
  TlsResponder responder([&](const ResponderRequest&) {
    ResponderReply reply{200, "ok"};
    reply.drop = handled.fetch_add(1) == 1;  // the second request is received, then the connection dies
    return reply;
  });
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  ASSERT_TRUE((*client)->send({"POST", "/v1/node/sync", "token-1", "{}", std::nullopt}).has_value());
  auto lost = (*client)->send({"POST", "/v1/node/sync", "token-2", "{}", std::nullopt});
  ASSERT_FALSE(lost.has_value());
  EXPECT_EQ(lost.error().describe().find("token-2"), std::string::npos);
  EXPECT_EQ(handled.load(), 2) << "the request carrying token-2 was sent again";
  EXPECT_EQ(responder.connections_accepted(), 1U);
  auto next = (*client)->send({"POST", "/v1/node/sync", "token-3", "{}", std::nullopt});
  ASSERT_TRUE(next.has_value()) << next.error();
  EXPECT_EQ(handled.load(), 3);
}

TEST(HttpsClientTest, WrongPinRefusedBeforeAnyRequest) {
  TlsResponder responder(echo);
  auto options = pinned(responder);
  options.pin_sha256 = std::string(64, 'a');
  auto client = HttpsClient::create(options);
  ASSERT_TRUE(client.has_value());
  auto response = (*client)->send({"GET", "/", "secret-token", "", std::nullopt});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, HttpsClientErrorKind::kPinMismatch);
  EXPECT_EQ(response.error().describe().find("secret-token"), std::string::npos);
  EXPECT_EQ(responder.requests_served(), 0U);
}

TEST(HttpsClientTest, CaFileWithMatchingAndWrongServerName) {
  TlsResponder responder(echo);
  testing::TempDir dir;
  const auto ca = dir.file("ca.pem");
  std::ofstream(ca) << responder.certificate_pem();
  HttpsClientOptions options;
  options.host = "127.0.0.1";
  options.port = responder.port();
  options.ca_file = ca;
  options.server_name = "localhost";
  auto good = HttpsClient::create(options);
  ASSERT_TRUE(good.has_value()) << good.error();
  auto ok = (*good)->send({"GET", "/", "", "", std::nullopt});
  ASSERT_TRUE(ok.has_value()) << ok.error();

  options.server_name = "control.example";
  auto bad = HttpsClient::create(options);
  ASSERT_TRUE(bad.has_value());
  auto refused = (*bad)->send({"GET", "/", "", "", std::nullopt});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().kind, HttpsClientErrorKind::kTls);
}

TEST(HttpsClientTest, ResponseAboveBoundIsTyped) {
  TlsResponder responder([](const ResponderRequest&) { return ResponderReply{200, std::string(4096, 'x')}; });
  auto options = pinned(responder);
  options.max_response_bytes = 1024;
  auto client = HttpsClient::create(options);
  ASSERT_TRUE(client.has_value());
  auto response = (*client)->send({"GET", "/", "", "", std::nullopt});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, HttpsClientErrorKind::kResponseTooLarge);
}

TEST(HttpsClientTest, RequestAboveBoundIsNotSent) {
  TlsResponder responder(echo);
  auto options = pinned(responder);
  options.max_request_bytes = 16;
  auto client = HttpsClient::create(options);
  ASSERT_TRUE(client.has_value());
  auto response = (*client)->send({"POST", "/", "", std::string(17, 'x'), std::nullopt});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, HttpsClientErrorKind::kRequestTooLarge);
  EXPECT_EQ(responder.connections_accepted(), 0U);
}

TEST(HttpsClientTest, SlowServerTimesOut) {
  TlsResponder responder([](const ResponderRequest&) {
    ResponderReply reply{200, "late"};
    reply.delay = std::chrono::milliseconds(2000);
    return reply;
  });
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  const auto start = std::chrono::steady_clock::now();
  auto response = (*client)->send({"GET", "/", "", "", std::chrono::milliseconds(200)});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, HttpsClientErrorKind::kTimeout);
  EXPECT_LT(elapsed, std::chrono::milliseconds(1500));
}

TEST(HttpsClientTest, AbortStopsALongPollFromAnotherThread) {
  TlsResponder responder([](const ResponderRequest&) {
    ResponderReply reply{204, ""};
    reply.delay = std::chrono::milliseconds(3000);
    return reply;
  });
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    (*client)->abort();
  });
  const auto start = std::chrono::steady_clock::now();
  auto response = (*client)->send({"POST", "/v1/node/sync", "", "{}", std::chrono::seconds(10)});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  stopper.join();
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, HttpsClientErrorKind::kAborted);
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  auto after = (*client)->send({"GET", "/", "", "", std::nullopt});
  ASSERT_FALSE(after.has_value());
  EXPECT_EQ(after.error().kind, HttpsClientErrorKind::kAborted);
}

// interrupt() is one-shot: the parked request fails at once and its connection is dropped, the
// next request works on a fresh connection (an underlay address change, docs/daemon.md).
TEST(HttpsClientTest, InterruptStopsALongPollOnceAndLaterSendsWork) {
  std::atomic<bool> held{false};  // the server holds /park (its request arrived, no answer yet)
  TlsResponder responder([&held](const ResponderRequest& request) {
    ResponderReply reply{204, ""};
    if (request.target == "/park") {
      reply.delay = std::chrono::milliseconds(3000);
      held = true;
    }
    return reply;
  });
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  ASSERT_TRUE((*client)->send({"GET", "/", "", "", std::nullopt}).has_value());
  std::thread interrupter([&] {
    ASSERT_TRUE(eventually([&] { return held.load(); }));
    (*client)->interrupt();
  });
  const auto start = std::chrono::steady_clock::now();
  auto parked = (*client)->send({"POST", "/park", "", "{}", std::chrono::seconds(10)});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  interrupter.join();
  ASSERT_FALSE(parked.has_value());
  EXPECT_EQ(parked.error().kind, HttpsClientErrorKind::kIo);
  EXPECT_NE(parked.error().message.find("interrupted"), std::string::npos) << parked.error();
  EXPECT_LT(elapsed, std::chrono::milliseconds(2000));
  // Used up: the next request goes out (on a new connection) and so does the one after it.
  for (int i = 0; i < 2; ++i) {
    auto after = (*client)->send({"GET", "/", "", "", std::nullopt});
    ASSERT_TRUE(after.has_value()) << after.error();
    EXPECT_EQ(after->status, 204U);
  }
  EXPECT_EQ((*client)->connections_opened(), 2U);
}

TEST(HttpsClientTest, InterruptBetweenSendsDropsTheKeptConnection) {
  TlsResponder responder(echo);
  auto client = HttpsClient::create(pinned(responder));
  ASSERT_TRUE(client.has_value());
  ASSERT_TRUE((*client)->send({"GET", "/a", "", "", std::nullopt}).has_value());
  (*client)->interrupt();
  (*client)->interrupt();  // absorbed by the first
  auto next = (*client)->send({"GET", "/b", "", "", std::nullopt});
  ASSERT_TRUE(next.has_value()) << next.error();
  EXPECT_EQ(next->body, "GET /b  ");
  EXPECT_EQ((*client)->connections_opened(), 2U);
  ASSERT_TRUE((*client)->send({"GET", "/c", "", "", std::nullopt}).has_value());
  EXPECT_EQ((*client)->connections_opened(), 2U);
}

TEST(HttpsClientTest, ConnectionRefusedIsTyped) {
  HttpsClientOptions options;
  options.host = "127.0.0.1";
  {
    TlsResponder responder(echo);
    options.port = responder.port();
    options.pin_sha256 = responder.pin_sha256();
  }
  auto client = HttpsClient::create(options);
  ASSERT_TRUE(client.has_value());
  auto response = (*client)->send({"GET", "/", "", "", std::nullopt});
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, HttpsClientErrorKind::kConnect);
}

TEST(HttpsClientTest, InvalidOptionsRefused) {
  HttpsClientOptions options;
  options.host = "127.0.0.1";
  options.port = 1;
  EXPECT_FALSE(HttpsClient::create(options).has_value());  // neither pin nor CA
  options.pin_sha256 = "ABC";
  EXPECT_FALSE(HttpsClient::create(options).has_value());  // bad pin
  options.pin_sha256 = std::string(64, '0');
  options.ca_file = "/nonexistent";
  EXPECT_FALSE(HttpsClient::create(options).has_value());  // both
  options.ca_file.clear();
  options.tls_policy.min_version = TlsVersion::kTls12;
  const auto weak = HttpsClient::create(options);
  ASSERT_FALSE(weak.has_value());
  EXPECT_EQ(weak.error().kind, HttpsClientErrorKind::kInvalidConfig);
}

TEST(HttpsClientTest, ParseHostPort) {
  auto v4 = parse_host_port("192.0.2.1:8443");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->first, "192.0.2.1");
  EXPECT_EQ(v4->second, 8443);
  auto v6 = parse_host_port("[2001:db8::1]:443");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->first, "2001:db8::1");
  auto name = parse_host_port("control.example:443");
  ASSERT_TRUE(name.has_value());
  for (const char* bad :
       {"", "host", ":1", "host:0", "host:65536", "host:01", "2001:db8::1:443", "[::1]443", "a b:1"}) {
    EXPECT_FALSE(parse_host_port(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace rustynet::control

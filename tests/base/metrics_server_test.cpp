// SPDX-License-Identifier: Apache-2.0
// MetricsServer: loopback-only addresses, GET /metrics, 404/405/400/431/408, bounded slow clients.
#include "rustynet/base/metrics_server.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "metrics_scrape.hpp"

namespace rustynet::base {
namespace {

using rustynet::testing::http_exchange;

TEST(LoopbackEndpoint, AcceptsOnlyLoopback) {
  auto v4 = parse_loopback_endpoint("127.0.0.1:9101");
  ASSERT_TRUE(v4.has_value()) << v4.error().message;
  EXPECT_EQ(v4->port, 9101);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:9101");
  EXPECT_TRUE(parse_loopback_endpoint("127.3.2.1:0").has_value());
  auto v6 = parse_loopback_endpoint("[::1]:9102");
  ASSERT_TRUE(v6.has_value()) << v6.error().message;
  EXPECT_TRUE(v6->ipv6);
  EXPECT_EQ(v6->to_string(), "[::1]:9102");
  for (const char* refused : {"0.0.0.0:9101", "10.0.0.1:9101", "128.0.0.1:9101", "[::]:9101", "[::2]:9101",
                              "[::ffff:127.0.0.1]:9101", "localhost:9101", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                              "127.0.0.1:-1", "127.0.0.1:9x", "::1:9101", "", ":9101", "[127.0.0.1]:9101"}) {
    const auto parsed = parse_loopback_endpoint(refused);
    EXPECT_FALSE(parsed.has_value()) << refused;
  }
  const auto public_address = parse_loopback_endpoint("192.0.2.1:9101");
  ASSERT_FALSE(public_address.has_value());
  EXPECT_NE(public_address.error().message.find("loopback"), std::string::npos);
}

class MetricsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    counter_ = registry_.counter("test_requests_total", "h").value();
    counter_->inc(3);
    MetricsServerOptions options;
    options.io_timeout = std::chrono::milliseconds(300);
    options.max_request_bytes = 1024;
    auto started = MetricsServer::start(parse_loopback_endpoint("127.0.0.1:0").value(), registry_, options);
    ASSERT_TRUE(started.has_value()) << started.error().describe();
    server_ = std::move(started).value();
    ASSERT_NE(server_->port(), 0);
  }

  std::string exchange(std::string_view request) { return http_exchange(server_->port(), request).value_or(""); }

  MetricsRegistry registry_;
  Counter* counter_ = nullptr;
  std::unique_ptr<MetricsServer> server_;
};

TEST_F(MetricsServerTest, ServesTheRegistryAsText004) {
  const std::string reply = exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos);
  EXPECT_NE(reply.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(reply.ends_with("\r\n\r\n" + registry_.render())) << reply;
  counter_->inc();
  const auto body = rustynet::testing::scrape_metrics(server_->port());
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(rustynet::testing::sample_value(*body, "test_requests_total"), 4.0);
  // A query string does not change the answer (Prometheus may add one).
  EXPECT_TRUE(exchange("GET /metrics?x=1 HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 200 OK"));
}

TEST_F(MetricsServerTest, AnswersEverythingElseWithAnError) {
  EXPECT_TRUE(exchange("GET / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(exchange("GET /metricsx HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  EXPECT_TRUE(exchange("GET /v1/health HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
  const std::string post = exchange("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(post.starts_with("HTTP/1.1 405 ")) << post;
  EXPECT_NE(post.find("Allow: GET\r\n"), std::string::npos);
  EXPECT_TRUE(exchange("HEAD /metrics HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405 "));
  EXPECT_TRUE(exchange("GARBAGE\r\n\r\n").starts_with("HTTP/1.1 400 "));
  EXPECT_TRUE(exchange("GET /metrics SPDY/3\r\n\r\n").starts_with("HTTP/1.1 400 "));
}

TEST_F(MetricsServerTest, BoundsTheRequestHeadInBytesAndTime) {
  const std::string huge = "GET /metrics HTTP/1.1\r\nX-Pad: " + std::string(4000, 'a') + "\r\n\r\n";
  EXPECT_TRUE(exchange(huge).starts_with("HTTP/1.1 431 "));
  // A client that never finishes its head is answered once the deadline passes, and the server
  // serves the next scrape normally.
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(exchange("GET /metrics HTTP/1.1\r\n").starts_with("HTTP/1.1 408 "));
  const auto waited = std::chrono::steady_clock::now() - started;
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_TRUE(rustynet::testing::scrape_metrics(server_->port()).has_value());
}

TEST_F(MetricsServerTest, StopsAndReleasesThePort) {
  const std::uint16_t port = server_->port();
  server_->stop();
  server_->stop();  // idempotent
  EXPECT_FALSE(rustynet::testing::http_exchange(port, "GET /metrics HTTP/1.1\r\n\r\n").has_value());
}

TEST(MetricsServer, ReportsATakenPort) {
  MetricsRegistry registry;
  auto first = MetricsServer::start(parse_loopback_endpoint("127.0.0.1:0").value(), registry);
  ASSERT_TRUE(first.has_value());
  LoopbackEndpoint same = parse_loopback_endpoint("127.0.0.1:0").value();
  same.port = (*first)->port();
  const auto second = MetricsServer::start(same, registry);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().error_number, EADDRINUSE);
}

}  // namespace
}  // namespace rustynet::base

// SPDX-License-Identifier: Apache-2.0
// rustynet-control over real loopback TLS: every control exercised through the running server.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "https_client.hpp"
#include "server_harness.hpp"

namespace rustynet::testing {
namespace {

using std::chrono::seconds;

std::unique_ptr<HttpsClient> connect(const ServerHarness& h, const std::string& ip = "127.0.0.1") {
  std::string error;
  auto client = HttpsClient::connect(h.port(), ip, &error);
  EXPECT_NE(client, nullptr) << error;
  return client;
}

std::string failure_class(const HttpReply& reply) {
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  return json.is_object() && json.contains("error") ? json["error"].get<std::string>() : "";
}

nlohmann::json last_event(const ServerHarness& h) {
  const auto lines = h.events.lines();
  return lines.empty() ? nlohmann::json() : nlohmann::json::parse(lines.back());
}

// Transport events can be emitted just after the client already saw the connection close.
nlohmann::json wait_for_event(const ServerHarness& h) {
  for (int attempt = 0; attempt < 500 && h.events.size() == 0; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return last_event(h);
}

TEST(ControlServerTest, HealthOverTls13) {
  ServerHarness h;
  auto client = connect(h);
  const auto reply = client->request("GET", "/v1/health");
  ASSERT_TRUE(reply.transport_ok) << reply.error;
  EXPECT_EQ(reply.status, 200U);
  EXPECT_EQ(reply.body, R"({"status":"ok"})");
  EXPECT_EQ(last_event(h)["endpoint"], "/v1/health");
}

TEST(ControlServerTest, OlderTlsClientsRefusedByTheServer) {
  ServerHarness h;
  EXPECT_EQ(client_handshake(h.port(), ClientTlsCap::kTls13).negotiated_version, "TLSv1.3");
  const auto tls12 = client_handshake(h.port(), ClientTlsCap::kTls12);
  EXPECT_FALSE(tls12.succeeded);
  EXPECT_NE(tls12.error.find("protocol version"), std::string::npos) << tls12.error;
  const auto tls11 = client_handshake(h.port(), ClientTlsCap::kTls11);
  EXPECT_FALSE(tls11.succeeded);
  EXPECT_NE(tls11.error.find("protocol version"), std::string::npos) << tls11.error;
}

TEST(ControlServerTest, EchoReturnsVerifiedIdentityAndReplayIsRejected) {
  ServerHarness h;
  auto client = connect(h);
  const std::string token = h.issuer.issue("node-alice").value();
  const auto ok = client->request("POST", "/v1/echo", token);
  EXPECT_EQ(ok.status, 200U);
  EXPECT_EQ(nlohmann::json::parse(ok.body)["identity"], "node-alice");
  const auto replay = client->request("POST", "/v1/echo", token);
  EXPECT_EQ(replay.status, 401U);
  EXPECT_EQ(failure_class(replay), "replayed_nonce");
}

TEST(ControlServerTest, ReplayRejectedAfterRestart) {
  ServerHarness h;
  const std::string token = h.issuer.issue("node-alice").value();
  EXPECT_EQ(connect(h)->request("POST", "/v1/echo", token).status, 200U);
  h.restart();
  const auto replay = connect(h)->request("POST", "/v1/echo", token);
  EXPECT_EQ(replay.status, 401U);
  EXPECT_EQ(failure_class(replay), "replayed_nonce");
}

TEST(ControlServerTest, EachTokenRejectionThroughTheServer) {
  ServerHarness h;
  const auto& issuer = h.issuer;
  struct Case {
    std::string source;
    std::string token;
    std::string expected;
  };
  const control::TokenIssuer forger(harness_key(66), "rustynet-control", h.clock);
  const control::TokenIssuer other_audience(harness_key(5), "another-service", h.clock);
  const std::string revoked_subject = issuer.issue("node-revoked").value();
  ASSERT_TRUE(h.store->revoke_subject("node-revoked").has_value());
  const std::string revoked_id = issuer.issue("node-bob").value();
  ASSERT_TRUE(h.store->revoke_token(control::peek_claims(revoked_id).value().token_id, base::UnixTime{1'800'000'390})
                  .has_value());
  const std::vector<Case> cases{
      {"127.0.1.1", "", "missing_token"},
      {"127.0.1.2", "not-a-token", "malformed_token"},
      {"127.0.1.3", forger.issue("node-alice").value(), "bad_signature"},
      {"127.0.1.4", issuer.issue_at("node-a", base::UnixTime{1'800'000'000 - 391}, seconds(300)).value(), "expired"},
      {"127.0.1.5", issuer.issue_at("node-b", base::UnixTime{1'800'000'091}, seconds(300)).value(), "not_yet_valid"},
      {"127.0.1.6", other_audience.issue("node-c").value(), "wrong_audience"},
      {"127.0.1.7", revoked_subject, "revoked"},
      {"127.0.1.8", revoked_id, "revoked"},
      {"127.0.1.9", issuer.issue_at("node-d", base::UnixTime{1'800'000'000}, seconds(301)).value(), "invalid_lifetime"},
  };
  for (const auto& c : cases) {
    const auto reply = connect(h, c.source)->request("POST", "/v1/echo", c.token);
    EXPECT_EQ(reply.status, 401U) << c.expected;
    EXPECT_EQ(failure_class(reply), c.expected);
    EXPECT_EQ(last_event(h)["failure_class"], c.expected);
    EXPECT_EQ(last_event(h)["source_ip"], c.source);
  }
}

TEST(ControlServerTest, PerIpRateLimitWithRetryAfterAndRefill) {
  ServerHarness h;
  auto client = connect(h, "127.0.2.1");
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(client->request("GET", "/v1/health").status, 200U) << i;
  }
  const auto limited = client->request("GET", "/v1/health");
  EXPECT_EQ(limited.status, 429U);
  EXPECT_EQ(limited.retry_after, "6");
  EXPECT_EQ(failure_class(limited), "rate_limited_ip");
  EXPECT_EQ(last_event(h)["limiter_decision"], "deny_ip");
  // Another source is unaffected; after 6 s exactly one more request passes.
  EXPECT_EQ(connect(h, "127.0.2.2")->request("GET", "/v1/health").status, 200U);
  h.clock.advance(seconds(6));
  EXPECT_EQ(client->request("GET", "/v1/health").status, 200U);
  EXPECT_EQ(client->request("GET", "/v1/health").status, 429U);
}

TEST(ControlServerTest, PerIdentityRateLimitAcrossSources) {
  ServerHarness h;
  for (int i = 0; i < 10; ++i) {
    const auto reply = connect(h, "127.0.3." + std::to_string(i + 1))
                           ->request("POST", "/v1/echo", h.issuer.issue("node-busy").value());
    ASSERT_EQ(reply.status, 200U) << i;
  }
  const auto limited = connect(h, "127.0.3.50")->request("POST", "/v1/echo", h.issuer.issue("node-busy").value());
  EXPECT_EQ(limited.status, 429U);
  EXPECT_EQ(failure_class(limited), "rate_limited_identity");
  EXPECT_EQ(limited.retry_after, "180");
}

TEST(ControlServerTest, LockoutBackoffAndResetThroughServer) {
  ServerHarness h;
  auto client = connect(h, "127.0.4.1");
  EXPECT_EQ(client->request("POST", "/v1/echo", "garbage").status, 401U);
  auto locked = client->request("POST", "/v1/echo", "x");
  EXPECT_EQ(locked.status, 429U);
  EXPECT_EQ(failure_class(locked), "locked_out");
  EXPECT_EQ(locked.retry_after, "30");
  // Key changed (was: the source's lock held every request): a registered key is not held.
  EXPECT_EQ(client->request("POST", "/v1/echo", h.issuer.issue("node-alice").value()).status, 200U);
  h.clock.advance(seconds(30));
  EXPECT_EQ(client->request("POST", "/v1/echo", "garbage").status, 401U);
  EXPECT_EQ(client->request("POST", "/v1/echo", "x").retry_after, "60");
  h.clock.advance(seconds(60));
  // Success, then the full cooldown: the next failure starts again at 30 s.
  EXPECT_EQ(client->request("POST", "/v1/echo", h.issuer.issue("node-alice").value()).status, 200U);
  h.clock.advance(seconds(900));
  EXPECT_EQ(client->request("POST", "/v1/echo", "garbage").status, 401U);
  EXPECT_EQ(client->request("POST", "/v1/echo", "x").retry_after, "30");
}

TEST(ControlServerTest, LimiterFaultDeniesThroughServer) {
  ServerHarness h;
  h.faulty_ip->failing = true;
  auto client = connect(h);
  const auto reply = client->request("GET", "/v1/health");
  EXPECT_EQ(reply.status, 503U);
  EXPECT_EQ(failure_class(reply), "limiter_state_unavailable");
  h.faulty_ip->failing = false;
  EXPECT_EQ(client->request("GET", "/v1/health").status, 200U);
}

TEST(ControlServerTest, NonceStoreFaultAndFullDenyThroughServer) {
  ServerHarness h({}, apps::control_server::default_endpoint_policy, 1);
  h.faulty_nonces->failing = true;
  auto client = connect(h);
  const auto faulted = client->request("POST", "/v1/echo", h.issuer.issue("node-alice").value());
  EXPECT_EQ(faulted.status, 503U);
  EXPECT_EQ(failure_class(faulted), "state_unavailable");
  h.faulty_nonces->failing = false;
  EXPECT_EQ(client->request("POST", "/v1/echo", h.issuer.issue("node-alice").value()).status, 200U);
  const auto full = client->request("POST", "/v1/echo", h.issuer.issue("node-alice").value());
  EXPECT_EQ(full.status, 503U);
  EXPECT_EQ(failure_class(full), "nonce_store_full");
}

TEST(ControlServerTest, WallClockUnusableFailsClosedThroughServer) {
  ServerHarness h;
  const std::string token = h.issuer.issue("node-alice").value();
  h.clock.set_wall_usable(false);
  const auto reply = connect(h)->request("POST", "/v1/echo", token);
  EXPECT_EQ(reply.status, 503U);
  EXPECT_EQ(failure_class(reply), "clock_unavailable");
}

TEST(ControlServerTest, PolicyDenyThroughServer) {
  ServerHarness h({}, [](std::string_view identity, std::string_view endpoint) {
    return identity == "node-alice" ? apps::control_server::default_endpoint_policy(identity, endpoint)
                                    : policy::Decision::default_deny();
  });
  const auto denied = connect(h)->request("POST", "/v1/echo", h.issuer.issue("node-eve").value());
  EXPECT_EQ(denied.status, 403U);
  EXPECT_EQ(failure_class(denied), "policy_denied");
  EXPECT_EQ(connect(h)->request("POST", "/v1/echo", h.issuer.issue("node-alice").value()).status, 200U);
}

TEST(ControlServerTest, OneEventPerDecisionAndNoTokenMaterial) {
  ServerHarness h;
  auto client = connect(h);
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    tokens.push_back(h.issuer.issue("node-alice").value());
  }
  (void)client->request("GET", "/v1/health");
  (void)client->request("POST", "/v1/echo", tokens[0]);
  (void)client->request("POST", "/v1/echo", tokens[0]);
  (void)client->request("POST", "/v1/echo", tokens[1] + "AAAA");
  (void)client->request("POST", "/v1/echo", tokens[2]);
  const auto lines = h.events.lines();
  ASSERT_EQ(lines.size(), 5U);
  for (const auto& line : lines) {
    const auto event = nlohmann::json::parse(line);
    for (const char* field : {"timestamp", "source_ip", "identity", "endpoint", "failure_class", "limiter_decision"}) {
      EXPECT_TRUE(event.contains(field)) << field;
    }
    for (const auto& token : tokens) {
      const std::size_t dot = token.find('.');
      EXPECT_EQ(line.find(token.substr(0, 20)), std::string::npos);
      EXPECT_EQ(line.find(token.substr(dot + 1, 20)), std::string::npos);
      EXPECT_EQ(line.find(control::peek_claims(token).value().nonce), std::string::npos);
    }
  }
}

TEST(ControlServerTest, MalformedHttpGets400AndClose) {
  ServerHarness h;
  auto client = connect(h);
  const auto reply = client->raw("GARBAGE\x01 / HTTP/9.9\r\n\r\n");
  EXPECT_EQ(reply.status, 400U);
  EXPECT_FALSE(reply.keep_alive);
  EXPECT_EQ(last_event(h)["failure_class"], "malformed_http");
}

TEST(ControlServerTest, OversizeHeadersGet431) {
  ServerHarness h;
  auto client = connect(h);
  const std::string request =
      "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(16 * 1024, 'a') + "\r\n\r\n";
  const auto reply = client->raw(request);
  EXPECT_EQ(reply.status, 431U);
  EXPECT_EQ(last_event(h)["failure_class"], "headers_too_large");
}

TEST(ControlServerTest, OversizeBodyGets413) {
  ServerHarness h;
  auto client = connect(h);
  // Headers only: the declared length alone triggers 413 (also sending the body would race the
  // server's close against our write).
  const auto reply = client->raw("POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n");
  EXPECT_EQ(reply.status, 413U);
  EXPECT_EQ(last_event(h)["failure_class"], "body_too_large");
}

TEST(ControlServerTest, SlowClientCutOffAfterRequestTimeout) {
  apps::control_server::ServerOptions options;
  options.limits.request_timeout = std::chrono::milliseconds(300);
  ServerHarness h(options);
  auto client = connect(h);
  const auto elapsed = client->wait_for_close_after("POST /v1/echo HTTP/1.1\r\nHost: x\r\n", seconds(10));
  EXPECT_GE(elapsed.count(), 250);
  EXPECT_LT(elapsed.count(), 5000);
  EXPECT_EQ(wait_for_event(h)["failure_class"], "request_timeout");
}

TEST(ControlServerTest, ConnectionCapRefusesExtraConnections) {
  apps::control_server::ServerOptions options;
  options.limits.max_connections = 2;
  ServerHarness h(options);
  auto first = connect(h, "127.0.5.1");
  auto second = connect(h, "127.0.5.2");
  ASSERT_EQ(first->request("GET", "/v1/health").status, 200U);
  ASSERT_EQ(second->request("GET", "/v1/health").status, 200U);
  std::string error;
  EXPECT_EQ(HttpsClient::connect(h.port(), "127.0.5.3", &error), nullptr);
  EXPECT_GE(h.server->stats().refused_over_cap, 1U);
  // Existing clients keep working; once one leaves, a new one gets in.
  EXPECT_EQ(first->request("GET", "/v1/health").status, 200U);
  second.reset();
  std::unique_ptr<HttpsClient> third;
  for (int attempt = 0; attempt < 200 && !third; ++attempt) {
    if (h.server->stats().active < 2) {
      third = HttpsClient::connect(h.port(), "127.0.5.3", &error);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // waiting for the server to see the close
    }
  }
  ASSERT_NE(third, nullptr);
  EXPECT_EQ(third->request("GET", "/v1/health").status, 200U);
}

TEST(ControlServerTest, UnknownRouteAndWrongMethod) {
  ServerHarness h;
  auto client = connect(h);
  EXPECT_EQ(client->request("GET", "/v1/nothing").status, 404U);
  EXPECT_EQ(client->request("POST", "/v1/health").status, 405U);
}

}  // namespace
}  // namespace rustynet::testing

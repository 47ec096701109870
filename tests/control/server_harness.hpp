// SPDX-License-Identifier: Apache-2.0
// ServerHarness: a real ControlServer on 127.0.0.1:0 with every control wired in and injectable.
#pragma once

#include <memory>
#include <string>

#include "control_server.hpp"
#include "fakes.hpp"
#include "manual_clock.hpp"
#include "rustynet/control/auth_chain.hpp"
#include "rustynet/control/lockout.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/sqlite_store.hpp"
#include "rustynet/control/token_validator.hpp"
#include "temp_dir.hpp"
#include "test_cert.hpp"

namespace rustynet::testing {

inline crypto::Ed25519SigningKey harness_key(std::uint8_t seed_byte) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(seed_byte);
  return crypto::Ed25519SigningKey::from_seed(seed).value();
}

// Composition mirrors apps/rustynet-control/src/control_service.cpp, plus fault injectors.
class ServerHarness {
 public:
  explicit ServerHarness(apps::control_server::ServerOptions options = {},
                         control::EndpointPolicy policy = apps::control_server::default_endpoint_policy,
                         std::size_t nonce_capacity = 100'000)
      : clock(1'800'000'000),
        issuer(harness_key(5), "rustynet-control", clock),
        options_(std::move(options)),
        policy_(std::move(policy)),
        nonce_capacity_(nonce_capacity) {
    start();
  }
  ~ServerHarness() { stop(); }
  ServerHarness(const ServerHarness&) = delete;
  ServerHarness& operator=(const ServerHarness&) = delete;
  ServerHarness(ServerHarness&&) = delete;
  ServerHarness& operator=(ServerHarness&&) = delete;

  // Like a process restart: new in-memory limiters and lockout, same SQLite file.
  void restart() {
    stop();
    start();
  }

  void stop() {
    if (server) {
      server->stop();
    }
    server.reset();
    chain.reset();
    validator.reset();
    faulty_ip.reset();
    faulty_nonces.reset();
    store.reset();
  }

  [[nodiscard]] std::uint16_t port() const { return server->port(); }

  ManualClock clock;
  control::TokenIssuer issuer;
  TempDir dir;
  EventLog events;
  std::unique_ptr<control::EventSink> sink = events.make_sink();
  std::unique_ptr<control::SqliteControlStore> store;
  std::unique_ptr<control::TokenBucketLimiter> ip_limiter;
  std::unique_ptr<control::TokenBucketLimiter> identity_limiter;
  std::unique_ptr<control::BackoffLockout> lockout;
  std::unique_ptr<FaultyLimiter> faulty_ip;
  std::unique_ptr<FaultyNonceStore> faulty_nonces;
  std::unique_ptr<control::TokenValidator> validator;
  std::unique_ptr<control::AuthChain> chain;
  std::unique_ptr<apps::control_server::ControlServer> server;

 private:
  void start() {
    store =
        control::SqliteControlStore::open(dir.file("control.db"), control::SqliteStoreOptions{nonce_capacity_}).value();
    ip_limiter = control::TokenBucketLimiter::create(control::kPerIpRateLimit).value();
    identity_limiter = control::TokenBucketLimiter::create(control::kPerIdentityRateLimit).value();
    lockout = control::BackoffLockout::create(control::kDefaultLockout).value();
    faulty_ip = std::make_unique<FaultyLimiter>(*ip_limiter);
    faulty_nonces = std::make_unique<FaultyNonceStore>(*store);
    validator = std::make_unique<control::TokenValidator>(control::TokenValidatorConfig{"rustynet-control"},
                                                          std::vector<crypto::Ed25519PublicKey>{issuer.public_key()},
                                                          clock, *store, *faulty_nonces);
    chain = std::make_unique<control::AuthChain>(control::AuthChainParts{
        &clock, faulty_ip.get(), identity_limiter.get(), lockout.get(), validator.get(), policy_, sink.get()});
    auto tls = control::TlsServerContext::create(make_test_tls_config());
    server = apps::control_server::ControlServer::start(options_, std::move(tls).value(), *chain, *sink).value();
  }

  apps::control_server::ServerOptions options_;
  control::EndpointPolicy policy_;
  std::size_t nonce_capacity_;
};

}  // namespace rustynet::testing

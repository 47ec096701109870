// SPDX-License-Identifier: Apache-2.0
// Builds the control plane from its configuration; nothing here is optional.
#include "control_service.hpp"

#include <unistd.h>

#include "rustynet/base/file_io.hpp"
#include "rustynet/control/auth_chain.hpp"
#include "rustynet/control/lockout.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/sqlite_store.hpp"
#include "rustynet/control/tls_context.hpp"
#include "rustynet/control/token_validator.hpp"

namespace rustynet::apps::control_server {

struct ControlService::Parts {
  std::unique_ptr<control::SqliteControlStore> store;
  std::unique_ptr<control::TokenBucketLimiter> ip_limiter;
  std::unique_ptr<control::TokenBucketLimiter> identity_limiter;
  std::unique_ptr<control::BackoffLockout> lockout;
  std::unique_ptr<control::TokenValidator> validator;
  std::unique_ptr<control::EventSink> events;
  std::unique_ptr<control::AuthChain> chain;
  std::unique_ptr<ControlServer> server;  // last: stopped and destroyed first
};

base::Result<std::unique_ptr<ControlService>, ConfigError> ControlService::start(const ServiceConfig& config,
                                                                                 const base::Clock& clock) {
  auto parts = std::make_unique<Parts>();
  if (auto dir = base::check_private_dir(config.state_dir, 0700, ::geteuid()); !dir.has_value()) {
    return base::unexpected(ConfigError{"state_dir: " + dir.error().describe()});
  }
  auto store = control::SqliteControlStore::open(config.state_dir + "/control.db",
                                                 control::SqliteStoreOptions{config.nonce_capacity});
  if (!store.has_value()) {
    return base::unexpected(ConfigError{store.error().message});
  }
  parts->store = std::move(store).value();

  auto ip_limiter = control::TokenBucketLimiter::create(control::kPerIpRateLimit);
  auto identity_limiter = control::TokenBucketLimiter::create(control::kPerIdentityRateLimit);
  auto lockout = control::BackoffLockout::create(control::kDefaultLockout);
  if (!ip_limiter.has_value() || !identity_limiter.has_value() || !lockout.has_value()) {
    return base::unexpected(ConfigError{"abuse-control defaults rejected"});
  }
  parts->ip_limiter = std::move(ip_limiter).value();
  parts->identity_limiter = std::move(identity_limiter).value();
  parts->lockout = std::move(lockout).value();
  parts->validator = std::make_unique<control::TokenValidator>(control::TokenValidatorConfig{config.audience},
                                                               config.token_keys, clock, *parts->store, *parts->store);
  auto events = control::make_file_event_sink(config.security_event_log);
  if (!events.has_value()) {
    return base::unexpected(ConfigError{events.error().message});
  }
  parts->events = std::move(events).value();
  parts->chain = std::make_unique<control::AuthChain>(
      control::AuthChainParts{&clock, parts->ip_limiter.get(), parts->identity_limiter.get(), parts->lockout.get(),
                              parts->validator.get(), default_endpoint_policy, parts->events.get()});

  auto cert = base::read_file_bounded(config.certificate_file, 1U << 20U);
  if (!cert.has_value()) {
    return base::unexpected(ConfigError{"tls.certificate_file: " + cert.error().describe()});
  }
  if (auto mode = base::check_private_file(config.private_key_file, 0600, ::geteuid()); !mode.has_value()) {
    return base::unexpected(ConfigError{"tls.private_key_file: " + mode.error().describe()});
  }
  auto key = base::read_file_bounded(config.private_key_file, 1U << 16U);
  if (!key.has_value()) {
    return base::unexpected(ConfigError{"tls.private_key_file: " + key.error().describe()});
  }
  control::TlsServerConfig tls_config;
  tls_config.policy = config.tls_policy;
  tls_config.certificate_chain_pem = std::move(cert).value();
  std::string key_text = std::move(key).value();
  tls_config.private_key_pem = base::SecretBytes(std::span<const std::uint8_t>(
      static_cast<const std::uint8_t*>(static_cast<const void*>(key_text.data())), key_text.size()));
  base::secure_wipe(
      std::span<std::uint8_t>(static_cast<std::uint8_t*>(static_cast<void*>(key_text.data())), key_text.size()));
  auto tls = control::TlsServerContext::create(tls_config);
  if (!tls.has_value()) {
    return base::unexpected(ConfigError{"tls: " + tls.error().message});
  }

  ServerOptions options;
  options.bind_address = config.listen_address;
  options.port = config.port;
  auto server = ControlServer::start(options, std::move(tls).value(), *parts->chain, *parts->events);
  if (!server.has_value()) {
    return base::unexpected(ConfigError{server.error().message});
  }
  parts->server = std::move(server).value();
  return std::make_unique<ControlService>(std::move(parts));
}

ControlService::ControlService(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
ControlService::~ControlService() { stop(); }

std::uint16_t ControlService::port() const { return parts_->server->port(); }

void ControlService::stop() {
  if (parts_->server) {
    parts_->server->stop();
  }
}

}  // namespace rustynet::apps::control_server

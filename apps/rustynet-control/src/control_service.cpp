// SPDX-License-Identifier: Apache-2.0
// Builds the control plane from its configuration; nothing here is optional.
#include "control_service.hpp"

#include <unistd.h>

#include "control_api.hpp"
#include "control_metrics.hpp"
#include "mesh_state.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/base/metrics_server.hpp"
#include "rustynet/control/auth_chain.hpp"
#include "rustynet/control/lockout.hpp"
#include "rustynet/control/rate_limiter.hpp"
#include "rustynet/control/registry_key_resolver.hpp"
#include "rustynet/control/sqlite_store.hpp"
#include "rustynet/control/tls_context.hpp"
#include "rustynet/control/token_validator.hpp"
#include "rustynet/crypto/algorithm_use.hpp"
#include "rustynet/crypto/custody_select.hpp"
#include "rustynet/crypto/custody_systemd.hpp"

namespace rustynet::apps::control_server {

// The abuse-control state of one traffic class (admin or node): nothing is shared between the
// classes, so node traffic can never lock the operator out, nor the reverse.
struct ChainState {
  std::unique_ptr<control::TokenBucketLimiter> unproven;
  std::unique_ptr<control::TokenBucketLimiter> requests;
  std::unique_ptr<control::TokenBucketLimiter> writes;  // admin only
  std::unique_ptr<control::TokenBucketLimiter> failing;
  std::unique_ptr<control::BackoffLockout> lockout;
};

// Tokens signed by the last key of a removed node (MeshState keeps them, bounded).
class RemovedNodeKeys final : public control::TokenKeyResolver {
 public:
  explicit RemovedNodeKeys(const MeshState& mesh) : mesh_(&mesh) {}
  [[nodiscard]] base::Result<std::optional<crypto::Ed25519PublicKey>, control::StateError> resolve(
      std::string_view key_id, std::string_view subject) const override {
    const auto bytes = mesh_->removed_identity_key(subject);
    if (!bytes.has_value()) {
      return std::optional<crypto::Ed25519PublicKey>();
    }
    auto key = crypto::Ed25519PublicKey::from_bytes(*bytes);
    if (!key.has_value() || key->key_id() != key_id) {
      return std::optional<crypto::Ed25519PublicKey>();
    }
    return std::optional<crypto::Ed25519PublicKey>(*key);
  }

 private:
  const MeshState* mesh_;
};

struct ControlService::Parts {
  std::unique_ptr<control::SqliteControlStore> store;
  std::unique_ptr<MeshState> mesh;
  std::unique_ptr<ControlApi> api;
  std::unique_ptr<control::RegistryKeyResolver> resolver;
  std::unique_ptr<RemovedNodeKeys> removed_keys;
  ChainState admin_state;
  ChainState node_state;
  std::unique_ptr<control::TokenValidator> validator;
  std::unique_ptr<control::TokenValidator> removed_validator;
  std::unique_ptr<control::EventSink> events;
  std::unique_ptr<ControlMetrics> metrics;  // counts every event, then forwards it to `events`
  std::unique_ptr<control::AuthChain> chain;
  std::unique_ptr<control::AuthChain> node_chain;
  std::unique_ptr<ControlServer> server;
  std::unique_ptr<base::MetricsServer> metrics_server;  // last: a scrape reads the server; stopped first
};

namespace {

ConfigError startup(std::string message) { return ConfigError{std::move(message), ConfigErrorKind::kStartup}; }

base::Result<crypto::Ed25519SigningKey, ConfigError> load_control_key(const ServiceConfig& config,
                                                                      const ServiceEnvironment& environment) {
  crypto::CustodySelection selection;
  selection.key_directory = config.key_directory;
  selection.credentials_directory =
      environment.credentials_directory.has_value()
          ? environment.credentials_directory
          : (environment.detect_credentials ? crypto::detect_credentials_directory() : std::nullopt);
  if (config.operator_secret_file.has_value()) {
    selection.operator_secret = crypto::OperatorSecretSource::from_file(*config.operator_secret_file);
  } else if (selection.credentials_directory.has_value()) {
    selection.operator_secret = crypto::OperatorSecretSource::from_credential(config.operator_secret_credential);
  }
  auto custody = crypto::select_key_custody(selection);
  if (!custody.has_value()) {
    return base::unexpected(startup("custody: " + custody.error().describe()));
  }
  auto key = crypto::load_signing_key(**custody, crypto::KeyPurpose::kControlSigning);
  if (!key.has_value()) {
    return base::unexpected(startup("custody: control-signing key: " + key.error().describe()));
  }
  return std::move(key).value();
}

base::Result<control::TlsServerContext, ConfigError> load_tls(const ServiceConfig& config) {
  auto cert = base::read_file_bounded(config.certificate_file, 1U << 20U);
  if (!cert.has_value()) {
    return base::unexpected(startup("tls.certificate_file: " + cert.error().describe()));
  }
  if (auto mode = base::check_private_file(config.private_key_file, 0600, ::geteuid()); !mode.has_value()) {
    return base::unexpected(startup("tls.private_key_file: " + mode.error().describe()));
  }
  auto key = base::read_file_bounded(config.private_key_file, 1U << 16U);
  if (!key.has_value()) {
    return base::unexpected(startup("tls.private_key_file: " + key.error().describe()));
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
    return base::unexpected(startup("tls: " + tls.error().message));
  }
  return std::move(tls).value();
}

// What control puts to use: the signing key's custody, Ed25519 tokens and signatures, signed
// node states, relay tickets, and what the live TLS context negotiates (read back from it), against
// the operator's policy; docs/crypto-policy.md "Startup check".
base::Status<ConfigError> check_crypto_policy(const ServiceConfig& config, control::TlsServerContext& tls,
                                              const base::Clock& clock) {
  crypto::AlgorithmNames names = crypto::key_custody_algorithms();
  crypto::add_algorithms(names, crypto::ed25519_algorithms());
  crypto::add_algorithms(names, crypto::signed_envelope_algorithms());
  crypto::add_algorithms(names, crypto::relay_ticket_algorithms());
  crypto::add_algorithms(names, control::algorithms_in_force(tls.native_handle(), config.tls_policy));
  auto checked = crypto::check_algorithms_in_use(config.crypto_policy_file, names, clock);
  if (!checked.has_value()) {
    return base::unexpected(
        ConfigError{"algorithm not allowed: " + checked.error().describe(), ConfigErrorKind::kCryptoPolicy});
  }
  return {};
}

template <class T>
base::Result<std::unique_ptr<T>, ConfigError> require(base::Result<std::unique_ptr<T>, control::ConfigError> made) {
  if (!made.has_value()) {
    return base::unexpected(startup("abuse_control rejected: " + made.error().message));
  }
  return std::move(made).value();
}

base::Result<std::unique_ptr<control::TokenBucketLimiter>, ConfigError> bucket(const control::RateLimitConfig& config) {
  return require(control::TokenBucketLimiter::create(config));
}

base::Status<ConfigError> make_chain_state(const AbuseControlConfig& abuse, const control::RateLimitConfig& requests,
                                           const control::RateLimitConfig* writes, ChainState& state) {
  RUSTYNET_ASSIGN_OR_RETURN(state.unproven, bucket(abuse.unproven_per_source));
  RUSTYNET_ASSIGN_OR_RETURN(state.requests, bucket(requests));
  if (writes != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(state.writes, bucket(*writes));
  }
  RUSTYNET_ASSIGN_OR_RETURN(state.failing, bucket(abuse.failing_identity));
  RUSTYNET_ASSIGN_OR_RETURN(state.lockout, require(control::BackoffLockout::create(abuse.lockout)));
  return {};
}

}  // namespace

base::Result<std::unique_ptr<ControlService>, ConfigError> ControlService::start(
    const ServiceConfig& config, const base::Clock& clock, const ServiceEnvironment& environment) {
  auto parts = std::make_unique<Parts>();
  if (auto dir = base::check_private_dir(config.state_dir, 0700, ::geteuid()); !dir.has_value()) {
    return base::unexpected(startup("state_dir: " + dir.error().describe()));
  }
  auto store = control::SqliteControlStore::open(config.state_dir + "/control.db",
                                                 control::SqliteStoreOptions{config.nonce_capacity});
  if (!store.has_value()) {
    return base::unexpected(startup(store.error().message));
  }
  parts->store = std::move(store).value();
  RUSTYNET_ASSIGN_OR_RETURN(auto signing_key, load_control_key(config, environment));
  MeshOptions mesh_options;
  mesh_options.state_lifetime = config.node_state_lifetime;
  mesh_options.generation_block = 64;
  mesh_options.relays = config.relays;
  auto mesh = MeshState::create(*parts->store, std::move(signing_key), clock, std::move(mesh_options));
  if (!mesh.has_value()) {
    return base::unexpected(startup("mesh state: " + mesh.error().message));
  }
  parts->mesh = std::move(mesh).value();
  parts->api = std::make_unique<ControlApi>(
      *parts->mesh, *parts->store, clock,
      ApiOptions{config.long_poll_max_wait, control::kDefaultTokenLifetime + config.abuse.clock_skew});
  parts->resolver =
      std::make_unique<control::RegistryKeyResolver>(*parts->store, config.admin_keys, std::string(kAdminSubject));

  RUSTYNET_RETURN_IF_ERROR(
      make_chain_state(config.abuse, config.abuse.admin, &config.abuse.admin_write, parts->admin_state));
  RUSTYNET_RETURN_IF_ERROR(make_chain_state(config.abuse, config.abuse.node, nullptr, parts->node_state));
  const control::TokenValidatorConfig validator_config{config.audience, config.abuse.clock_skew};
  parts->validator = std::make_unique<control::TokenValidator>(validator_config, *parts->resolver, clock, *parts->store,
                                                               *parts->store);
  parts->removed_keys = std::make_unique<RemovedNodeKeys>(*parts->mesh);
  parts->removed_validator = std::make_unique<control::TokenValidator>(validator_config, *parts->removed_keys, clock,
                                                                       *parts->store, *parts->store);
  auto events = control::make_file_event_sink(config.security_event_log);
  if (!events.has_value()) {
    return base::unexpected(startup(events.error().message));
  }
  parts->events = std::move(events).value();
  RUSTYNET_ASSIGN_OR_RETURN(parts->metrics, ControlMetrics::create(*parts->events));
  const MeshState* mesh_state = parts->mesh.get();
  const auto chain_parts = [&](ChainState& state) {
    control::AuthChainParts chain{&clock,
                                  state.unproven.get(),
                                  state.requests.get(),
                                  state.lockout.get(),
                                  parts->validator.get(),
                                  service_endpoint_policy,
                                  parts->metrics.get()};
    chain.write_limiter = state.writes.get();
    chain.failure_limiter = state.failing.get();
    chain.known_subject = [mesh_state](std::string_view subject) -> base::Result<bool, control::StateError> {
      return subject == kAdminSubject || mesh_state->has_node(subject);
    };
    chain.former_validator = parts->removed_validator.get();
    return chain;
  };
  parts->chain = std::make_unique<control::AuthChain>(chain_parts(parts->admin_state));
  parts->node_chain = std::make_unique<control::AuthChain>(chain_parts(parts->node_state));

  RUSTYNET_ASSIGN_OR_RETURN(auto tls, load_tls(config));
  RUSTYNET_RETURN_IF_ERROR(check_crypto_policy(config, tls, clock));
  ServerOptions options;
  options.bind_address = config.listen_address;
  options.port = config.port;
  options.limits.max_connections = config.max_connections;
  options.api = parts->api.get();
  options.node_chain = parts->node_chain.get();
  options.observer = parts->metrics.get();
  auto server = ControlServer::start(options, std::move(tls), *parts->chain, *parts->metrics);
  if (!server.has_value()) {
    return base::unexpected(startup(server.error().message));
  }
  parts->server = std::move(server).value();
  parts->metrics->attach(parts->server.get());
  if (config.metrics_listen) {
    auto metrics_server = base::MetricsServer::start(*config.metrics_listen, parts->metrics->registry());
    if (!metrics_server.has_value()) {
      return base::unexpected(startup("metrics: " + metrics_server.error().describe()));
    }
    parts->metrics_server = std::move(metrics_server).value();
  }
  ControlServer* raw_server = parts->server.get();
  parts->mesh->set_change_listener([raw_server](std::uint64_t version) { raw_server->notify(version); });
  return std::make_unique<ControlService>(std::move(parts));
}

ControlService::ControlService(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
ControlService::~ControlService() { stop(); }

std::uint16_t ControlService::port() const { return parts_->server->port(); }

const crypto::Ed25519PublicKey& ControlService::control_public_key() const { return parts_->mesh->public_key(); }

std::size_t ControlService::waiting() const { return parts_->server ? parts_->server->waiting() : 0; }

std::optional<std::uint16_t> ControlService::metrics_port() const {
  if (!parts_->metrics_server) {
    return std::nullopt;
  }
  return parts_->metrics_server->port();
}

void ControlService::stop() {
  if (parts_->metrics_server) {
    parts_->metrics_server->stop();
  }
  if (parts_->mesh) {
    parts_->mesh->set_change_listener(nullptr);
  }
  if (parts_->server) {
    parts_->server->stop();
  }
}

}  // namespace rustynet::apps::control_server

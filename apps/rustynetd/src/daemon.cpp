// SPDX-License-Identifier: Apache-2.0
// Daemon: startup sequence, sync loop, local API handler, reload and shutdown.
#include "daemon.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <ostream>
#include <random>

#include <nlohmann/json.hpp>

#include "backoff.hpp"
#include "composition_root.hpp"
#include "membership.hpp"
#include "notify.hpp"
#include "rustynet/backend_api/reference_backend.hpp"
#include "rustynet/backend_api/reference_packet_filter.hpp"
#include "rustynet/base/file_io.hpp"
#include "rustynet/control/tls_policy.hpp"
#include "rustynet/crypto/algorithm_use.hpp"
#include "rustynet/crypto/custody_select.hpp"
#include "rustynet/crypto/custody_systemd.hpp"
#include "rustynet/crypto/subkey.hpp"
#include "rustynet/policy/access_request.hpp"

namespace rustynet::apps::daemon {
namespace {

// A 204 sooner than this after the request is treated like an error for pacing purposes.
constexpr std::chrono::milliseconds kMinimumIdlePoll{1000};
// How often freshly configured peers are checked while the runtime watches any
// (TunnelRuntime::watch_fresh_peers; its FreshPeerTimings say when it acts: 1 s without a
// handshake, 2 s one-way). Polling only during those ~10 s after an apply; idle costs nothing.
constexpr std::chrono::milliseconds kFreshPeerCheck{250};
// How often the packet filter is read back from the kernel (tamper detection; one `nft list` of
// the table each time, a few ms of CPU).
constexpr std::chrono::milliseconds kFilterCheck{5000};

DaemonResult<std::optional<crypto::AlgorithmPolicy>> load_crypto_policy(const DaemonConfig& config,
                                                                        const std::vector<std::string>& data_plane,
                                                                        const base::Clock& clock,
                                                                        std::vector<std::string>& warnings) {
  auto checked = crypto::check_algorithms_in_use(config.crypto_policy_file, algorithms_in_use(data_plane), clock);
  if (!checked.has_value()) {
    return daemon_fail(DaemonErrorKind::kCryptoPolicy, "algorithm not allowed: " + checked.error().describe());
  }
  warnings.insert(warnings.end(), checked->warnings.begin(), checked->warnings.end());
  return std::move(checked->policy);
}

LocalApiHandler::Reply ok_reply(const nlohmann::json& result) {
  return LocalApiHandler::Reply{true, result.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), {}};
}

LocalApiHandler::Reply error_reply(std::string kind, std::string message) {
  return LocalApiHandler::Reply{false, {}, LocalApiError{std::move(kind), std::move(message)}};
}

// JSON null for an absent value (the local API reports unknown fields as null, never omits them).
template <typename T>
nlohmann::json nullable(const std::optional<T>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json nullable_text(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

// A list read from the running tunnel's stats, reported under `key` (empty while not running).
template <typename ToEntry>
LocalApiHandler::Reply stats_list_reply(TunnelRuntime& runtime, const char* key, ToEntry to_entries) {
  nlohmann::json list = nlohmann::json::array();
  if (runtime.phase() == RuntimePhase::kRunning) {
    auto stats = runtime.stats();
    if (!stats.has_value()) {
      return error_reply("internal", stats.error().describe());
    }
    to_entries(*stats, list);
  }
  nlohmann::json result;
  result[key] = std::move(list);
  return ok_reply(result);
}

// The kernel filter's answer for the flow of a policy check (the daemon's mutex held).
nlohmann::json explain_filter(TunnelRuntime& runtime, const std::string& self, const policy::AccessRequest& request) {
  // Only flows with this node at one end meet its filter: inbound when a peer starts them, and
  // outbound (their replies) when this node does. Addresses are taken from the query or, for a
  // node id, its first tunnel address of the other end's family.
  nlohmann::json out;
  out["enforced_here"] = false;
  out["holds"] = nullptr;
  out["generation"] = runtime.filter_generation();
  out["direction"] = nullptr;
  out["remote"] = nullptr;
  out["local"] = nullptr;
  out["error"] = nullptr;
  const bool inbound = request.dst_node == self && request.src_node != self;
  const bool outbound = request.src_node == self && request.dst_node != self;
  if (!inbound && !outbound) {
    return out;
  }
  const std::string& remote_node = inbound ? request.src_node : request.dst_node;
  const auto& remote_ip = inbound ? request.src_ip : request.dst_ip;
  const auto& local_ip = inbound ? request.dst_ip : request.src_ip;
  std::vector<backend_api::IpAddress> remotes;
  if (remote_ip) {
    if (auto parsed = backend_api::IpAddress::parse(remote_ip->to_string()); parsed.has_value()) {
      remotes.push_back(*parsed);
    }
  } else if (auto id = backend_api::NodeId::parse(remote_node); id.has_value()) {
    if (const auto peer = runtime.current().peers.find(*id); peer != runtime.current().peers.end()) {
      for (const auto& prefix : peer->second.allowed_prefixes) {
        remotes.push_back(prefix.address());
      }
    }
  }
  std::vector<backend_api::IpAddress> locals;
  if (local_ip) {
    if (auto parsed = backend_api::IpAddress::parse(local_ip->to_string()); parsed.has_value()) {
      locals.push_back(*parsed);
    }
  } else {
    for (const auto& address : runtime.current().addresses) {
      locals.push_back(address.address());
    }
  }
  for (const auto& remote : remotes) {
    for (const auto& local : locals) {
      if (remote.family() != local.family()) {
        continue;
      }
      backend_api::FlowQuery flow;
      flow.direction = inbound ? backend_api::FlowDirection::kInbound : backend_api::FlowDirection::kOutbound;
      flow.remote = remote;
      flow.local = local;
      flow.protocol = request.protocol == policy::IpProtocol::kTcp    ? backend_api::FilterProtocol::kTcp
                      : request.protocol == policy::IpProtocol::kUdp  ? backend_api::FilterProtocol::kUdp
                      : request.protocol == policy::IpProtocol::kIcmp ? backend_api::FilterProtocol::kIcmp
                                                                      : backend_api::FilterProtocol::kOther;
      flow.port = request.dst_port;
      out["enforced_here"] = true;
      out["direction"] = inbound ? "inbound" : "outbound";
      out["remote"] = remote.to_string();
      out["local"] = local.to_string();
      if (auto holds = runtime.filter_allows(flow); holds.has_value()) {
        out["holds"] = *holds;
      } else {
        out["error"] = holds.error().describe();
      }
      return out;
    }
  }
  out["error"] = "no tunnel addresses of the same family at both ends";
  return out;
}

}  // namespace

DaemonResult<std::unique_ptr<backend_api::TunnelBackend>> make_memory_backend(const BackendConfig& config) {
  if (config.kind != BackendKind::kMemory) {
    return daemon_fail(DaemonErrorKind::kBackend, "this build of the daemon library has only the memory backend");
  }
  return std::unique_ptr<backend_api::TunnelBackend>(std::make_unique<backend_api::ReferenceBackend>());
}

DaemonResult<std::unique_ptr<backend_api::PacketFilterBackend>> make_memory_filter(const BackendConfig& config,
                                                                                   const std::string& /*interface*/) {
  if (config.kind != BackendKind::kMemory) {
    return daemon_fail(DaemonErrorKind::kBackend, "this build of the daemon library has only the memory filter");
  }
  return std::unique_ptr<backend_api::PacketFilterBackend>(std::make_unique<backend_api::ReferencePacketFilter>());
}

std::vector<std::string> Daemon::data_plane_algorithms(const BackendConfig& backend) const {
  return deps_.data_plane_algorithms ? deps_.data_plane_algorithms(backend) : std::vector<std::string>{};
}

std::vector<std::string> algorithms_in_use(const std::vector<std::string>& data_plane) {
  std::vector<std::string> names = crypto::key_custody_algorithms();
  crypto::add_algorithms(names, crypto::ed25519_algorithms());
  crypto::add_algorithms(names, crypto::x25519_algorithms());
  crypto::add_algorithms(names, crypto::signed_envelope_algorithms());
  crypto::add_algorithms(names, crypto::trust_state_algorithms());
  // The control link's HttpsClient runs the default policy (restrict_to_tls13 applies it).
  crypto::add_algorithms(names, control::tls_algorithm_names(control::TlsPolicy{}));
  crypto::add_algorithms(names, data_plane);
  return names;
}

Daemon::Daemon(std::string config_path, DaemonDeps deps, std::ostream& log)
    : config_path_(std::move(config_path)), deps_(std::move(deps)) {
  if (deps_.clock == nullptr) {
    deps_.clock = &base::system_clock();
  }
  logger_ =
      std::make_unique<base::Logger>("rustynetd", log, base::LogLevel::kInfo, base::LogFormat::kJson, *deps_.clock);
  if (!deps_.backend_factory) {
    deps_.backend_factory = make_memory_backend;
  }
  if (!deps_.filter_factory) {
    deps_.filter_factory = make_memory_filter;
  }
  if (!deps_.link_factory) {
    deps_.link_factory = make_https_control_link;
  }
  if (!deps_.notify) {
    deps_.notify = notify_service_manager;
  }
  if (!deps_.random) {
    deps_.random = [engine = std::mt19937_64(std::random_device{}())]() mutable { return engine(); };
  }
}

DaemonResult<std::unique_ptr<Daemon>> Daemon::start(const std::string& config_path, DaemonDeps deps,
                                                    std::ostream& log) {
  auto daemon = std::make_unique<Daemon>(config_path, std::move(deps), log);
  Daemon& d = *daemon;
  const base::Clock& clock = *d.deps_.clock;

  // 1. Config.
  d.set_status("loading config");
  RUSTYNET_ASSIGN_OR_RETURN(d.config_, load_daemon_config(config_path));
  const DaemonConfig& config = d.config_;
  d.logger_->set_level(config.log_level);

  // 2. Crypto algorithm policy.
  std::vector<std::string> warnings;
  RUSTYNET_ASSIGN_OR_RETURN(d.crypto_policy_,
                            load_crypto_policy(config, d.data_plane_algorithms(config.backend), clock, warnings));
  for (const auto& warning : warnings) {
    d.log(base::LogLevel::kWarn, "crypto_policy_warning", warning);
  }

  // 3. Key custody: identity and tunnel keys present, store and file modes checked.
  d.set_status("opening key custody");
  crypto::CustodySelection selection;
  selection.key_directory = config.key_custody.key_dir;
  selection.credentials_directory =
      d.deps_.credentials_directory ? *d.deps_.credentials_directory : crypto::detect_credentials_directory();
  if (config.key_custody.operator_secret_file) {
    selection.operator_secret = crypto::OperatorSecretSource::from_file(*config.key_custody.operator_secret_file);
  } else if (config.key_custody.operator_secret_credential) {
    selection.operator_secret =
        crypto::OperatorSecretSource::from_credential(*config.key_custody.operator_secret_credential);
  }
  auto custody = crypto::select_key_custody(selection);
  if (!custody.has_value()) {
    return daemon_fail(DaemonErrorKind::kKeyCustody, custody.error().describe());
  }
  auto identity = crypto::load_signing_key(**custody, crypto::KeyPurpose::kNodeIdentity);
  if (!identity.has_value()) {
    return daemon_fail(DaemonErrorKind::kKeyCustody, "node identity: " + identity.error().describe());
  }
  auto tunnel = (*custody)->load(crypto::KeyPurpose::kNodeTunnel);
  if (!tunnel.has_value()) {
    return daemon_fail(DaemonErrorKind::kKeyCustody, "node tunnel key: " + tunnel.error().describe());
  }
  custody->reset();  // keys are loaded; the store (and its operator secret) is not kept

  // 4. Trust state: opened (MAC key derived from the identity), or initialised on first start.
  d.set_status("opening trust state");
  auto mac_key = crypto::derive_trust_state_mac_key(*identity);
  if (!mac_key.has_value()) {
    return daemon_fail(DaemonErrorKind::kTrustState, "MAC key: " + mac_key.error().describe());
  }
  crypto::TrustStore::Options trust_options{config.trust_state_path, true, {}};
  struct stat existing {};
  if (::lstat(config.trust_state_path.c_str(), &existing) != 0 && errno == ENOENT) {
    if (config.control.signing_public_keys.empty()) {
      return daemon_fail(DaemonErrorKind::kTrustState, "no trust state at " + config.trust_state_path +
                                                           " and no control.signing_public_keys to initialise it from");
    }
    std::vector<crypto::Ed25519PublicKey> signers;
    for (const auto& text : config.control.signing_public_keys) {
      signers.push_back(crypto::Ed25519PublicKey::from_base64(text).value());  // validated by the config parser
    }
    auto created = crypto::TrustStore::initialize(trust_options, std::move(mac_key).value(), signers);
    if (!created.has_value()) {
      return daemon_fail(DaemonErrorKind::kTrustState, created.error().describe());
    }
    d.trust_ = std::make_unique<crypto::TrustStore>(std::move(created).value());
    d.log(base::LogLevel::kInfo, "trust_state_initialised",
          "trust state initialised with " + std::to_string(signers.size()) + " control signing key(s)");
  } else {
    d.trust_ =
        std::make_unique<crypto::TrustStore>(crypto::TrustStore::open(trust_options, std::move(mac_key).value()));
    if (auto usable = d.trust_->status(); !usable.has_value()) {
      return daemon_fail(DaemonErrorKind::kTrustState, usable.error().describe());
    }
  }

  // 5. Backend: constructed now; started now with the last verified state if there is one,
  // otherwise when the first verified state arrives (it carries the interface addresses).
  d.set_status("starting backend");
  RUSTYNET_ASSIGN_OR_RETURN(auto backend, d.deps_.backend_factory(config.backend));
  RUSTYNET_ASSIGN_OR_RETURN(auto filter, d.deps_.filter_factory(config.backend, config.interface_name));
  auto node_id = backend_api::NodeId::parse(config.node_id);
  TunnelIdentity tunnel_identity{node_id.value(), config.interface_name, config.listen_port, config.mtu,
                                 std::move(tunnel->secret)};
  d.runtime_ = std::make_unique<TunnelRuntime>(std::move(backend), std::move(filter), std::move(tunnel_identity));
  d.applier_ = std::make_unique<StateApplier>(
      StateApplier::Options{config.node_id, config.last_state_path, config.persistent_keepalive_seconds}, *d.trust_,
      *d.runtime_, clock);
  // Relayed peers (docs/relay.md "Node side"): their endpoints point at local relay links. The
  // workers get tickets once the control link exists (step 7); until then they wait.
  RelayManager::Options relay_options;
  relay_options.tunnel_port = config.listen_port;
  auto relay_random = std::make_shared<std::pair<std::mutex, std::mt19937_64>>();
  relay_random->second.seed(d.deps_.random());
  d.relays_ = std::make_unique<RelayManager>(
      relay_options, clock, [&d](const std::string& line) { d.log(base::LogLevel::kInfo, "relay", line); },
      [relay_random] {
        const std::lock_guard lock(relay_random->first);
        return relay_random->second();
      });
  d.applier_->set_endpoint_rewriter(
      [&d](const policy::NodeState& state, DesiredState& desired) { return d.relays_->rewrite(state, desired); });
  if (auto restored = d.applier_->restore_last_state(); !restored.has_value()) {
    if (restored.error().kind == DaemonErrorKind::kBackend) {
      return base::unexpected(restored.error());
    }
    d.log(base::LogLevel::kWarn, "last_state_unused", "last verified state not used: " + restored.error().describe());
  } else if (*restored) {
    d.log(base::LogLevel::kInfo, "last_state_restored",
          "tunnel up from the last verified state, generation " + std::to_string(d.applier_->applied_generation()));
    d.schedule_reinitiation();
  }

  // 6. Local API.
  d.set_status("starting local API");
  LocalApiServerOptions api_options;
  api_options.socket_path = config.local_api.socket_path;
  api_options.socket_gid = ::getegid();
  if (config.local_api.group) {
    RUSTYNET_ASSIGN_OR_RETURN(api_options.socket_gid, group_id(*config.local_api.group));
  }
  api_options.limits = config.local_api.limits;
  api_options.rules.daemon_uid = ::geteuid();
  api_options.rules.read_gid = api_options.socket_gid;
  if (config.local_api.admin_group) {
    RUSTYNET_ASSIGN_OR_RETURN(auto admin, group_id(*config.local_api.admin_group));
    api_options.rules.admin_gid = admin;
  }
  RUSTYNET_ASSIGN_OR_RETURN(d.api_, LocalApiServer::start(std::move(api_options), d));

  // 6b. Metrics (opt-in, loopback only: docs/observability.md). Counted from here on either way.
  RUSTYNET_ASSIGN_OR_RETURN(d.metrics_, DaemonMetrics::create([&d] { return d.snapshot(); }));
  if (config.metrics_listen) {
    auto server = base::MetricsServer::start(*config.metrics_listen, d.metrics_->registry());
    if (!server.has_value()) {
      return daemon_fail(DaemonErrorKind::kMetrics, server.error().describe());
    }
    d.metrics_server_ = std::move(server).value();
    d.logger_->info("metrics_listening", "metrics on " + config.metrics_listen->to_string(),
                    {{"port", d.metrics_server_->port()}});
  }

  // 7. Control link and sync loop.
  d.set_status("connecting to control");
  RUSTYNET_ASSIGN_OR_RETURN(d.link_, d.deps_.link_factory(config, std::move(identity).value(), clock));
  d.relays_->set_ticket_source([link = d.link_.get()](const std::string& peer) { return link->relay_ticket(peer); });
  // Automatic relay of candidate peers (docs/relay.md "Automatic relay"): handshake stats in, and
  // a re-apply of the verified state when a peer's path changes. Both take mutex_ (before the
  // manager's lock, which is never held while they run). From here on startup no longer touches
  // the applier without mutex_.
  d.relays_->set_auto_relay(
      [&d]() -> DaemonResult<PeerObservations> {
        const std::lock_guard lock(d.mutex_);
        PeerObservations seen;
        if (d.stopping_ || d.runtime_->phase() != RuntimePhase::kRunning) {
          return seen;
        }
        auto stats = d.runtime_->stats();
        if (!stats.has_value()) {
          return daemon_fail(DaemonErrorKind::kBackend, stats.error().describe());
        }
        for (const auto& peer : stats->peers) {
          seen[peer.node_id.value()] = PeerObservation{
              peer.last_handshake_unix_seconds,
              peer.endpoint ? std::optional<std::string>(peer.endpoint->to_string()) : std::nullopt, peer.rx_bytes};
        }
        return seen;
      },
      [&d]() -> DaemonStatus {
        const std::lock_guard lock(d.mutex_);
        if (d.stopping_) {
          return {};
        }
        RUSTYNET_ASSIGN_OR_RETURN(const bool changed, d.applier_->reapply());
        if (changed) {
          d.log(base::LogLevel::kInfo, "reapplied",
                "re-applied generation " + std::to_string(d.applier_->applied_generation()) +
                    " with new relay endpoints");
        }
        return {};
      });
  d.sync_thread_ = std::thread([&d] { d.sync_loop(); });
  d.handshake_thread_ = std::thread([&d] { d.handshake_watch_loop(); });
  d.filter_thread_ = std::thread([&d] { d.filter_watch_loop(); });
  // 8. Underlay address monitor (optional: without it a move is noticed at the long-poll timeout).
  AddressMonitor::Options monitor_options;
  monitor_options.tunnel_interface = config.interface_name;
  auto monitor = AddressMonitor::start(
      std::move(monitor_options), [&d](const AddressChange& change) { d.underlay_changed(change); },
      [&d](const std::string& line) { d.log(base::LogLevel::kInfo, "address_monitor", line); });
  if (monitor.has_value()) {
    d.addresses_ = std::move(monitor).value();
  } else {
    d.log(base::LogLevel::kWarn, "address_monitor_unavailable",
          "address monitor not started: " + monitor.error().describe());
  }
  d.log(base::LogLevel::kInfo, "started",
        "started: node " + config.node_id + ", backend " + d.runtime_->backend_name());
  return daemon;
}

Daemon::~Daemon() { stop(); }

void Daemon::stop() {
  if (std::exchange(stop_called_, true)) {
    return;
  }
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (addresses_) {
    addresses_->stop();  // before the link: its callback interrupts the link
  }
  if (link_) {
    link_->abort();
  }
  if (relays_) {
    relays_->stop();
  }
  if (sync_thread_.joinable()) {
    sync_thread_.join();
  }
  if (handshake_thread_.joinable()) {
    handshake_thread_.join();
  }
  if (filter_thread_.joinable()) {
    filter_thread_.join();
  }
  if (api_) {
    api_->stop();
  }
  if (metrics_server_) {
    metrics_server_->stop();  // before the runtime goes: a scrape reads it
  }
  const std::lock_guard lock(mutex_);
  if (runtime_) {
    if (auto down = runtime_->shutdown(); !down.has_value()) {
      log(base::LogLevel::kError, "shutdown_failed", "shutdown: " + down.error().describe());
    }
  }
}

void Daemon::log(base::LogLevel level, std::string_view event, const std::string& message) {
  logger_->log(level, event, message);
}

void Daemon::set_status(const std::string& text) { deps_.notify("STATUS=" + text); }

void Daemon::sync_loop() {
  Backoff backoff;
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    resync_now_ = false;  // this request starts after every underlay change seen so far
    SyncRequest request;
    request.known_generation = applier_->applied_generation();
    request.wait_seconds = config_.control.long_poll_seconds;
    request.listen_port = config_.listen_port;
    request.endpoints = config_.advertised_endpoints;
    lock.unlock();
    const auto sent_at = deps_.clock->monotonic_now();
    auto reply = link_->sync(request);
    const auto elapsed = deps_.clock->monotonic_now() - sent_at;
    metrics_->sync_finished(reply.has_value()           ? SyncOutcome::kOk
                            : reply.error().interrupted ? SyncOutcome::kInterrupted
                                                        : SyncOutcome::kError,
                            elapsed);
    lock.lock();
    ++attempts_;
    if (stopping_) {
      break;
    }
    std::optional<std::chrono::milliseconds> delay;
    if (!reply.has_value() && reply.error().interrupted) {
      // underlay_changed() ended the long-poll: ask again at once on a fresh connection.
      log(base::LogLevel::kInfo, "sync_interrupted",
          "control sync interrupted (underlay addresses changed); syncing again");
    } else if (!reply.has_value() && is_membership_refusal(reply.error())) {
      // Control refuses this node itself: minutes to hours between attempts, not seconds, and no
      // "running" while it lasts (docs/daemon.md "Removed from the mesh"). reload retries at once.
      connected_ = false;
      last_error_ = reply.error().error.describe();
      const auto step = membership_.refused(*reply.error().refusal, deps_.random());
      delay = step.delay;
      log(base::LogLevel::kWarn, "removed_from_mesh", step.log_line);
      set_status(membership_.reason());
    } else if (!reply.has_value()) {
      connected_ = false;
      last_error_ = reply.error().error.describe();
      delay = backoff.next(deps_.random());
      if (reply.error().retry_after) {
        delay = std::max(*delay, std::chrono::milliseconds(*reply.error().retry_after));
      }
      log(base::LogLevel::kWarn, "sync_failed",
          "control sync failed (retry in " + std::to_string(delay->count()) + " ms): " + last_error_);
    } else {
      connected_ = true;
      if (membership_.accepted()) {
        log(base::LogLevel::kInfo, "member_again", "control accepts this node again");
      }
      if (auto now = deps_.clock->wall_now(); now.has_value()) {
        last_sync_unix_ = now->seconds;
      }
      if (reply->update) {
        auto accepted = applier_->accept(reply->update->node_state, reply->update->policy);
        if (!accepted.has_value()) {
          // Refused or rolled back: the last good state stays in effect.
          last_error_ = accepted.error().describe();
          apply_failed_ = true;
          metrics_->applied(false);
          delay = backoff.next(deps_.random());
          log(base::LogLevel::kError, "apply_refused",
              "state generation " + std::to_string(reply->update->generation) + " not applied: " + last_error_);
          set_status("degraded: " + last_error_);
        } else {
          last_error_.clear();
          apply_failed_ = false;
          backoff.reset();
          if (*accepted) {
            metrics_->applied(true);
            log(base::LogLevel::kInfo, "applied",
                "applied generation " + std::to_string(applier_->applied_generation()));
            schedule_reinitiation();
          }
          set_status("running, generation " + std::to_string(applier_->applied_generation()));
        }
      } else if (elapsed < kMinimumIdlePoll) {
        // "Nothing new" far sooner than the long-poll asked for (a misbehaving or overloaded
        // server): back off instead of spinning.
        delay = backoff.next(deps_.random());
      } else {
        // A full long-poll with nothing newer: control confirms the generation we run is current,
        // so an earlier refused update no longer degrades us (last_error_ stays for the operator).
        apply_failed_ = false;
        backoff.reset();
      }
    }
    changed_.notify_all();
    if (delay) {
      changed_.wait_for(lock, *delay, [this] { return stopping_ || resync_now_; });
    }
  }
}

void Daemon::schedule_reinitiation() {
  if (runtime_ && runtime_->awaiting_handshakes()) {
    runtime_->stamp_fresh_peers(deps_.clock->monotonic_now());
    changed_.notify_all();
  }
}

void Daemon::handshake_watch_loop() {
  const auto names = [](const std::vector<backend_api::NodeId>& ids) {
    std::string out;
    for (const auto& id : ids) {
      out += (out.empty() ? "" : ", ") + id.value();
    }
    return out;
  };
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!runtime_->awaiting_handshakes()) {
      changed_.wait(lock, [this] { return stopping_ || runtime_->awaiting_handshakes(); });
      continue;
    }
    if (changed_.wait_for(lock, kFreshPeerCheck, [this] { return stopping_; })) {
      break;
    }
    auto actions = runtime_->watch_fresh_peers(deps_.clock->monotonic_now());
    if (!actions.has_value()) {
      last_error_ = actions.error().describe();
      log(base::LogLevel::kError, "handshake_watch_failed", "watching fresh peers: " + last_error_);
      continue;
    }
    if (!actions->reinitiated.empty()) {
      log(base::LogLevel::kInfo, "peer_reinitiated",
          "no handshake yet with " + names(actions->reinitiated) + " 1000 ms after configuring; re-initiated");
    }
    if (!actions->reinitiated_one_way.empty()) {
      log(base::LogLevel::kInfo, "peer_reinitiated_one_way",
          "nothing received from " + names(actions->reinitiated_one_way) +
              " for 2000 ms after the handshake while sending (crossed handshakes); re-initiated");
    }
    if (!actions->keepalive_on.empty()) {
      log(base::LogLevel::kInfo, "keepalive_on", "persistent keepalive on for " + names(actions->keepalive_on));
    }
  }
}

void Daemon::filter_watch_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (changed_.wait_for(lock, kFilterCheck, [this] { return stopping_; })) {
      break;
    }
    auto checked = runtime_->check_filter();
    if (!checked.has_value()) {
      if (filter_error_ != checked.error().message) {
        log(base::LogLevel::kError, "filter_check_failed", checked.error().message);  // once per distinct failure
      }
      filter_error_ = checked.error().message;
      continue;
    }
    if (checked->restored) {
      log(base::LogLevel::kError, "filter_restored",
          checked->finding + "; restored generation " + std::to_string(runtime_->filter_generation()));
    }
    filter_error_.clear();
  }
}

void Daemon::underlay_changed(const AddressChange& change) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_) {
      return;
    }
    resync_now_ = true;
    std::string announced;
    if (auto peers = runtime_->announce_underlay_change(); !peers.has_value()) {
      last_error_ = peers.error().describe();
      announced = "announcing to peers failed: " + last_error_;
    } else {
      announced = "announced to " + std::to_string(*peers) + " peer(s)";
    }
    log(base::LogLevel::kInfo, "underlay_changed",
        "underlay addresses changed (" + change.describe() + "): re-syncing with control, " + announced);
  }
  changed_.notify_all();
  link_->interrupt();
}

bool Daemon::wait_for_generation(std::uint64_t generation, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return applier_->applied_generation() >= generation; });
}

bool Daemon::wait_for_attempts(std::uint64_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return attempts_ >= count; });
}

std::string Daemon::last_error() {
  const std::lock_guard lock(mutex_);
  return last_error_;
}

bool Daemon::tunnel_running() {
  const std::lock_guard lock(mutex_);
  return runtime_->phase() == RuntimePhase::kRunning;
}

std::optional<std::uint16_t> Daemon::metrics_port() const {
  if (!metrics_server_) {
    return std::nullopt;
  }
  return metrics_server_->port();
}

DaemonSnapshot Daemon::snapshot() {
  const std::lock_guard lock(mutex_);
  DaemonSnapshot out;
  out.peers_configured = runtime_->current().peers.size();
  out.generation = applier_->applied_generation();
  out.control_connected = connected_;
  out.tunnel_running = runtime_->phase() == RuntimePhase::kRunning;
  out.filter_restores = runtime_->filter_restores();
  out.apply_rollbacks = runtime_->rollbacks();
  if (auto now = deps_.clock->wall_now(); now.has_value()) {
    out.now_unix = now->seconds;
  }
  if (out.tunnel_running) {
    if (auto stats = runtime_->stats(); stats.has_value()) {
      for (const auto& peer : stats->peers) {
        out.peers.push_back({peer.node_id.value(), peer.last_handshake_unix_seconds, peer.rx_bytes, peer.tx_bytes});
      }
    }
  }
  return out;
}

LocalApiHandler::Reply Daemon::status() {
  const std::lock_guard lock(mutex_);
  nlohmann::json result;
  const bool running = runtime_->phase() == RuntimePhase::kRunning;
  std::string state = "running";
  if (stopping_) {
    state = "stopping";
  } else if (membership_.removed()) {
    state = "removed";  // whatever the tunnel shows: its peers no longer list this node
  } else if (apply_failed_ || !filter_error_.empty() || (!running && applier_->applied_generation() > 0)) {
    state = "degraded";
  } else if (!running) {
    state = "starting";
  }
  result["node_id"] = config_.node_id;
  result["state"] = state;
  result["backend"] = runtime_->backend_name();
  result["interface"] = config_.interface_name;
  nlohmann::json addresses = nlohmann::json::array();
  for (const auto& address : runtime_->current().addresses) {
    addresses.push_back(address.to_string());
  }
  result["addresses"] = addresses;
  result["generation"] = applier_->applied_generation();
  nlohmann::json control;
  control["connected"] = connected_;
  control["last_sync_unix"] = nullable(last_sync_unix_);
  control["last_error"] = nullable_text(last_error_);
  control["removed"] = nullable_text(membership_.reason());
  result["control"] = control;
  std::size_t total = 0;
  std::size_t with_handshake = 0;
  if (auto stats = runtime_->stats(); stats.has_value()) {
    total = stats->peers.size();
    for (const auto& peer : stats->peers) {
      with_handshake += peer.last_handshake_unix_seconds.has_value() ? 1U : 0U;
    }
  }
  result["peers_total"] = total;
  result["peers_with_handshake"] = with_handshake;
  nlohmann::json filter;
  filter["backend"] = runtime_->filter_name();
  filter["generation"] = runtime_->filter_generation();
  filter["restores"] = runtime_->filter_restores();
  filter["last_error"] = nullable_text(filter_error_);
  result["filter"] = filter;
  return ok_reply(result);
}

LocalApiHandler::Reply Daemon::peers() {
  const std::lock_guard lock(mutex_);
  return stats_list_reply(*runtime_, "peers", [this](const backend_api::TunnelStats& stats, nlohmann::json& list) {
    for (const auto& peer : stats.peers) {
      // A relayed peer's endpoint is its local relay link; say so (the CLI prints it as is).
      std::optional<std::string> endpoint;
      if (peer.endpoint) {
        endpoint = peer.endpoint->to_string();
        if (auto relay = relays_->relay_of(peer.node_id.value())) {
          *endpoint += " via relay " + *relay;
        }
      }
      nlohmann::json prefixes = nlohmann::json::array();
      for (const auto& prefix : peer.allowed_prefixes) {
        prefixes.push_back(prefix.to_string());
      }
      list.push_back({{"node_id", peer.node_id.value()},
                      {"endpoint", nullable(endpoint)},
                      {"allowed_prefixes", std::move(prefixes)},
                      {"rx_bytes", peer.rx_bytes},
                      {"tx_bytes", peer.tx_bytes},
                      {"last_handshake_unix", nullable(peer.last_handshake_unix_seconds)}});
    }
  });
}

LocalApiHandler::Reply Daemon::routes() {
  const std::lock_guard lock(mutex_);
  return stats_list_reply(*runtime_, "routes", [](const backend_api::TunnelStats& stats, nlohmann::json& list) {
    for (const auto& route : stats.routes) {
      list.push_back({{"destination", route.destination.to_string()},
                      {"via", route.via.value()},
                      {"kind", std::string(backend_api::to_string(route.kind))}});
    }
  });
}

LocalApiHandler::Reply Daemon::netmap() {
  const std::lock_guard lock(mutex_);
  const auto& info = applier_->netmap();
  if (!info) {
    return error_reply("unavailable", "no verified node state yet");
  }
  nlohmann::json result;
  result["generation"] = info->generation;
  result["signer_key_id"] = info->signer_key_id;
  result["issued_at"] = info->issued_at;
  result["expires_at"] = info->expires_at;
  result["policy_digest"] = info->policy_digest;
  result["peers"] = info->peers;
  return ok_reply(result);
}

LocalApiHandler::Reply Daemon::policy_check(const PolicyQuery& query) {
  const std::lock_guard lock(mutex_);
  policy::AccessRequest request;
  const auto resolve = [&](const std::string& text, std::string& node, std::optional<policy::IpAddress>& ip) {
    if (auto address = policy::IpAddress::parse(text); address.has_value()) {
      ip = *address;
      const auto backend_address = backend_api::IpAddress::parse(text);
      if (!backend_address.has_value()) {
        return;
      }
      for (const auto& own : runtime_->current().addresses) {
        if (own.address() == *backend_address) {
          node = config_.node_id;
        }
      }
      for (const auto& [id, peer] : runtime_->current().peers) {
        for (const auto& prefix : peer.allowed_prefixes) {
          if (prefix.contains(*backend_address)) {
            node = id.value();
          }
        }
      }
    } else {
      node = text;
    }
  };
  resolve(query.src, request.src_node, request.src_ip);
  resolve(query.dst, request.dst_node, request.dst_ip);
  request.protocol = query.proto == "tcp"    ? policy::IpProtocol::kTcp
                     : query.proto == "udp"  ? policy::IpProtocol::kUdp
                     : query.proto == "icmp" ? policy::IpProtocol::kIcmp
                                             : policy::IpProtocol::kOther;
  request.dst_port = query.port;
  const policy::Decision decision = applier_->policy().evaluate(request);
  nlohmann::json result;
  result["decision"] = decision.allowed() ? "allow" : "deny";
  result["rule"] = nullable_text(decision.rule_id);
  result["reason"] = std::string(policy::to_string(decision.reason));
  if (query.explain) {
    result["filter"] = explain_filter(*runtime_, config_.node_id, request);
  }
  return ok_reply(result);
}

DaemonStatus Daemon::reload_config() {
  deps_.notify("RELOADING=1");
  auto next = load_daemon_config(config_path_);
  if (!next.has_value()) {
    log(base::LogLevel::kError, "reload_refused", "reload refused, old config kept: " + next.error().describe());
    deps_.notify("READY=1");
    return base::unexpected(next.error());
  }
  const std::lock_guard lock(mutex_);
  DaemonStatus outcome;
  if (auto blocker = reload_blocker(config_, *next)) {
    outcome = daemon_fail(DaemonErrorKind::kConfig, "changing " + *blocker + " needs a restart; old config kept");
  } else {
    std::vector<std::string> warnings;
    auto policy = load_crypto_policy(*next, data_plane_algorithms(next->backend), *deps_.clock, warnings);
    if (!policy.has_value()) {
      outcome = base::unexpected(DaemonError{policy.error().kind, policy.error().message + "; old config kept"});
    } else {
      crypto_policy_ = std::move(policy).value();
      config_ = std::move(next).value();
      applier_->set_keepalive(config_.persistent_keepalive_seconds);
      logger_->set_level(config_.log_level);
      for (const auto& warning : warnings) {
        log(base::LogLevel::kWarn, "crypto_policy_warning", warning);
      }
    }
  }
  if (outcome.has_value()) {
    log(base::LogLevel::kInfo, "reloaded", "config reloaded");
    if (membership_.removed()) {
      // The operator's way to say "I added it back" without waiting out an hour's backoff.
      resync_now_ = true;
      changed_.notify_all();
    }
  } else {
    log(base::LogLevel::kError, "reload_refused", "reload refused: " + outcome.error().describe());
  }
  deps_.notify("READY=1");
  return outcome;
}

LocalApiHandler::Reply Daemon::reload_reply() {
  if (auto reloaded = reload_config(); !reloaded.has_value()) {
    return error_reply("internal", reloaded.error().describe());
  }
  return ok_reply(nlohmann::json{{"reloaded", true}});
}

}  // namespace rustynet::apps::daemon

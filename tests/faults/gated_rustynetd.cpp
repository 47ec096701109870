// SPDX-License-Identifier: Apache-2.0
// rustynetd's real entry point (daemon::run: signal loop, startup, sync, shutdown) with a memory
// backend that can pause inside an apply, so a fault test can deliver a signal mid-apply on purpose.
//
// Environment (all optional; without them this is `rustynetd` with the memory backend):
//   RUSTYNET_FAULT_GATE_AT=N       pause in the Nth configure_peer call (1-based, counted over the
//                                  process lifetime) ...
//   RUSTYNET_FAULT_GATE_FD=fd      ... after writing one byte to this fd (the test's "paused" pipe)
//   RUSTYNET_FAULT_RELEASE_FD=fd   ... until one byte (or EOF) can be read from this fd
//   RUSTYNET_FAULT_REPORT=path     on backend shutdown, write what the backend held just before it
//                                  ({"configure_calls","peers","routes","starts","shutdowns"})
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon_main.hpp"
#include "rustynet/backend_api/reference_backend.hpp"
#include "rustynet/base/process_args.hpp"

namespace {

namespace api = rustynet::backend_api;
namespace daemon = rustynet::apps::daemon;

std::optional<int> env_int(const char* name) {
  const char* text = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read before any thread starts
  if (text == nullptr) {
    return std::nullopt;
  }
  const std::string_view view(text);
  int value = 0;
  const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), value);
  if (error != std::errc{} || end != view.data() + view.size()) {
    return std::nullopt;
  }
  return value;
}

struct GateSettings {
  std::optional<int> gate_at;
  int gate_fd = -1;
  int release_fd = -1;
  std::string report_path;
};

// ReferenceBackend plus a pause point and a shutdown report. Called only under the daemon's state
// mutex (TunnelRuntime owns it), so the counters need no locking.
class GatedBackend final : public api::TunnelBackend {
 public:
  explicit GatedBackend(GateSettings settings) : settings_(std::move(settings)) {}
  ~GatedBackend() override { write_report(); }
  GatedBackend(const GatedBackend&) = delete;
  GatedBackend& operator=(const GatedBackend&) = delete;
  GatedBackend(GatedBackend&&) = delete;
  GatedBackend& operator=(GatedBackend&&) = delete;

  [[nodiscard]] std::string_view name() const override { return "memory"; }
  [[nodiscard]] api::BackendCapabilities capabilities() const override { return inner_.capabilities(); }
  api::BackendStatus start(const api::RuntimeContext& context) override {
    ++starts_;
    return inner_.start(context);
  }
  // configure_peers is the base class's loop over this function, so every peer passes the gate.
  api::BackendStatus configure_peer(const api::PeerConfig& peer) override {
    ++configure_calls_;
    if (settings_.gate_at && configure_calls_ == *settings_.gate_at) {
      pause();
    }
    return inner_.configure_peer(peer);
  }
  api::BackendStatus remove_peer(const api::NodeId& node_id) override { return inner_.remove_peer(node_id); }
  api::BackendStatus apply_routes(std::span<const api::Route> routes) override { return inner_.apply_routes(routes); }
  api::BackendStatus set_exit_mode(const api::ExitMode& mode) override { return inner_.set_exit_mode(mode); }
  api::BackendResult<api::TunnelStats> stats() override { return inner_.stats(); }
  api::BackendStatus shutdown() override {
    ++shutdowns_;
    if (auto held = inner_.stats(); held.has_value()) {
      peers_ = held->peers.size();
      routes_ = held->routes.size();
    }
    write_report();
    return inner_.shutdown();
  }

 private:
  void pause() const {
    const char paused = 'P';
    if (::write(settings_.gate_fd, &paused, 1) != 1) {
      std::cerr << "gated_rustynetd: cannot signal the pause\n";
      return;
    }
    char released = 0;
    while (::read(settings_.release_fd, &released, 1) < 0 && errno == EINTR) {
    }
  }

  void write_report() const {
    if (settings_.report_path.empty()) {
      return;
    }
    std::ofstream(settings_.report_path, std::ios::trunc)
        << R"({"configure_calls":)" << configure_calls_ << R"(,"peers":)" << peers_ << R"(,"routes":)" << routes_
        << R"(,"starts":)" << starts_ << R"(,"shutdowns":)" << shutdowns_ << "}\n";
  }

  GateSettings settings_;
  api::ReferenceBackend inner_;
  int configure_calls_ = 0;
  std::size_t peers_ = 0;
  std::size_t routes_ = 0;
  int starts_ = 0;
  int shutdowns_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  GateSettings settings;
  settings.gate_at = env_int("RUSTYNET_FAULT_GATE_AT");
  settings.gate_fd = env_int("RUSTYNET_FAULT_GATE_FD").value_or(-1);
  settings.release_fd = env_int("RUSTYNET_FAULT_RELEASE_FD").value_or(-1);
  if (const char* report = std::getenv("RUSTYNET_FAULT_REPORT"); report != nullptr) {  // NOLINT(concurrency-mt-unsafe)
    settings.report_path = report;
  }
  if (settings.gate_at && (settings.gate_fd < 0 || settings.release_fd < 0)) {
    std::cerr << "gated_rustynetd: RUSTYNET_FAULT_GATE_AT needs RUSTYNET_FAULT_GATE_FD and RUSTYNET_FAULT_RELEASE_FD\n";
    return 64;
  }
  const daemon::BackendFactory factory =
      [settings](const daemon::BackendConfig& config) -> daemon::DaemonResult<std::unique_ptr<api::TunnelBackend>> {
    if (config.kind != daemon::BackendKind::kMemory) {
      return daemon::daemon_fail(daemon::DaemonErrorKind::kBackend, "gated_rustynetd has only the memory backend");
    }
    return std::unique_ptr<api::TunnelBackend>(std::make_unique<GatedBackend>(settings));
  };
  return daemon::run(rustynet::base::process_args(argc, argv), std::cout, std::cerr, factory);
}

// SPDX-License-Identifier: Apache-2.0
// rustynetd: Rustynet node daemon: applies signed state from rustynet-control to the tunnel backend.
#include "daemon_main.hpp"

#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <ctime>
#include <memory>
#include <mutex>
#include <ostream>
#include <thread>

#include "daemon.hpp"
#include "notify.hpp"
#include "rustynet/base/log.hpp"

namespace rustynet::apps::daemon {
namespace {

constexpr const char* kUsage =
    "usage: rustynetd [--config PATH] [--check-config] [--help] [--version]\n"
    "\n"
    "Rustynet node daemon: applies signed state from rustynet-control to the tunnel backend.\n"
    "  --config PATH    daemon config (default /etc/rustynet/rustynetd.json)\n"
    "  --check-config   validate the config file and exit\n"
    "Signals: SIGTERM/SIGINT shut down (interface removed), SIGHUP reloads the config.\n"
    "Exit codes: 0 ok, 10 config, 11 crypto policy, 12 key custody, 13 trust state, 14 backend,\n"
    "15 local API, 16 control, 19 metrics, 64 usage, 70 internal (docs/daemon.md).\n"
    "Logs: one JSON object per line on stderr, level from the config's log_level\n"
    "(docs/observability.md).\n";

// Keys live in this process: no core dumps, not ptrace-attachable by other same-uid processes.
void harden_process() {
  const rlimit no_core{0, 0};
  (void)::setrlimit(RLIMIT_CORE, &no_core);
  (void)::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

// Runs SIGHUP reloads off the signal thread. A reload waits for the daemon's state lock, which an
// apply of a large state holds for seconds; the signal thread must keep answering the systemd
// watchdog meanwhile. Requests that arrive while one is pending coalesce into one reload (each
// reload reads the config file as it is then, so nothing is lost).
class ReloadWorker {
 public:
  explicit ReloadWorker(Daemon& daemon) : thread_([this, &daemon] { run(daemon); }) {}
  // Waits for a reload in progress (it ends once the apply holding the state lock ends).
  ~ReloadWorker() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  ReloadWorker(const ReloadWorker&) = delete;
  ReloadWorker& operator=(const ReloadWorker&) = delete;
  ReloadWorker(ReloadWorker&&) = delete;
  ReloadWorker& operator=(ReloadWorker&&) = delete;

  void request() {
    {
      const std::lock_guard lock(mutex_);
      pending_ = true;
    }
    wake_.notify_one();
  }

 private:
  void run(Daemon& daemon) {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || pending_; });
      if (stopping_) {
        return;
      }
      pending_ = false;
      lock.unlock();
      (void)daemon.reload_config();  // logged; an invalid reload keeps the old config
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once the members it uses exist
};

int serve(const std::string& config_path, std::ostream& err, const BackendFactory& backend_factory,
          const FilterFactory& filter_factory, const DataPlaneAlgorithms& data_plane_algorithms) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  // Blocked before any thread starts, so every thread inherits the mask and only sigtimedwait()
  // below sees them: no async-signal-safety concerns anywhere else.
  (void)::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  base::Logger log("rustynetd", err);
  if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
    log.warn("sigpipe", "cannot ignore SIGPIPE");
  }
  harden_process();

  DaemonDeps deps;
  deps.backend_factory = backend_factory;
  deps.filter_factory = filter_factory;
  deps.data_plane_algorithms = data_plane_algorithms;
  auto daemon = Daemon::start(config_path, std::move(deps), err);
  if (!daemon.has_value()) {
    log.error("refused_to_start", "refusing to start: " + daemon.error().describe(),
              {{"kind", to_string(daemon.error().kind)}, {"exit_code", daemon.error().exit_code()}});
    notify_service_manager("STATUS=refused to start: " + daemon.error().describe());
    return daemon.error().exit_code();
  }
  notify_service_manager("READY=1\nSTATUS=running");
  auto reloads = std::make_unique<ReloadWorker>(**daemon);
  const auto watchdog = watchdog_interval();
  while (true) {
    siginfo_t info{};
    int signal_number = 0;
    if (watchdog) {
      const auto half = *watchdog / 2;
      timespec timeout{};
      timeout.tv_sec = static_cast<time_t>(half.count() / 1'000'000);
      timeout.tv_nsec = static_cast<long>((half.count() % 1'000'000) * 1000);
      signal_number = ::sigtimedwait(&signals, &info, &timeout);
    } else {
      signal_number = ::sigwaitinfo(&signals, &info);
    }
    if (signal_number < 0) {
      if (errno == EAGAIN) {
        notify_service_manager("WATCHDOG=1");
      }
      continue;
    }
    if (signal_number == SIGHUP) {
      reloads->request();
      continue;
    }
    notify_service_manager("STOPPING=1\nSTATUS=shutting down");
    reloads.reset();
    (*daemon)->stop();
    return 0;
  }
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err,
        const BackendFactory& backend_factory, const FilterFactory& filter_factory,
        const DataPlaneAlgorithms& data_plane_algorithms) {
  std::string config_path = kDefaultConfigPath;
  bool check_only = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out << kUsage;
      return 0;
    }
    if (arg == "--version") {
      out << "rustynetd " << RUSTYNET_VERSION << "\n";
      return 0;
    }
    if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--config" && i + 1 < args.size()) {
      config_path = args[++i];
    } else {
      err << "rustynetd: unknown or incomplete argument '" << arg << "'\n" << kUsage;
      return static_cast<int>(DaemonErrorKind::kUsage);
    }
  }
  if (check_only) {
    auto config = load_daemon_config(config_path);
    if (!config.has_value()) {
      err << "rustynetd: " << config.error().describe() << "\n";
      return config.error().exit_code();
    }
    out << "rustynetd: " << config_path << ": ok\n";
    return 0;
  }
  return serve(config_path, err, backend_factory, filter_factory, data_plane_algorithms);
}

}  // namespace rustynet::apps::daemon

// SPDX-License-Identifier: Apache-2.0
// Network-namespace fixtures (tests only).
#include "netns_fixture.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

namespace rustynet::backend_wireguard::testing {
namespace {

// Namespaces to delete from the signal handler: fixed storage, no allocation in the handler.
constexpr std::size_t kMaxTracked = 16;
constexpr std::size_t kNameCapacity = 64;
std::array<std::array<char, kNameCapacity>, kMaxTracked> g_tracked{};
std::array<std::atomic<bool>, kMaxTracked> g_tracked_used{};
std::once_flag g_handler_once;
constexpr const char* kIpBinary = "/usr/bin/ip";
constexpr const char* kIpBinaryAlt = "/usr/sbin/ip";

const char* ip_binary() { return ::access(kIpBinary, X_OK) == 0 ? kIpBinary : kIpBinaryAlt; }

// Async-signal-safe: fork + execve + waitpid only.
void delete_netns_async_safe(const char* name) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::array<char, 3> arg0{'i', 'p', '\0'};
    std::array<char, 6> arg1{'n', 'e', 't', 'n', 's', '\0'};
    std::array<char, 7> arg2{'d', 'e', 'l', 'e', 't', 'e', '\0'};
    std::array<char, kNameCapacity> arg3{};
    for (std::size_t i = 0; i + 1 < kNameCapacity && name[i] != '\0'; ++i) {
      arg3[i] = name[i];
    }
    std::array<char*, 5> argv{arg0.data(), arg1.data(), arg2.data(), arg3.data(), nullptr};
    std::array<char*, 1> envp{nullptr};
    ::execve(kIpBinary, argv.data(), envp.data());
    ::execve(kIpBinaryAlt, argv.data(), envp.data());
    ::_exit(127);
  }
  if (pid > 0) {
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

void on_signal(int signal_number) {
  for (std::size_t i = 0; i < kMaxTracked; ++i) {
    if (g_tracked_used[i].load()) {
      delete_netns_async_safe(g_tracked[i].data());
    }
  }
  // Supervised daemons die with us (process group kill), then the default action applies.
  ::signal(signal_number, SIG_DFL);
  ::raise(signal_number);
}

void install_handler() {
  std::call_once(g_handler_once, [] {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    // SIGABRT/SIGSEGV too: a crashing test must not leave namespaces behind either.
    for (const int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGSEGV}) {
      ::sigaction(signal_number, &action, nullptr);
    }
  });
}

int track(const std::string& name) {
  for (std::size_t i = 0; i < kMaxTracked; ++i) {
    bool expected = false;
    if (!g_tracked_used[i].load()) {
      std::fill(g_tracked[i].begin(), g_tracked[i].end(), '\0');
      std::copy(name.begin(), name.begin() + static_cast<std::ptrdiff_t>(std::min(name.size(), kNameCapacity - 1)),
                g_tracked[i].begin());
      if (g_tracked_used[i].compare_exchange_strong(expected, true)) {
        return static_cast<int>(i);
      }
    }
  }
  return -1;
}

void untrack(const std::string& name) {
  for (std::size_t i = 0; i < kMaxTracked; ++i) {
    if (g_tracked_used[i].load() && std::string(g_tracked[i].data()) == name) {
      g_tracked_used[i].store(false);
    }
  }
}

std::atomic<int> g_counter{0};

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
  CommandResult result;
  if (argv.empty()) {
    return result;
  }
  std::array<int, 2> pipe_fds{-1, -1};
  if (::pipe2(pipe_fds.data(), O_CLOEXEC) != 0) {
    return result;
  }
  std::vector<std::string> args = argv;
  if (args[0] == "ip") {
    args[0] = ip_binary();
  }
  std::vector<char*> raw;
  for (std::string& arg : args) {
    raw.push_back(arg.data());
  }
  raw.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::execvp(raw[0], raw.data());
    ::_exit(127);
  }
  ::close(pipe_fds[1]);
  std::array<char, 4096> buffer{};
  while (true) {
    const ssize_t got = ::read(pipe_fds[0], buffer.data(), buffer.size());
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got <= 0) {
      break;
    }
    result.output.append(buffer.data(), static_cast<std::size_t>(got));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

bool run_checked(const std::vector<std::string>& argv) {
  const CommandResult result = run_command(argv);
  if (result.exit_code != 0) {
    std::string joined;
    for (const std::string& arg : argv) {
      joined += arg + " ";
    }
    ADD_FAILURE() << "command failed (" << result.exit_code << "): " << joined << "\n" << result.output;
    return false;
  }
  return true;
}

void run_in_netns(const std::string& netns_path, const std::function<void()>& fn) {
  std::thread worker([&] {
    const int fd = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) {
      ADD_FAILURE() << "cannot enter " << netns_path;
      if (fd >= 0) {
        ::close(fd);
      }
      return;
    }
    ::close(fd);
    fn();
  });
  worker.join();
}

Netns::Netns(const std::string& prefix)
    : name_(prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter.fetch_add(1))) {
  install_handler();
  if (track(name_) < 0) {
    ADD_FAILURE() << "too many namespaces tracked";
    return;
  }
  ok_ = run_checked({"ip", "netns", "add", name_}) && run_checked({"ip", "-n", name_, "link", "set", "lo", "up"});
}

Netns::~Netns() {
  (void)run_command({"ip", "netns", "delete", name_});
  untrack(name_);
}

CommandResult Netns::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{"ip", "-n", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

CommandResult Netns::exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> full{"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return run_command(full);
}

std::vector<std::string> Netns::link_names() const {
  std::vector<std::string> names;
  std::istringstream lines(ip({"-o", "link", "show"}).output);
  std::string line;
  while (std::getline(lines, line)) {
    // "3: name@peer: <FLAGS>..." or "3: name: <FLAGS>..."
    const auto first = line.find(": ");
    if (first == std::string::npos) {
      continue;
    }
    const auto second = line.find(": ", first + 2);
    std::string name = line.substr(first + 2, second - first - 2);
    name = name.substr(0, name.find('@'));
    names.push_back(name);
  }
  return names;
}

NetnsPair::NetnsPair() {
  if (!a.ok() || !b.ok()) {
    return;
  }
  const std::string veth_a = "rnva" + std::to_string(::getpid() % 100000);
  const std::string veth_b = "rnvb" + std::to_string(::getpid() % 100000);
  ok_ = run_checked(
            {"ip", "-n", a.name(), "link", "add", veth_a, "type", "veth", "peer", "name", veth_b, "netns", b.name()}) &&
        run_checked({"ip", "-n", a.name(), "addr", "add", std::string(kAddressA) + "/24", "dev", veth_a}) &&
        run_checked({"ip", "-n", b.name(), "addr", "add", std::string(kAddressB) + "/24", "dev", veth_b}) &&
        run_checked({"ip", "-n", a.name(), "link", "set", veth_a, "up"}) &&
        run_checked({"ip", "-n", b.name(), "link", "set", veth_b, "up"});
}

std::string unique_interface_name(const std::string& tag) {
  static std::atomic<int> counter{0};
  return tag + std::to_string(::getpid() % 100000) + "x" + std::to_string(counter.fetch_add(1));
}

}  // namespace rustynet::backend_wireguard::testing

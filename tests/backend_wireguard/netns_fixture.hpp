// SPDX-License-Identifier: Apache-2.0
// Network-namespace fixtures for root tests: RAII namespaces and veth pairs, cleanup on failure
// and on SIGINT/SIGTERM. Tests (only) may run ip(8); the library never does.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace rustynet::backend_wireguard::testing {

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string output;  // stdout + stderr
};

// Runs argv[0] (searched in PATH) with `argv`, no shell. Never throws.
CommandResult run_command(const std::vector<std::string>& argv);
// run_command that records a gtest failure (with the output) on a non-zero exit.
bool run_checked(const std::vector<std::string>& argv);

// Runs `fn` on a fresh thread that entered the namespace (the caller's thread is untouched).
void run_in_netns(const std::string& netns_path, const std::function<void()>& fn);

// A network namespace named "<prefix>-<pid>-<n>", with lo up. Deleted by the destructor, and by a
// SIGINT/SIGTERM handler installed on first use (which then re-raises the signal).
class Netns {
 public:
  explicit Netns(const std::string& prefix);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  [[nodiscard]] bool ok() const noexcept { return ok_; }
  [[nodiscard]] const std::string& name() const noexcept { return name_; }
  // /var/run/netns/NAME, for WireGuardBackendOptions::network_namespace_path.
  [[nodiscard]] std::string path() const { return "/var/run/netns/" + name_; }
  // `ip -n NAME args...`
  CommandResult ip(const std::vector<std::string>& args) const;
  // `ip netns exec NAME argv...`
  CommandResult exec(const std::vector<std::string>& argv) const;
  // Names of all links in the namespace.
  [[nodiscard]] std::vector<std::string> link_names() const;

 private:
  std::string name_;
  bool ok_ = false;
};

// Two namespaces joined by a veth pair: a has 192.168.241.1/24, b has 192.168.241.2/24.
class NetnsPair {
 public:
  NetnsPair();
  [[nodiscard]] bool ok() const noexcept { return ok_; }
  Netns a{"rnwgt-a"};
  Netns b{"rnwgt-b"};
  static constexpr const char* kAddressA = "192.168.241.1";
  static constexpr const char* kAddressB = "192.168.241.2";

 private:
  bool ok_ = false;
};

// Unique short interface names (<= 15 bytes) for this process: "<tag><pid % 100000>x<n>".
std::string unique_interface_name(const std::string& tag);

}  // namespace rustynet::backend_wireguard::testing

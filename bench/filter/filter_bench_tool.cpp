// SPDX-License-Identifier: Apache-2.0
// filter_bench_tool: times the node packet filter's build (policy -> FilterSpec) and its nftables
// apply on a real interface, and installs such a filter for the harness's data-path overhead run.
// Root only. Figures and method: docs/performance.md "Packet filter".
#include <fcntl.h>
#include <sched.h>

#include <charconv>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "apply_time.hpp"
#include "install_mode.hpp"
#include "rustynet/base/process_args.hpp"
#include "rustynet/base/sys_error.hpp"
#include "rustynet/base/unique_fd.hpp"

namespace {

namespace bf = rustynet::bench::filter;

constexpr int kUsageError = 64;
constexpr std::string_view kUsage =
    "usage: filter_bench_tool apply-time [--rules 1000,10000] [--repetitions K] [--breakdown-repetitions D]\n"
    "                                    [--nodes N] [--node I] [--nft PATH] [--save-scripts DIR]\n"
    "         a private network namespace with one wireguard-go interface; JSON with raw samples on stdout\n"
    "       filter_bench_tool install --interface IF --self-address A --peer-address B [--netns PATH]\n"
    "                                 [--rules R] [--nodes N] [--allow-tcp-port P] [--generation G] [--nft PATH]\n"
    "       filter_bench_tool remove --interface IF [--netns PATH] [--nft PATH]\n";

int usage(const std::string& problem) {
  std::cerr << "filter_bench_tool: " << problem << "\n" << kUsage;
  return kUsageError;
}

template <class T>
std::optional<T> parse_number(std::string_view text) {
  T value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::size_t>> parse_list(std::string_view text) {
  std::vector<std::size_t> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    auto value = parse_number<std::size_t>(text.substr(0, comma));
    if (!value.has_value() || *value == 0) {
      return std::nullopt;
    }
    out.push_back(*value);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out.empty() ? std::nullopt : std::optional(out);
}

// Every option takes one value: --name VALUE.
std::optional<std::map<std::string, std::string>> parse_options(const std::vector<std::string>& args) {
  std::map<std::string, std::string> options;
  for (std::size_t i = 1; i < args.size(); i += 2) {
    if (!args[i].starts_with("--") || i + 1 >= args.size()) {
      return std::nullopt;
    }
    options[args[i].substr(2)] = args[i + 1];
  }
  return options;
}

bool enter_netns(const std::string& path) {
  const rustynet::base::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid() || ::setns(fd.get(), CLONE_NEWNET) != 0) {
    std::cerr << "filter_bench_tool: " << rustynet::base::last_sys_error("enter " + path).describe() << "\n";
    return false;
  }
  return true;
}

int finish(const rustynet::base::Result<std::string, std::string>& result) {
  if (!result.has_value()) {
    std::cerr << "filter_bench_tool: " << result.error() << "\n";
    return 1;
  }
  std::cout << result.value() << "\n";
  return std::cout.good() ? 0 : 1;
}

int run(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help") {
    std::cout << kUsage;
    return args.empty() ? kUsageError : 0;
  }
  auto parsed = parse_options(args);
  if (!parsed.has_value()) {
    return usage("options are --name VALUE pairs");
  }
  std::map<std::string, std::string>& options = *parsed;
  const auto take = [&options](const std::string& name) -> std::optional<std::string> {
    const auto it = options.find(name);
    if (it == options.end()) {
      return std::nullopt;
    }
    std::string value = it->second;
    options.erase(it);
    return value;
  };
  const std::string nft = take("nft").value_or("/usr/sbin/nft");
  const std::string& mode = args[0];
  if (mode == "apply-time") {
    bf::ApplyTimeOptions run_options;
    run_options.nft = nft;
    run_options.save_scripts_dir = take("save-scripts").value_or("");
    if (auto rules = take("rules")) {
      auto list = parse_list(*rules);
      if (!list.has_value()) {
        return usage("--rules: a comma list of counts");
      }
      run_options.rule_counts = *list;
    }
    for (const auto& [name, target] : {std::pair{"repetitions", &run_options.repetitions},
                                       std::pair{"breakdown-repetitions", &run_options.breakdown_repetitions},
                                       std::pair{"nodes", &run_options.nodes}, std::pair{"node", &run_options.self}}) {
      if (auto text = take(name)) {
        auto value = parse_number<std::size_t>(*text);
        if (!value.has_value()) {
          return usage(std::string("--") + name + ": not a number");
        }
        *target = *value;
      }
    }
    if (!options.empty()) {
      return usage("unknown option --" + options.begin()->first);
    }
    if (run_options.repetitions < 2 || run_options.breakdown_repetitions < 1 || run_options.nodes < 2) {
      return usage("need --repetitions >= 2, --breakdown-repetitions >= 1, --nodes >= 2");
    }
    // The whole process in a fresh network namespace: nothing on the host is touched, and the
    // namespace (interface, table) goes away with the process.
    if (::unshare(CLONE_NEWNET) != 0) {
      std::cerr << "filter_bench_tool: " << rustynet::base::last_sys_error("unshare(CLONE_NEWNET) (root?)").describe()
                << "\n";
      return 1;
    }
    return finish(bf::run_apply_time(run_options));
  }
  if (mode != "install" && mode != "remove") {
    return usage("unknown mode '" + mode + "'");
  }
  const std::optional<std::string> interface_name = take("interface");
  if (!interface_name.has_value()) {
    return usage("--interface is required");
  }
  const std::optional<std::string> netns = take("netns");
  if (mode == "remove") {
    if (!options.empty()) {
      return usage("unknown option --" + options.begin()->first);
    }
    if (netns.has_value() && !enter_netns(*netns)) {
      return 1;
    }
    return finish(bf::run_remove(*interface_name, nft));
  }
  bf::InstallOptions install;
  install.interface_name = *interface_name;
  install.nft = nft;
  const std::optional<std::string> self = take("self-address");
  const std::optional<std::string> peer = take("peer-address");
  if (!self.has_value() || !peer.has_value()) {
    return usage("--self-address and --peer-address are required");
  }
  install.self_address = *self;
  install.peer_address = *peer;
  for (const auto& [name, target] : {std::pair{"rules", &install.rules}, std::pair{"nodes", &install.nodes}}) {
    if (auto text = take(name)) {
      auto value = parse_number<std::size_t>(*text);
      if (!value.has_value()) {
        return usage(std::string("--") + name + ": not a number");
      }
      *target = *value;
    }
  }
  if (auto text = take("allow-tcp-port")) {
    auto value = parse_number<std::uint16_t>(*text);
    if (!value.has_value() || *value == 0) {
      return usage("--allow-tcp-port: 1-65535");
    }
    install.allow_tcp_port = *value;
  }
  if (auto text = take("generation")) {
    auto value = parse_number<std::uint64_t>(*text);
    if (!value.has_value()) {
      return usage("--generation: not a number");
    }
    install.generation = *value;
  }
  if (!options.empty()) {
    return usage("unknown option --" + options.begin()->first);
  }
  if (netns.has_value() && !enter_netns(*netns)) {
    return 1;
  }
  return finish(bf::run_install(install));
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(rustynet::base::process_args(argc, argv));
  } catch (const std::exception& error) {
    std::cerr << "filter_bench_tool: " << error.what() << "\n";
    return 1;
  }
}

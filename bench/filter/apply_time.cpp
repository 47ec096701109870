// SPDX-License-Identifier: Apache-2.0
// run_apply_time: build + apply samples and the breakdown of where an apply's time goes.
#include "apply_time.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "child_run.hpp"
#include "filter_build.hpp"
#include "filter_workload.hpp"
#include "nft_tools.hpp"
#include "policy_workload.hpp"
#include "rustynet/backend_api/runtime_context.hpp"
#include "rustynet/backend_wireguard/factory.hpp"

namespace rustynet::bench::filter {
namespace {

namespace api = backend_api;
namespace wg = backend_wireguard;
using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr std::array<const char*, 2> kVariantNames{"A", "B"};
// Generous: a slow apply must be measured, not killed (the daemon's default is 5 s).
constexpr std::chrono::milliseconds kNftTimeout{120000};

double rounded(double ms) { return std::round(ms * 1000.0) / 1000.0; }

// "1.23 0.98 0.70": the machine is shared, so every case records how busy it was.
std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one;
  std::string five;
  std::string fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double ms_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double, std::milli>(end - start).count();
}

// CPU of every reaped child so far (the filter's nft runs; wireguard-go is never reaped here).
struct ChildCpu {
  double user_ms = 0;
  double sys_ms = 0;
};
ChildCpu children_cpu() {
  rusage usage{};
  ::getrusage(RUSAGE_CHILDREN, &usage);
  const auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3;
  };
  return {ms(usage.ru_utime), ms(usage.ru_stime)};
}

api::RuntimeContext interface_context() {
  api::RuntimeContext context{api::NodeId::parse("filter-bench").value(),
                              "rnfb" + std::to_string(::getpid() % 100000),
                              {api::InterfaceAddress::parse("100.64.0.1/10").value()},
                              0,
                              1420,
                              base::SecretBytes(32)};
  auto key = context.tunnel_private_key.mutable_view();
  for (std::size_t i = 0; i < key.size(); ++i) {
    key[i] = static_cast<std::uint8_t>(0x40 + i);
  }
  return context;
}

std::unique_ptr<api::PacketFilterBackend> make_filter(const std::string& interface_name, const std::string& nft) {
  return wg::make_nftables_filter({.interface_name = interface_name,
                                   .network_namespace_path = std::nullopt,
                                   .nft_binary = nft,
                                   .command_timeout = kNftTimeout});
}

// A stand-in nft that keeps a copy of the script the filter pipes in, then runs the real one on it.
base::Result<std::string, std::string> write_capture_wrapper(const ScratchDir& scratch, const std::string& nft) {
  const std::string wrapper = scratch.file("nft-capture.sh");
  const std::string captured = scratch.file("captured.nft");
  {
    std::ofstream out(wrapper);
    out << "#!/bin/sh\n"
        << "if [ \"$1\" = -f ] && [ \"$2\" = - ]; then\n"
        << "  cat > '" << captured << "' || exit 99\n"
        << "  exec '" << nft << "' \"$@\" < '" << captured << "'\n"
        << "fi\n"
        << "exec '" << nft << "' \"$@\"\n";
    if (!out) {
      return base::unexpected("cannot write " + wrapper);
    }
  }
  std::error_code error;
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all, error);
  if (error) {
    return base::unexpected("chmod " + wrapper + ": " + error.message());
  }
  return wrapper;
}

Json flow_json(const std::optional<api::FlowQuery>& flow) {
  if (!flow.has_value()) {
    return nullptr;
  }
  return Json{{"remote", flow->remote.to_string()},
              {"local", flow->local.to_string()},
              {"protocol", std::string(api::to_string(flow->protocol))},
              {"port", flow->port}};
}

// One series of direct nft runs: wall, user and system milliseconds per run.
struct Series {
  Json wall = Json::array();
  Json user = Json::array();
  Json sys = Json::array();
  void add(const ChildTimes& times) {
    wall.push_back(rounded(times.wall_ms));
    user.push_back(rounded(times.user_ms));
    sys.push_back(rounded(times.sys_ms));
  }
  [[nodiscard]] Json json() const { return Json{{"wall_ms", wall}, {"user_ms", user}, {"sys_ms", sys}}; }
};

class CaseRunner {
 public:
  CaseRunner(const ApplyTimeOptions& options, const ScratchDir& scratch, std::string interface_name, std::string table)
      : options_(options), scratch_(scratch), interface_(std::move(interface_name)), table_(std::move(table)) {}

  base::Result<Json, std::string> run(std::size_t rule_count);

 private:
  // nft with `arguments`, stdin from `input`, stdout into `output`; a non-zero exit is an error.
  base::Result<ChildTimes, std::string> nft(const std::vector<std::string>& arguments,
                                            const std::string& input = "/dev/null",
                                            const std::string& output = "/dev/null");
  base::Result<Json, std::string> breakdown(const std::array<api::FilterSpec, 2>& specs, Json& variants);

  const ApplyTimeOptions& options_;
  const ScratchDir& scratch_;
  std::string interface_;
  std::string table_;
};

base::Result<ChildTimes, std::string> CaseRunner::nft(const std::vector<std::string>& arguments,
                                                      const std::string& input, const std::string& output) {
  std::vector<std::string> argv{options_.nft};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const ChildIo io{input, output, scratch_.file("nft.err")};
  auto ran = run_child(argv, io);
  if (!ran.has_value()) {
    return base::unexpected(ran.error());
  }
  if (ran->exit_status != 0) {
    std::string command;
    for (const std::string& argument : arguments) {
      command += " " + argument;
    }
    return base::unexpected("nft" + command + " exited with " + std::to_string(ran->exit_status) + ": " +
                            file_head(io.stderr_path));
  }
  return ran;
}

base::Result<Json, std::string> CaseRunner::run(std::size_t rule_count) {
  const Workload workload = make_workload(rule_count, options_.nodes, 1);
  if (options_.self >= workload.inventory.nodes.size()) {
    return base::unexpected(std::string("--node is outside the inventory"));
  }
  const policy::NodeState state = node_state_of(workload.inventory, options_.self);
  const std::array<policy::PolicyDocument, 2> documents{workload.document, thinned(workload.document)};
  const std::array<std::string, 2> texts{encode_policy(documents[0]), encode_policy(documents[1])};

  // Untimed first build of each content: the specs the samples must reproduce, and one flow per
  // content that only it allows (asked of the kernel after every apply).
  std::array<api::FilterSpec, 2> specs;
  Json variants = Json::array();
  for (std::size_t v = 0; v < 2; ++v) {
    auto built = build_filter(texts.at(v), state);
    if (!built.has_value()) {
      return base::unexpected(built.error());
    }
    specs.at(v) = built->spec;
    variants.push_back(
        Json{{"name", kVariantNames.at(v)},
             {"policy_rules", documents.at(v).rules.size()},
             {"policy_json_bytes", texts.at(v).size()},
             {"plan_entries", Json{{"inbound", built->plan_inbound}, {"outbound", built->plan_outbound}}},
             {"spec_rules", Json{{"inbound", built->spec.inbound.size()},
                                 {"outbound", built->spec.outbound.size()},
                                 {"total", built->spec.inbound.size() + built->spec.outbound.size()}}}});
  }
  if (specs[0] == specs[1]) {
    return base::unexpected("the two policy contents give the same filter for " + state.node_id);
  }
  const std::array<std::optional<api::FlowQuery>, 2> only{flow_only_in(specs[0], specs[1]),
                                                          flow_only_in(specs[1], specs[0])};
  if (!only[0].has_value() && !only[1].has_value()) {
    return base::unexpected(std::string("no inbound flow tells the two filters apart"));
  }
  variants[0]["flow_only_allowed_here"] = flow_json(only[0]);
  variants[1]["flow_only_allowed_here"] = flow_json(only[1]);

  auto filter = make_filter(interface_, options_.nft);
  if (auto installed = filter->ensure_installed(); !installed.has_value()) {
    return base::unexpected("ensure_installed: " + installed.error().describe());
  }
  const std::string load_at_start = load_average();
  Json samples = Json::array();
  for (std::size_t k = 0; k < options_.repetitions; ++k) {
    const std::size_t v = k % 2;
    auto built = build_filter(texts.at(v), state);
    if (!built.has_value()) {
      return base::unexpected(built.error());
    }
    if (built->spec != specs.at(v)) {
      return base::unexpected(std::string("a rebuild gave a different filter"));
    }
    built->spec.generation = k + 1;
    const ChildCpu before = children_cpu();
    const auto start = Clock::now();
    auto applied = filter->apply(built->spec);
    const auto applied_at = Clock::now();
    const ChildCpu after = children_cpu();
    if (!applied.has_value()) {
      return base::unexpected("apply: " + applied.error().describe());
    }
    auto verified = filter->verify();
    const auto verified_at = Clock::now();
    if (!verified.has_value()) {
      return base::unexpected("verify: " + verified.error().describe());
    }
    if (!verified->installed || !verified->intact || verified->generation != k + 1) {
      return base::unexpected("verify after apply " + std::to_string(k + 1) + ": not installed/intact/generation");
    }
    for (std::size_t w = 0; w < 2; ++w) {
      if (!only.at(w).has_value()) {
        continue;
      }
      auto allowed = filter->allows(*only.at(w));
      if (!allowed.has_value()) {
        return base::unexpected("allows: " + allowed.error().describe());
      }
      if (*allowed != (w == v)) {
        return base::unexpected("the kernel's filter does not hold content " + std::string(kVariantNames.at(v)) +
                                " after apply " + std::to_string(k + 1));
      }
    }
    const BuildTimes& t = built->times;
    const double apply_ms = ms_between(start, applied_at);
    samples.push_back(Json{{"repetition", k + 1},
                           {"variant", kVariantNames.at(v)},
                           {"parse_ms", rounded(t.parse_ms)},
                           {"compile_ms", rounded(t.compile_ms)},
                           {"plan_ms", rounded(t.plan_ms)},
                           {"filter_spec_ms", rounded(t.filter_spec_ms)},
                           {"build_ms", rounded(t.build_ms())},
                           {"apply_ms", rounded(apply_ms)},
                           {"build_plus_apply_ms", rounded(t.build_ms() + apply_ms)},
                           {"parse_build_apply_ms", rounded(t.parse_ms + t.build_ms() + apply_ms)},
                           {"apply_nft_user_ms", rounded(after.user_ms - before.user_ms)},
                           {"apply_nft_sys_ms", rounded(after.sys_ms - before.sys_ms)},
                           {"verify_ms", rounded(ms_between(applied_at, verified_at))}});
  }
  // A small change on one object: A and A plus one rule alternating, each apply an update.
  const std::string one_more = encode_policy(with_one_more_rule(documents[0]));
  const std::array<const std::string*, 2> small_texts{&texts[0], &one_more};
  Json small_samples = Json::array();
  for (std::size_t k = 0; k < options_.repetitions + 1; ++k) {
    auto built = build_filter(*small_texts.at(k % 2), state);
    if (!built.has_value()) {
      return base::unexpected(built.error());
    }
    built->spec.generation = 2 * options_.repetitions + k + 1;
    const auto start = Clock::now();
    auto applied = filter->apply(built->spec);
    const auto applied_at = Clock::now();
    if (!applied.has_value()) {
      return base::unexpected("small-change apply: " + applied.error().describe());
    }
    auto verified = filter->verify();
    if (!verified.has_value() || !verified->installed || !verified->intact ||
        verified->generation != built->spec.generation) {
      return base::unexpected("verify after small-change apply " + std::to_string(k + 1) + " failed");
    }
    if (k == 0) {
      continue;  // from B to A: a large change, the warm-up of this series
    }
    const double apply_ms = ms_between(start, applied_at);
    small_samples.push_back(Json{{"repetition", k},
                                 {"variant", k % 2 == 0 ? "A" : "A+1"},
                                 {"build_ms", rounded(built->times.build_ms())},
                                 {"apply_ms", rounded(apply_ms)},
                                 {"build_plus_apply_ms", rounded(built->times.build_ms() + apply_ms)}});
  }
  // The same contents, each applied by a fresh filter object: the whole-table replacement a daemon
  // sends on its first apply, after a restart, or when the table cannot be proven untouched.
  Json full_samples = Json::array();
  for (std::size_t k = 0; k < options_.repetitions; ++k) {
    const std::size_t v = k % 2;
    auto built = build_filter(texts.at(v), state);
    if (!built.has_value()) {
      return base::unexpected(built.error());
    }
    built->spec.generation = options_.repetitions + k + 1;
    auto fresh = make_filter(interface_, options_.nft);
    const auto start = Clock::now();
    auto applied = fresh->apply(built->spec);
    const auto applied_at = Clock::now();
    if (!applied.has_value()) {
      return base::unexpected("full apply: " + applied.error().describe());
    }
    auto verified = fresh->verify();
    if (!verified.has_value() || !verified->installed || !verified->intact ||
        verified->generation != built->spec.generation) {
      return base::unexpected("verify after full apply " + std::to_string(k + 1) + " failed");
    }
    const double apply_ms = ms_between(start, applied_at);
    full_samples.push_back(Json{{"repetition", k + 1},
                                {"variant", kVariantNames.at(v)},
                                {"build_ms", rounded(built->times.build_ms())},
                                {"apply_ms", rounded(apply_ms)},
                                {"build_plus_apply_ms", rounded(built->times.build_ms() + apply_ms)}});
  }
  auto parts = breakdown(specs, variants);
  if (!parts.has_value()) {
    return base::unexpected(parts.error());
  }
  if (auto removed = filter->remove(); !removed.has_value()) {
    return base::unexpected("remove: " + removed.error().describe());
  }
  return Json{{"rules", rule_count},
              {"nodes", options_.nodes},
              {"node", state.node_id},
              {"peers", state.peers.size()},
              {"repetitions", options_.repetitions},
              {"load_average_at_start", load_at_start},
              {"load_average_at_end", load_average()},
              {"variants", std::move(variants)},
              {"samples", std::move(samples)},
              {"full_replacement_samples", std::move(full_samples)},
              {"small_change_samples", std::move(small_samples)},
              {"breakdown", std::move(parts).value()}};
}

base::Result<Json, std::string> CaseRunner::breakdown(const std::array<api::FilterSpec, 2>& specs, Json& variants) {
  auto wrapper = write_capture_wrapper(scratch_, options_.nft);
  if (!wrapper.has_value()) {
    return base::unexpected(wrapper.error());
  }
  const std::string captured = scratch_.file("captured.nft");
  const std::array<std::string, 3> scripts{scratch_.file("apply-A.nft"), scratch_.file("apply-B.nft"),
                                           scratch_.file("apply-empty.nft")};
  for (std::size_t v = 0; v < 3; ++v) {
    api::FilterSpec spec = v < 2 ? specs.at(v) : api::FilterSpec{};
    spec.generation = 900001 + v;
    // A fresh filter object knows no table, so it sends the whole replacement (the script re-run
    // below); one object would send the second content as an update.
    auto capturing = make_filter(interface_, *wrapper);
    if (auto applied = capturing->apply(spec); !applied.has_value()) {
      return base::unexpected("capture apply: " + applied.error().describe());
    }
    std::error_code error;
    std::filesystem::rename(captured, scripts.at(v), error);
    if (error) {
      return base::unexpected("no captured script: " + error.message());
    }
    if (!options_.save_scripts_dir.empty()) {
      const std::string name = std::to_string(specs[0].inbound.size() + specs[0].outbound.size()) + "-" +
                               std::filesystem::path(scripts.at(v)).filename().string();
      std::filesystem::copy_file(scripts.at(v), std::filesystem::path(options_.save_scripts_dir) / name,
                                 std::filesystem::copy_options::overwrite_existing, error);
      if (error) {
        return base::unexpected("--save-scripts: " + error.message());
      }
    }
    if (v < 2) {
      auto counts = count_elements(options_.nft, table_, scratch_.path());
      if (!counts.has_value()) {
        return base::unexpected(counts.error());
      }
      variants[v]["set_elements"] = *counts;
      variants[v]["script_bytes"] = std::filesystem::file_size(scripts.at(v), error);
    }
  }
  // The table holds the empty filter now; start from content B so A meets a full table.
  RUSTYNET_RETURN_IF_ERROR(nft({"-f", "-"}, scripts[1]));
  Series check;
  Series apply_present;
  Series apply_absent;
  Series read_back;
  Series empty;
  const std::string listing = scratch_.file("listing.txt");
  for (std::size_t d = 0; d < 2 * options_.breakdown_repetitions; ++d) {
    const std::string& script = scripts.at(d % 2);
    RUSTYNET_ASSIGN_OR_RETURN(const ChildTimes checked, nft({"-c", "-f", "-"}, script));
    check.add(checked);
    RUSTYNET_ASSIGN_OR_RETURN(const ChildTimes present, nft({"-f", "-"}, script));
    apply_present.add(present);
    RUSTYNET_ASSIGN_OR_RETURN(const ChildTimes read,
                              nft({"-s", "list", "table", "inet", table_}, "/dev/null", listing));
    read_back.add(read);
    if (d < 2) {
      std::error_code error;
      variants[d]["listing_bytes"] = std::filesystem::file_size(listing, error);
    }
    RUSTYNET_RETURN_IF_ERROR(nft({"delete", "table", "inet", table_}));
    RUSTYNET_ASSIGN_OR_RETURN(const ChildTimes absent, nft({"-f", "-"}, script));
    apply_absent.add(absent);
  }
  RUSTYNET_RETURN_IF_ERROR(nft({"-f", "-"}, scripts[2]));
  for (std::size_t d = 0; d < options_.breakdown_repetitions; ++d) {
    RUSTYNET_ASSIGN_OR_RETURN(const ChildTimes fixed, nft({"-f", "-"}, scripts[2]));
    empty.add(fixed);
  }
  return Json{
      {"method",
       "the scripts NftablesPacketFilter::apply pipes into nft (captured once per content), re-run directly "
       "with wait4 CPU times; A and B alternate so every run changes the table"},
      {"check_only", check.json()},
      {"apply_step_table_present", apply_present.json()},
      {"apply_step_table_absent", apply_absent.json()},
      {"read_back", read_back.json()},
      {"empty_filter_apply_step", empty.json()},
      {"notes",
       Json{{"check_only",
             "nft -c -f: parse, evaluation, netlink batch sent without its end message, so the kernel "
             "prepares the whole transaction, validates and aborts it (no commit)"},
            {"apply_step_table_present", "nft -f: the transaction apply() runs first (add/delete/recreate table)"},
            {"apply_step_table_absent", "the same script when no table exists"},
            {"read_back", "nft -s list table: the listing apply() reads right after for verify()"},
            {"empty_filter_apply_step", "the same transaction for a filter without elements: the fixed cost"}}}};
}

}  // namespace

base::Result<std::string, std::string> run_apply_time(const ApplyTimeOptions& options) {
  auto scratch = ScratchDir::create();
  if (!scratch.has_value()) {
    return base::unexpected(scratch.error());
  }
  const api::RuntimeContext context = interface_context();
  auto table = table_for(context.interface_name);
  if (!table.has_value()) {
    return base::unexpected(table.error());
  }
  wg::WireGuardBackendOptions backend_options;
  backend_options.terminate_daemon_with_owner = true;
  auto backend = wg::make_wireguard_backend(backend_options);
  if (auto started = backend->start(context); !started.has_value()) {
    return base::unexpected("WireGuard interface: " + started.error().describe());
  }
  Json cases = Json::array();
  CaseRunner runner(options, *scratch, context.interface_name, *table);
  std::optional<std::string> failure;
  for (const std::size_t rules : options.rule_counts) {
    auto result = runner.run(rules);
    if (!result.has_value()) {
      failure = std::to_string(rules) + " rules: " + result.error();
      break;
    }
    cases.push_back(std::move(result).value());
  }
  (void)backend->shutdown();
  if (failure.has_value()) {
    return base::unexpected(*failure);
  }
  const Json report{{"tool", "filter_bench_tool apply-time"},
                    {"build_type", RUSTYNET_BUILD_TYPE},
                    {"nft", options.nft},
                    {"interface", context.interface_name + " (wireguard-go, private network namespace)"},
                    {"repetitions", options.repetitions},
                    {"breakdown_repetitions_per_content", options.breakdown_repetitions},
                    {"clock", "steady_clock wall time; nft CPU from getrusage(RUSAGE_CHILDREN) / wait4"},
                    {"cases", std::move(cases)}};
  return report.dump(1);
}

}  // namespace rustynet::bench::filter

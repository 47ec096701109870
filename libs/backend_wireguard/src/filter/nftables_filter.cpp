// SPDX-License-Identifier: Apache-2.0
// NftablesPacketFilter: apply/verify/allows/remove as nft transactions and queries.
#include "filter/nftables_filter.hpp"

#include <sys/random.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <sstream>

#include "filter/nft_names.hpp"
#include "filter/nft_render.hpp"
#include "rustynet/backend_wireguard/factory.hpp"

namespace rustynet::backend_wireguard::filter {
namespace {

namespace api = backend_api;

constexpr std::size_t kMaxMessage = 800;
constexpr std::string_view kNotFound = "No such file or directory";

// What one nft transaction costs, in milliseconds of wall time, on the 2-core CI machine (kernel
// 6.18, nft 1.0.6; docs/performance.md "Update or replace"): a whole-table replacement costs a fixed
// ~20 ms (the base chains are re-registered) plus ~0.027 ms per element inserted into the new,
// empty sets; an update costs a fixed ~5 ms and ~0.1 ms per element added, but the pipapo set type
// deletes an element in time proportional to the set's size: fitted on the benchmark's 10,000-rule
// policy change (577 deletions from sets of 1,811 and 3,189 elements took ~2.9 s) to ~1.7e-3 ms per
// deletion per element of its set. Only the comparison matters, so rough constants suffice.
constexpr double kReplaceFixedMs = 20.0;
constexpr double kReplacePerElementMs = 0.027;
constexpr double kUpdateFixedMs = 5.0;
constexpr double kUpdatePerAdditionMs = 0.1;
constexpr double kUpdatePerDeletionPerSetElementMs = 1.7e-3;

bool update_is_cheaper(const ElementDiff& diff, const RenderedFilter& next) {
  double update = kUpdateFixedMs;
  for (std::size_t i = 0; i < diff.additions.size(); ++i) {
    update += kUpdatePerAdditionMs * static_cast<double>(diff.additions.at(i)) +
              kUpdatePerDeletionPerSetElementMs * static_cast<double>(diff.deletions.at(i)) *
                  static_cast<double>(diff.size_before.at(i));
  }
  const double replace = kReplaceFixedMs + kReplacePerElementMs * static_cast<double>(element_count(next));
  return update < replace;
}

// Distinguishes this apply's table from every earlier one (see listing_has_attempt). Not a secret;
// only uniqueness matters, so a clock-and-counter fallback is fine when getrandom is unavailable.
std::string new_attempt_token() {
  std::array<std::uint8_t, 8> bytes{};
  if (::getrandom(bytes.data(), bytes.size(), GRND_NONBLOCK) != static_cast<ssize_t>(bytes.size())) {
    static std::atomic<std::uint64_t> counter{0};
    const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    const std::uint64_t mixed = now ^ (static_cast<std::uint64_t>(::getpid()) << 40U) ^ counter.fetch_add(1);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      bytes[i] = static_cast<std::uint8_t>(mixed >> (8U * i));
    }
  }
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string token;
  for (const std::uint8_t byte : bytes) {
    token += kHex[byte >> 4U];
    token += kHex[byte & 0x0FU];
  }
  return token;
}

// nft's diagnostics, bounded, for error messages (they echo our script, never secrets).
std::string diagnostics(const NftOutput& output) {
  std::string text = output.err.empty() ? output.out : output.err;
  if (text.size() > kMaxMessage) {
    text.resize(kMaxMessage);
    text += "...";
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  return "nft exited with status " + std::to_string(output.exit_status) + (text.empty() ? "" : ": " + text);
}

}  // namespace

NftablesPacketFilter::NftablesPacketFilter(std::string interface_name, std::unique_ptr<NftRunner> runner,
                                           std::unique_ptr<RulesetGeneration> generation)
    : interface_name_(std::move(interface_name)), runner_(std::move(runner)), generation_(std::move(generation)) {
  auto valid = validate_interface_name(interface_name_);
  if (valid.has_value()) {
    table_ = table_name_for(interface_name_);
  } else {
    config_error_ = std::move(valid).error();
  }
}

api::BackendResult<NftOutput> NftablesPacketFilter::run(const std::vector<std::string>& arguments,
                                                        const std::string& input) {
  if (config_error_.has_value()) {
    return api::fail(*config_error_);
  }
  auto output = runner_->run(arguments, input);
  if (!output.has_value()) {
    return api::fail(api::BackendError::internal("cannot run nft: " + output.error()));
  }
  return std::move(output).value();
}

api::BackendResult<bool> NftablesPacketFilter::table_exists() {
  RUSTYNET_ASSIGN_OR_RETURN(const NftOutput output, run({"list", "tables", "inet"}));
  if (output.exit_status != 0) {
    return api::fail(api::BackendError::internal("cannot list nftables tables: " + diagnostics(output)));
  }
  const std::string wanted = "table inet " + table_;
  std::istringstream lines(output.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line == wanted) {
      return true;
    }
  }
  return false;
}

api::BackendResult<std::optional<std::string>> NftablesPacketFilter::read_table() {
  // -s: no counter values, so the listing changes only when the ruleset does.
  RUSTYNET_ASSIGN_OR_RETURN(const NftOutput output, run({"-s", "list", "table", "inet", table_}));
  if (output.exit_status == 0) {
    return std::optional<std::string>(output.out);
  }
  RUSTYNET_ASSIGN_OR_RETURN(const bool exists, table_exists());
  if (!exists) {
    return std::optional<std::string>();
  }
  return api::fail(api::BackendError::internal("cannot list table " + table_ + ": " + diagnostics(output)));
}

std::optional<std::uint32_t> NftablesPacketFilter::ruleset_generation() {
  if (!generation_) {
    return std::nullopt;
  }
  auto current = generation_->read();
  if (!current.has_value()) {
    return std::nullopt;
  }
  return *current;
}

bool NftablesPacketFilter::table_is_as_applied() {
  return applied_.has_value() && applied_->proven_at.has_value() && ruleset_generation() == applied_->proven_at;
}

api::BackendStatus NftablesPacketFilter::apply(const api::FilterSpec& spec) {
  if (config_error_.has_value()) {
    return api::fail(*config_error_);
  }
  RUSTYNET_RETURN_IF_ERROR(api::validate_filter_spec(spec));
  const std::string attempt = new_attempt_token();
  RenderedFilter next = render_filter(spec, attempt);
  // An update touches only what differs, but it is right only on a table that holds exactly the
  // last applied filter, so a table that cannot be proven untouched is always replaced (which also
  // undoes any change made behind the daemon's back); otherwise the cheaper of the two is sent.
  const bool update = table_is_as_applied() && update_is_cheaper(element_diff(applied_->filter, next), next);
  const std::string script = update ? render_update_script(applied_->filter, next, interface_name_)
                                    : render_apply_script(next, interface_name_);
  const std::optional<std::uint32_t> before = ruleset_generation();
  auto ran = run({"-f", "-"}, script);
  if (!ran.has_value()) {
    // nft did not finish (timeout, killed): the kernel applied the batch whole or not at all, and
    // the generation comment says which. Not recognisable (or unreadable): report the failure.
    auto listing = read_table();
    if (listing.has_value() && listing.value().has_value() && listing_has_attempt(*listing.value(), attempt)) {
      applied_ = Applied{spec.generation, std::move(next), std::nullopt, std::move(*listing.value())};
      return {};
    }
    return base::unexpected(std::move(ran).error());
  }
  const NftOutput& output = ran.value();
  if (output.exit_status != 0) {
    // The kernel aborted the whole transaction: the previous table (if any) is untouched.
    return api::fail(
        api::BackendError::internal("nft refused the filter (previous filter unchanged): " + diagnostics(output)));
  }
  // The filter is in force from here on; what follows only decides how verify() will know it.
  Applied done{spec.generation, std::move(next), std::nullopt, std::nullopt};
  const std::optional<std::uint32_t> after = ruleset_generation();
  if (before.has_value() && after.has_value() && *after == *before + 1U) {
    done.proven_at = after;  // ours was the only commit in between: the table is exactly `next`
  } else {
    auto listing = read_table();  // failing to read it back only costs intact == true
    if (listing.has_value() && listing.value().has_value()) {
      done.listing = std::move(*listing.value());
    }
  }
  applied_ = std::move(done);
  return {};
}

api::BackendStatus NftablesPacketFilter::ensure_installed() {
  // "create" fails if the table exists, so an existing filter (a predecessor's, which keeps
  // enforcing until apply() replaces it) is never replaced. Create first, look second: one nft run
  // on the usual start (the table went with the last clean shutdown), two after a crash.
  RUSTYNET_ASSIGN_OR_RETURN(const NftOutput output, run({"-f", "-"}, render_install_script(interface_name_)));
  if (output.exit_status == 0) {
    return {};
  }
  RUSTYNET_ASSIGN_OR_RETURN(const bool exists_now, table_exists());
  if (exists_now) {
    return {};
  }
  return api::fail(api::BackendError::internal("cannot install the deny-all filter: " + diagnostics(output)));
}

api::BackendResult<api::FilterState> NftablesPacketFilter::verify() {
  if (applied_.has_value() && applied_->proven_at.has_value()) {
    if (ruleset_generation() == applied_->proven_at) {
      if (!applied_->listing.has_value()) {
        // The reference listing for the day something else commits, read while nothing has.
        RUSTYNET_ASSIGN_OR_RETURN(std::optional<std::string> listing, read_table());
        if (listing.has_value() && ruleset_generation() == applied_->proven_at) {
          applied_->listing = std::move(listing);
        } else {
          applied_->proven_at.reset();
        }
      }
      if (applied_->proven_at.has_value()) {
        return api::FilterState{.installed = true, .generation = applied_->generation, .intact = true};
      }
    }
  }
  const std::optional<std::uint32_t> before = ruleset_generation();
  RUSTYNET_ASSIGN_OR_RETURN(const std::optional<std::string> listing, read_table());
  const std::optional<std::uint32_t> after = ruleset_generation();
  api::FilterState state;
  if (!listing.has_value()) {
    return state;
  }
  state.installed = true;
  state.generation = parse_generation(*listing).value_or(0);
  state.intact = applied_.has_value() && applied_->listing.has_value() && *applied_->listing == *listing;
  if (applied_.has_value()) {
    // Unchanged across an unchanged generation: proven again (another table's commit moved it).
    applied_->proven_at = state.intact && before.has_value() && before == after ? after : std::nullopt;
  }
  return state;
}

api::BackendResult<bool> NftablesPacketFilter::allows(const api::FlowQuery& flow) {
  const std::optional<ElementQuery> query = render_query(flow);
  if (!query.has_value()) {
    // Mixed families: no rule matches, but "no filter" must still be an error.
    RUSTYNET_ASSIGN_OR_RETURN(const bool exists, table_exists());
    if (!exists) {
      return api::fail(api::BackendError::internal("no filter installed (table " + table_ + " absent)"));
    }
    return false;
  }
  RUSTYNET_ASSIGN_OR_RETURN(const NftOutput found, run({"get", "element", "inet", table_, query->set, query->element}));
  if (found.exit_status == 0) {
    return true;
  }
  if (found.err.find(kNotFound) == std::string::npos) {
    return api::fail(api::BackendError::internal("cannot query set " + query->set + ": " + diagnostics(found)));
  }
  // ENOENT is either "no such element" or "no such table/set": tell them apart.
  RUSTYNET_ASSIGN_OR_RETURN(const NftOutput set, run({"-t", "list", "set", "inet", table_, query->set}));
  if (set.exit_status != 0) {
    return api::fail(api::BackendError::internal("no filter installed (set " + table_ + " " + query->set +
                                                 " absent): " + diagnostics(set)));
  }
  return false;
}

api::BackendStatus NftablesPacketFilter::remove() {
  RUSTYNET_ASSIGN_OR_RETURN(const NftOutput output, run({"delete", "table", "inet", table_}));
  if (output.exit_status != 0) {
    RUSTYNET_ASSIGN_OR_RETURN(const bool exists, table_exists());
    if (exists) {
      return api::fail(api::BackendError::internal("cannot delete table " + table_ + ": " + diagnostics(output)));
    }
  }
  applied_.reset();
  return {};
}

}  // namespace rustynet::backend_wireguard::filter

namespace rustynet::backend_wireguard {

std::unique_ptr<backend_api::PacketFilterBackend> make_nftables_filter(const NftablesFilterOptions& options) {
  return std::make_unique<filter::NftablesPacketFilter>(
      options.interface_name,
      filter::make_process_nft_runner(options.nft_binary, options.network_namespace_path, options.command_timeout),
      filter::make_netlink_ruleset_generation(options.network_namespace_path));
}

}  // namespace rustynet::backend_wireguard

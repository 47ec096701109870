// SPDX-License-Identifier: Apache-2.0
// `rustynet netmap`: the verified signed peer map the daemon runs (generation, signer, expiry).
#include <ostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "json_fields.hpp"
#include "local_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet netmap [--json] [--socket PATH]\n"
    "\n"
    "Shows the signed peer map the daemon verified and runs: its generation, the key id of the\n"
    "control signing key that signed it, when it was issued and when it expires, the digest of the\n"
    "policy it was computed from, and the peers it lists.\n"
    "  --json         print the daemon's result object as JSON (stable, for scripts)\n"
    "  --socket PATH  daemon socket (default /run/rustynet/rustynetd.sock)\n";

struct NetmapView {
  std::int64_t generation = 0;
  std::string signer_key_id;
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
  std::string policy_digest;
  std::vector<std::string> peers;
};

base::Result<NetmapView, base::JsonError> parse_netmap(const nlohmann::json& result) {
  NetmapView view;
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(result, "$.result"));
  RUSTYNET_ASSIGN_OR_RETURN(view.generation, read_count(reader, "generation"));
  RUSTYNET_ASSIGN_OR_RETURN(view.signer_key_id, reader.required_string("signer_key_id"));
  RUSTYNET_ASSIGN_OR_RETURN(view.issued_at, read_count(reader, "issued_at"));
  RUSTYNET_ASSIGN_OR_RETURN(view.expires_at, read_count(reader, "expires_at"));
  RUSTYNET_ASSIGN_OR_RETURN(view.policy_digest, reader.required_string("policy_digest"));
  RUSTYNET_ASSIGN_OR_RETURN(view.peers, read_string_array(reader, "peers"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return view;
}

base::Result<int, base::JsonError> render_netmap(const nlohmann::json& result, bool json, CliContext& ctx) {
  RUSTYNET_ASSIGN_OR_RETURN(const NetmapView view, parse_netmap(result));
  if (json) {
    ctx.out << result.dump() << "\n";
    return kExitOk;
  }
  std::string expiry = format_time_relative(view.expires_at, ctx.clock);
  if (const auto now = ctx.clock.wall_now(); now.has_value() && view.expires_at <= now->seconds) {
    expiry += " EXPIRED";
  }
  KeyValueList list;
  list.add("generation", std::to_string(view.generation));
  list.add("signer key id", view.signer_key_id);
  list.add("issued", format_time_relative(view.issued_at, ctx.clock));
  list.add("expires", expiry);
  list.add("policy digest", view.policy_digest);
  list.add("peers", std::to_string(view.peers.size()) + (view.peers.empty() ? "" : ": " + join(view.peers)));
  list.print(ctx.out);
  return kExitOk;
}

}  // namespace

int run_netmap(const std::vector<std::string>& args, CliContext& ctx) {
  const LocalCommandSpec spec{
      .name = "netmap", .usage = kUsage, .method = "netmap", .positionals = 0, .params = {}, .render = render_netmap};
  return run_local_command(spec, args, ctx);
}

}  // namespace rustynet::apps::cli

// SPDX-License-Identifier: Apache-2.0
// `rustynet peers`: the peers the daemon runs, with endpoints, traffic and last handshake.
#include <ostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "json_fields.hpp"
#include "local_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet peers [--json] [--socket PATH]\n"
    "\n"
    "Lists the peers of the running signed peer map: endpoint, allowed prefixes, bytes received and\n"
    "sent, and the time of the last completed handshake.\n"
    "  --json         print the daemon's result object as JSON (stable, for scripts)\n"
    "  --socket PATH  daemon socket (default /run/rustynet/rustynetd.sock)\n";

struct PeerView {
  std::string node_id;
  std::optional<std::string> endpoint;
  std::vector<std::string> allowed_prefixes;
  std::int64_t rx_bytes = 0;
  std::int64_t tx_bytes = 0;
  std::optional<std::int64_t> last_handshake_unix;
};

base::Result<std::vector<PeerView>, base::JsonError> parse_peers(const nlohmann::json& result) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(result, "$.result"));
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* list, reader.required_value("peers"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  if (!list->is_array()) {
    return base::unexpected(base::JsonError{reader.child_path("peers"), "must be an array"});
  }
  std::vector<PeerView> peers;
  for (std::size_t i = 0; i < list->size(); ++i) {
    PeerView peer;
    RUSTYNET_ASSIGN_OR_RETURN(auto item,
                              base::JsonObjectReader::create((*list)[i], "$.result.peers[" + std::to_string(i) + "]"));
    RUSTYNET_ASSIGN_OR_RETURN(peer.node_id, item.required_string("node_id"));
    RUSTYNET_ASSIGN_OR_RETURN(peer.endpoint, read_nullable_string(item, "endpoint"));
    RUSTYNET_ASSIGN_OR_RETURN(peer.allowed_prefixes, read_string_array(item, "allowed_prefixes"));
    RUSTYNET_ASSIGN_OR_RETURN(peer.rx_bytes, read_count(item, "rx_bytes"));
    RUSTYNET_ASSIGN_OR_RETURN(peer.tx_bytes, read_count(item, "tx_bytes"));
    RUSTYNET_ASSIGN_OR_RETURN(peer.last_handshake_unix, read_nullable_int(item, "last_handshake_unix"));
    RUSTYNET_RETURN_IF_ERROR(item.finish());
    peers.push_back(std::move(peer));
  }
  return peers;
}

base::Result<int, base::JsonError> render_peers(const nlohmann::json& result, bool json, CliContext& ctx) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto peers, parse_peers(result));
  if (json) {
    ctx.out << result.dump() << "\n";
    return kExitOk;
  }
  if (peers.empty()) {
    ctx.out << "no peers (policy lets this node reach no other node, or no peer map is verified yet)\n";
    return kExitOk;
  }
  Table table({"NODE", "ENDPOINT", "ALLOWED PREFIXES", "RX", "TX", "LAST HANDSHAKE"});
  for (const auto& peer : peers) {
    const bool shook = peer.last_handshake_unix.has_value() && *peer.last_handshake_unix > 0;
    table.add_row({peer.node_id, peer.endpoint.value_or(""), join(peer.allowed_prefixes, ","),
                   format_bytes(peer.rx_bytes), format_bytes(peer.tx_bytes),
                   shook ? format_time_relative(*peer.last_handshake_unix, ctx.clock) : "never"});
  }
  table.print(ctx.out);
  return kExitOk;
}

}  // namespace

int run_peers(const std::vector<std::string>& args, CliContext& ctx) {
  const LocalCommandSpec spec{
      .name = "peers", .usage = kUsage, .method = "peers", .positionals = 0, .params = {}, .render = render_peers};
  return run_local_command(spec, args, ctx);
}

}  // namespace rustynet::apps::cli

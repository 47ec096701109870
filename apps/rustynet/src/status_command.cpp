// SPDX-License-Identifier: Apache-2.0
// `rustynet status`: the daemon's state, control connection and peer counts.
#include <ostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "json_fields.hpp"
#include "local_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet status [--json] [--socket PATH]\n"
    "\n"
    "Shows this node's daemon state: node id, state, interface and addresses, the generation of the\n"
    "running signed peer map, the control connection, how many peers completed a handshake, and\n"
    "the generation of the packet filter in force on the mesh interface.\n"
    "  --json         print the daemon's result object as JSON (stable, for scripts)\n"
    "  --socket PATH  daemon socket (default /run/rustynet/rustynetd.sock)\n";

struct StatusView {
  std::string node_id;
  std::string state;
  std::string backend;
  std::string interface;
  std::vector<std::string> addresses;
  std::int64_t generation = 0;
  bool connected = false;
  std::optional<std::int64_t> last_sync_unix;
  std::optional<std::string> last_error;
  std::optional<std::string> removed;  // why control refuses the node, while it does
  std::int64_t peers_total = 0;
  std::int64_t peers_with_handshake = 0;
  std::string filter_backend;
  std::int64_t filter_generation = 0;
  std::int64_t filter_restores = 0;
  std::optional<std::string> filter_error;
};

base::Result<StatusView, base::JsonError> parse_status(const nlohmann::json& result) {
  StatusView view;
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(result, "$.result"));
  RUSTYNET_ASSIGN_OR_RETURN(view.node_id, reader.required_string("node_id"));
  RUSTYNET_ASSIGN_OR_RETURN(view.state,
                            read_enum(reader, "state", {"running", "degraded", "starting", "stopping", "removed"}));
  RUSTYNET_ASSIGN_OR_RETURN(view.backend, reader.required_string("backend"));
  RUSTYNET_ASSIGN_OR_RETURN(view.interface, reader.required_string("interface"));
  RUSTYNET_ASSIGN_OR_RETURN(view.addresses, read_string_array(reader, "addresses"));
  RUSTYNET_ASSIGN_OR_RETURN(view.generation, read_count(reader, "generation"));
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* control, reader.required_value("control"));
  RUSTYNET_ASSIGN_OR_RETURN(auto control_reader,
                            base::JsonObjectReader::create(*control, reader.child_path("control")));
  RUSTYNET_ASSIGN_OR_RETURN(view.connected, control_reader.required_bool("connected"));
  RUSTYNET_ASSIGN_OR_RETURN(view.last_sync_unix, read_nullable_int(control_reader, "last_sync_unix"));
  RUSTYNET_ASSIGN_OR_RETURN(view.last_error, read_nullable_string(control_reader, "last_error"));
  RUSTYNET_ASSIGN_OR_RETURN(view.removed, read_nullable_string(control_reader, "removed"));
  RUSTYNET_RETURN_IF_ERROR(control_reader.finish());
  RUSTYNET_ASSIGN_OR_RETURN(view.peers_total, read_count(reader, "peers_total"));
  RUSTYNET_ASSIGN_OR_RETURN(view.peers_with_handshake, read_count(reader, "peers_with_handshake"));
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* filter, reader.required_value("filter"));
  RUSTYNET_ASSIGN_OR_RETURN(auto filter_reader, base::JsonObjectReader::create(*filter, reader.child_path("filter")));
  RUSTYNET_ASSIGN_OR_RETURN(view.filter_backend, filter_reader.required_string("backend"));
  RUSTYNET_ASSIGN_OR_RETURN(view.filter_generation, read_count(filter_reader, "generation"));
  RUSTYNET_ASSIGN_OR_RETURN(view.filter_restores, read_count(filter_reader, "restores"));
  RUSTYNET_ASSIGN_OR_RETURN(view.filter_error, read_nullable_string(filter_reader, "last_error"));
  RUSTYNET_RETURN_IF_ERROR(filter_reader.finish());
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return view;
}

base::Result<int, base::JsonError> render_status(const nlohmann::json& result, bool json, CliContext& ctx) {
  RUSTYNET_ASSIGN_OR_RETURN(const StatusView view, parse_status(result));
  if (json) {
    ctx.out << result.dump() << "\n";
    return kExitOk;
  }
  KeyValueList list;
  list.add("node", view.node_id);
  list.add("state", view.state);
  list.add("backend", view.backend);
  list.add("interface", view.interface);
  list.add("addresses", join(view.addresses));
  list.add("generation", view.generation == 0 ? "none (no verified peer map yet)" : std::to_string(view.generation));
  list.add("control", view.removed ? *view.removed : view.connected ? "connected" : "disconnected");
  list.add("last sync", view.last_sync_unix.has_value() && *view.last_sync_unix > 0
                            ? format_time_relative(*view.last_sync_unix, ctx.clock)
                            : "never");
  list.add("last error", view.last_error.value_or(""));
  list.add("peers", std::to_string(view.peers_total) + " (" + std::to_string(view.peers_with_handshake) +
                        " with a recent handshake)");
  std::string filter_text = view.filter_generation == 0 ? std::string("none installed yet")
                                                        : "generation " + std::to_string(view.filter_generation);
  filter_text += " (" + view.filter_backend + ")";
  if (view.filter_restores > 0) {
    filter_text += ", restored " + std::to_string(view.filter_restores) + " time(s) after tampering";
  }
  if (view.filter_error) {
    filter_text += ", ERROR: " + *view.filter_error;
  }
  list.add("packet filter", filter_text);
  list.print(ctx.out);
  return kExitOk;
}

}  // namespace

int run_status(const std::vector<std::string>& args, CliContext& ctx) {
  const LocalCommandSpec spec{
      .name = "status", .usage = kUsage, .method = "status", .positionals = 0, .params = {}, .render = render_status};
  return run_local_command(spec, args, ctx);
}

}  // namespace rustynet::apps::cli

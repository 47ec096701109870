// SPDX-License-Identifier: Apache-2.0
// `rustynet routes`: the routes the daemon applied (mesh routes via peers, exit routes).
#include <ostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "json_fields.hpp"
#include "local_command.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kUsage =
    "usage: rustynet routes [--json] [--socket PATH]\n"
    "\n"
    "Lists the routes the daemon applied from the running signed peer map.\n"
    "  --json         print the daemon's result object as JSON (stable, for scripts)\n"
    "  --socket PATH  daemon socket (default /run/rustynet/rustynetd.sock)\n";

struct RouteView {
  std::string destination;
  std::string via;
  std::string kind;
};

base::Result<std::vector<RouteView>, base::JsonError> parse_routes(const nlohmann::json& result) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(result, "$.result"));
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* list, reader.required_value("routes"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  if (!list->is_array()) {
    return base::unexpected(base::JsonError{reader.child_path("routes"), "must be an array"});
  }
  std::vector<RouteView> routes;
  for (std::size_t i = 0; i < list->size(); ++i) {
    RouteView route;
    RUSTYNET_ASSIGN_OR_RETURN(auto item,
                              base::JsonObjectReader::create((*list)[i], "$.result.routes[" + std::to_string(i) + "]"));
    RUSTYNET_ASSIGN_OR_RETURN(route.destination, item.required_string("destination"));
    RUSTYNET_ASSIGN_OR_RETURN(route.via, item.required_string("via"));
    RUSTYNET_ASSIGN_OR_RETURN(route.kind, item.required_string("kind"));
    RUSTYNET_RETURN_IF_ERROR(item.finish());
    routes.push_back(std::move(route));
  }
  return routes;
}

base::Result<int, base::JsonError> render_routes(const nlohmann::json& result, bool json, CliContext& ctx) {
  RUSTYNET_ASSIGN_OR_RETURN(const auto routes, parse_routes(result));
  if (json) {
    ctx.out << result.dump() << "\n";
    return kExitOk;
  }
  if (routes.empty()) {
    ctx.out << "no routes\n";
    return kExitOk;
  }
  Table table({"DESTINATION", "VIA", "KIND"});
  for (const auto& route : routes) {
    table.add_row({route.destination, route.via, route.kind});
  }
  table.print(ctx.out);
  return kExitOk;
}

}  // namespace

int run_routes(const std::vector<std::string>& args, CliContext& ctx) {
  const LocalCommandSpec spec{
      .name = "routes", .usage = kUsage, .method = "routes", .positionals = 0, .params = {}, .render = render_routes};
  return run_local_command(spec, args, ctx);
}

}  // namespace rustynet::apps::cli

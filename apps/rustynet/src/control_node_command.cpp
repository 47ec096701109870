// SPDX-License-Identifier: Apache-2.0
// `rustynet control node add|remove|list`: the control server's node registry.
#include <ostream>

#include "rustynet/base/file_io.hpp"
#include "rustynet/base/strict_json.hpp"

#include "control_command.hpp"
#include "exit_codes.hpp"
#include "json_fields.hpp"
#include "local_command.hpp"
#include "rustynet/policy/policy_rule.hpp"
#include "text_format.hpp"

namespace rustynet::apps::cli {
namespace {

constexpr const char* kNodeUsage =
    "usage: rustynet control node add NODE_ID --identity-key BASE64 --tunnel-key BASE64\n"
    "                                 --address ADDR [--address ADDR]... [--tag TAG]... [OPTIONS]\n"
    "       rustynet control node add --from FILE [OPTIONS]\n"
    "       rustynet control node remove NODE_ID [OPTIONS]\n"
    "       rustynet control node list [OPTIONS]\n"
    "\n"
    "Manages the node registry of rustynet-control. The keys are the node's PUBLIC keys as printed by\n"
    "`rustynet keys show` on that node (node-identity: Ed25519, node-tunnel: X25519); ADDR is the\n"
    "node's mesh address (e.g. 100.64.0.1 or fd00::1). Policy decides which registered nodes see\n"
    "each other (default deny); changes reach connected daemons within seconds.\n"
    "--from FILE registers many nodes, and optionally sets the policy, in one request and one\n"
    "transaction: {\"version\":1,\"nodes\":[{\"node_id\",\"identity_public_key\",\"tunnel_public_key\",\n"
    "\"addresses\",\"tags\"}...],\"policy\":{...}} (at most 256 nodes, 256 KiB). All or nothing: a bad\n"
    "entry changes nothing and the error names it (nodes[3]: ...).\n"
    "Exit codes: 0 done, 1 refused (409 the id, a key or an address is taken; 404 unknown node),\n"
    "2 control unreachable, 64 usage, 77 the admin key was not accepted.\n"
    "\n";

struct NodeView {
  std::string node_id;
  std::string identity_public_key;
  std::string tunnel_public_key;
  std::vector<std::string> addresses;
  std::vector<std::string> tags;
  std::vector<std::string> endpoints;
};

base::Result<NodeView, base::JsonError> parse_node(const nlohmann::json& value, std::string path) {
  NodeView node;
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(value, std::move(path)));
  RUSTYNET_ASSIGN_OR_RETURN(node.node_id, reader.required_string("node_id"));
  RUSTYNET_ASSIGN_OR_RETURN(node.identity_public_key, reader.required_string("identity_public_key"));
  RUSTYNET_ASSIGN_OR_RETURN(node.tunnel_public_key, reader.required_string("tunnel_public_key"));
  RUSTYNET_ASSIGN_OR_RETURN(node.addresses, read_string_array(reader, "addresses"));
  RUSTYNET_ASSIGN_OR_RETURN(node.tags, read_string_array(reader, "tags"));
  if (reader.optional_value("endpoints") != nullptr) {
    RUSTYNET_ASSIGN_OR_RETURN(node.endpoints, read_string_array(reader, "endpoints"));
  }
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  return node;
}

base::Result<std::vector<NodeView>, base::JsonError> parse_node_list(const nlohmann::json& response) {
  RUSTYNET_ASSIGN_OR_RETURN(auto reader, base::JsonObjectReader::create(response, "$"));
  RUSTYNET_RETURN_IF_ERROR(base::require_version(reader, 1));
  RUSTYNET_ASSIGN_OR_RETURN(const nlohmann::json* list, reader.required_value("nodes"));
  RUSTYNET_RETURN_IF_ERROR(reader.finish());
  if (!list->is_array()) {
    return base::unexpected(base::JsonError{"$.nodes", "must be an array"});
  }
  std::vector<NodeView> nodes;
  for (std::size_t i = 0; i < list->size(); ++i) {
    RUSTYNET_ASSIGN_OR_RETURN(auto node, parse_node((*list)[i], "$.nodes[" + std::to_string(i) + "]"));
    nodes.push_back(std::move(node));
  }
  return nodes;
}

int malformed(const char* name, const base::JsonError& error, CliContext& ctx) {
  ctx.err << "rustynet " << name << ": malformed response from rustynet-control: " << error.describe() << "\n";
  return kExitFailure;
}

int run_list(const ControlArgs& args, AdminClient& client, CliContext& ctx) {
  constexpr const char* kName = "control node list";
  auto response = client.request("GET", "/v1/admin/nodes", std::nullopt);
  if (!response.has_value()) {
    return report_control_error(kName, response.error(), ctx);
  }
  auto nodes = parse_node_list(*response);
  if (!nodes.has_value()) {
    return malformed(kName, nodes.error(), ctx);
  }
  if (args.json) {
    ctx.out << response->dump() << "\n";
    return kExitOk;
  }
  if (nodes->empty()) {
    ctx.out << "no nodes registered\n";
    return kExitOk;
  }
  Table table({"NODE", "ADDRESSES", "TAGS", "ENDPOINTS", "TUNNEL KEY", "IDENTITY KEY"});
  for (const auto& node : *nodes) {
    table.add_row({node.node_id, join(node.addresses, ","), join(node.tags, ","), join(node.endpoints, ","),
                   node.tunnel_public_key, node.identity_public_key});
  }
  table.print(ctx.out);
  return kExitOk;
}

int run_add(const ControlArgs& args, AdminClient& client, CliContext& ctx) {
  constexpr const char* kName = "control node add";
  const auto values = [&](const char* flag) {
    const auto found = args.values.find(flag);
    return found == args.values.end() ? std::vector<std::string>{} : found->second;
  };
  nlohmann::json node = {{"node_id", args.positionals.at(0)},
                         {"identity_public_key", values("--identity-key").at(0)},
                         {"tunnel_public_key", values("--tunnel-key").at(0)},
                         {"addresses", values("--address")},
                         {"tags", values("--tag")}};
  auto response = client.request("POST", "/v1/admin/nodes", nlohmann::json{{"version", 1}, {"node", std::move(node)}});
  if (!response.has_value()) {
    return report_control_error(kName, response.error(), ctx);
  }
  base::Result<NodeView, base::JsonError> added = base::unexpected(base::JsonError{"$.node", "is required"});
  if (response->contains("node")) {
    added = parse_node((*response)["node"], "$.node");
  }
  if (!added.has_value()) {
    return malformed(kName, added.error(), ctx);
  }
  if (args.json) {
    ctx.out << response->dump() << "\n";
    return kExitOk;
  }
  ctx.out << "added node " << terminal_safe(added->node_id) << " (" << terminal_safe(join(added->addresses))
          << (added->tags.empty() ? "" : "; tags " + terminal_safe(join(added->tags))) << ")\n";
  return kExitOk;
}

// The batch file is the request body as is: the server validates every entry (and names the
// one it refuses); the CLI only refuses what is not a JSON object or too large to send.
int run_add_batch(const ControlArgs& args, AdminClient& client, CliContext& ctx) {
  constexpr const char* kName = "control node add";
  constexpr std::size_t kMaxBatchFileBytes = std::size_t{256} * 1024;
  const std::string& path = args.values.at("--from").at(0);
  auto text = base::read_file_bounded(path, kMaxBatchFileBytes);
  if (!text.has_value()) {
    ctx.err << "rustynet " << kName << ": --from " << terminal_safe(path) << ": " << text.error().describe() << "\n";
    return kExitUsage;
  }
  base::JsonLimits limits;
  limits.max_bytes = kMaxBatchFileBytes;
  auto body = base::parse_strict_json(*text, limits);
  if (!body.has_value() || !body->is_object()) {
    ctx.err << "rustynet " << kName << ": --from " << terminal_safe(path) << ": "
            << (body.has_value() ? std::string("must be a JSON object") : body.error().describe()) << "\n";
    return kExitUsage;
  }
  auto response = client.request("POST", "/v1/admin/batch", std::move(body).value());
  if (!response.has_value()) {
    return report_control_error(kName, response.error(), ctx);
  }
  nlohmann::json listed = *response;
  const auto generation = listed.find("generation");
  std::optional<std::uint64_t> policy_generation;
  if (generation != listed.end()) {
    if (!generation->is_number_unsigned()) {
      return malformed(kName, base::JsonError{"$.generation", "must be an unsigned integer"}, ctx);
    }
    policy_generation = generation->get<std::uint64_t>();
    listed.erase(generation);
  }
  auto added = parse_node_list(listed);
  if (!added.has_value()) {
    return malformed(kName, added.error(), ctx);
  }
  if (args.json) {
    ctx.out << response->dump() << "\n";
    return kExitOk;
  }
  std::vector<std::string> ids;
  ids.reserve(added->size());
  for (const auto& node : *added) {
    ids.push_back(node.node_id);
  }
  ctx.out << "added " << ids.size() << (ids.size() == 1 ? " node" : " nodes")
          << (ids.empty() ? std::string() : " (" + terminal_safe(join(ids, ",")) + ")");
  if (policy_generation.has_value()) {
    ctx.out << "; policy generation " << *policy_generation;
  }
  ctx.out << "\n";
  return kExitOk;
}

int run_remove(const ControlArgs& args, AdminClient& client, CliContext& ctx) {
  constexpr const char* kName = "control node remove";
  const std::string& id = args.positionals.at(0);
  auto response = client.request("DELETE", "/v1/admin/nodes/" + id, std::nullopt);
  if (!response.has_value()) {
    return report_control_error(kName, response.error(), ctx);
  }
  const auto removed = response->find("removed");
  if (removed == response->end() || !removed->is_string()) {
    return malformed(kName, base::JsonError{"$.removed", "is required"}, ctx);
  }
  if (args.json) {
    ctx.out << response->dump() << "\n";
    return kExitOk;
  }
  ctx.out << "removed node " << terminal_safe(removed->get<std::string>())
          << " (its tokens stop verifying; peers drop it on their next sync)\n";
  return kExitOk;
}

}  // namespace

int run_control_node(const std::vector<std::string>& args, CliContext& ctx) {
  const std::string usage = std::string(kNodeUsage) + kControlOptionsHelp;
  if (auto stop = check_control_subcommand(args, "node", {"add", "remove", "list"}, usage, ctx)) {
    return *stop;
  }
  const std::string& sub = args[0];
  const std::string name = "control node " + sub;
  const std::set<std::string> flags =
      sub == "add" ? std::set<std::string>{"--identity-key", "--tunnel-key", "--address", "--tag", "--from"}
                   : std::set<std::string>{};
  auto parsed = parse_control_args(std::vector<std::string>(args.begin() + 1, args.end()), flags, name.c_str(),
                                   usage.c_str(), ctx);
  if (!parsed.has_value()) {
    return kExitUsage;
  }
  const bool batch = sub == "add" && parsed->values.count("--from") != 0;
  const std::size_t want = (sub == "list" || batch) ? 0 : 1;
  // Node ids go into the URL path: only ids in the registry's own identifier grammar are sent.
  std::string problem;
  if (batch) {
    if (parsed->values.size() != 1 || parsed->values.at("--from").size() != 1 || !parsed->positionals.empty()) {
      problem = "--from FILE takes no NODE_ID and no other node flag";
    }
  } else if (parsed->positionals.size() != want) {
    problem = want == 0 ? "takes no arguments" : "needs exactly one NODE_ID";
  } else if (want == 1 && !policy::is_valid_identifier(parsed->positionals[0])) {
    problem = "NODE_ID must be 1..128 characters of [A-Za-z0-9._-], starting alphanumeric";
  } else if (sub == "add") {
    const auto count = [&](const char* flag) {
      const auto found = parsed->values.find(flag);
      return found == parsed->values.end() ? std::size_t{0} : found->second.size();
    };
    if (count("--identity-key") != 1 || count("--tunnel-key") != 1) {
      problem = "add needs exactly one --identity-key and one --tunnel-key";
    } else if (count("--address") == 0) {
      problem = "add needs at least one --address";
    }
  }
  if (!problem.empty()) {
    ctx.err << "rustynet " << name << ": " << problem << "\n" << usage;
    return kExitUsage;
  }
  auto client = connect_admin(*parsed, ctx);
  if (!client.has_value()) {
    return report_control_error(name.c_str(), client.error(), ctx);
  }
  if (sub == "list") {
    return run_list(*parsed, **client, ctx);
  }
  if (batch) {
    return run_add_batch(*parsed, **client, ctx);
  }
  if (sub == "add") {
    return run_add(*parsed, **client, ctx);
  }
  return run_remove(*parsed, **client, ctx);
}

}  // namespace rustynet::apps::cli

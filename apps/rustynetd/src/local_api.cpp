// SPDX-License-Identifier: Apache-2.0
// Local API request parsing, authorisation and dispatch.
#include "local_api.hpp"

#include <algorithm>

#include "rustynet/base/strict_json.hpp"

namespace rustynet::apps::daemon {
namespace {

std::string ok_line(const std::string& result_json) {
  return std::string(R"({"version":1,"ok":true,"result":)") + result_json + "}";
}

bool is_member(const PeerIdentity& peer, gid_t gid) {
  return peer.gid == gid || std::find(peer.groups.begin(), peer.groups.end(), gid) != peer.groups.end();
}

}  // namespace

Access classify_peer(const PeerIdentity& peer, const AccessRules& rules) {
  if (peer.uid == 0 || peer.uid == rules.daemon_uid) {
    return Access::kAdmin;
  }
  if (rules.admin_gid && is_member(peer, *rules.admin_gid)) {
    return Access::kAdmin;
  }
  if (is_member(peer, rules.read_gid)) {
    return Access::kRead;
  }
  return Access::kNone;
}

std::string local_error_line(std::string_view kind, std::string_view message) {
  nlohmann::json doc;
  doc["version"] = 1;
  doc["ok"] = false;
  doc["error"] = std::string(kind);
  doc["message"] = std::string(message);
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string handle_local_request(std::string_view line, Access access, LocalApiHandler& handler) {
  if (access == Access::kNone) {
    return local_error_line("forbidden", "not a member of the local API group");
  }
  if (line.size() > kMaxLocalRequestBytes) {
    return local_error_line("too_large", "request line above 64 KiB");
  }
  auto json = base::parse_strict_json(line, {kMaxLocalRequestBytes, 8});
  if (!json.has_value()) {
    return local_error_line("malformed", json.error().describe());
  }
  auto reader = base::JsonObjectReader::create(*json, "$");
  if (!reader.has_value()) {
    return local_error_line("malformed", reader.error().describe());
  }
  if (auto version = base::require_version(*reader, 1); !version.has_value()) {
    return local_error_line("malformed", version.error().describe());
  }
  auto method = reader->required_string("method");
  if (!method.has_value()) {
    return local_error_line("malformed", method.error().describe());
  }
  const nlohmann::json* params = reader->optional_value("params");
  if (auto finished = reader->finish(); !finished.has_value()) {
    return local_error_line("malformed", finished.error().describe());
  }

  LocalApiHandler::Reply reply;
  const std::string& name = *method;
  if (name == "status" || name == "peers" || name == "routes" || name == "netmap") {
    if (params != nullptr) {
      return local_error_line("malformed", "$.params: " + name + " takes no params");
    }
    reply = name == "status"   ? handler.status()
            : name == "peers"  ? handler.peers()
            : name == "routes" ? handler.routes()
                               : handler.netmap();
  } else if (name == "policy_check") {
    if (params == nullptr) {
      return local_error_line("malformed", "$.params: required");
    }
    auto p = base::JsonObjectReader::create(*params, "$.params");
    if (!p.has_value()) {
      return local_error_line("malformed", p.error().describe());
    }
    LocalApiHandler::PolicyQuery query;
    auto src = p->required_string("src");
    auto dst = p->required_string("dst");
    auto proto = p->required_string("proto");
    auto port = p->optional_int("port");
    auto explain = p->optional_bool("explain");
    if (!src.has_value() || !dst.has_value() || !proto.has_value() || !port.has_value() || !explain.has_value()) {
      return local_error_line("malformed",
                              "$.params: src, dst, proto (strings), port (integer) and explain (boolean) expected");
    }
    if (auto done = p->finish(); !done.has_value()) {
      return local_error_line("malformed", done.error().describe());
    }
    if (*proto != "tcp" && *proto != "udp" && *proto != "icmp" && *proto != "any") {
      return local_error_line("malformed", "$.params.proto: tcp, udp, icmp or any");
    }
    const std::int64_t port_value = port->value_or(0);
    if (port_value < 0 || port_value > 65535) {
      return local_error_line("malformed", "$.params.port: 0..65535");
    }
    query.src = *src;
    query.dst = *dst;
    query.proto = *proto;
    query.port = static_cast<std::uint16_t>(port_value);
    query.explain = explain->value_or(false);
    reply = handler.policy_check(query);
  } else if (name == "reload") {
    if (access != Access::kAdmin) {
      return local_error_line("forbidden", "reload needs root or the admin group");
    }
    if (params != nullptr) {
      return local_error_line("malformed", "$.params: reload takes no params");
    }
    reply = handler.reload();
  } else {
    return local_error_line("unknown_method", "unknown method");
  }
  if (!reply.ok) {
    return local_error_line(reply.error.kind, reply.error.message);
  }
  return ok_line(reply.result_json);
}

}  // namespace rustynet::apps::daemon

// SPDX-License-Identifier: Apache-2.0
// The nft table rendering: sets of disjoint interval elements and the mesh_in rules over them.
#include "filter/nft_render.hpp"

#include <array>
#include <charconv>
#include <initializer_list>
#include <vector>

#include "filter/disjoint_elements.hpp"
#include "filter/nft_names.hpp"

namespace rustynet::backend_wireguard::filter {
namespace {

namespace api = backend_api;

constexpr std::string_view kGenerationPrefix = "\tcomment \"rustynet generation ";
constexpr std::array<api::FlowDirection, 2> kDirections{api::FlowDirection::kInbound, api::FlowDirection::kOutbound};
constexpr std::array<api::IpFamily, 2> kFamilies{api::IpFamily::kV4, api::IpFamily::kV6};
constexpr std::array<SetKind, 3> kKinds{SetKind::kPorts, SetKind::kIcmp, SetKind::kOther};

std::string_view protocol_number(api::FilterProtocol protocol) {
  return protocol == api::FilterProtocol::kUdp ? "17" : "6";
}

std::string render_ports(const api::PortRange& ports) {
  if (ports.first == ports.last) {
    return std::to_string(ports.first);
  }
  return std::to_string(ports.first) + "-" + std::to_string(ports.last);
}

std::string render_element(const SetElement& element, SetKind kind) {
  std::string text = render_address_range(element.remote) + " . " + element.local.to_string();
  if (kind == SetKind::kPorts) {
    text += " . ";
    text += protocol_number(element.protocol);
    text += " . " + render_ports(element.ports);
  }
  return text;
}

void render_set(std::string& out, const std::string& name, api::IpFamily family, SetKind kind,
                const std::vector<api::FilterRule>& rules) {
  const std::string_view address = family == api::IpFamily::kV4 ? "ipv4_addr" : "ipv6_addr";
  out += "\tset " + name + " {\n\t\ttype ";
  out += address;
  out += " . ";
  out += address;
  if (kind == SetKind::kPorts) {
    out += " . inet_proto . inet_service";
  }
  out += "\n\t\tflags interval\n";
  const std::vector<SetElement> elements = disjoint_elements(rules);
  if (!elements.empty()) {
    out += "\t\telements = {\n";
    for (std::size_t i = 0; i < elements.size(); ++i) {
      out += "\t\t\t" + render_element(elements[i], kind) + (i + 1 < elements.size() ? ",\n" : "\n");
    }
    out += "\t\t}\n";
  }
  out += "\t}\n";
}

// The lookups of one family: a flow a peer started is judged on every packet by its
// (source, destination, protocol, destination port) against the inbound sets; a flow this node
// started is judged on every reply by (reply source = remote, reply destination = local,
// protocol, reply source port = the port it was started to) against the outbound sets, which
// are keyed exactly like outbound rules (remote . local . protocol . port).
void render_lookups(std::string& out, api::IpFamily family) {
  const bool v4 = family == api::IpFamily::kV4;
  const std::string_view addresses = v4 ? "ip saddr . ip daddr" : "ip6 saddr . ip6 daddr";
  // nft keywords, not /etc/protocols names ("ipv6-icmp" needs that file, which minimal hosts lack).
  const std::string_view icmp = v4 ? "icmp" : "icmpv6";
  struct Lookup {
    api::FlowDirection direction;
    std::string_view ct_direction;
    std::string_view port;
  };
  // One rule: "ct direction D <match> @SET accept".
  auto line = [&out](std::string_view ct_direction, std::initializer_list<std::string_view> match,
                     const std::string& set) {
    out += "\t\tct direction ";
    out += ct_direction;
    for (const std::string_view part : match) {
      out += ' ';
      out += part;
    }
    out += " @";
    out += set;
    out += " accept\n";
  };
  for (const Lookup& lookup : {Lookup{api::FlowDirection::kInbound, "original", "dport"},
                               Lookup{api::FlowDirection::kOutbound, "reply", "sport"}}) {
    line(lookup.ct_direction, {addresses, ". meta l4proto . th", lookup.port},
         set_name(lookup.direction, family, SetKind::kPorts));
    line(lookup.ct_direction, {"meta l4proto", icmp, addresses}, set_name(lookup.direction, family, SetKind::kIcmp));
    line(lookup.ct_direction, {"meta l4proto != { tcp, udp, icmp, icmpv6 }", addresses},
         set_name(lookup.direction, family, SetKind::kOther));
  }
}

std::string quoted(std::string_view interface_name) {
  // validate_interface_name admits no quote or backslash, so no escaping is needed.
  return "\"" + std::string(interface_name) + "\"";
}

// Everything inside the table block but its comment.
std::string render_table_body(const api::FilterSpec& spec, std::string_view interface_name) {
  std::string out;
  for (const api::FlowDirection direction : kDirections) {
    const std::vector<api::FilterRule>& rules =
        direction == api::FlowDirection::kInbound ? spec.inbound : spec.outbound;
    for (const api::IpFamily family : kFamilies) {
      for (const SetKind kind : kKinds) {
        std::vector<api::FilterRule> selected;
        for (const api::FilterRule& rule : rules) {
          if (rule.local.family() == family && set_kind(rule.protocol) == kind) {
            selected.push_back(rule);
          }
        }
        render_set(out, set_name(direction, family, kind), family, kind, selected);
      }
    }
  }
  // Invalid packets first; untracked ones (no conntrack entry) match no "ct direction" and end at
  // the final drop. Only ICMP errors may pass as related: an expectation a conntrack helper sets
  // up (FTP data and the like) is a new flow the inbound rules must allow.
  out += "\tchain mesh_in {\n";
  out += "\t\tct state invalid counter drop\n";
  render_lookups(out, api::IpFamily::kV4);
  render_lookups(out, api::IpFamily::kV6);
  out += "\t\tct state related meta l4proto { icmp, icmpv6 } accept\n";
  out += "\t\tcounter drop\n";
  out += "\t}\n";
  out += "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n";
  out += "\t\tiifname " + quoted(interface_name) + " jump mesh_in\n\t}\n";
  out += "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n";
  out += "\t\tiifname " + quoted(interface_name) + " counter drop\n\t}\n";
  return out;
}

}  // namespace

std::string set_name(api::FlowDirection direction, api::IpFamily family, SetKind kind) {
  std::string name = direction == api::FlowDirection::kInbound ? "in" : "out";
  name += family == api::IpFamily::kV4 ? "4" : "6";
  switch (kind) {
    case SetKind::kPorts: name += "_l4"; break;
    case SetKind::kIcmp: name += "_icmp"; break;
    case SetKind::kOther: name += "_other"; break;
  }
  return name;
}

SetKind set_kind(api::FilterProtocol protocol) noexcept {
  switch (protocol) {
    case api::FilterProtocol::kTcp:
    case api::FilterProtocol::kUdp: return SetKind::kPorts;
    case api::FilterProtocol::kIcmp: return SetKind::kIcmp;
    case api::FilterProtocol::kOther: return SetKind::kOther;
  }
  return SetKind::kOther;
}

std::string render_table(const api::FilterSpec& spec, std::string_view interface_name, std::string_view attempt) {
  std::string out = "table inet " + table_name_for(interface_name) + " {\n\tcomment \"rustynet generation ";
  out += std::to_string(spec.generation);
  if (!attempt.empty()) {
    out += " attempt ";
    out += attempt;
  }
  out += "\"\n";
  out += render_table_body(spec, interface_name);
  out += "}\n";
  return out;
}

std::string render_apply_script(const api::FilterSpec& spec, std::string_view interface_name,
                                std::string_view attempt) {
  // "add" makes "delete" valid when the table is absent; all three are one transaction, so no
  // packet ever meets the interface without a table.
  const std::string table = table_name_for(interface_name);
  return "add table inet " + table + "\ndelete table inet " + table + "\n" +
         render_table(spec, interface_name, attempt);
}

std::string render_install_script(std::string_view interface_name) {
  // "create table" fails on an existing table, so the whole transaction does; nft 1.0.6 ignores
  // every statement of a create block but the comment, so the body follows as a plain block.
  const std::string table = table_name_for(interface_name);
  return "create table inet " + table + " { comment \"rustynet generation 0\"; }\ntable inet " + table + " {\n" +
         render_table_body(api::FilterSpec{}, interface_name) + "}\n";
}

std::optional<ElementQuery> render_query(const api::FlowQuery& flow) {
  if (flow.remote.family() != flow.local.family()) {
    return std::nullopt;
  }
  const SetKind kind = set_kind(flow.protocol);
  std::string element = flow.remote.to_string() + " . " + flow.local.to_string();
  if (kind == SetKind::kPorts) {
    element += " . ";
    element += protocol_number(flow.protocol);
    element += " . " + std::to_string(flow.port);
  }
  return ElementQuery{set_name(flow.direction, flow.remote.family(), kind), "{ " + element + " }"};
}

bool listing_has_attempt(std::string_view listing, std::string_view attempt) {
  const std::size_t line_end = listing.find('\n');
  const std::string_view comment = listing.substr(line_end == std::string_view::npos ? listing.size() : line_end + 1);
  const std::string marker = " attempt " + std::string(attempt) + "\"\n";
  return !attempt.empty() && comment.starts_with(kGenerationPrefix) &&
         comment.substr(0, comment.find('\n') + 1).ends_with(marker);
}

std::optional<std::uint64_t> parse_generation(std::string_view listing) {
  // nft prints the table comment as the line after "table inet NAME {".
  const std::size_t line_end = listing.find('\n');
  if (line_end == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view rest = listing.substr(line_end + 1);
  if (rest.substr(0, kGenerationPrefix.size()) != kGenerationPrefix) {
    return std::nullopt;
  }
  const std::string_view digits = rest.substr(kGenerationPrefix.size());
  std::uint64_t generation = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), generation);
  if (error != std::errc{} || end == digits.data() || end == digits.data() + digits.size() ||
      (*end != '"' && *end != ' ')) {
    return std::nullopt;
  }
  return generation;
}

}  // namespace rustynet::backend_wireguard::filter

// SPDX-License-Identifier: Apache-2.0
// The nft table rendering: sets of disjoint interval elements and the mesh_in rules over them.
#include "filter/nft_render.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <initializer_list>
#include <iterator>
#include <vector>

#include "filter/disjoint_elements.hpp"
#include "filter/nft_names.hpp"

namespace rustynet::backend_wireguard::filter {
namespace {

namespace api = backend_api;

constexpr std::string_view kTableComment = "rustynet";
constexpr std::string_view kGenerationMarker = "comment \"rustynet generation ";
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

struct SetSlot {
  api::FlowDirection direction;
  api::IpFamily family;
  SetKind kind;
};

// RenderedFilter::elements order: direction, then family, then kind.
constexpr std::array<SetSlot, 12> kSetOrder = [] {
  std::array<SetSlot, 12> slots{};
  std::size_t i = 0;
  for (const api::FlowDirection direction : kDirections) {
    for (const api::IpFamily family : kFamilies) {
      for (const SetKind kind : kKinds) {
        slots.at(i++) = SetSlot{direction, family, kind};
      }
    }
  }
  return slots;
}();

std::string set_declaration(const SetSlot& slot) {
  const std::string_view address = slot.family == api::IpFamily::kV4 ? "ipv4_addr" : "ipv6_addr";
  std::string out = "\t\ttype ";
  out += address;
  out += " . ";
  out += address;
  if (slot.kind == SetKind::kPorts) {
    out += " . inet_proto . inet_service";
  }
  out += "\n\t\tflags interval\n";
  return out;
}

void render_set(std::string& out, std::size_t index, const std::vector<std::string>& elements) {
  out += "\tset " + set_name_at(index) + " {\n" + set_declaration(kSetOrder.at(index));
  if (!elements.empty()) {
    out += "\t\telements = {\n";
    for (std::size_t i = 0; i < elements.size(); ++i) {
      out += "\t\t\t" + elements[i] + (i + 1 < elements.size() ? ",\n" : "\n");
    }
    out += "\t\t}\n";
  }
  out += "\t}\n";
}

std::string hex_mark(std::uint32_t mark) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) {
    text += kHex[(mark >> static_cast<unsigned>(shift)) & 0xFU];
  }
  return text;
}

// The lookups of one family: a flow a peer started is judged on every packet by its
// (source, destination, protocol, destination port) against the inbound sets; a flow this node
// started is judged on every reply by (reply source = remote, reply destination = local,
// protocol, reply source port = the port it was started to) against the outbound sets, which
// are keyed exactly like outbound rules (remote . local . protocol . port). An admitted packet
// marks its connection with `mark` (when there is one) for the fast path.
void render_lookups(std::vector<std::string>& rules, api::IpFamily family, const std::optional<std::uint32_t>& mark) {
  const bool v4 = family == api::IpFamily::kV4;
  const std::string_view addresses = v4 ? "ip saddr . ip daddr" : "ip6 saddr . ip6 daddr";
  // nft keywords, not /etc/protocols names ("ipv6-icmp" needs that file, which minimal hosts lack).
  const std::string_view icmp = v4 ? "icmp" : "icmpv6";
  const std::string verdict = mark.has_value() ? " ct mark set " + hex_mark(*mark) + " accept" : " accept";
  struct Lookup {
    api::FlowDirection direction;
    std::string_view ct_direction;
    std::string_view port;
  };
  // One rule: "ct direction D <match> @SET [ct mark set M] accept".
  auto line = [&rules, &verdict](std::string_view ct_direction, std::initializer_list<std::string_view> match,
                                 const std::string& set) {
    std::string rule = "ct direction ";
    rule += ct_direction;
    for (const std::string_view part : match) {
      rule += ' ';
      rule += part;
    }
    rule += " @" + set + verdict;
    rules.push_back(std::move(rule));
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
std::string render_table_body(const RenderedFilter& filter, std::string_view interface_name) {
  std::string out;
  for (std::size_t i = 0; i < filter.elements.size(); ++i) {
    render_set(out, i, filter.elements.at(i));
  }
  out += "\tchain mesh_in {\n";
  for (const std::string& rule : filter.mesh_in) {
    out += "\t\t" + rule + "\n";
  }
  out += "\t}\n";
  out += "\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n";
  out += "\t\tiifname " + quoted(interface_name) + " jump mesh_in\n\t}\n";
  out += "\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n";
  out += "\t\tiifname " + quoted(interface_name) + " counter drop\n\t}\n";
  return out;
}

std::string table_header(std::string_view interface_name) {
  return "table inet " + table_name_for(interface_name) + " {\n\tcomment \"" + std::string(kTableComment) + "\"\n";
}

// Sorted copy, for set differences.
std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

// `minuend` without `subtrahend` (both sorted).
std::vector<std::string> difference(const std::vector<std::string>& minuend,
                                    const std::vector<std::string>& subtrahend) {
  std::vector<std::string> out;
  std::set_difference(minuend.begin(), minuend.end(), subtrahend.begin(), subtrahend.end(), std::back_inserter(out));
  return out;
}

void render_element_command(std::string& out, std::string_view verb, const std::string& table, std::size_t index,
                            const std::vector<std::string>& elements) {
  if (elements.empty()) {
    return;
  }
  out += verb;
  out += " element inet " + table + " " + set_name_at(index) + " {\n";
  for (std::size_t i = 0; i < elements.size(); ++i) {
    out += "\t" + elements[i] + (i + 1 < elements.size() ? ",\n" : "\n");
  }
  out += "}\n";
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

RenderedFilter render_filter(const api::FilterSpec& spec, std::string_view attempt) {
  RenderedFilter filter;
  for (std::size_t i = 0; i < kSetOrder.size(); ++i) {
    const SetSlot& slot = kSetOrder.at(i);
    const std::vector<api::FilterRule>& rules =
        slot.direction == api::FlowDirection::kInbound ? spec.inbound : spec.outbound;
    std::vector<api::FilterRule> selected;
    for (const api::FilterRule& rule : rules) {
      if (rule.local.family() == slot.family && set_kind(rule.protocol) == slot.kind) {
        selected.push_back(rule);
      }
    }
    for (const SetElement& element : disjoint_elements(selected)) {
      filter.elements.at(i).push_back(render_element(element, slot.kind));
    }
  }
  // Invalid packets first; untracked ones (no conntrack entry) match no "ct" rule and end at the
  // final drop. The fast path takes only established packets: a related connection inherits its
  // master's mark, but its first packet is "related" and must pass the lookups like any new flow.
  // Only ICMP errors may pass as related: an expectation a conntrack helper sets up (FTP data and
  // the like) is a new flow the inbound rules must allow.
  const std::optional<std::uint32_t> mark = fast_path_mark(attempt);
  filter.mesh_in.emplace_back("ct state invalid counter drop");
  if (mark.has_value()) {
    filter.mesh_in.push_back("ct state established ct mark " + hex_mark(*mark) + " accept");
  }
  render_lookups(filter.mesh_in, api::IpFamily::kV4, mark);
  render_lookups(filter.mesh_in, api::IpFamily::kV6, mark);
  filter.mesh_in.emplace_back("ct state related meta l4proto { icmp, icmpv6 } accept");
  std::string last = "counter drop comment \"rustynet generation " + std::to_string(spec.generation);
  if (!attempt.empty()) {
    last += " attempt ";
    last += attempt;
  }
  filter.mesh_in.push_back(last + "\"");
  return filter;
}

std::optional<std::uint32_t> fast_path_mark(std::string_view attempt) {
  if (attempt.empty()) {
    return std::nullopt;
  }
  std::uint32_t mark = 0;
  const std::string_view digits = attempt.substr(0, 8);
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), mark, 16);
  if (error != std::errc{} || end != digits.data() + digits.size() || mark == 0) {
    return 1;  // attempts are hex, so only an all-zero prefix lands here
  }
  return mark;
}

std::string set_name_at(std::size_t index) {
  const SetSlot& slot = kSetOrder.at(index);
  return set_name(slot.direction, slot.family, slot.kind);
}

std::string render_table(const RenderedFilter& filter, std::string_view interface_name) {
  return table_header(interface_name) + render_table_body(filter, interface_name) + "}\n";
}

std::string render_table(const api::FilterSpec& spec, std::string_view interface_name, std::string_view attempt) {
  return render_table(render_filter(spec, attempt), interface_name);
}

std::string render_apply_script(const RenderedFilter& filter, std::string_view interface_name) {
  // "add" makes "delete" valid when the table is absent; all three are one transaction, so no
  // packet ever meets the interface without a table.
  const std::string table = table_name_for(interface_name);
  return "add table inet " + table + "\ndelete table inet " + table + "\n" + render_table(filter, interface_name);
}

std::string render_apply_script(const api::FilterSpec& spec, std::string_view interface_name,
                                std::string_view attempt) {
  return render_apply_script(render_filter(spec, attempt), interface_name);
}

std::string render_update_script(const RenderedFilter& from, const RenderedFilter& to,
                                 std::string_view interface_name) {
  const std::string table = table_name_for(interface_name);
  std::string out = "flush chain inet " + table + " mesh_in\n";
  std::array<std::vector<std::string>, 12> additions;
  for (std::size_t i = 0; i < to.elements.size(); ++i) {
    const std::vector<std::string> old_elements = sorted(from.elements.at(i));
    const std::vector<std::string> new_elements = sorted(to.elements.at(i));
    render_element_command(out, "delete", table, i, difference(old_elements, new_elements));
    additions.at(i) = difference(new_elements, old_elements);
  }
  for (std::size_t i = 0; i < additions.size(); ++i) {
    render_element_command(out, "add", table, i, additions.at(i));
  }
  for (const std::string& rule : to.mesh_in) {
    out.append("add rule inet ").append(table).append(" mesh_in ").append(rule).append("\n");
  }
  return out;
}

ElementDiff element_diff(const RenderedFilter& from, const RenderedFilter& to) {
  ElementDiff diff;
  for (std::size_t i = 0; i < to.elements.size(); ++i) {
    const std::vector<std::string> old_elements = sorted(from.elements.at(i));
    const std::vector<std::string> new_elements = sorted(to.elements.at(i));
    diff.deletions.at(i) = difference(old_elements, new_elements).size();
    diff.additions.at(i) = difference(new_elements, old_elements).size();
    diff.size_before.at(i) = old_elements.size();
  }
  return diff;
}

std::size_t element_count(const RenderedFilter& filter) {
  std::size_t count = 0;
  for (const std::vector<std::string>& elements : filter.elements) {
    count += elements.size();
  }
  return count;
}

std::string render_install_script(std::string_view interface_name) {
  // "create table" fails on an existing table, so the whole transaction does; nft 1.0.6 ignores
  // every statement of a create block but the comment, so the body follows as a plain block.
  const std::string table = table_name_for(interface_name);
  return "create table inet " + table + " { comment \"" + std::string(kTableComment) + "\"; }\ntable inet " + table +
         " {\n" + render_table_body(render_filter(api::FilterSpec{}), interface_name) + "}\n";
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

namespace {

// The text of the generation comment ("N" or "N attempt X"): the comment of mesh_in's last rule,
// or the table comment of a table an older version wrote. Anchored, so a comment anywhere else
// (another chain, a set) never counts.
std::optional<std::string_view> generation_comment(std::string_view listing) {
  const auto comment_text = [](std::string_view line) -> std::optional<std::string_view> {
    const std::size_t at = line.find(kGenerationMarker);
    if (at == std::string_view::npos || !line.ends_with("\"")) {
      return std::nullopt;
    }
    return line.substr(at + kGenerationMarker.size(), line.size() - at - kGenerationMarker.size() - 1);
  };
  constexpr std::string_view kChain = "\n\tchain mesh_in {\n";
  const std::size_t chain = listing.find(kChain);
  if (chain != std::string_view::npos) {
    const std::size_t body = chain + kChain.size();
    const std::size_t close = listing.find("\n\t}\n", body);
    if (close == std::string_view::npos || close < body) {
      return std::nullopt;
    }
    const std::string_view rules = listing.substr(body, close - body);
    const std::size_t last = rules.rfind('\n');
    const std::string_view line = rules.substr(last == std::string_view::npos ? 0 : last + 1);
    if (line.starts_with("\t\tcounter drop " + std::string(kGenerationMarker))) {
      return comment_text(line);
    }
  }
  const std::size_t line_end = listing.find('\n');
  if (line_end == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view rest = listing.substr(line_end + 1);
  const std::string_view line = rest.substr(0, rest.find('\n'));
  if (!line.starts_with("\t" + std::string(kGenerationMarker))) {
    return std::nullopt;
  }
  return comment_text(line);
}

}  // namespace

bool listing_has_attempt(std::string_view listing, std::string_view attempt) {
  const std::optional<std::string_view> comment = generation_comment(listing);
  return !attempt.empty() && comment.has_value() && comment->ends_with(" attempt " + std::string(attempt)) &&
         comment->find(' ') == comment->size() - attempt.size() - std::string_view(" attempt ").size();
}

std::optional<std::uint64_t> parse_generation(std::string_view listing) {
  const std::optional<std::string_view> comment = generation_comment(listing);
  if (!comment.has_value()) {
    return std::nullopt;
  }
  std::uint64_t generation = 0;
  const auto [end, error] = std::from_chars(comment->data(), comment->data() + comment->size(), generation);
  if (error != std::errc{} || end == comment->data() || (end != comment->data() + comment->size() && *end != ' ')) {
    return std::nullopt;
  }
  return generation;
}

}  // namespace rustynet::backend_wireguard::filter

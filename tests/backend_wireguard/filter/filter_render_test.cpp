// SPDX-License-Identifier: Apache-2.0
// nft rendering: interface names, table text for v4/v6/ports/icmp/other/outbound, queries, and the
// generation read back from a listing.
#include "filter/nft_render.hpp"

#include <gtest/gtest.h>

#include "filter/nft_names.hpp"

namespace rustynet::backend_wireguard::filter {
namespace {

namespace api = backend_api;

api::FilterRule rule(const std::string& remote, const std::string& local, api::FilterProtocol protocol,
                     std::uint16_t first = 0, std::uint16_t last = 65535) {
  return api::FilterRule{api::IpPrefix::parse(remote).value(), api::IpAddress::parse(local).value(), protocol,
                         api::PortRange{first, last}};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The text of one set block ("\tset NAME {" ... "\t}\n").
std::string set_block(const std::string& script, const std::string& name) {
  const std::size_t start = script.find("\tset " + name + " {\n");
  if (start == std::string::npos) {
    return {};
  }
  const std::size_t end = script.find("\n\t}\n", start);
  return script.substr(start, end - start + 4);
}

TEST(InterfaceNameTest, AcceptsMeshStyleNames) {
  for (const char* name : {"rnf0", "rn-0", "wg_mesh.1", "a", "abcdefghijklmno", "RN0"}) {
    EXPECT_TRUE(validate_interface_name(name).has_value()) << name;
  }
}

TEST(InterfaceNameTest, RefusesWhatCouldBreakOutOfTheScript) {
  for (const char* name : {"", "abcdefghijklmnop", ".", "..", "a b", "a\"b", "a\\b", "a/b", "a:b", "a;b", "a\nb", "a{b",
                           "a$b", "a\tb", "caf\xc3\xa9"}) {
    const auto status = validate_interface_name(name);
    ASSERT_FALSE(status.has_value()) << name;
    EXPECT_EQ(status.error().kind, api::BackendErrorKind::kInvalidInput);
  }
}

TEST(InterfaceNameTest, TableNameIsInjectiveAndAnIdentifier) {
  EXPECT_EQ(table_name_for("rnf0"), "rustynet_rnf0");
  EXPECT_EQ(table_name_for("rn-0"), "rustynet_rn_2d0");
  EXPECT_EQ(table_name_for("a.b"), "rustynet_a_2eb");
  EXPECT_EQ(table_name_for("a_b"), "rustynet_a_5fb");
  // "_" itself is escaped, so an escape sequence typed literally cannot collide.
  EXPECT_NE(table_name_for("a_2d"), table_name_for("a-"));
  EXPECT_EQ(table_name_for("a_2d"), "rustynet_a_5f2d");
}

TEST(RenderTableTest, EmptySpecIsDenyAllWithTwelveEmptySets) {
  const std::string table = render_table(api::FilterSpec{}, "rnf0");
  EXPECT_TRUE(table.starts_with("table inet rustynet_rnf0 {\n\tcomment \"rustynet\"\n"));
  EXPECT_TRUE(contains(table, "\t\tcounter drop comment \"rustynet generation 0\"\n\t}\n"));
  for (const char* name : {"in4_l4", "in4_icmp", "in4_other", "in6_l4", "in6_icmp", "in6_other", "out4_l4", "out4_icmp",
                           "out4_other", "out6_l4", "out6_icmp", "out6_other"}) {
    const std::string block = set_block(table, name);
    ASSERT_FALSE(block.empty()) << name;
    EXPECT_FALSE(contains(block, "elements")) << name;
    EXPECT_TRUE(contains(block, "flags interval")) << name;
  }
  EXPECT_FALSE(contains(table, "elements"));
}

TEST(RenderTableTest, ChainsJudgeOnlyTheInterfaceAndEveryPacket) {
  const std::string table = render_table(api::FilterSpec{}, "rn-0");
  const std::string expected_chains =
      "\tchain mesh_in {\n"
      "\t\tct state invalid counter drop\n"
      "\t\tct direction original ip saddr . ip daddr . meta l4proto . th dport @in4_l4 accept\n"
      "\t\tct direction original meta l4proto icmp ip saddr . ip daddr @in4_icmp accept\n"
      "\t\tct direction original meta l4proto != { tcp, udp, icmp, icmpv6 } ip saddr . ip daddr @in4_other accept\n"
      "\t\tct direction reply ip saddr . ip daddr . meta l4proto . th sport @out4_l4 accept\n"
      "\t\tct direction reply meta l4proto icmp ip saddr . ip daddr @out4_icmp accept\n"
      "\t\tct direction reply meta l4proto != { tcp, udp, icmp, icmpv6 } ip saddr . ip daddr @out4_other accept\n"
      "\t\tct direction original ip6 saddr . ip6 daddr . meta l4proto . th dport @in6_l4 accept\n"
      "\t\tct direction original meta l4proto icmpv6 ip6 saddr . ip6 daddr @in6_icmp accept\n"
      "\t\tct direction original meta l4proto != { tcp, udp, icmp, icmpv6 } ip6 saddr . ip6 daddr @in6_other "
      "accept\n"
      "\t\tct direction reply ip6 saddr . ip6 daddr . meta l4proto . th sport @out6_l4 accept\n"
      "\t\tct direction reply meta l4proto icmpv6 ip6 saddr . ip6 daddr @out6_icmp accept\n"
      "\t\tct direction reply meta l4proto != { tcp, udp, icmp, icmpv6 } ip6 saddr . ip6 daddr @out6_other "
      "accept\n"
      "\t\tct state related meta l4proto { icmp, icmpv6 } accept\n"
      "\t\tcounter drop comment \"rustynet generation 0\"\n"
      "\t}\n"
      "\tchain input {\n"
      "\t\ttype filter hook input priority filter; policy accept;\n"
      "\t\tiifname \"rn-0\" jump mesh_in\n"
      "\t}\n"
      "\tchain forward {\n"
      "\t\ttype filter hook forward priority filter; policy accept;\n"
      "\t\tiifname \"rn-0\" counter drop\n"
      "\t}\n"
      "}\n";
  EXPECT_TRUE(table.ends_with(expected_chains)) << table;
  EXPECT_TRUE(table.starts_with("table inet rustynet_rn_2d0 {\n"));
}

TEST(RenderTableTest, V4PortsIcmpAndOtherGoToTheirSets) {
  api::FilterSpec spec;
  spec.generation = 42;
  spec.inbound = {rule("100.64.0.2/32", "100.64.0.1", api::FilterProtocol::kTcp, 22, 22),
                  rule("10.1.0.0/16", "100.64.0.1", api::FilterProtocol::kUdp, 5000, 5100),
                  rule("100.64.0.3/32", "100.64.0.1", api::FilterProtocol::kIcmp),
                  rule("100.64.0.4/32", "100.64.0.1", api::FilterProtocol::kOther)};
  const std::string table = render_table(spec, "rnf0");
  EXPECT_TRUE(contains(table, "\t\tcounter drop comment \"rustynet generation 42\"\n"));
  EXPECT_EQ(set_block(table, "in4_l4"),
            "\tset in4_l4 {\n"
            "\t\ttype ipv4_addr . ipv4_addr . inet_proto . inet_service\n"
            "\t\tflags interval\n"
            "\t\telements = {\n"
            "\t\t\t100.64.0.2 . 100.64.0.1 . 6 . 22,\n"
            "\t\t\t10.1.0.0/16 . 100.64.0.1 . 17 . 5000-5100\n"
            "\t\t}\n"
            "\t}\n");
  EXPECT_EQ(set_block(table, "in4_icmp"),
            "\tset in4_icmp {\n"
            "\t\ttype ipv4_addr . ipv4_addr\n"
            "\t\tflags interval\n"
            "\t\telements = {\n"
            "\t\t\t100.64.0.3 . 100.64.0.1\n"
            "\t\t}\n"
            "\t}\n");
  EXPECT_TRUE(contains(set_block(table, "in4_other"), "\t\t\t100.64.0.4 . 100.64.0.1\n"));
  for (const char* empty : {"in6_l4", "in6_icmp", "in6_other", "out4_l4", "out4_icmp", "out4_other"}) {
    EXPECT_FALSE(contains(set_block(table, empty), "elements")) << empty;
  }
}

TEST(RenderTableTest, V6AndOutboundRules) {
  api::FilterSpec spec;
  spec.outbound = {rule("fd00:1::/64", "fd00::1", api::FilterProtocol::kTcp, 443, 443),
                   rule("fd00::2/128", "fd00::1", api::FilterProtocol::kIcmp)};
  spec.inbound = {rule("fd00::2/128", "fd00::1", api::FilterProtocol::kUdp, 0, 65535)};
  const std::string table = render_table(spec, "rnf0");
  EXPECT_TRUE(contains(set_block(table, "out6_l4"), "type ipv6_addr . ipv6_addr . inet_proto . inet_service\n"));
  EXPECT_TRUE(contains(set_block(table, "out6_l4"), "\t\t\tfd00:1::/64 . fd00::1 . 6 . 443\n"));
  EXPECT_TRUE(contains(set_block(table, "out6_icmp"), "\t\t\tfd00::2 . fd00::1\n"));
  EXPECT_TRUE(contains(set_block(table, "in6_l4"), "\t\t\tfd00::2 . fd00::1 . 17 . 0-65535\n"));
  EXPECT_FALSE(contains(set_block(table, "in6_icmp"), "elements"));
  EXPECT_FALSE(contains(set_block(table, "out4_l4"), "elements"));
}

TEST(RenderTableTest, OverlappingRulesBecomeDisjointElements) {
  api::FilterSpec spec;
  spec.inbound = {rule("10.0.0.0/24", "100.64.0.1", api::FilterProtocol::kTcp, 20, 30),
                  rule("10.0.0.5/32", "100.64.0.1", api::FilterProtocol::kTcp, 25, 40),
                  rule("10.0.0.5/32", "100.64.0.1", api::FilterProtocol::kTcp, 25, 40)};
  const std::string block = set_block(render_table(spec, "rnf0"), "in4_l4");
  EXPECT_TRUE(contains(block,
                       "\t\t\t10.0.0.0-10.0.0.4 . 100.64.0.1 . 6 . 20-30,\n"
                       "\t\t\t10.0.0.5 . 100.64.0.1 . 6 . 20-40,\n"
                       "\t\t\t10.0.0.6-10.0.0.255 . 100.64.0.1 . 6 . 20-30\n"))
      << block;
}

TEST(RenderScriptTest, ApplyReplacesTheTableInOneTransaction) {
  const std::string script = render_apply_script(api::FilterSpec{}, "rnf0");
  EXPECT_TRUE(script.starts_with(
      "add table inet rustynet_rnf0\ndelete table inet rustynet_rnf0\ntable inet rustynet_rnf0 {\n"));
}

TEST(RenderScriptTest, InstallCreatesDenyAllGenerationZero) {
  const std::string script = render_install_script("rnf0");
  EXPECT_TRUE(script.starts_with(
      "create table inet rustynet_rnf0 { comment \"rustynet\"; }\ntable inet rustynet_rnf0 {\n\tset "));
  EXPECT_TRUE(contains(script, "\t\tcounter drop comment \"rustynet generation 0\"\n"));
  EXPECT_FALSE(contains(script, "ct mark"));  // deny-all marks nothing: no fast path
  EXPECT_TRUE(script.ends_with("\t\tiifname \"rnf0\" counter drop\n\t}\n}\n"));
  EXPECT_FALSE(contains(script, "elements"));
  EXPECT_FALSE(contains(script, "delete"));
}

TEST(RenderQueryTest, PicksTheSetByDirectionFamilyAndProtocol) {
  const auto v4 = [](const char* text) { return api::IpAddress::parse(text).value(); };
  auto query = render_query(
      api::FlowQuery{api::FlowDirection::kInbound, v4("10.0.0.2"), v4("100.64.0.1"), api::FilterProtocol::kTcp, 22});
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->set, "in4_l4");
  EXPECT_EQ(query->element, "{ 10.0.0.2 . 100.64.0.1 . 6 . 22 }");

  query = render_query(
      api::FlowQuery{api::FlowDirection::kOutbound, v4("10.0.0.2"), v4("100.64.0.1"), api::FilterProtocol::kUdp, 53});
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->set, "out4_l4");
  EXPECT_EQ(query->element, "{ 10.0.0.2 . 100.64.0.1 . 17 . 53 }");

  query = render_query(
      api::FlowQuery{api::FlowDirection::kOutbound, v4("fd00::2"), v4("fd00::1"), api::FilterProtocol::kIcmp, 9});
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->set, "out6_icmp");
  EXPECT_EQ(query->element, "{ fd00::2 . fd00::1 }");  // the port is not part of an icmp key

  query = render_query(
      api::FlowQuery{api::FlowDirection::kInbound, v4("fd00::2"), v4("fd00::1"), api::FilterProtocol::kOther, 0});
  ASSERT_TRUE(query.has_value());
  EXPECT_EQ(query->set, "in6_other");

  EXPECT_FALSE(render_query(api::FlowQuery{api::FlowDirection::kInbound, v4("fd00::2"), v4("100.64.0.1"),
                                           api::FilterProtocol::kTcp, 22})
                   .has_value());
}

TEST(ParseGenerationTest, ReadsTheTableComment) {
  EXPECT_EQ(parse_generation("table inet rustynet_rnf0 {\n\tcomment \"rustynet generation 17\"\n\tset x {\n"),
            std::optional<std::uint64_t>(17));
  EXPECT_EQ(parse_generation("table inet t {\n\tcomment \"rustynet generation 18446744073709551615\"\n}\n"),
            std::optional<std::uint64_t>(18446744073709551615ULL));
}

TEST(ParseGenerationTest, ReadsTheGenerationBeforeAnAttempt) {
  EXPECT_EQ(parse_generation("table inet t {\n\tcomment \"rustynet generation 9 attempt 00ff\"\n"),
            std::optional<std::uint64_t>(9));
}

TEST(AttemptTest, TheCommentCarriesTheAttemptAndIsRecognised) {
  const std::string table =
      render_table(api::FilterSpec{.generation = 9, .inbound = {}, .outbound = {}}, "rnf0", "0123456789abcdef");
  EXPECT_TRUE(contains(table, "\t\tcounter drop comment \"rustynet generation 9 attempt 0123456789abcdef\"\n\t}\n"));
  EXPECT_EQ(parse_generation(table), std::optional<std::uint64_t>(9));
  EXPECT_TRUE(listing_has_attempt(table, "0123456789abcdef"));
  EXPECT_FALSE(listing_has_attempt(table, "0123456789abcde"));
  EXPECT_FALSE(listing_has_attempt(table, "123456789abcdef"));
  EXPECT_FALSE(listing_has_attempt(table, ""));
  EXPECT_FALSE(listing_has_attempt(render_table(api::FilterSpec{}, "rnf0"), "0123456789abcdef"));
  EXPECT_FALSE(listing_has_attempt("", "0123456789abcdef"));
  // Only mesh_in's last rule (or an older version's table comment) counts.
  EXPECT_FALSE(
      listing_has_attempt("table inet t {\n\tset x {\n\tcomment \"rustynet generation 1 attempt ab\"\n", "ab"));
  EXPECT_FALSE(
      listing_has_attempt("table inet t {\n\tchain mesh_in {\n\t\tcounter drop comment \"rustynet "
                          "generation 1 attempt ab\"\n\t\tcounter accept\n\t}\n}\n",
                          "ab"));
  EXPECT_TRUE(listing_has_attempt("table inet t {\n\tcomment \"rustynet generation 1 attempt ab\"\n}\n", "ab"));
}

TEST(FastPathTest, AnAttemptMarksAdmittedFlowsAndAcceptsOnlyEstablishedOnesOnTheMark) {
  api::FilterSpec spec;
  spec.inbound = {rule("100.64.0.2/32", "100.64.0.1", api::FilterProtocol::kTcp, 22, 22)};
  const RenderedFilter filter = render_filter(spec, "00c0ffee12345678");
  ASSERT_GE(filter.mesh_in.size(), 3U);
  EXPECT_EQ(filter.mesh_in[0], "ct state invalid counter drop");
  EXPECT_EQ(filter.mesh_in[1], "ct state established ct mark 0x00c0ffee accept");
  EXPECT_EQ(
      filter.mesh_in[2],
      "ct direction original ip saddr . ip daddr . meta l4proto . th dport @in4_l4 ct mark set 0x00c0ffee accept");
  // Related packets (a related connection inherits its master's mark) never take the fast path.
  EXPECT_EQ(filter.mesh_in[filter.mesh_in.size() - 2], "ct state related meta l4proto { icmp, icmpv6 } accept");
  EXPECT_EQ(fast_path_mark("00000000ffff"), std::optional<std::uint32_t>(1));  // never the unmarked 0
  EXPECT_EQ(fast_path_mark("ab"), std::optional<std::uint32_t>(0xab));
  EXPECT_FALSE(fast_path_mark("").has_value());
  for (const std::string& rule : render_filter(spec).mesh_in) {
    EXPECT_FALSE(contains(rule, "ct mark")) << rule;  // no attempt, no mark
  }
}

TEST(UpdateScriptTest, DeletesWhatWentBeforeAddingWhatCameAndRefillsTheChain) {
  api::FilterSpec from;
  from.inbound = {rule("100.64.0.2/32", "100.64.0.1", api::FilterProtocol::kTcp, 22, 22),
                  rule("100.64.0.3/32", "100.64.0.1", api::FilterProtocol::kIcmp)};
  api::FilterSpec to;
  to.inbound = {rule("100.64.0.2/32", "100.64.0.1", api::FilterProtocol::kTcp, 22, 22),
                rule("100.64.0.4/32", "100.64.0.1", api::FilterProtocol::kIcmp),
                rule("fd00::2/128", "fd00::1", api::FilterProtocol::kUdp, 53, 53)};
  const RenderedFilter old_filter = render_filter(from, "aa");
  const RenderedFilter new_filter = render_filter(to, "bb");
  const ElementDiff diff = element_diff(old_filter, new_filter);
  EXPECT_EQ(diff.deletions, (std::array<std::size_t, 12>{0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));  // in4_icmp
  EXPECT_EQ(diff.additions, (std::array<std::size_t, 12>{0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}));  // + in6_l4
  EXPECT_EQ(diff.size_before, (std::array<std::size_t, 12>{1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(element_count(new_filter), 3U);
  const std::string script = render_update_script(old_filter, new_filter, "rnf0");
  const std::size_t flush = script.find("flush chain inet rustynet_rnf0 mesh_in\n");
  const std::size_t removal =
      script.find("delete element inet rustynet_rnf0 in4_icmp {\n\t100.64.0.3 . 100.64.0.1\n}\n");
  const std::size_t addition = script.find("add element inet rustynet_rnf0 in4_icmp {\n\t100.64.0.4 . 100.64.0.1\n}\n");
  const std::size_t v6 = script.find("add element inet rustynet_rnf0 in6_l4 {\n\tfd00::2 . fd00::1 . 17 . 53\n}\n");
  const std::size_t last_rule =
      script.find("add rule inet rustynet_rnf0 mesh_in counter drop comment \"rustynet generation 0 attempt bb\"\n");
  ASSERT_NE(flush, std::string::npos) << script;
  ASSERT_NE(removal, std::string::npos) << script;
  ASSERT_NE(addition, std::string::npos) << script;
  ASSERT_NE(v6, std::string::npos) << script;
  ASSERT_NE(last_rule, std::string::npos) << script;
  EXPECT_LT(flush, removal);
  EXPECT_LT(removal, addition);
  EXPECT_LT(addition, last_rule);
  EXPECT_FALSE(contains(script, "100.64.0.2 . 100.64.0.1 . 6 . 22"));  // unchanged elements stay untouched
  EXPECT_FALSE(contains(script, "table inet rustynet_rnf0 {"));        // neither the table nor its base chains
  EXPECT_TRUE(render_update_script(new_filter, new_filter, "rnf0").find("element") == std::string::npos);
}

TEST(ParseGenerationTest, RefusesMissingOrMalformedComments) {
  EXPECT_FALSE(parse_generation("").has_value());
  EXPECT_FALSE(parse_generation("table inet t {\n\tset x {\n").has_value());
  EXPECT_FALSE(parse_generation("table inet t {\n\tcomment \"other\"\n").has_value());
  EXPECT_FALSE(parse_generation("table inet t {\n\tcomment \"rustynet generation \"\n").has_value());
  EXPECT_FALSE(parse_generation("table inet t {\n\tcomment \"rustynet generation 12x\"\n").has_value());
  EXPECT_FALSE(parse_generation("table inet t {\n\tcomment \"rustynet generation -1\"\n").has_value());
  EXPECT_FALSE(
      parse_generation("table inet t {\n\tcomment \"rustynet generation 99999999999999999999\"\n").has_value());
  EXPECT_FALSE(parse_generation("table inet t {\n\tcomment \"rustynet generation 12").has_value());
  // Only the table's own comment (an older version's) or mesh_in's last rule counts.
  EXPECT_FALSE(parse_generation("table inet t {\n\tset x {\n\tcomment \"rustynet generation 3\"\n").has_value());
  EXPECT_FALSE(parse_generation("table inet t {\n\tchain mesh_in {\n\t\tcounter drop comment \"rustynet generation "
                                "3\"\n\t\tcounter accept\n\t}\n}\n")
                   .has_value());
  EXPECT_EQ(parse_generation("table inet t {\n\tcomment \"rustynet\"\n\tchain mesh_in {\n\t\tct state invalid counter "
                             "drop\n\t\tcounter drop comment \"rustynet generation 3 attempt 0a\"\n\t}\n}\n"),
            std::optional<std::uint64_t>(3));
}

}  // namespace
}  // namespace rustynet::backend_wireguard::filter

// SPDX-License-Identifier: Apache-2.0
// Every program answers --help and --version and rejects unknown arguments with EX_USAGE.
#include <gtest/gtest.h>

#include <sstream>

#include "cli_main.hpp"
#include "control_server_main.hpp"
#include "daemon_main.hpp"
#include "relay_server_main.hpp"

namespace {

using Entry = int (*)(const std::vector<std::string>&, std::ostream&, std::ostream&);

class AppEntryTest : public ::testing::TestWithParam<Entry> {};

TEST_P(AppEntryTest, HelpVersionAndUnknownArgument) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(GetParam()({"--help"}, out, err), 0);
  EXPECT_NE(out.str().find("usage:"), std::string::npos);
  out.str("");
  EXPECT_EQ(GetParam()({"--version"}, out, err), 0);
  EXPECT_NE(out.str().find("0.1.0"), std::string::npos);
  EXPECT_EQ(GetParam()({"--no-such-flag"}, out, err), 64);
}

// Lambdas pick the (args, out, err) form of each entry point: some are overloaded or take
// extra defaulted parameters, so their addresses are not usable as Entry directly.
INSTANTIATE_TEST_SUITE_P(AllPrograms, AppEntryTest,
                         ::testing::Values(
                             +[](const std::vector<std::string>& a, std::ostream& o, std::ostream& e) {
                               return rustynet::apps::daemon::run(a, o, e);
                             },
                             +[](const std::vector<std::string>& a, std::ostream& o, std::ostream& e) {
                               return rustynet::apps::cli::run(a, o, e);
                             },
                             +[](const std::vector<std::string>& a, std::ostream& o, std::ostream& e) {
                               return rustynet::apps::control_server::run(a, o, e);
                             },
                             +[](const std::vector<std::string>& a, std::ostream& o, std::ostream& e) {
                               return rustynet::apps::relay_server::run(a, o, e);
                             }));

}  // namespace

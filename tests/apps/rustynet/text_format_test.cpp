// SPDX-License-Identifier: Apache-2.0
// Table alignment, time/age/byte formatting and terminal-safe text.
#include "text_format.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "manual_clock.hpp"

namespace rustynet::apps::cli {
namespace {

TEST(TextFormatTest, TableAlignsColumnsWithoutTrailingSpaces) {
  Table table({"NODE", "ENDPOINT", "KIND"});
  table.add_row({"n1", "192.0.2.10:51820", "mesh"});
  table.add_row({"node-two", "", "exit"});
  std::ostringstream out;
  table.print(out);
  EXPECT_EQ(out.str(),
            "NODE      ENDPOINT          KIND\n"
            "n1        192.0.2.10:51820  mesh\n"
            "node-two  -                 exit\n");
  EXPECT_EQ(table.rows(), 2U);
}

TEST(TextFormatTest, KeyValueListPadsKeys) {
  KeyValueList list;
  list.add("node", "n1");
  list.add("last error", "");
  std::ostringstream out;
  list.print(out);
  EXPECT_EQ(out.str(), "node        n1\nlast error  -\n");
}

TEST(TextFormatTest, TimesAreUtcIso8601) {
  EXPECT_EQ(format_unix_time(1'800'000'000), "2027-01-15T08:00:00Z");
  EXPECT_EQ(format_unix_time(1'704'067'200), "2024-01-01T00:00:00Z");
  EXPECT_EQ(format_unix_time(0), "-");
}

TEST(TextFormatTest, RelativeTimesUseTheInjectedClock) {
  testing::ManualClock clock(1'800'000'000);
  EXPECT_EQ(format_time_relative(1'800'000'000 - 12, clock), "2027-01-15T07:59:48Z (12s ago)");
  EXPECT_EQ(format_time_relative(1'800'000'000 + 3 * 3600, clock), "2027-01-15T11:00:00Z (in 3h)");
  clock.set_wall_usable(false);
  EXPECT_EQ(format_time_relative(1'800'000'000 - 12, clock), "2027-01-15T07:59:48Z");
}

TEST(TextFormatTest, DurationsAndBytes) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(119), "119s");
  EXPECT_EQ(format_duration(600), "10m");
  EXPECT_EQ(format_duration(5 * 3600), "5h");
  EXPECT_EQ(format_duration(3 * 86400), "3d");
  EXPECT_EQ(format_bytes(0), "0 B");
  EXPECT_EQ(format_bytes(1023), "1023 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(20LL << 20U), "20.0 MiB");
}

TEST(TextFormatTest, TerminalSafeReplacesControlAndNonAsciiBytes) {
  EXPECT_EQ(terminal_safe("ok-1.2"), "ok-1.2");
  EXPECT_EQ(terminal_safe("a\x1b[31mb\r\n\x7f\xc3\xa9"), "a?[31mb?????");
}

}  // namespace
}  // namespace rustynet::apps::cli

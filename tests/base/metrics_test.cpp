// SPDX-License-Identifier: Apache-2.0
// MetricsRegistry: name/label validation, escaping, histogram buckets and deterministic render.
#include "rustynet/base/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <thread>

namespace rustynet::base {
namespace {

TEST(MetricNames, FollowTheExpositionGrammar) {
  EXPECT_TRUE(valid_metric_name("rustynetd_sync_total"));
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_TRUE(valid_metric_name("_x"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("9abc"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_FALSE(valid_metric_name("a b"));
  EXPECT_FALSE(valid_metric_name("caf\xc3\xa9"));
  EXPECT_TRUE(valid_label_name("peer"));
  EXPECT_TRUE(valid_label_name("_p1"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("1a"));
  EXPECT_FALSE(valid_label_name(""));
}

TEST(MetricsRegistry, RefusesBadRegistrationsWithTypedErrors) {
  MetricsRegistry registry;
  EXPECT_FALSE(registry.counter("bad-name", "h").has_value());
  EXPECT_FALSE(registry.counter_family("ok_total", "h", {"bad:label"}).has_value());
  EXPECT_FALSE(registry.counter_family("dup_label_total", "h", {"a", "a"}).has_value());
  EXPECT_FALSE(registry.gauge_family("reserved", "h", {"__x"}).has_value());
  EXPECT_FALSE(registry.histogram("h_seconds", "h", {}).has_value());
  EXPECT_FALSE(registry.histogram("h_seconds", "h", {1.0, 1.0}).has_value());
  EXPECT_FALSE(registry.histogram("h_seconds", "h", {2.0, 1.0}).has_value());
  EXPECT_FALSE(registry.histogram("h_seconds", "h", {1.0, std::numeric_limits<double>::infinity()}).has_value());
  ASSERT_TRUE(registry.counter("once_total", "h").has_value());
  const auto twice = registry.gauge("once_total", "h");
  ASSERT_FALSE(twice.has_value());
  EXPECT_NE(twice.error().message.find("registered twice"), std::string::npos);
  // Nothing of the refused registrations is rendered.
  EXPECT_EQ(registry.render(), "# HELP once_total h\n# TYPE once_total counter\nonce_total 0\n");
}

TEST(MetricsRegistry, RendersSortedAndDeterministically) {
  MetricsRegistry registry;
  auto* zeta = registry.gauge("zeta", "last by name").value();
  auto* alpha = registry.counter("alpha_total", "first by name").value();
  auto* family = registry.counter_family("requests_total", "by route", {"route", "class"}).value();
  zeta->set(-3);
  alpha->inc();
  alpha->inc(4);
  family->with({"/v1/z", "2xx"}).value()->inc();
  family->with({"/v1/a", "4xx"}).value()->inc(2);
  family->with({"/v1/a", "2xx"}).value()->inc(3);
  const std::string expected =
      "# HELP alpha_total first by name\n# TYPE alpha_total counter\nalpha_total 5\n"
      "# HELP requests_total by route\n# TYPE requests_total counter\n"
      "requests_total{route=\"/v1/a\",class=\"2xx\"} 3\n"
      "requests_total{route=\"/v1/a\",class=\"4xx\"} 2\n"
      "requests_total{route=\"/v1/z\",class=\"2xx\"} 1\n"
      "# HELP zeta last by name\n# TYPE zeta gauge\nzeta -3\n";
  EXPECT_EQ(registry.render(), expected);
  EXPECT_EQ(registry.render(), expected);
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(escape_help("line\\one\nline \"two\""), "line\\\\one\\nline \"two\"");
  MetricsRegistry registry;
  auto* family = registry.gauge_family("g", "two\nlines", {"v"}).value();
  family->with({"x\"}\n"}).value()->set(1);
  EXPECT_EQ(registry.render(), "# HELP g two\\nlines\n# TYPE g gauge\ng{v=\"x\\\"}\\n\"} 1\n");
}

TEST(MetricsRegistry, FamiliesCheckArityAndBoundTheirSeries) {
  MetricsRegistry registry;
  auto* family = registry.counter_family("f_total", "h", {"a"}, 2).value();
  EXPECT_FALSE(family->with({}).has_value());
  EXPECT_FALSE(family->with({"1", "2"}).has_value());
  auto* one = family->with({"1"}).value();
  ASSERT_TRUE(family->with({"2"}).has_value());
  const auto third = family->with({"3"});
  ASSERT_FALSE(third.has_value());
  EXPECT_NE(third.error().message.find("more than 2 series"), std::string::npos);
  EXPECT_EQ(family->with({"1"}).value(), one);  // existing series are still found
}

TEST(MetricsRegistry, HistogramBucketsAreCumulativeWithInf) {
  MetricsRegistry registry;
  auto* histogram = registry.histogram("latency_seconds", "h", {0.1, 1}).value();
  histogram->observe(0.05);
  histogram->observe(0.1);  // upper bounds are inclusive
  histogram->observe(0.5);
  histogram->observe(7);
  EXPECT_EQ(registry.render(),
            "# HELP latency_seconds h\n# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{le=\"0.1\"} 2\n"
            "latency_seconds_bucket{le=\"1\"} 3\n"
            "latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "latency_seconds_sum 7.65\n"
            "latency_seconds_count 4\n");
}

TEST(MetricsRegistry, CollectedFamiliesAreReadAtScrapeTime) {
  MetricsRegistry registry;
  std::vector<MetricSample> samples{{{"n2"}, 7}, {{"n1"}, 1.5}, {{"too", "many"}, 9}};
  ASSERT_TRUE(
      registry.collected("peer_age_seconds", "h", MetricType::kGauge, {"peer"}, [&] { return samples; }).has_value());
  EXPECT_FALSE(registry.collected("bad", "h", MetricType::kHistogram, {}, [] { return std::vector<MetricSample>{}; })
                   .has_value());
  EXPECT_EQ(registry.render(),
            "# HELP peer_age_seconds h\n# TYPE peer_age_seconds gauge\n"
            "peer_age_seconds{peer=\"n1\"} 1.5\npeer_age_seconds{peer=\"n2\"} 7\n");
  samples.clear();
  EXPECT_EQ(registry.render(), "# HELP peer_age_seconds h\n# TYPE peer_age_seconds gauge\n");
}

TEST(MetricsRegistry, CollectedGroupsAreAskedOncePerRender) {
  MetricsRegistry registry;
  int calls = 0;
  ASSERT_TRUE(registry
                  .collected_group({{"b_rx_bytes_total", "h", MetricType::kCounter, {"peer"}},
                                    {"a_peers", "h", MetricType::kGauge, {}}},
                                   [&] {
                                     ++calls;
                                     return std::vector<std::vector<MetricSample>>{{{{"n1"}, 10}}, {{{}, 1}}};
                                   })
                  .has_value());
  EXPECT_EQ(registry.render(),
            "# HELP a_peers h\n# TYPE a_peers gauge\na_peers 1\n"
            "# HELP b_rx_bytes_total h\n# TYPE b_rx_bytes_total counter\nb_rx_bytes_total{peer=\"n1\"} 10\n");
  EXPECT_EQ(calls, 1);
  // A bad name anywhere in a group registers none of it.
  EXPECT_FALSE(
      registry
          .collected_group({{"ok_one", "h", MetricType::kGauge, {}}, {"bad name", "h", MetricType::kGauge, {}}},
                           [] { return std::vector<std::vector<MetricSample>>{}; })
          .has_value());
  EXPECT_EQ(registry.render().find("ok_one"), std::string::npos);
}

TEST(MetricsRegistry, FormatsSpecialValues) {
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(1e21), "1e+21");
}

TEST(MetricsRegistry, CountsFromManyThreads) {
  MetricsRegistry registry;
  auto* counter = registry.counter("c_total", "h").value();
  auto* family = registry.counter_family("f_total", "h", {"t"}).value();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) {
        counter->inc();
        family->with({std::to_string(t % 2)}).value()->inc();
        if (i % 100 == 0) {
          (void)registry.render();
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(counter->value(), 4000U);
  EXPECT_EQ(family->with({"0"}).value()->value(), 2000U);
}

}  // namespace
}  // namespace rustynet::base

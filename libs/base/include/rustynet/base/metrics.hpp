// SPDX-License-Identifier: Apache-2.0
// MetricsRegistry: counters, gauges, histograms and labelled families rendered as Prometheus text.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "rustynet/base/result.hpp"

namespace rustynet::base {

struct MetricsError {
  std::string message;  // names the metric or label; never contains a label value
};

// A monotonically increasing count. Lock-free; any thread.
class Counter {
 public:
  void inc(std::uint64_t by = 1) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  // Publishes the running total of a count kept elsewhere by a single writer (e.g. the relay core's
  // own counters, which its one thread owns): the exported value is whatever was stored last.
  void mirror(std::uint64_t total) noexcept { value_.store(total, std::memory_order_relaxed); }
  [[nodiscard]] std::uint64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

// A value that goes up and down. Lock-free; any thread.
class Gauge {
 public:
  void set(std::int64_t value) noexcept { value_.store(value, std::memory_order_relaxed); }
  void add(std::int64_t by) noexcept { value_.fetch_add(by, std::memory_order_relaxed); }
  [[nodiscard]] std::int64_t value() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> value_{0};
};

// Observations into fixed, strictly increasing upper bounds (plus +Inf). observe() is lock-free;
// a scrape racing an observe may see the count one ahead of the buckets, never torn values.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value) noexcept;
  [[nodiscard]] const std::vector<double>& bounds() const noexcept { return bounds_; }
  // Per-bucket (non-cumulative) counts; the last entry is the +Inf bucket.
  [[nodiscard]] std::vector<std::uint64_t> bucket_counts() const;
  [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // bounds_.size() + 1
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

enum class MetricType : std::uint8_t { kCounter, kGauge, kHistogram };

// One sample of a collected family: label values in the family's label order.
struct MetricSample {
  std::vector<std::string> label_values;
  double value = 0;
};

// A labelled family of counters or gauges. Series are created on first use and live as long as the
// registry; at most `max_series` of them (a bound on memory when label values come from input).
template <class Metric>
class MetricFamily {
 public:
  MetricFamily(std::vector<std::string> label_names, std::size_t max_series)
      : label_names_(std::move(label_names)), max_series_(max_series) {}
  // The series for these label values (one per label name, any UTF-8). The pointer stays valid for
  // the registry's lifetime; callers on hot paths keep it. Errors: wrong number of values, too many
  // series.
  [[nodiscard]] Result<Metric*, MetricsError> with(const std::vector<std::string>& label_values);
  [[nodiscard]] const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  // Calls f(label_values, metric) in label-value order.
  void for_each(const std::function<void(const std::vector<std::string>&, const Metric&)>& f) const;

 private:
  std::vector<std::string> label_names_;
  std::size_t max_series_;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> series_;
};

extern template class MetricFamily<Counter>;
extern template class MetricFamily<Gauge>;
using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;

// Owns every metric of one program. Registration (at startup) validates names: metric names match
// [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]* and do not start with "__"
// (reserved), histograms may not use the label "le", and every name is registered once. Returned
// pointers live as long as the registry. Thread-safe: registration, updates and render() may run
// concurrently.
class MetricsRegistry {
 public:
  static constexpr std::size_t kDefaultMaxSeries = 1024;

  [[nodiscard]] Result<Counter*, MetricsError> counter(std::string name, std::string help);
  [[nodiscard]] Result<Gauge*, MetricsError> gauge(std::string name, std::string help);
  [[nodiscard]] Result<Histogram*, MetricsError> histogram(std::string name, std::string help,
                                                           std::vector<double> bounds);
  [[nodiscard]] Result<CounterFamily*, MetricsError> counter_family(std::string name, std::string help,
                                                                    std::vector<std::string> label_names,
                                                                    std::size_t max_series = kDefaultMaxSeries);
  [[nodiscard]] Result<GaugeFamily*, MetricsError> gauge_family(std::string name, std::string help,
                                                                std::vector<std::string> label_names,
                                                                std::size_t max_series = kDefaultMaxSeries);
  // A counter or gauge family whose samples are read at scrape time (e.g. per-peer stats read from
  // the backend): `collect` runs on the scraping thread, must be thread-safe and must not call back
  // into the registry. Samples with the wrong number of label values are skipped.
  [[nodiscard]] Status<MetricsError> collected(std::string name, std::string help, MetricType type,
                                               std::vector<std::string> label_names,
                                               std::function<std::vector<MetricSample>()> collect);
  // Several collected families filled by one call per scrape (one read of the source for all of
  // them): `collect` returns one sample list per family, in the order of `families`; missing lists
  // render no samples. All names are validated before any is registered.
  struct CollectedFamily {
    std::string name;
    std::string help;
    MetricType type = MetricType::kGauge;
    std::vector<std::string> label_names;
  };
  [[nodiscard]] Status<MetricsError> collected_group(std::vector<CollectedFamily> families,
                                                     std::function<std::vector<std::vector<MetricSample>>()> collect);

  // Prometheus text exposition format 0.0.4: families sorted by name, series by label values, so
  // the same state always renders the same bytes.
  [[nodiscard]] std::string render() const;

  struct Entry;  // one registered family (metrics.cpp)
  MetricsRegistry();
  ~MetricsRegistry();
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;
  MetricsRegistry(MetricsRegistry&&) = delete;
  MetricsRegistry& operator=(MetricsRegistry&&) = delete;

 private:
  Result<Entry*, MetricsError> add(std::string name, std::string help, MetricType type,
                                   const std::vector<std::string>& label_names);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_;
};

// Name and label checks and escaping of the exposition format (exposed for tests and tools).
[[nodiscard]] bool valid_metric_name(std::string_view name) noexcept;
[[nodiscard]] bool valid_label_name(std::string_view name) noexcept;
// Label values: backslash, double quote and newline are escaped.
[[nodiscard]] std::string escape_label_value(std::string_view value);
// HELP text: backslash and newline are escaped.
[[nodiscard]] std::string escape_help(std::string_view help);
// Shortest round-trip decimal, or +Inf / -Inf / NaN.
[[nodiscard]] std::string format_metric_value(double value);

}  // namespace rustynet::base

// SPDX-License-Identifier: Apache-2.0
// MetricsRegistry and the Prometheus text exposition format 0.0.4.
#include "rustynet/base/metrics.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <variant>

namespace rustynet::base {

struct MetricsRegistry::Entry {
  std::string help;
  MetricType type = MetricType::kCounter;
  std::variant<std::monostate, std::unique_ptr<Counter>, std::unique_ptr<Gauge>, std::unique_ptr<Histogram>,
               std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>>
      metric;
  std::vector<std::string> label_names;                                                    // collected families only
  std::shared_ptr<const std::function<std::vector<std::vector<MetricSample>>()>> collect;  // shared by a group
  std::size_t index = 0;  // this family's list in the group's answer
};

namespace {

bool name_start(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool name_rest(char c) noexcept { return name_start(c) || (c >= '0' && c <= '9'); }

std::string_view type_name(MetricType type) noexcept {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

void append_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values,
                   std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) {
    return;
  }
  out += '{';
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += (i == 0 ? "" : ",");
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  if (!extra_name.empty()) {
    out += (names.empty() ? "" : ",");
    out += extra_name;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  out += '}';
}

void append_line(std::string& out, std::string_view name, const std::vector<std::string>& names,
                 const std::vector<std::string>& values, std::string_view value) {
  out += name;
  append_labels(out, names, values);
  out += ' ';
  out += value;
  out += '\n';
}

void render_histogram(std::string& out, const std::string& name, const Histogram& histogram) {
  const auto counts = histogram.bucket_counts();
  std::uint64_t cumulative = 0;
  const std::vector<std::string> none;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    cumulative += counts[i];
    const std::string bound = i < histogram.bounds().size() ? format_metric_value(histogram.bounds()[i]) : "+Inf";
    out += name;
    out += "_bucket";
    append_labels(out, none, none, "le", bound);
    out += ' ';
    out += std::to_string(cumulative);
    out += '\n';
  }
  append_line(out, name + "_sum", none, none, format_metric_value(histogram.sum()));
  // The count is the +Inf bucket's cumulative value, so the two always agree in one scrape.
  append_line(out, name + "_count", none, none, std::to_string(cumulative));
}

}  // namespace

bool valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || !(name_start(name.front()) || name.front() == ':')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) { return name_rest(c) || c == ':'; });
}

bool valid_label_name(std::string_view name) noexcept {
  if (name.empty() || !name_start(name.front()) || name.starts_with("__")) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), name_rest);
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  std::array<char, 32> buffer{};
  const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  if (ec != std::errc{}) {
    return "NaN";  // unreachable: 32 bytes hold every shortest double
  }
  return {buffer.data(), end};
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::observe(double value) noexcept {
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  buckets_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return out;
}

template <class Metric>
Result<Metric*, MetricsError> MetricFamily<Metric>::with(const std::vector<std::string>& label_values) {
  if (label_values.size() != label_names_.size()) {
    return unexpected(MetricsError{"expected " + std::to_string(label_names_.size()) + " label values, got " +
                                   std::to_string(label_values.size())});
  }
  const std::lock_guard lock(mutex_);
  if (auto found = series_.find(label_values); found != series_.end()) {
    return found->second.get();
  }
  if (series_.size() >= max_series_) {
    return unexpected(MetricsError{"more than " + std::to_string(max_series_) + " series"});
  }
  auto [inserted, added] = series_.emplace(label_values, std::make_unique<Metric>());
  static_cast<void>(added);
  return inserted->second.get();
}

template <class Metric>
void MetricFamily<Metric>::for_each(
    const std::function<void(const std::vector<std::string>&, const Metric&)>& f) const {
  const std::lock_guard lock(mutex_);
  for (const auto& [values, metric] : series_) {
    f(values, *metric);
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;

MetricsRegistry::MetricsRegistry() = default;
MetricsRegistry::~MetricsRegistry() = default;

Result<MetricsRegistry::Entry*, MetricsError> MetricsRegistry::add(std::string name, std::string help, MetricType type,
                                                                   const std::vector<std::string>& label_names) {
  if (!valid_metric_name(name)) {
    return unexpected(MetricsError{"invalid metric name '" + name + "'"});
  }
  std::vector<std::string> sorted = label_names;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    if (!valid_label_name(sorted[i]) || (type == MetricType::kHistogram && sorted[i] == "le")) {
      return unexpected(MetricsError{name + ": invalid label name '" + sorted[i] + "'"});
    }
    if (i > 0 && sorted[i] == sorted[i - 1]) {
      return unexpected(MetricsError{name + ": duplicate label name '" + sorted[i] + "'"});
    }
  }
  const std::lock_guard lock(mutex_);
  if (entries_.contains(name)) {
    return unexpected(MetricsError{"metric '" + name + "' registered twice"});
  }
  auto entry = std::make_unique<Entry>();
  entry->help = std::move(help);
  entry->type = type;
  Entry* raw = entry.get();
  entries_.emplace(std::move(name), std::move(entry));
  return raw;
}

Result<Counter*, MetricsError> MetricsRegistry::counter(std::string name, std::string help) {
  RUSTYNET_ASSIGN_OR_RETURN(Entry * entry, add(std::move(name), std::move(help), MetricType::kCounter, {}));
  auto metric = std::make_unique<Counter>();
  Counter* raw = metric.get();
  const std::lock_guard lock(mutex_);
  entry->metric = std::move(metric);
  return raw;
}

Result<Gauge*, MetricsError> MetricsRegistry::gauge(std::string name, std::string help) {
  RUSTYNET_ASSIGN_OR_RETURN(Entry * entry, add(std::move(name), std::move(help), MetricType::kGauge, {}));
  auto metric = std::make_unique<Gauge>();
  Gauge* raw = metric.get();
  const std::lock_guard lock(mutex_);
  entry->metric = std::move(metric);
  return raw;
}

Result<Histogram*, MetricsError> MetricsRegistry::histogram(std::string name, std::string help,
                                                            std::vector<double> bounds) {
  if (bounds.empty() || !std::all_of(bounds.begin(), bounds.end(), [](double b) { return std::isfinite(b); }) ||
      std::adjacent_find(bounds.begin(), bounds.end(), std::greater_equal<>()) != bounds.end()) {
    return unexpected(MetricsError{name + ": bucket bounds must be finite and strictly increasing"});
  }
  RUSTYNET_ASSIGN_OR_RETURN(Entry * entry, add(std::move(name), std::move(help), MetricType::kHistogram, {}));
  auto metric = std::make_unique<Histogram>(std::move(bounds));
  Histogram* raw = metric.get();
  const std::lock_guard lock(mutex_);
  entry->metric = std::move(metric);
  return raw;
}

Result<CounterFamily*, MetricsError> MetricsRegistry::counter_family(std::string name, std::string help,
                                                                     std::vector<std::string> label_names,
                                                                     std::size_t max_series) {
  RUSTYNET_ASSIGN_OR_RETURN(Entry * entry, add(std::move(name), std::move(help), MetricType::kCounter, label_names));
  auto metric = std::make_unique<CounterFamily>(std::move(label_names), max_series);
  CounterFamily* raw = metric.get();
  const std::lock_guard lock(mutex_);
  entry->metric = std::move(metric);
  return raw;
}

Result<GaugeFamily*, MetricsError> MetricsRegistry::gauge_family(std::string name, std::string help,
                                                                 std::vector<std::string> label_names,
                                                                 std::size_t max_series) {
  RUSTYNET_ASSIGN_OR_RETURN(Entry * entry, add(std::move(name), std::move(help), MetricType::kGauge, label_names));
  auto metric = std::make_unique<GaugeFamily>(std::move(label_names), max_series);
  GaugeFamily* raw = metric.get();
  const std::lock_guard lock(mutex_);
  entry->metric = std::move(metric);
  return raw;
}

Status<MetricsError> MetricsRegistry::collected(std::string name, std::string help, MetricType type,
                                                std::vector<std::string> label_names,
                                                std::function<std::vector<MetricSample>()> collect) {
  if (!collect) {
    return unexpected(MetricsError{name + ": a collected family needs a collect function"});
  }
  std::vector<CollectedFamily> one;
  one.push_back(CollectedFamily{std::move(name), std::move(help), type, std::move(label_names)});
  return collected_group(std::move(one),
                         [f = std::move(collect)] { return std::vector<std::vector<MetricSample>>{f()}; });
}

Status<MetricsError> MetricsRegistry::collected_group(std::vector<CollectedFamily> families,
                                                      std::function<std::vector<std::vector<MetricSample>>()> collect) {
  if (!collect) {
    return unexpected(MetricsError{"a collected group needs a collect function"});
  }
  for (std::size_t i = 0; i < families.size(); ++i) {
    const auto& family = families[i];
    if (family.type == MetricType::kHistogram) {
      return unexpected(MetricsError{family.name + ": a collected family is a counter or gauge"});
    }
    // Validate everything first so that a bad entry leaves nothing half registered.
    if (!valid_metric_name(family.name)) {
      return unexpected(MetricsError{"invalid metric name '" + family.name + "'"});
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (families[j].name == family.name) {
        return unexpected(MetricsError{"metric '" + family.name + "' registered twice"});
      }
    }
    for (const auto& label : family.label_names) {
      if (!valid_label_name(label)) {
        return unexpected(MetricsError{family.name + ": invalid label name '" + label + "'"});
      }
    }
    const std::lock_guard lock(mutex_);
    if (entries_.contains(family.name)) {
      return unexpected(MetricsError{"metric '" + family.name + "' registered twice"});
    }
  }
  auto shared = std::make_shared<const std::function<std::vector<std::vector<MetricSample>>()>>(std::move(collect));
  for (std::size_t i = 0; i < families.size(); ++i) {
    auto& family = families[i];
    RUSTYNET_ASSIGN_OR_RETURN(Entry * entry,
                              add(std::move(family.name), std::move(family.help), family.type, family.label_names));
    const std::lock_guard lock(mutex_);
    entry->label_names = std::move(family.label_names);
    entry->collect = shared;
    entry->index = i;
  }
  return {};
}

std::string MetricsRegistry::render() const {
  const std::lock_guard lock(mutex_);
  std::string out;
  // Each group is asked once per render, however many families it fills.
  std::map<const void*, std::vector<std::vector<MetricSample>>> answers;
  for (const auto& item : entries_) {
    const std::string& name = item.first;  // not a structured binding: the lambdas below use it
    const auto& entry = item.second;
    if (std::holds_alternative<std::monostate>(entry->metric) && !entry->collect) {
      continue;  // being registered right now
    }
    out += "# HELP " + name + " " + escape_help(entry->help) + "\n";
    out += "# TYPE " + name + " ";
    out += type_name(entry->type);
    out += '\n';
    const std::vector<std::string> none;
    if (const auto* counter = std::get_if<std::unique_ptr<Counter>>(&entry->metric)) {
      append_line(out, name, none, none, std::to_string((*counter)->value()));
    } else if (const auto* gauge = std::get_if<std::unique_ptr<Gauge>>(&entry->metric)) {
      append_line(out, name, none, none, std::to_string((*gauge)->value()));
    } else if (const auto* histogram = std::get_if<std::unique_ptr<Histogram>>(&entry->metric)) {
      render_histogram(out, name, **histogram);
    } else if (const auto* counters = std::get_if<std::unique_ptr<CounterFamily>>(&entry->metric)) {
      (*counters)->for_each([&](const std::vector<std::string>& values, const Counter& metric) {
        append_line(out, name, (*counters)->label_names(), values, std::to_string(metric.value()));
      });
    } else if (const auto* gauges = std::get_if<std::unique_ptr<GaugeFamily>>(&entry->metric)) {
      (*gauges)->for_each([&](const std::vector<std::string>& values, const Gauge& metric) {
        append_line(out, name, (*gauges)->label_names(), values, std::to_string(metric.value()));
      });
    } else if (entry->collect) {
      auto answer = answers.find(entry->collect.get());
      if (answer == answers.end()) {
        answer = answers.emplace(entry->collect.get(), (*entry->collect)()).first;
      }
      if (entry->index >= answer->second.size()) {
        continue;
      }
      auto samples = answer->second[entry->index];
      std::sort(samples.begin(), samples.end(),
                [](const MetricSample& a, const MetricSample& b) { return a.label_values < b.label_values; });
      for (const auto& sample : samples) {
        if (sample.label_values.size() == entry->label_names.size()) {
          append_line(out, name, entry->label_names, sample.label_values, format_metric_value(sample.value));
        }
      }
    }
  }
  return out;
}

}  // namespace rustynet::base

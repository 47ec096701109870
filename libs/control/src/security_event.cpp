// SPDX-License-Identifier: Apache-2.0
// Security event serialisation (nlohmann/json) and the dedicated spdlog sinks.
#include "rustynet/control/security_event.hpp"

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <nlohmann/json.hpp>

#include <exception>
#include <mutex>

namespace rustynet::control {
namespace {

constexpr std::size_t kMaxFieldBytes = 128;

std::string bounded(std::string_view text) { return std::string(text.substr(0, kMaxFieldBytes)); }

nlohmann::json nullable(std::string_view text) {
  if (text.empty()) {
    return nullptr;
  }
  return bounded(text);
}

// A sink that hands each formatted line to a callback (spdlog 1.10 has no callback sink).
class CallbackSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit CallbackSink(std::function<void(std::string_view)> consumer) : consumer_(std::move(consumer)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    consumer_(std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::function<void(std::string_view)> consumer_;
};

class SpdlogEventSink final : public EventSink {
 public:
  explicit SpdlogEventSink(std::shared_ptr<spdlog::logger> logger) : logger_(std::move(logger)) {
    logger_->set_pattern("%v");
    logger_->set_level(spdlog::level::info);
    logger_->flush_on(spdlog::level::info);
  }
  void emit(const SecurityEvent& event) override {
    const std::string line = to_json_line(event);
    logger_->info("{}", line);
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace

std::string to_json_line(const SecurityEvent& event) {
  nlohmann::json json;
  json["schema"] = "rustynet.security_event";
  json["version"] = kSecurityEventVersion;
  json["timestamp"] = event.timestamp.has_value() ? nlohmann::json(event.timestamp->seconds) : nlohmann::json(nullptr);
  json["source_ip"] = nullable(event.source_ip);
  json["identity"] = nullable(event.identity);
  json["identity_verified"] = event.identity_verified;
  json["endpoint"] = nullable(event.endpoint);
  json["outcome"] = event.allowed ? "allow" : "deny";
  json["failure_class"] = bounded(event.failure_class);
  json["limiter_decision"] = bounded(event.limiter_decision);
  json["lockout_decision"] = bounded(event.lockout_decision);
  json["retry_after_ms"] = event.retry_after.count();
  json["abuse_key"] = bounded(event.abuse_key);
  // Attacker-chosen identity handles may be invalid UTF-8: replace, never throw.
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

base::Result<std::unique_ptr<EventSink>, ConfigError> make_file_event_sink(const std::string& path) {
  try {
    auto file_sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path, false);
    auto logger = std::make_shared<spdlog::logger>("rustynet.security_events", std::move(file_sink));
    return std::unique_ptr<EventSink>(std::make_unique<SpdlogEventSink>(std::move(logger)));
  } catch (const std::exception&) {  // spdlog reports open failures by exception: the edge
    return base::unexpected(ConfigError{"security events: cannot open " + path});
  }
}

std::unique_ptr<EventSink> make_callback_event_sink(std::function<void(std::string_view)> consumer) {
  auto sink = std::make_shared<CallbackSink>(std::move(consumer));
  auto logger = std::make_shared<spdlog::logger>("rustynet.security_events", std::move(sink));
  return std::make_unique<SpdlogEventSink>(std::move(logger));
}

}  // namespace rustynet::control

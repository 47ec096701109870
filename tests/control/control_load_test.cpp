// SPDX-License-Identifier: Apache-2.0
// Bounded loopback load test: 10,000 requests from 200 source addresses and 50 identities, half
// signed by registered keys and half garbage. The limiters must admit exactly the configured
// budgets, each on its own key, while the server keeps answering a probe.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "https_client.hpp"
#include "server_harness.hpp"

namespace rustynet::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kSources = 200;
constexpr int kRequestsPerSource = 50;
constexpr int kIdentities = 50;
constexpr int kClientThreads = 8;

std::string source_ip(int index) {
  return "127.0." + std::to_string(10 + index / 250) + "." + std::to_string(1 + index % 250);
}

std::string failure_class(const HttpReply& reply) {
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  return json.is_object() && json.contains("error") ? json["error"].get<std::string>() : "ok";
}

class Tally {
 public:
  void add(const HttpReply& reply) {
    const std::lock_guard lock(mutex_);
    if (!reply.transport_ok) {
      ++counts_["transport_error"];
      return;
    }
    ++counts_[std::to_string(reply.status) + ":" + failure_class(reply)];
  }
  std::map<std::string, int> counts() const {
    const std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, int> counts_;
};

TEST(ControlLoadTest, LimiterHoldsConfiguredRatesUnderTenThousandRequests) {
  apps::control_server::ServerOptions options;
  options.threads = 2;
  options.limits.max_connections = 512;
  ServerHarness h(options);

  // Pre-issued, valid and distinct (even r) or garbage (odd r): the valid ones draw on their
  // identity's budget, the garbage on its source's bucket and lockout.
  std::vector<std::vector<std::string>> tokens(kSources);
  for (int s = 0; s < kSources; ++s) {
    for (int r = 0; r < kRequestsPerSource; ++r) {
      tokens[static_cast<std::size_t>(s)].push_back(
          r % 2 == 0 ? h.issuer.issue("node-" + std::to_string(s % kIdentities)).value()
                     : "garbage-" + std::to_string(s) + "-" + std::to_string(r));
    }
  }

  Tally tally;
  std::atomic<bool> load_running{true};
  std::atomic<int> probe_ok{0};
  std::atomic<int> probe_failed{0};
  std::atomic<long long> probe_worst_ms{0};
  std::thread probe([&] {
    std::unique_ptr<HttpsClient> client;
    while (load_running.load()) {
      const auto start = Clock::now();
      if (!client) {
        client = HttpsClient::connect(h.port(), "127.0.20.1");
      }
      const auto reply = client ? client->request("GET", "/v1/health") : HttpReply{};
      const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
      probe_worst_ms.store(std::max(probe_worst_ms.load(), static_cast<long long>(ms)));
      // Status 200 within the probe's own burst, 429 after: both are timely answers.
      if (reply.transport_ok && (reply.status == 200 || reply.status == 429)) {
        ++probe_ok;
      } else {
        ++probe_failed;
      }
      if (!reply.keep_alive) {
        client.reset();  // the server ends connections after max_requests_per_connection
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // probe pacing, not a time wait
    }
  });

  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < kClientThreads; ++t) {
    workers.emplace_back([&, t] {
      for (int s = t; s < kSources; s += kClientThreads) {
        auto client = HttpsClient::connect(h.port(), source_ip(s));
        if (!client) {
          for (int r = 0; r < kRequestsPerSource; ++r) {
            tally.add(HttpReply{});
          }
          continue;
        }
        for (const auto& token : tokens[static_cast<std::size_t>(s)]) {
          tally.add(client->request("POST", "/v1/echo", token));
        }
      }
    });
  }
  for (auto& worker : workers) {
    worker.join();
  }
  const auto elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  load_running = false;
  probe.join();

  const auto counts = tally.counts();
  for (const auto& [key, count] : counts) {
    std::printf("  %-32s %6d\n", key.c_str(), count);
  }
  const int total = kSources * kRequestsPerSource;
  std::printf("  %d requests in %.2f s (%.0f req/s); probe ok %d, worst probe latency %lld ms\n", total, elapsed,
              total / elapsed, probe_ok.load(), probe_worst_ms.load());
  RecordProperty("requests_per_second", static_cast<int>(total / elapsed));

  auto count = [&](const std::string& key) {
    auto found = counts.find(key);
    return found == counts.end() ? 0 : found->second;
  };
  // The clock is frozen, so the budgets are exact. Garbage: 20 per source pass the per-IP bucket,
  // the first is a 401 that locks the source, the other 19 meet the lock. Valid: each identity
  // (4 sources x 25 = 100 requests) gets exactly its burst of 10, whatever its sources' state.
  constexpr int kGarbagePerSource = kRequestsPerSource / 2;
  constexpr int kValidPerSource = kRequestsPerSource - kGarbagePerSource;
  EXPECT_EQ(count("transport_error"), 0);
  EXPECT_EQ(count("429:rate_limited_ip"), kSources * (kGarbagePerSource - 20));
  EXPECT_EQ(count("401:malformed_token"), kSources);
  EXPECT_EQ(count("429:locked_out"), kSources * 19);
  EXPECT_EQ(count("200:ok"), kIdentities * 10);
  EXPECT_EQ(count("429:rate_limited_identity"), kSources * kValidPerSource - kIdentities * 10);
  EXPECT_EQ(count("200:ok") + count("429:rate_limited_ip") + count("429:rate_limited_identity") +
                count("401:malformed_token") + count("429:locked_out"),
            total);
  // Responsive throughout: every probe answered, none slow.
  EXPECT_EQ(probe_failed.load(), 0);
  EXPECT_GT(probe_ok.load(), 0);
#if defined(__SANITIZE_ADDRESS__)
  constexpr long long kWorstProbeMs = 5000;  // sanitizer builds run several times slower
#else
  constexpr long long kWorstProbeMs = 2000;
#endif
  EXPECT_LT(probe_worst_ms.load(), kWorstProbeMs);
  // One security event per decision.
  EXPECT_EQ(h.events.size(), static_cast<std::size_t>(total + probe_ok.load()));

  // Refill: one minute later each source gets exactly 10 more (10/min), no more.
  h.clock.advance(std::chrono::seconds(60));
  for (int s = 0; s < 10; ++s) {
    auto client = HttpsClient::connect(h.port(), source_ip(s));
    ASSERT_NE(client, nullptr);
    int ok = 0;
    int limited = 0;
    for (int r = 0; r < 15; ++r) {
      const auto reply = client->request("POST", "/v1/echo", "garbage-refill-" + std::to_string(r));
      const bool by_bucket = reply.status == 429 && failure_class(reply) == "rate_limited_ip";
      ok += by_bucket ? 0 : 1;  // past the bucket: a 401 or the source's lockout
      limited += by_bucket ? 1 : 0;
    }
    EXPECT_EQ(ok, 10) << source_ip(s);
    EXPECT_EQ(limited, 5) << source_ip(s);
  }
}

}  // namespace
}  // namespace rustynet::testing

// SPDX-License-Identifier: Apache-2.0
// RequestLane: one worker thread running local API requests from a bounded queue.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "local_api.hpp"

namespace rustynet::apps::daemon {

// The server keeps two: one for read-class and one for admin-class requests, so a request that
// blocks in the handler (the daemon mutex during reload/apply) holds up only its own lane and an
// admin request never waits behind read-only ones. Requests of one lane run in submission order.
class RequestLane {
 public:
  // Called on the worker thread with the response line (no newline, at most
  // kMaxLocalResponseBytes: a larger one is replaced by an `internal` error).
  using Done = std::function<void(std::uint64_t id, std::string response)>;

  // Starts the worker. `handler` must outlive the lane; `done` must not block for long.
  RequestLane(std::size_t capacity, LocalApiHandler& handler, Done done);
  ~RequestLane();
  RequestLane(const RequestLane&) = delete;
  RequestLane& operator=(const RequestLane&) = delete;
  RequestLane(RequestLane&&) = delete;
  RequestLane& operator=(RequestLane&&) = delete;

  // Queues a request; false (nothing queued) when `capacity` requests are already waiting or the
  // lane is stopped. Thread-safe.
  [[nodiscard]] bool submit(std::uint64_t id, std::string line, Access access);

  // Lets the running request finish, drops the queued ones (no `done` for them), joins the
  // worker. Idempotent.
  void stop();

 private:
  struct Job {
    std::uint64_t id = 0;
    std::string line;
    Access access = Access::kNone;
  };
  void run();

  std::size_t capacity_;
  LocalApiHandler* handler_;
  Done done_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace rustynet::apps::daemon

// SPDX-License-Identifier: Apache-2.0
// RequestLane: bounded queue and worker thread for local API requests.
#include "request_lane.hpp"

#include <utility>

namespace rustynet::apps::daemon {

RequestLane::RequestLane(std::size_t capacity, LocalApiHandler& handler, Done done)
    : capacity_(capacity), handler_(&handler), done_(std::move(done)) {
  worker_ = std::thread([this] { run(); });
}

RequestLane::~RequestLane() { stop(); }

bool RequestLane::submit(std::uint64_t id, std::string line, Access access) {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= capacity_) {
      return false;
    }
    queue_.push_back(Job{id, std::move(line), access});
  }
  wake_.notify_one();
  return true;
}

void RequestLane::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_one();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void RequestLane::run() {
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) {
        return;
      }
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    std::string response = handle_local_request(job.line, job.access, *handler_);
    if (response.size() > kMaxLocalResponseBytes) {
      response = local_error_line("internal", "response above 8 MiB");
    }
    done_(job.id, std::move(response));
  }
}

}  // namespace rustynet::apps::daemon

// SPDX-License-Identifier: Apache-2.0
// Asio/Beast HTTPS server: bounded sessions feeding the control middleware chain.
#include "control_server.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "control_api.hpp"
#include "control_asio.hpp"
#include "memory_release.hpp"

namespace rustynet::apps::control_server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;

constexpr std::string_view kHealth = "/v1/health";
constexpr std::string_view kEcho = "/v1/echo";
constexpr std::string_view kSync = "/v1/node/sync";
constexpr std::string_view kRelayTicket = "/v1/node/relay-ticket";
constexpr std::string_view kAdminPrefix = "/v1/admin/";
constexpr std::string_view kAdminPolicy = "/v1/admin/policy";
constexpr std::string_view kAdminNodes = "/v1/admin/nodes";
constexpr std::string_view kAdminNodePrefix = "/v1/admin/nodes/";
constexpr std::string_view kAdminRevoke = "/v1/admin/revoke";
constexpr std::string_view kAdminBatch = "/v1/admin/batch";

// How a request target is authorised and dispatched.
struct Route {
  std::string_view endpoint;  // the name the auth chain, policy and events see
  bool known = false;
  bool requires_token = false;
  bool node = false;   // /v1/node/*: node chain, ControlApi::begin_sync
  bool admin = false;  // /v1/admin/*: ControlApi::handle_admin
};

Route route_of(std::string_view target, bool with_api) {
  if (target == kHealth) {
    return Route{kHealth, true, false, false, false};
  }
  if (target == kEcho) {
    return Route{kEcho, true, true, false, false};
  }
  if (with_api) {
    if (target == kSync) {
      return Route{kSync, true, true, true, false};
    }
    if (target == kRelayTicket) {
      return Route{kRelayTicket, true, true, true, false};
    }
    if (target == kAdminNodes || target == kAdminPolicy || target == kAdminRevoke || target == kAdminBatch) {
      return Route{target, true, true, false, true};
    }
    if (target.size() > kAdminNodePrefix.size() && target.substr(0, kAdminNodePrefix.size()) == kAdminNodePrefix) {
      return Route{"/v1/admin/nodes/{id}", true, true, false, true};
    }
  }
  return Route{"unmatched", false, false, false, false};
}

// Held long-polls. publish() hands every waiter its wake-up exactly once (the waiter re-registers
// if its node's state did not change); add() wakes at once when a change was published after the
// waiter computed its state, so no change can slip between "computed" and "registered".
class WaitHub {
 public:
  using Wake = std::function<void()>;

  std::uint64_t add(std::uint64_t seen_version, Wake wake) {
    std::unique_lock lock(mutex_);
    const std::uint64_t id = ++next_id_;
    if (published_ > seen_version) {
      lock.unlock();
      wake();
      return id;
    }
    waiters_.emplace(id, std::move(wake));
    return id;
  }

  void remove(std::uint64_t id) {
    const std::lock_guard lock(mutex_);
    waiters_.erase(id);
  }

  void publish(std::uint64_t version) {
    std::map<std::uint64_t, Wake> woken;
    {
      const std::lock_guard lock(mutex_);
      published_ = std::max(published_, version);
      woken.swap(waiters_);
    }
    for (auto& [id, wake] : woken) {
      wake();
    }
  }

  std::size_t size() const {
    const std::lock_guard lock(mutex_);
    return waiters_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::uint64_t published_ = 0;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, Wake> waiters_;
};

// State every session shares; kept alive by the sessions themselves so that stop() can never
// leave a handler pointing at freed memory.
struct Shared {
  ServerLimits limits;
  const control::AuthChain* chain = nullptr;
  const control::AuthChain* node_chain = nullptr;
  ControlApi* api = nullptr;
  control::EventSink* events = nullptr;
  ServerObserver* observer = nullptr;
  WaitHub hub;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> active{0};
  BurstMemoryRelease memory;
};

// A transport-level denial (no request reached the chain): still one security event.
void transport_event(Shared& shared, const std::string& ip, std::string_view failure_class) {
  control::SecurityEvent event;
  event.source_ip = ip;
  event.endpoint = "transport";
  event.failure_class = std::string(failure_class);
  shared.events->emit(event);
}

std::string json_body(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string error_json(std::string_view failure_class) { return error_body(failure_class, failure_class); }

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Tcp::socket socket, ssl::context& tls, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket), tls), timer_(stream_.get_executor()), shared_(std::move(shared)) {
    shared_->active.fetch_add(1);
    beast::error_code ec;
    const auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(ec);
    if (!ec) {
      auto address = remote.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped()) {
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      }
      peer_ip_ = address.to_string();
    }
  }
  // The release runs before this session's own stream is freed: one connection's pages, against
  // the burst's.
  ~Session() { (void)shared_->memory.connection_closed(shared_->active.fetch_sub(1) - 1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  Session(Session&&) = delete;
  Session& operator=(Session&&) = delete;

  void run() {
    beast::get_lowest_layer(stream_).expires_after(shared_->limits.handshake_timeout);
    stream_.async_handshake(ssl::stream_base::server,
                            [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

 private:
  void on_handshake(beast::error_code ec) {
    if (ec) {
      if (shared_->observer != nullptr) {
        shared_->observer->tls_handshake_failed();
      }
      return;  // refused protocol versions, scanners, timeouts: the session just ends
    }
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(shared_->limits.header_limit_bytes);
    // The declared length is checked against the largest limit while the header is parsed; the
    // per-route limit is applied once the target is known (on_header).
    parser_->body_limit(std::max(shared_->limits.body_limit_bytes, shared_->limits.policy_body_limit_bytes));
    beast::get_lowest_layer(stream_).expires_after(shared_->limits.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
  }

  [[nodiscard]] bool read_failed(beast::error_code ec) {
    if (!ec) {
      return false;
    }
    if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) {
      close();
    } else if (ec == beast::error::timeout) {
      transport_event(*shared_, peer_ip_, "request_timeout");
      // the stream was already cancelled; dropping the session closes the socket
    } else if (ec == http::error::header_limit) {
      transport_event(*shared_, peer_ip_, "headers_too_large");
      reply_error(http::status::request_header_fields_too_large, "headers_too_large");
    } else if (ec == http::error::body_limit) {
      transport_event(*shared_, peer_ip_, "body_too_large");
      reply_error(http::status::payload_too_large, "body_too_large");
    } else if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      transport_event(*shared_, peer_ip_, "malformed_http");
      reply_error(http::status::bad_request, "malformed_http");
    }
    return true;  // other TLS or socket failures: the session just ends
  }

  void on_header(beast::error_code ec) {
    if (read_failed(ec)) {
      return;
    }
    const auto& header = parser_->get();
    const std::string_view target(header.target().data(), header.target().size());
    const std::uint64_t limit = ((target == kAdminPolicy && header.method() == http::verb::put) ||
                                 (target == kAdminBatch && header.method() == http::verb::post))
                                    ? shared_->limits.policy_body_limit_bytes
                                    : shared_->limits.body_limit_bytes;
    const auto declared = parser_->content_length();
    if (declared.has_value() && *declared > limit) {
      transport_event(*shared_, peer_ip_, "body_too_large");
      return reply_error(http::status::payload_too_large, "body_too_large");
    }
    parser_->body_limit(limit);  // chunked bodies are counted as they arrive
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code read_ec, std::size_t) { self->on_read(read_ec); });
  }

  void on_read(beast::error_code ec) {
    if (read_failed(ec)) {
      return;
    }
    handle(parser_->get());
  }

  void handle(const http::request<http::string_body>& request) {
    const std::string_view target(request.target().data(), request.target().size());
    const Route route = route_of(target, shared_->api != nullptr);
    route_ = std::string(route.endpoint);
    std::string_view bearer;
    const auto authorization = request.find(http::field::authorization);
    if (authorization != request.end()) {
      const std::string_view value(authorization->value().data(), authorization->value().size());
      constexpr std::string_view kScheme = "Bearer ";
      if (value.substr(0, kScheme.size()) == kScheme) {
        bearer = value.substr(kScheme.size());
      }
    }
    control::AuthRequest auth_request;
    auth_request.source_ip = peer_ip_;
    auth_request.endpoint = std::string(route.endpoint);
    auth_request.requires_token = route.requires_token;
    auth_request.bearer_token = bearer;
    auth_request.write = route.admin && request.method() != http::verb::get;
    const control::AuthChain& chain =
        route.node && shared_->node_chain != nullptr ? *shared_->node_chain : *shared_->chain;
    const control::AuthOutcome outcome = chain.evaluate(auth_request);

    request_version_ = request.version();
    ++served_;
    keep_ = request.keep_alive() && served_ < shared_->limits.max_requests_per_connection;
    if (!outcome.allowed()) {
      auto response = make_response(control::http_status(outcome.status), error_json(outcome.failure_class));
      if (outcome.retry_after.count() > 0) {
        const auto seconds = std::chrono::ceil<std::chrono::seconds>(outcome.retry_after).count();
        response->set(http::field::retry_after, std::to_string(seconds));
      }
      return send(std::move(response));
    }
    if (!route.known) {
      return send(make_response(404, error_json("not_found")));
    }
    const bool method_ok = (target == kHealth && request.method() == http::verb::get) ||
                           (target == kEcho && request.method() == http::verb::post) ||
                           (route.node && request.method() == http::verb::post) || route.admin;
    if (!method_ok) {
      return send(make_response(405, error_json("method_not_allowed")));
    }
    if (target == kHealth) {
      return send(make_response(200, json_body({{"status", "ok"}})));
    }
    if (target == kEcho) {
      return send(make_response(200, json_body({{"identity", outcome.identity}})));
    }
    const std::string_view body = request.body();
    if (route.admin) {
      const std::string_view method(request.method_string().data(), request.method_string().size());
      return respond(shared_->api->handle_admin(method, target, body));
    }
    if (target == kRelayTicket) {
      return respond(shared_->api->relay_ticket(outcome.identity, body));
    }
    SyncPlan plan = shared_->api->begin_sync(outcome.identity, body, peer_ip_);
    if (plan.immediate.has_value()) {
      return respond(*plan.immediate);
    }
    sync_node_ = std::move(plan.node_id);
    known_generation_ = plan.known_generation;
    deadline_ = std::chrono::steady_clock::now() + plan.wait;
    wait_for_change();
  }

  // Long-poll: no thread is held; the session sleeps on a timer that a published change cancels.
  void wait_for_change() {
    const std::uint64_t seen = shared_->api->mesh().version();
    if (auto ready = shared_->api->poll_sync(sync_node_, known_generation_); ready.has_value()) {
      return respond(*ready);
    }
    if (std::chrono::steady_clock::now() >= deadline_) {
      return respond(ApiResponse{204, ""});
    }
    beast::get_lowest_layer(stream_).expires_never();
    timer_.expires_at(deadline_);
    timer_.async_wait([self = shared_from_this()](beast::error_code) {
      self->shared_->hub.remove(self->waiter_id_);
      self->wait_for_change();
    });
    waiter_id_ = shared_->hub.add(seen, [weak = weak_from_this()] {
      if (auto self = weak.lock()) {
        asio::post(self->stream_.get_executor(), [self] { self->timer_.cancel(); });
      }
    });
  }

  using Response = http::response<http::string_body>;

  std::shared_ptr<Response> make_response(unsigned status, std::string body) {
    auto response = std::make_shared<Response>();
    response->version(request_version_);
    response->result(status);
    response->set(http::field::cache_control, "no-store");
    if (status != 204) {
      response->set(http::field::content_type, "application/json");
      response->body() = std::move(body);
    }
    return response;
  }

  void respond(const ApiResponse& answer) { send(make_response(answer.status, answer.body)); }

  void send(std::shared_ptr<Response> response) {
    observe(route_, response->result_int());
    response->keep_alive(keep_);
    response->prepare_payload();
    write(std::move(response), keep_);
  }

  void reply_error(http::status status, std::string_view failure_class) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::content_type, "application/json");
    response->body() = error_json(failure_class);
    response->keep_alive(false);
    response->prepare_payload();
    observe("transport", response->result_int());
    write(std::move(response), false);
  }

  void observe(std::string_view route, unsigned status) const {
    if (shared_->observer != nullptr) {
      shared_->observer->responded(route, status);
    }
  }

  void write(std::shared_ptr<http::response<http::string_body>> response, bool keep) {
    beast::get_lowest_layer(stream_).expires_after(shared_->limits.request_timeout);
    auto& message = *response;
    http::async_write(
        stream_, message,
        [self = shared_from_this(), response = std::move(response), keep](beast::error_code ec, std::size_t) {
          if (ec) {
            return;
          }
          if (keep) {
            self->do_read();
          } else {
            self->close();
          }
        });
  }

  void close() {
    beast::get_lowest_layer(stream_).expires_after(shared_->limits.handshake_timeout);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) {});
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
  std::string peer_ip_;
  std::string route_;  // of the request being answered (metrics)
  std::uint32_t served_ = 0;
  unsigned request_version_ = 11;
  bool keep_ = false;
  std::string sync_node_;
  std::uint64_t known_generation_ = 0;
  std::chrono::steady_clock::time_point deadline_;
  std::uint64_t waiter_id_ = 0;
};

}  // namespace

struct ControlServer::Impl {
  asio::io_context io;
  ssl::context tls;
  Tcp::acceptor acceptor;
  std::shared_ptr<Shared> shared = std::make_shared<Shared>();
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  std::once_flag stopped;

  Impl(ssl_ctx_st* native, unsigned thread_count)
      : io(static_cast<int>(thread_count)), tls(native), acceptor(asio::make_strand(io)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, Tcp::socket socket) {
      if (ec) {
        if (ec == asio::error::operation_aborted) {
          return;
        }
        return accept();  // EMFILE and friends: keep serving the connections we have
      }
      shared->accepted.fetch_add(1);
      if (shared->active.load() >= shared->limits.max_connections) {
        shared->refused.fetch_add(1);
        beast::error_code ignored;
        const auto remote = socket.remote_endpoint(ignored);
        transport_event(*shared, ignored ? std::string() : remote.address().to_string(), "connection_limit");
        socket.close(ignored);
      } else {
        std::make_shared<Session>(std::move(socket), tls, shared)->run();
      }
      accept();
    });
  }
};

ControlServer::ControlServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ControlServer::~ControlServer() { stop(); }

base::Result<std::unique_ptr<ControlServer>, ServerError> ControlServer::start(const ServerOptions& options,
                                                                               control::TlsServerContext tls,
                                                                               const control::AuthChain& chain,
                                                                               control::EventSink& events) {
  if (options.threads == 0 || options.limits.max_connections == 0) {
    return base::unexpected(ServerError{"threads and max_connections must be positive"});
  }
  ssl_ctx_st* native = tls.release();
  if (native == nullptr) {
    return base::unexpected(ServerError{"TLS context is empty"});
  }
  auto impl = std::make_unique<Impl>(native, options.threads);  // asio's context now owns `native`
  impl->shared->limits = options.limits;
  impl->shared->chain = &chain;
  impl->shared->node_chain = options.node_chain;
  impl->shared->api = options.api;
  impl->shared->events = &events;
  impl->shared->observer = options.observer;

  beast::error_code ec;
  const auto address = asio::ip::make_address(options.bind_address, ec);
  if (ec) {
    return base::unexpected(ServerError{"invalid bind address " + options.bind_address});
  }
  const Tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  }
  if (!ec) {
    impl->acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return base::unexpected(ServerError{"cannot listen on " + options.bind_address + ":" +
                                        std::to_string(options.port) + ": " + ec.message()});
  }
  impl->port = impl->acceptor.local_endpoint().port();
  impl->accept();
  Impl* raw = impl.get();
  for (unsigned i = 0; i < options.threads; ++i) {
    raw->threads.emplace_back([raw] {
      try {
        raw->io.run();
      } catch (const std::exception&) {
        // A handler threw (allocation failure): stop serving rather than run half-broken.
        raw->io.stop();
      }
    });
  }
  return std::make_unique<ControlServer>(std::move(impl));
}

std::uint16_t ControlServer::port() const { return impl_->port; }

ServerStats ControlServer::stats() const {
  return ServerStats{impl_->shared->accepted.load(), impl_->shared->refused.load(), impl_->shared->active.load()};
}

void ControlServer::stop() {
  std::call_once(impl_->stopped, [this] {
    asio::post(impl_->acceptor.get_executor(), [this] {
      beast::error_code ignored;
      impl_->acceptor.close(ignored);
    });
    impl_->io.stop();
    for (auto& thread : impl_->threads) {
      if (thread.joinable()) {
        thread.join();
      }
    }
  });
}

void ControlServer::notify(std::uint64_t version) { impl_->shared->hub.publish(version); }

std::size_t ControlServer::waiting() const { return impl_->shared->hub.size(); }

policy::Decision service_endpoint_policy(std::string_view identity, std::string_view endpoint) {
  if (identity.empty()) {
    return policy::Decision::default_deny();
  }
  const bool admin_endpoint = endpoint.substr(0, kAdminPrefix.size()) == kAdminPrefix;
  if (identity == kAdminSubject && admin_endpoint) {
    return policy::Decision{policy::Verdict::kAllow, policy::DecisionReason::kMatchedAllow, "control.admin"};
  }
  if (identity != kAdminSubject && endpoint == kSync) {
    return policy::Decision{policy::Verdict::kAllow, policy::DecisionReason::kMatchedAllow, "control.node.sync"};
  }
  if (identity != kAdminSubject && endpoint == kRelayTicket) {
    return policy::Decision{policy::Verdict::kAllow, policy::DecisionReason::kMatchedAllow,
                            "control.node.relay-ticket"};
  }
  return policy::Decision::default_deny();
}

policy::Decision default_endpoint_policy(std::string_view identity, std::string_view endpoint) {
  if (!identity.empty() && endpoint == kEcho) {
    return policy::Decision{policy::Verdict::kAllow, policy::DecisionReason::kMatchedAllow,
                            "control.echo.authenticated"};
  }
  return policy::Decision::default_deny();
}

}  // namespace rustynet::apps::control_server

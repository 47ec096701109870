// SPDX-License-Identifier: Apache-2.0
// Asio/Beast HTTPS server: bounded sessions feeding the control middleware chain.
#include "control_server.hpp"

#include <nlohmann/json.hpp>

#include <atomic>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include "control_asio.hpp"

namespace rustynet::apps::control_server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;

constexpr std::string_view kHealth = "/v1/health";
constexpr std::string_view kEcho = "/v1/echo";

// State every session shares; kept alive by the sessions themselves so that stop() can never
// leave a handler pointing at freed memory.
struct Shared {
  ServerLimits limits;
  const control::AuthChain* chain = nullptr;
  control::EventSink* events = nullptr;
  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> refused{0};
  std::atomic<std::uint64_t> active{0};
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

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Tcp::socket socket, ssl::context& tls, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket), tls), shared_(std::move(shared)) {
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
  ~Session() { shared_->active.fetch_sub(1); }
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
      return;  // refused protocol versions, scanners, timeouts: the session just ends
    }
    do_read();
  }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(shared_->limits.header_limit_bytes);
    parser_->body_limit(shared_->limits.body_limit_bytes);
    beast::get_lowest_layer(stream_).expires_after(shared_->limits.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::ssl::error::stream_truncated) {
      return close();
    }
    if (ec == beast::error::timeout) {
      transport_event(*shared_, peer_ip_, "request_timeout");
      return;  // the stream was already cancelled; dropping the session closes the socket
    }
    if (ec == http::error::header_limit) {
      transport_event(*shared_, peer_ip_, "headers_too_large");
      return reply_error(http::status::request_header_fields_too_large, "headers_too_large");
    }
    if (ec == http::error::body_limit) {
      transport_event(*shared_, peer_ip_, "body_too_large");
      return reply_error(http::status::payload_too_large, "body_too_large");
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category()) {
      transport_event(*shared_, peer_ip_, "malformed_http");
      return reply_error(http::status::bad_request, "malformed_http");
    }
    if (ec) {
      return;  // TLS or socket failure
    }
    handle(parser_->get());
  }

  void handle(const http::request<http::string_body>& request) {
    const std::string_view target(request.target().data(), request.target().size());
    const bool known = target == kHealth || target == kEcho;
    const bool requires_token = target == kEcho;
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
    auth_request.endpoint = known ? std::string(target) : "unmatched";
    auth_request.requires_token = requires_token;
    auth_request.bearer_token = bearer;
    const control::AuthOutcome outcome = shared_->chain->evaluate(auth_request);

    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(request.version());
    response->set(http::field::content_type, "application/json");
    response->set(http::field::cache_control, "no-store");
    if (!outcome.allowed()) {
      response->result(control::http_status(outcome.status));
      response->body() = json_body({{"error", outcome.failure_class}});
      if (outcome.retry_after.count() > 0) {
        const auto seconds = std::chrono::ceil<std::chrono::seconds>(outcome.retry_after).count();
        response->set(http::field::retry_after, std::to_string(seconds));
      }
    } else if (!known) {
      response->result(http::status::not_found);
      response->body() = json_body({{"error", "not_found"}});
    } else if ((target == kHealth && request.method() != http::verb::get) ||
               (target == kEcho && request.method() != http::verb::post)) {
      response->result(http::status::method_not_allowed);
      response->body() = json_body({{"error", "method_not_allowed"}});
    } else if (target == kHealth) {
      response->result(http::status::ok);
      response->body() = json_body({{"status", "ok"}});
    } else {
      response->result(http::status::ok);
      response->body() = json_body({{"identity", outcome.identity}});
    }
    ++served_;
    const bool keep = request.keep_alive() && served_ < shared_->limits.max_requests_per_connection;
    response->keep_alive(keep);
    response->prepare_payload();
    write(std::move(response), keep);
  }

  void reply_error(http::status status, std::string_view failure_class) {
    auto response = std::make_shared<http::response<http::string_body>>(status, 11);
    response->set(http::field::content_type, "application/json");
    response->body() = json_body({{"error", failure_class}});
    response->keep_alive(false);
    response->prepare_payload();
    write(std::move(response), false);
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
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<Shared> shared_;
  std::string peer_ip_;
  std::uint32_t served_ = 0;
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
  impl->shared->events = &events;

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

policy::Decision default_endpoint_policy(std::string_view identity, std::string_view endpoint) {
  if (!identity.empty() && endpoint == kEcho) {
    return policy::Decision{policy::Verdict::kAllow, policy::DecisionReason::kMatchedAllow,
                            "control.echo.authenticated"};
  }
  return policy::Decision::default_deny();
}

}  // namespace rustynet::apps::control_server

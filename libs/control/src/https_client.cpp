// SPDX-License-Identifier: Apache-2.0
// HttpsClient over Boost.Beast: async operations driven with per-step deadlines from one thread.
#include "rustynet/control/https_client.hpp"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <array>
#include <atomic>
#include <charconv>
#include <ostream>
#include <utility>

#include "https_client_asio.hpp"
#include "rustynet/policy/node_state.hpp"
#include "tls13_restrict.hpp"

namespace rustynet::control {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using Tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr std::uint32_t kMaxResponseHeaderBytes = 16U * 1024U;

base::Unexpected<HttpsClientError> fail(HttpsClientErrorKind kind, std::string message) {
  return base::unexpected(HttpsClientError{kind, std::move(message)});
}

base::Result<std::array<std::uint8_t, 32>, HttpsClientError> parse_pin(std::string_view hex) {
  auto pin = policy::from_hex32(hex);
  if (!pin.has_value()) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "pin_sha256 must be 64 lowercase hex digits");
  }
  return *pin;
}

bool is_ip_literal(const std::string& text) {
  beast::error_code ec;
  (void)asio::ip::make_address(text, ec);
  return !ec;
}

HttpsClientErrorKind classify_read_error(const beast::error_code& ec) {
  if (ec == http::error::body_limit || ec == http::error::header_limit || ec == http::error::buffer_overflow) {
    return HttpsClientErrorKind::kResponseTooLarge;
  }
  if (ec == http::error::end_of_stream || ec == ssl::error::stream_truncated) {
    return HttpsClientErrorKind::kIo;
  }
  if (ec.category() == beast::error_code(http::error::bad_version).category()) {
    return HttpsClientErrorKind::kProtocol;
  }
  return HttpsClientErrorKind::kIo;
}

}  // namespace

std::string_view to_string(HttpsClientErrorKind kind) noexcept {
  switch (kind) {
    case HttpsClientErrorKind::kInvalidConfig: return "invalid_config";
    case HttpsClientErrorKind::kResolve: return "resolve";
    case HttpsClientErrorKind::kConnect: return "connect";
    case HttpsClientErrorKind::kTls: return "tls";
    case HttpsClientErrorKind::kPinMismatch: return "pin_mismatch";
    case HttpsClientErrorKind::kTimeout: return "timeout";
    case HttpsClientErrorKind::kIo: return "io";
    case HttpsClientErrorKind::kProtocol: return "protocol";
    case HttpsClientErrorKind::kResponseTooLarge: return "response_too_large";
    case HttpsClientErrorKind::kRequestTooLarge: return "request_too_large";
    case HttpsClientErrorKind::kAborted: return "aborted";
  }
  return "unknown";
}

std::string HttpsClientError::describe() const { return std::string(to_string(kind)) + ": " + message; }

std::ostream& operator<<(std::ostream& out, const HttpsClientError& error) { return out << error.describe(); }

base::Result<std::pair<std::string, std::uint16_t>, HttpsClientError> parse_host_port(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return fail(HttpsClientErrorKind::kInvalidConfig, "expected [IPv6]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
    if (!is_ip_literal(host) || host.find(':') == std::string::npos) {
      return fail(HttpsClientErrorKind::kInvalidConfig, "bracketed host must be an IPv6 address");
    }
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(HttpsClientErrorKind::kInvalidConfig, "expected HOST:PORT");
    }
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return fail(HttpsClientErrorKind::kInvalidConfig, "IPv6 addresses must be bracketed");
    }
    for (const char c : host) {
      const bool ok =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      if (!ok) {
        return fail(HttpsClientErrorKind::kInvalidConfig, "host contains invalid characters");
      }
    }
  }
  unsigned port = 0;
  const auto* begin = port_text.data();
  const auto* end = port_text.data() + port_text.size();
  const auto [ptr, ec] = std::from_chars(begin, end, port);
  if (port_text.empty() || ec != std::errc() || ptr != end || port == 0 || port > 65535 ||
      (port_text.size() > 1 && port_text.front() == '0')) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "port must be 1..65535");
  }
  return std::make_pair(std::move(host), static_cast<std::uint16_t>(port));
}

struct HttpsClient::Impl {
  explicit Impl(HttpsClientOptions opts) : options(std::move(opts)) {}

  HttpsClientOptions options;
  std::optional<std::array<std::uint8_t, 32>> pin;
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::optional<beast::ssl_stream<Tcp::socket>> stream;
  beast::flat_buffer buffer;
  std::atomic<bool> aborted{false};
  std::atomic<bool> interrupted{false};  // one-shot, consumed by the send that sees it
  std::atomic<std::uint64_t> opened{0};

  [[nodiscard]] const std::string& name() const {
    return options.server_name.empty() ? options.host : options.server_name;
  }

  void close_stream() {
    if (stream) {
      beast::error_code ignored;
      stream->next_layer().shutdown(Tcp::socket::shutdown_both, ignored);
      stream->next_layer().close(ignored);
      io.restart();
      io.run();  // completes whatever was cancelled
      stream.reset();
    }
    buffer.clear();
  }

  // Between exchanges nothing is outstanding, so an idle connection that is readable, hung up or
  // in error has been closed by the server (FIN or close_notify) or carries data nobody asked for;
  // either way it must not carry the next request.
  [[nodiscard]] bool idle_stream_closed_by_peer() {
    if (::SSL_pending(stream->native_handle()) > 0) {
      return true;
    }
    pollfd idle{.fd = stream->next_layer().native_handle(), .events = POLLIN, .revents = 0};
    return ::poll(&idle, 1, 0) != 0;
  }

  // Runs the io_context until `done` or the deadline. On timeout or abort the socket is closed so
  // the pending operation completes (with an error) before we return.
  base::Status<HttpsClientError> run_until(const bool& done, SteadyClock::time_point deadline, const char* step) {
    io.restart();
    while (!done && !aborted.load() && !interrupted.load()) {
      if (io.run_one_until(deadline) == 0) {
        break;
      }
    }
    if (done) {
      return {};
    }
    const bool was_aborted = aborted.load();
    const bool was_interrupted = !was_aborted && interrupted.exchange(false);
    close_stream();
    if (was_aborted) {
      return fail(HttpsClientErrorKind::kAborted, std::string(step) + ": aborted");
    }
    if (was_interrupted) {
      return fail(HttpsClientErrorKind::kIo, std::string(step) + ": interrupted");
    }
    return fail(HttpsClientErrorKind::kTimeout, std::string(step) + ": deadline exceeded");
  }

  base::Status<HttpsClientError> connect() {
    const auto deadline = SteadyClock::now() + options.connect_timeout;
    stream.emplace(io, tls);
    opened.fetch_add(1);
    SSL* handle = stream->native_handle();
    const std::string& server = name();
    if (!is_ip_literal(server)) {
      std::string sni = server;  // SSL_ctrl takes a non-const pointer
      if (SSL_ctrl(handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, sni.data()) != 1) {
        close_stream();
        return fail(HttpsClientErrorKind::kTls, "could not set SNI");
      }
    }
    if (!pin) {
      const int set = is_ip_literal(server) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), server.c_str())
                                            : SSL_set1_host(handle, server.c_str());
      if (set != 1) {
        close_stream();
        return fail(HttpsClientErrorKind::kTls, "could not set the expected server name");
      }
    }

    bool done = false;
    beast::error_code result;
    std::vector<Tcp::endpoint> endpoints;
    beast::error_code address_ec;
    const auto address = asio::ip::make_address(options.host, address_ec);
    Tcp::resolver resolver(io);
    if (!address_ec) {
      endpoints.emplace_back(address, options.port);
    } else {
      resolver.async_resolve(options.host, std::to_string(options.port),
                             [&](const beast::error_code& ec, const Tcp::resolver::results_type& results) {
                               result = ec;
                               for (const auto& entry : results) {
                                 endpoints.push_back(entry.endpoint());
                               }
                               done = true;
                             });
      RUSTYNET_RETURN_IF_ERROR(run_until(done, deadline, "resolve"));
      if (result || endpoints.empty()) {
        close_stream();
        return fail(HttpsClientErrorKind::kResolve, "cannot resolve " + options.host);
      }
    }

    done = false;
    asio::async_connect(stream->next_layer(), endpoints, [&](const beast::error_code& ec, const Tcp::endpoint&) {
      result = ec;
      done = true;
    });
    RUSTYNET_RETURN_IF_ERROR(run_until(done, deadline, "connect"));
    if (result) {
      close_stream();
      return fail(HttpsClientErrorKind::kConnect, "connect: " + result.message());
    }
    beast::error_code ignored;
    stream->next_layer().set_option(Tcp::no_delay(true), ignored);

    done = false;
    stream->async_handshake(ssl::stream_base::client, [&](const beast::error_code& ec) {
      result = ec;
      done = true;
    });
    RUSTYNET_RETURN_IF_ERROR(run_until(done, deadline, "handshake"));
    if (result) {
      close_stream();
      return fail(HttpsClientErrorKind::kTls, "handshake: " + result.message());
    }
    if (pin) {
      X509* cert = SSL_get1_peer_certificate(handle);
      std::array<std::uint8_t, EVP_MAX_MD_SIZE> digest{};
      unsigned int length = 0;
      const bool hashed = cert != nullptr && X509_digest(cert, EVP_sha256(), digest.data(), &length) == 1;
      X509_free(cert);
      if (!hashed || length != pin->size() || !std::equal(pin->begin(), pin->end(), digest.begin())) {
        close_stream();
        return fail(HttpsClientErrorKind::kPinMismatch, "server certificate does not match pin_sha256");
      }
    }
    return {};
  }

  // One request/response on the current connection.
  base::Result<HttpsResponse, HttpsClientError> exchange(const HttpsRequest& request) {
    const auto deadline = SteadyClock::now() + request.timeout.value_or(options.request_timeout);
    http::request<http::string_body> message(http::string_to_verb(request.method), request.path, 11);
    message.set(http::field::host, name());
    message.set(http::field::user_agent, "rustynet");
    if (!request.bearer_token.empty()) {
      message.set(http::field::authorization, "Bearer " + request.bearer_token);
    }
    if (!request.body.empty()) {
      message.set(http::field::content_type, "application/json");
    }
    message.body() = request.body;
    message.keep_alive(true);
    message.prepare_payload();

    bool done = false;
    beast::error_code result;
    http::async_write(*stream, message, [&](const beast::error_code& ec, std::size_t) {
      result = ec;
      done = true;
    });
    RUSTYNET_RETURN_IF_ERROR(run_until(done, deadline, "write"));
    if (result) {
      return fail(HttpsClientErrorKind::kIo, "write: " + result.message());
    }

    http::response_parser<http::string_body> parser;
    parser.header_limit(kMaxResponseHeaderBytes);
    parser.body_limit(options.max_response_bytes);
    // Header first: Beast 1.74's eager parse does not apply body_limit to a declared
    // Content-Length, so the declared length is checked here before any body byte is buffered.
    done = false;
    http::async_read_header(*stream, buffer, parser, [&](const beast::error_code& ec, std::size_t) {
      result = ec;
      done = true;
    });
    auto ran = run_until(done, deadline, "read");
    RUSTYNET_RETURN_IF_ERROR(std::move(ran));
    if (result) {
      return fail(classify_read_error(result), "read: " + result.message());
    }
    if (const auto declared = parser.content_length(); declared && *declared > options.max_response_bytes) {
      close_stream();
      return fail(HttpsClientErrorKind::kResponseTooLarge, "declared body above the bound");
    }
    done = false;
    http::async_read(*stream, buffer, parser, [&](const beast::error_code& ec, std::size_t) {
      result = ec;
      done = true;
    });
    RUSTYNET_RETURN_IF_ERROR(run_until(done, deadline, "read"));
    if (result) {
      return fail(classify_read_error(result), "read: " + result.message());
    }
    if (parser.get().body().size() > options.max_response_bytes) {
      close_stream();
      return fail(HttpsClientErrorKind::kResponseTooLarge, "body above the bound");
    }
    auto& response = parser.get();
    HttpsResponse out;
    out.status = response.result_int();
    out.body = std::move(response.body());
    if (auto it = response.find(http::field::retry_after); it != response.end()) {
      out.retry_after = std::string(it->value().data(), it->value().size());
    }
    if (!response.keep_alive()) {
      close_stream();
    }
    return out;
  }
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsClient::~HttpsClient() {
  if (impl_) {
    impl_->close_stream();
  }
}

base::Result<std::unique_ptr<HttpsClient>, HttpsClientError> HttpsClient::create(HttpsClientOptions options) {
  if (auto valid = validate(options.tls_policy); !valid.has_value()) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "TLS policy: " + valid.error().message);
  }
  if (options.host.empty() || options.port == 0) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "host and port are required");
  }
  if (options.pin_sha256.empty() == options.ca_file.empty()) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "exactly one of pin_sha256 and ca_file must be set");
  }
  if (options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "timeouts must be positive");
  }
  auto impl = std::make_unique<Impl>(std::move(options));
  if (!impl->options.pin_sha256.empty()) {
    RUSTYNET_ASSIGN_OR_RETURN(auto pin, parse_pin(impl->options.pin_sha256));
    impl->pin = pin;
  }
  SSL_CTX* ctx = impl->tls.native_handle();
  if (auto restricted = restrict_to_tls13(ctx, impl->options.tls_policy); !restricted.has_value()) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "OpenSSL rejected the TLS 1.3 settings: " + restricted.error());
  }
  // No session tickets: every connection does a full handshake, so the pin is always checked
  // against a certificate the server has just presented.
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  beast::error_code ec;
  if (impl->pin) {
    // The pin is the whole trust decision: chain building would reject self-signed control
    // certificates, and the digest comparison after the handshake is stricter than any chain.
    impl->tls.set_verify_mode(ssl::verify_none, ec);
  } else {
    impl->tls.load_verify_file(impl->options.ca_file, ec);
    if (ec) {
      return fail(HttpsClientErrorKind::kInvalidConfig, "cannot load ca_file " + impl->options.ca_file);
    }
    impl->tls.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
  }
  if (ec) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "cannot set the verify mode");
  }
  return std::make_unique<HttpsClient>(std::move(impl));
}

base::Result<HttpsResponse, HttpsClientError> HttpsClient::send(const HttpsRequest& request) {
  Impl& impl = *impl_;
  if (impl.aborted.load()) {
    return fail(HttpsClientErrorKind::kAborted, "client aborted");
  }
  if (request.body.size() > impl.options.max_request_bytes) {
    return fail(HttpsClientErrorKind::kRequestTooLarge,
                "request body above " + std::to_string(impl.options.max_request_bytes) + " bytes");
  }
  if (request.path.empty() || request.path.front() != '/' || request.path.find_first_of(" \r\n") != std::string::npos) {
    return fail(HttpsClientErrorKind::kInvalidConfig, "request path must be an origin-form target");
  }
  // A request is never sent twice: every request carries a single-use token, and a connection
  // that dies after the request left may still have delivered it (a parked long-poll, say), so a
  // resend would be refused as a replay. A kept-alive connection the server has already closed is
  // detected before sending instead; any later failure goes back to the caller, who retries with
  // a fresh token.
  // An interrupt that came between sends: the kept connection may sit on a vanished address.
  if (impl.interrupted.exchange(false) || (impl.stream && impl.idle_stream_closed_by_peer())) {
    impl.close_stream();
  }
  if (!impl.stream) {
    RUSTYNET_RETURN_IF_ERROR(impl.connect());
  }
  auto response = impl.exchange(request);
  if (!response.has_value()) {
    impl.close_stream();
  }
  return response;
}

void HttpsClient::close() { impl_->close_stream(); }

void HttpsClient::abort() {
  impl_->aborted.store(true);
  asio::post(impl_->io, [] {});  // wakes a run_one_until() in progress
}

void HttpsClient::interrupt() {
  impl_->interrupted.store(true);
  asio::post(impl_->io, [] {});  // wakes a run_one_until() in progress
}

std::uint64_t HttpsClient::connections_opened() const noexcept { return impl_->opened.load(); }

}  // namespace rustynet::control

// SPDX-License-Identifier: Apache-2.0
// Blocking Beast client used by the server and load tests.
#include "https_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <array>
#include <optional>

#include "control_asio.hpp"

namespace rustynet::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

void set_timeouts(int fd, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  (void)::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

}  // namespace

struct HttpsClient::Impl {
  asio::io_context io;
  ssl::context tls{ssl::context::tls_client};
  std::optional<beast::ssl_stream<tcp::socket>> stream;
  beast::flat_buffer buffer;

  HttpReply read_reply() {
    HttpReply reply;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1U << 20U);
    beast::error_code ec;
    http::read(*stream, buffer, parser, ec);
    if (ec) {
      reply.error = ec.message();
      return reply;
    }
    const auto& response = parser.get();
    reply.transport_ok = true;
    reply.status = response.result_int();
    reply.body = response.body();
    reply.keep_alive = response.keep_alive();
    if (auto it = response.find(http::field::retry_after); it != response.end()) {
      reply.retry_after = std::string(it->value().data(), it->value().size());
    }
    return reply;
  }
};

HttpsClient::HttpsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpsClient::~HttpsClient() {
  if (impl_->stream) {
    beast::error_code ignored;
    impl_->stream->next_layer().shutdown(tcp::socket::shutdown_both, ignored);
    impl_->stream->next_layer().close(ignored);
  }
}

std::unique_ptr<HttpsClient> HttpsClient::connect(std::uint16_t port, const std::string& source_ip,
                                                  std::string* error) {
  auto impl = std::make_unique<Impl>();
  impl->tls.set_verify_mode(ssl::verify_none);
  SSL_CTX_set_min_proto_version(impl->tls.native_handle(), TLS1_3_VERSION);
  impl->stream.emplace(impl->io, impl->tls);
  auto& socket = impl->stream->next_layer();
  beast::error_code ec;
  socket.open(tcp::v4(), ec);
  if (!ec) {
    socket.bind(tcp::endpoint(asio::ip::make_address(source_ip), 0), ec);
  }
  if (!ec) {
    set_timeouts(socket.native_handle(), std::chrono::seconds(20));
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  }
  if (!ec) {
    impl->stream->handshake(ssl::stream_base::client, ec);
  }
  if (ec) {
    if (error != nullptr) {
      *error = ec.message();
    }
    return nullptr;
  }
  return std::make_unique<HttpsClient>(std::move(impl));
}

HttpReply HttpsClient::request(const std::string& method, const std::string& target, const std::string& bearer,
                               const std::string& body) {
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, "localhost");
  if (!bearer.empty()) {
    request.set(http::field::authorization, "Bearer " + bearer);
  }
  request.body() = body;
  request.keep_alive(true);
  request.prepare_payload();
  beast::error_code ec;
  http::write(*impl_->stream, request, ec);
  if (ec) {
    HttpReply reply;
    reply.error = ec.message();
    return reply;
  }
  return impl_->read_reply();
}

HttpReply HttpsClient::raw(const std::string& bytes) {
  beast::error_code ec;
  asio::write(*impl_->stream, asio::buffer(bytes), ec);
  if (ec) {
    HttpReply reply;
    reply.error = ec.message();
    return reply;
  }
  return impl_->read_reply();
}

std::chrono::milliseconds HttpsClient::wait_for_close_after(const std::string& bytes, std::chrono::milliseconds limit) {
  const auto start = std::chrono::steady_clock::now();
  beast::error_code ec;
  asio::write(*impl_->stream, asio::buffer(bytes), ec);
  set_timeouts(impl_->stream->next_layer().native_handle(), limit);
  std::array<char, 256> sink{};
  while (!ec) {
    (void)impl_->stream->read_some(asio::buffer(sink), ec);
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  // EAGAIN/EWOULDBLOCK: our own receive timeout fired, the server never closed.
  if (ec == asio::error::would_block || ec == asio::error::try_again) {
    return std::chrono::milliseconds(-1);
  }
  return elapsed;
}

}  // namespace rustynet::testing

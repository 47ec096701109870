// SPDX-License-Identifier: Apache-2.0
// The one include point for Boost.Asio/Beast in libs/control (the HTTPS client only).
#pragma once

// Boost 1.74 Asio under g++ 12 in C++20 mode uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

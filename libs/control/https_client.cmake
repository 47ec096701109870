# SPDX-License-Identifier: Apache-2.0
# HTTPS client (daemon and CLI side of docs/control-protocol.md). Boost.Asio/Beast and OpenSSL stay
# private to src/https_client*.cpp; the public header is plain value types and a pimpl.
target_sources(rustynet_control PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/include/rustynet/control/https_client.hpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/https_client.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/https_client_asio.hpp)
target_link_libraries(rustynet_control PRIVATE Boost::boost)
set_property(GLOBAL APPEND PROPERTY RUSTYNET_PUBLIC_HEADERS
  "rustynet_control|${CMAKE_CURRENT_SOURCE_DIR}/include/rustynet/control/https_client.hpp")

# SPDX-License-Identifier: Apache-2.0
# Relay tickets (owned by the relay work stream): control signs, rustynet-relay verifies.
target_sources(rustynet_crypto PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/include/rustynet/crypto/relay_ticket.hpp
  ${CMAKE_CURRENT_LIST_DIR}/src/relay_ticket.cpp)
set_property(GLOBAL APPEND PROPERTY RUSTYNET_PUBLIC_HEADERS
  "rustynet_crypto|${CMAKE_CURRENT_LIST_DIR}/include/rustynet/crypto/relay_ticket.hpp")

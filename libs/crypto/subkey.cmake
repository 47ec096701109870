# SPDX-License-Identifier: Apache-2.0
# Subkey derivation (trust-state MAC key from the node identity secret): owned by the daemon work.
target_sources(rustynet_crypto PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/include/rustynet/crypto/subkey.hpp
  ${CMAKE_CURRENT_SOURCE_DIR}/src/subkey.cpp)
set_property(GLOBAL APPEND PROPERTY RUSTYNET_PUBLIC_HEADERS
  "rustynet_crypto|${CMAKE_CURRENT_SOURCE_DIR}/include/rustynet/crypto/subkey.hpp")

# SPDX-License-Identifier: Apache-2.0
# Warning and hardening flags as INTERFACE targets, linked PRIVATE into every project target so
# they never leak to consumers or third-party code.
add_library(rustynet_warnings INTERFACE)
target_compile_options(rustynet_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wold-style-cast
  -Wnon-virtual-dtor -Woverloaded-virtual -Wcast-qual -Wformat=2 -Wimplicit-fallthrough
  -Werror)

add_library(rustynet_hardening INTERFACE)
if(RUSTYNET_HARDENING)
  target_compile_options(rustynet_hardening INTERFACE
    -fstack-protector-strong -fstack-clash-protection -fcf-protection=full
    $<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=3>
    -D_GLIBCXX_ASSERTIONS)
  target_link_options(rustynet_hardening INTERFACE
    -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -pie)
endif()

add_library(rustynet_sanitizers INTERFACE)
if(RUSTYNET_SANITIZERS)
  target_compile_options(rustynet_sanitizers INTERFACE
    -fsanitize=${RUSTYNET_SANITIZERS} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(rustynet_sanitizers INTERFACE -fsanitize=${RUSTYNET_SANITIZERS})
endif()

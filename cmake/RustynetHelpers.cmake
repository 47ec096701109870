# SPDX-License-Identifier: Apache-2.0
# One helper per target kind. Every project target gets the warning, hardening and sanitizer
# interface targets PRIVATE, records its layering component, and lists its public headers so
# each header can be compiled on its own (check_headers).

set(RUSTYNET_COMMON_PRIVATE rustynet_warnings rustynet_hardening rustynet_sanitizers)

# rustynet_add_library(NAME HEADERS h... SOURCES s... [DEPS public...] [PRIVATE_DEPS private...])
# Creates static library rustynet_NAME with alias rustynet::NAME, component NAME.
function(rustynet_add_library name)
  cmake_parse_arguments(ARG "" "" "HEADERS;SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target rustynet_${name})
  add_library(${target} STATIC ${ARG_SOURCES} ${ARG_HEADERS})
  add_library(rustynet::${name} ALIAS ${target})
  target_include_directories(${target}
    PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${target} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} ${RUSTYNET_COMMON_PRIVATE})
  set_target_properties(${target} PROPERTIES RUSTYNET_COMPONENT "${name}")
  set_property(GLOBAL APPEND PROPERTY RUSTYNET_LAYERED_TARGETS ${target})
  foreach(header IN LISTS ARG_HEADERS)
    set_property(GLOBAL APPEND PROPERTY RUSTYNET_PUBLIC_HEADERS "${target}|${CMAKE_CURRENT_SOURCE_DIR}/${header}")
  endforeach()
endfunction()

# rustynet_add_app(NAME VERSION_SOURCE s LIB_SOURCES s... MAIN_SOURCES s... [DEPS ...] [EXE_DEPS ...])
# Creates the app library app_NAME (component NAME, all the testable logic) and the thin
# executable NAME (component "exe NAME") from MAIN_SOURCES. VERSION_SOURCE, one of LIB_SOURCES, is
# the only file compiled with RUSTYNET_VERSION (cmake/Version.cmake): the version changes with
# every commit, and a define on the whole target would make every file a compiler-cache miss.
function(rustynet_add_app name)
  cmake_parse_arguments(ARG "" "VERSION_SOURCE" "LIB_SOURCES;MAIN_SOURCES;DEPS;PRIVATE_DEPS;EXE_DEPS" ${ARGN})
  if(NOT ARG_VERSION_SOURCE OR NOT ARG_VERSION_SOURCE IN_LIST ARG_LIB_SOURCES)
    message(FATAL_ERROR "rustynet_add_app(${name}): VERSION_SOURCE must name one of LIB_SOURCES")
  endif()
  set(lib app_${name})
  string(REPLACE "-" "_" lib "${lib}")
  add_library(${lib} STATIC ${ARG_LIB_SOURCES})
  target_include_directories(${lib} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_link_libraries(${lib} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS} ${RUSTYNET_COMMON_PRIVATE})
  set_property(SOURCE ${ARG_VERSION_SOURCE} APPEND PROPERTY
    COMPILE_DEFINITIONS "RUSTYNET_VERSION=\"${RUSTYNET_VERSION_STRING}\"")
  set_target_properties(${lib} PROPERTIES RUSTYNET_COMPONENT "${name}")
  set_property(GLOBAL APPEND PROPERTY RUSTYNET_LAYERED_TARGETS ${lib})

  add_executable(${name} ${ARG_MAIN_SOURCES})
  target_link_libraries(${name} PRIVATE ${lib} ${ARG_EXE_DEPS} ${RUSTYNET_COMMON_PRIVATE})
  set_target_properties(${name} PROPERTIES RUSTYNET_COMPONENT "exe ${name}")
  set_property(GLOBAL APPEND PROPERTY RUSTYNET_LAYERED_TARGETS ${name})
endfunction()

# rustynet_add_test(NAME SOURCES s... [DEPS ...] [LABELS ...] [TIMEOUT seconds])
# One GoogleTest binary = one ctest entry. The shared main fails when zero tests are selected, so
# a filter that matches nothing can never pass vacuously.
function(rustynet_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} rustynet_test_main GTest::gtest GTest::gmock
    ${RUSTYNET_COMMON_PRIVATE})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name} ${ARG_ARGS})
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT})
endfunction()

# rustynet_add_benchmark(NAME SOURCES s... [DEPS ...])
function(rustynet_add_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark ${RUSTYNET_COMMON_PRIVATE})
  set_property(GLOBAL APPEND PROPERTY RUSTYNET_BENCHMARKS ${name})
endfunction()

# check_headers: compiles every public header alone, proving each is self-contained.
function(rustynet_add_header_checks)
  get_property(entries GLOBAL PROPERTY RUSTYNET_PUBLIC_HEADERS)
  set(generated_dir "${CMAKE_BINARY_DIR}/header_checks")
  add_custom_target(check_headers)
  set(index 0)
  foreach(entry IN LISTS entries)
    string(REPLACE "|" ";" parts "${entry}")
    list(GET parts 0 target)
    list(GET parts 1 header)
    math(EXPR index "${index} + 1")
    set(tu "${generated_dir}/check_${index}.cpp")
    file(CONFIGURE OUTPUT "${tu}" CONTENT "#include \"${header}\"\n")
    set(obj header_check_${index})
    add_library(${obj} OBJECT EXCLUDE_FROM_ALL "${tu}")
    target_link_libraries(${obj} PRIVATE ${target} ${RUSTYNET_COMMON_PRIVATE})
    add_dependencies(check_headers ${obj})
  endforeach()
endfunction()

# SPDX-License-Identifier: Apache-2.0
# install() rules, one component per Debian package (docs/packaging.md):
#   rustynet          rustynetd + the rustynet CLI, the rustynetd unit, sysusers/tmpfiles, example config
#   rustynet-control  rustynet-control, its unit, sysusers/tmpfiles
#   rustynet-relay    rustynet-relay, its unit (DynamicUser: no users, no files), example config
# Installed units are copies of apps/*/systemd/*.service whose /usr/local paths name the install
# locations; anything else in them is byte for byte the reviewed file. Man pages are generated from
# each program's --help with help2man (RUSTYNET_MAN_PAGES, on in the package preset).
include(GNUInstallDirs)

option(RUSTYNET_MAN_PAGES "Generate man pages from --help with help2man (needed by the packages)" OFF)

# Unit, sysusers and tmpfiles locations of the target distribution (Debian 12: units in
# /lib/systemd/system, as systemd.pc says; the rest under /usr/lib).
find_package(PkgConfig REQUIRED)
pkg_get_variable(_rn_unit_dir systemd systemdsystemunitdir)
if(NOT _rn_unit_dir)
  set(_rn_unit_dir /usr/lib/systemd/system)
endif()
set(RUSTYNET_SYSTEMD_UNIT_DIR "${_rn_unit_dir}" CACHE PATH "Directory for the systemd units")
set(RUSTYNET_SYSUSERS_DIR /usr/lib/sysusers.d CACHE PATH "Directory for sysusers.d files")
set(RUSTYNET_TMPFILES_DIR /usr/lib/tmpfiles.d CACHE PATH "Directory for tmpfiles.d files")

set(_rn_gen "${CMAKE_BINARY_DIR}/packaging")

# _rustynet_install_unit(UNIT COMPONENT PROGRAM...): copies UNIT with every
# /usr/local/bin/PROGRAM replaced by its installed path and the documentation path by the
# component's doc directory; fails if a /usr/local path is left.
function(_rustynet_install_unit unit component)
  file(READ "${unit}" text)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${unit}")
  # Marks every known path first, so that a /usr/local path left over is found whatever the prefix.
  foreach(program IN LISTS ARGN)
    string(REPLACE "/usr/local/bin/${program} " "<<RN-BIN:${program}>> " text "${text}")
  endforeach()
  string(REPLACE "file:/usr/local/share/doc/rustynet/" "file:<<RN-DOC>>" text "${text}")
  if(text MATCHES "/usr/local/")
    message(FATAL_ERROR "${unit}: a /usr/local path has no install location (cmake/Packaging.cmake)")
  endif()
  foreach(program IN LISTS ARGN)
    get_target_property(dir ${program} RUSTYNET_INSTALL_DIR)
    string(REPLACE "<<RN-BIN:${program}>>" "${dir}/${program}" text "${text}")
  endforeach()
  string(REPLACE "<<RN-DOC>>" "${CMAKE_INSTALL_FULL_DATAROOTDIR}/doc/${component}/" text "${text}")
  get_filename_component(name "${unit}" NAME)
  file(CONFIGURE OUTPUT "${_rn_gen}/units/${name}" CONTENT "${text}" @ONLY)
  install(FILES "${_rn_gen}/units/${name}" DESTINATION "${RUSTYNET_SYSTEMD_UNIT_DIR}" COMPONENT ${component})
endfunction()

# _rustynet_install_program(TARGET COMPONENT DIR SECTION): the program and its man page.
function(_rustynet_install_program target component dir section)
  install(TARGETS ${target} RUNTIME DESTINATION ${dir} COMPONENT ${component})
  set_target_properties(${target} PROPERTIES RUSTYNET_INSTALL_DIR "${CMAKE_INSTALL_PREFIX}/${dir}")
  if(RUSTYNET_MAN_PAGES)
    set(page "${_rn_gen}/man/${target}.${section}")
    add_custom_command(OUTPUT "${page}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${_rn_gen}/man"
      COMMAND "${RUSTYNET_HELP2MAN}" --no-info --no-discard-stderr --section=${section}
              "--name=$<TARGET_PROPERTY:${target},RUSTYNET_SUMMARY>"
              "--source=Rustynet" --output=${page} $<TARGET_FILE:${target}>
      DEPENDS ${target}
      COMMENT "man page ${target}.${section} (help2man)"
      VERBATIM)
    add_custom_target(${target}_man ALL DEPENDS "${page}")
    install(FILES "${page}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}" COMPONENT ${component})
  endif()
endfunction()

function(rustynet_add_install_rules)
  if(RUSTYNET_MAN_PAGES)
    find_program(RUSTYNET_HELP2MAN help2man REQUIRED)
  endif()
  set(sd "${PROJECT_SOURCE_DIR}/apps")
  set(ex "${PROJECT_SOURCE_DIR}/packaging/examples")
  set_target_properties(rustynetd PROPERTIES RUSTYNET_SUMMARY "Rustynet mesh VPN node daemon")
  set_target_properties(rustynet PROPERTIES RUSTYNET_SUMMARY "Rustynet operator command line")
  set_target_properties(rustynet-control PROPERTIES RUSTYNET_SUMMARY "Rustynet control server")
  set_target_properties(rustynet-relay PROPERTIES RUSTYNET_SUMMARY "Rustynet ciphertext-only UDP relay")

  # rustynet: node daemon + CLI
  _rustynet_install_program(rustynetd rustynet ${CMAKE_INSTALL_SBINDIR} 8)
  _rustynet_install_program(rustynet rustynet ${CMAKE_INSTALL_BINDIR} 1)
  _rustynet_install_unit("${sd}/rustynetd/systemd/rustynetd.service" rustynet rustynetd)
  install(FILES "${sd}/rustynetd/systemd/rustynet.sysusers.conf" DESTINATION "${RUSTYNET_SYSUSERS_DIR}"
    RENAME rustynet.conf COMPONENT rustynet)
  install(FILES "${sd}/rustynetd/systemd/rustynet.tmpfiles.conf" DESTINATION "${RUSTYNET_TMPFILES_DIR}"
    RENAME rustynet.conf COMPONENT rustynet)
  install(FILES "${ex}/rustynetd.json.example" DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/rustynet"
    COMPONENT rustynet)
  install(FILES "${ex}/cli.json.example" DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples" COMPONENT rustynet)
  set(node_docs operations daemon cli policy key-custody key-hierarchy packet-filter signed-state
    threat-model packaging)
  foreach(doc IN LISTS node_docs)
    install(FILES "${PROJECT_SOURCE_DIR}/docs/${doc}.md" DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/rustynet"
      COMPONENT rustynet)
  endforeach()

  # rustynet-control
  _rustynet_install_program(rustynet-control rustynet-control ${CMAKE_INSTALL_SBINDIR} 8)
  _rustynet_install_unit("${sd}/rustynet-control/systemd/rustynet-control.service" rustynet-control rustynet-control)
  install(FILES "${sd}/rustynet-control/systemd/rustynet-control.sysusers.conf"
    DESTINATION "${RUSTYNET_SYSUSERS_DIR}" RENAME rustynet-control.conf COMPONENT rustynet-control)
  install(FILES "${sd}/rustynet-control/systemd/rustynet-control.tmpfiles.conf"
    DESTINATION "${RUSTYNET_TMPFILES_DIR}" RENAME rustynet-control.conf COMPONENT rustynet-control)
  foreach(doc operations control-server control-protocol policy token-model threat-model packaging)
    install(FILES "${PROJECT_SOURCE_DIR}/docs/${doc}.md"
      DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/rustynet-control" COMPONENT rustynet-control)
  endforeach()

  # rustynet-relay
  _rustynet_install_program(rustynet-relay rustynet-relay ${CMAKE_INSTALL_SBINDIR} 8)
  _rustynet_install_unit("${sd}/rustynet-relay/systemd/rustynet-relay.service" rustynet-relay rustynet-relay)
  install(FILES "${sd}/rustynet-relay/systemd/relay.example.json"
    DESTINATION "${CMAKE_INSTALL_FULL_SYSCONFDIR}/rustynet-relay" RENAME relay.json.example COMPONENT rustynet-relay)
  foreach(doc operations relay threat-model packaging)
    install(FILES "${PROJECT_SOURCE_DIR}/docs/${doc}.md"
      DESTINATION "${CMAKE_INSTALL_DATAROOTDIR}/doc/rustynet-relay" COMPONENT rustynet-relay)
  endforeach()
endfunction()

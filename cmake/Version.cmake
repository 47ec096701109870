# SPDX-License-Identifier: Apache-2.0
# The one version string of a build: the programs' --version and the Debian package version.
#   HEAD at tag vX.Y.Z                -> X.Y.Z
#   HEAD after tag vX.Y.Z             -> X.Y.Z+git<YYYYMMDD>.<hash>   (sorts after the release)
#   no tag of PROJECT_VERSION yet     -> PROJECT_VERSION~git<YYYYMMDD>.<hash> (sorts before it)
#   uncommitted changes               -> the above + .dirty
# <YYYYMMDD> is the commit's committer date in UTC (reproducible: not the build date). Without git
# metadata (an exported tree) the version is PROJECT_VERSION+unversioned unless
# RUSTYNET_VERSION_OVERRIDE names one; a package never carries the former (see below). The string is defined only on the one source per program that prints it
# (rustynet_add_app VERSION_SOURCE), so a new commit recompiles four files, not every app file.
set(RUSTYNET_VERSION_OVERRIDE "" CACHE STRING "Version string to use instead of the one derived from git")

function(_rustynet_git out)
  execute_process(COMMAND git -C "${PROJECT_SOURCE_DIR}" ${ARGN}
    OUTPUT_VARIABLE text RESULT_VARIABLE status ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(status EQUAL 0)
    set(${out} "${text}" PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()

function(rustynet_compute_version out)
  if(RUSTYNET_VERSION_OVERRIDE)
    if(NOT RUSTYNET_VERSION_OVERRIDE MATCHES "^[0-9][A-Za-z0-9.+~]*$")
      message(FATAL_ERROR "RUSTYNET_VERSION_OVERRIDE '${RUSTYNET_VERSION_OVERRIDE}' is not a Debian upstream version")
    endif()
    set(${out} "${RUSTYNET_VERSION_OVERRIDE}" PARENT_SCOPE)
    return()
  endif()
  _rustynet_git(hash rev-parse --short=7 HEAD)
  if(NOT hash)
    # An exported tree (the gate self-tests copy the sources without .git): the version says so.
    # It cannot reach a package: scripts/package.sh builds from a git checkout only, and
    # debian/rules refuses a build whose version differs from the package's.
    message(STATUS "no git metadata in ${PROJECT_SOURCE_DIR}: version ${PROJECT_VERSION}+unversioned")
    set(${out} "${PROJECT_VERSION}+unversioned" PARENT_SCOPE)
    return()
  endif()
  set(ENV{TZ} UTC)
  _rustynet_git(date log -1 --format=%cd --date=format-local:%Y%m%d HEAD)
  _rustynet_git(exact describe --tags --exact-match --match "v[0-9]*" HEAD)
  _rustynet_git(last describe --tags --abbrev=0 --match "v[0-9]*" HEAD)
  if(exact)
    string(REGEX REPLACE "^v" "" version "${exact}")
  elseif(last)
    string(REGEX REPLACE "^v" "" base "${last}")
    set(version "${base}+git${date}.${hash}")
  else()
    set(version "${PROJECT_VERSION}~git${date}.${hash}")
  endif()
  _rustynet_git(dirty status --porcelain)
  if(dirty)
    string(APPEND version ".dirty")
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

rustynet_compute_version(RUSTYNET_VERSION_STRING)
# Re-configure when HEAD moves, so --version never names an older commit than the one built.
if(EXISTS "${PROJECT_SOURCE_DIR}/.git")
  _rustynet_git(git_dir rev-parse --absolute-git-dir)
  _rustynet_git(head_ref symbolic-ref -q HEAD)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${git_dir}/HEAD")
  if(head_ref)
    _rustynet_git(ref_file rev-parse --path-format=absolute --git-path "${head_ref}")
    if(ref_file AND EXISTS "${ref_file}")
      set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${ref_file}")
    endif()
  endif()
endif()
file(WRITE "${CMAKE_BINARY_DIR}/rustynet-version.txt" "${RUSTYNET_VERSION_STRING}\n")
message(STATUS "Rustynet version ${RUSTYNET_VERSION_STRING}")

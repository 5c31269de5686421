# Builds and runs a consumer project of switchboard (cmake -P).
#   MODE=find_package      installs component "devel" of BUILD_DIR into
#                          WORK_DIR/prefix, checks that only the public headers
#                          are there, then builds find_package/ against it
#   MODE=add_subdirectory  builds add_subdirectory/ with SOURCE_DIR inside it
# Both print the consumer's output ("consumer: greet log ...").
foreach(var MODE SOURCE_DIR BUILD_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: ${var} is not set")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}\n${out}")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(consumer_args -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-O0)
if(CXX_COMPILER)
  list(APPEND consumer_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()

if(MODE STREQUAL "find_package")
  set(prefix ${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix} --component devel)

  # Exactly the public headers: nothing from engine/src.
  file(GLOB expected RELATIVE ${SOURCE_DIR}/engine/include ${SOURCE_DIR}/engine/include/switchboard/*.h)
  file(GLOB_RECURSE installed RELATIVE ${prefix}/include ${prefix}/include/*)
  list(SORT expected)
  list(SORT installed)
  if(NOT installed STREQUAL expected)
    message(FATAL_ERROR "installed headers differ from the public ones:\n"
                        "  installed: ${installed}\n  public:    ${expected}")
  endif()
  file(GLOB_RECURSE configs ${prefix}/*/switchboardConfig*.cmake)
  list(LENGTH configs n)
  if(n LESS 2)
    message(FATAL_ERROR "switchboardConfig.cmake and its version file are not installed: ${configs}")
  endif()
  # The installed package must not point back into the build or source tree.
  file(GLOB_RECURSE cmake_files ${prefix}/*.cmake)
  foreach(f ${cmake_files})
    file(READ ${f} text)
    foreach(tree ${BUILD_DIR} ${SOURCE_DIR})
      string(FIND "${text}" "${tree}/" at)
      if(NOT at EQUAL -1)
        message(FATAL_ERROR "${f} refers to ${tree}")
      endif()
    endforeach()
  endforeach()

  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/find_package -B ${WORK_DIR}/build
      ${consumer_args} -DCMAKE_PREFIX_PATH=${prefix})
elseif(MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/package/add_subdirectory -B ${WORK_DIR}/build
      ${consumer_args} -DSWITCHBOARD_SOURCE_DIR=${SOURCE_DIR})
else()
  message(FATAL_ERROR "run_consumer.cmake: unknown MODE '${MODE}'")
endif()

include(ProcessorCount)
ProcessorCount(jobs)
if(jobs EQUAL 0)
  set(jobs 2)
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build --parallel ${jobs})
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE rc
                OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer exited with ${rc}")
endif()

# attnc_add_model(<target> SOURCE <file.attn>
#                 [C_PREFIX <prefix>] [DIMS <NAME=VALUE>...] [OPTIONS <attnc option>...])
#
# Compiles the model file with attnc::attnc when the project is built (again
# whenever the file or attnc changes) into <target>.o and <target>.h in
# <current binary dir>/<target>.attnc/, and defines <target>: a static library
# of that object. Linking it gives the header's directory (#include
# "<target>.h") and the runtime. C_PREFIX is attnc's --name, each DIMS entry a
# --dim, OPTIONS any other attnc options (-O0, -mcpu=znver4, --block-q 64 ...).
# Modelled on Halide's add_halide_library.
function(attnc_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "SOURCE;C_PREFIX" "DIMS;OPTIONS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "attnc_add_model(${target}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCE)
    message(FATAL_ERROR "attnc_add_model(${target}): SOURCE <file.attn> is required")
  endif()
  get_filename_component(source "${ARG_SOURCE}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${target}.attnc")
  set(object "${dir}/${target}.o")
  set(header "${dir}/${target}.h")
  set(flags "")
  if(ARG_C_PREFIX)
    list(APPEND flags "--name=${ARG_C_PREFIX}")
  endif()
  foreach(dim IN LISTS ARG_DIMS)
    list(APPEND flags --dim "${dim}")
  endforeach()
  add_custom_command(
    OUTPUT "${object}" "${header}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}"
    COMMAND attnc::attnc "${source}" -o "${object}" ${flags} ${ARG_OPTIONS}
    DEPENDS "${source}" attnc::attnc
    COMMENT "attnc ${ARG_SOURCE} -> ${target}.o, ${target}.h"
    VERBATIM)
  set_source_files_properties("${object}" PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
  add_library(${target} STATIC "${object}" "${header}")
  set_target_properties(${target} PROPERTIES LINKER_LANGUAGE C)
  target_include_directories(${target} INTERFACE "${dir}")
  # The generated code calls libm (tanhf, erff, expf at -O0).
  target_link_libraries(${target} INTERFACE attnc::runtime m)
endfunction()

# Finds Halide 21 from its PyPI wheel (scripts/install-deps.sh puts it in
# .deps/halide-venv) and defines the IMPORTED target attnc::Halide.
#
# The wheel's own CMake package needs CMake >= 3.28; this needs only the
# headers and lib64/libHalide.so, which has LLVM 21 linked in and hidden, so
# it lives beside LLVM 19 in one process. ATTNC_HALIDE_ROOT overrides the
# search: the wheel's `halide` folder (holding include/ and lib64/).
set(ATTNC_HALIDE_ROOT "" CACHE PATH "The halide folder of the halide==21.0.0 wheel")
if(NOT ATTNC_HALIDE_ROOT)
  file(GLOB _attnc_halide_candidates
       "${PROJECT_SOURCE_DIR}/.deps/halide-venv/lib/python3*/site-packages/halide")
  if(_attnc_halide_candidates)
    list(GET _attnc_halide_candidates 0 _attnc_halide_root)
    set(ATTNC_HALIDE_ROOT "${_attnc_halide_root}" CACHE PATH
        "The halide folder of the halide==21.0.0 wheel" FORCE)
  endif()
endif()

find_path(HALIDE_INCLUDE_DIR Halide.h PATHS "${ATTNC_HALIDE_ROOT}/include" NO_DEFAULT_PATH)
find_library(HALIDE_LIBRARY Halide PATHS "${ATTNC_HALIDE_ROOT}/lib64" NO_DEFAULT_PATH)
if(NOT HALIDE_INCLUDE_DIR OR NOT HALIDE_LIBRARY)
  message(FATAL_ERROR "Halide 21 not found (looked in '${ATTNC_HALIDE_ROOT}'): run "
                      "scripts/install-deps.sh, or set ATTNC_HALIDE_ROOT to the halide folder "
                      "of the halide==21.0.0 wheel")
endif()
file(STRINGS "${HALIDE_INCLUDE_DIR}/Halide.h" _attnc_halide_major
     REGEX "^#define HALIDE_VERSION_MAJOR [0-9]+")
if(NOT _attnc_halide_major MATCHES " 21$")
  message(FATAL_ERROR "attnc needs Halide 21, found '${_attnc_halide_major}' in ${HALIDE_INCLUDE_DIR}")
endif()
message(STATUS "Using Halide 21 from ${ATTNC_HALIDE_ROOT}")
get_filename_component(HALIDE_LIBRARY_DIR "${HALIDE_LIBRARY}" DIRECTORY)

add_library(attnc::Halide SHARED IMPORTED)
set_target_properties(attnc::Halide PROPERTIES
  IMPORTED_LOCATION "${HALIDE_LIBRARY}"
  IMPORTED_NO_SONAME OFF
  INTERFACE_INCLUDE_DIRECTORIES "${HALIDE_INCLUDE_DIR}"
  # Halide reports errors by exceptions; code using it is built with them.
  INTERFACE_COMPILE_OPTIONS "-fexceptions")
set(HalideWheel_FOUND TRUE)

# flushlat_output: rendering (text/JSON/Prometheus), percentiles, --fail-if
# thresholds, saved-snapshot JSON parsing, report/diff and the HTTP exporter.
# Sources are listed only when present so the library builds while the
# remaining parts are still being written.
find_package(PkgConfig REQUIRED)
pkg_check_modules(JSONC REQUIRED IMPORTED_TARGET json-c)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
find_package(Threads REQUIRED)

set(_fl_output_srcs)
foreach(src percentile.c threshold.c render.c render_prom.c render_json.c json.c http.c report.c)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${src})
    list(APPEND _fl_output_srcs ${CMAKE_CURRENT_SOURCE_DIR}/${src})
  endif()
endforeach()

add_library(flushlat_output STATIC ${_fl_output_srcs})
target_include_directories(flushlat_output PUBLIC ${CMAKE_SOURCE_DIR}/user ${CMAKE_SOURCE_DIR}/include)
if(TARGET flushlat_core)
  target_link_libraries(flushlat_output PUBLIC flushlat_core)
endif()
target_link_libraries(flushlat_output PUBLIC PkgConfig::JSONC PkgConfig::MHD Threads::Threads m)
flushlat_strict(flushlat_output)

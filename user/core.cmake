# flushlat_core: the MetaStore C library (layout in include/flushlat/,
# recording/merge/dump/collect, formatting, the Prometheus collector).
add_library(flushlat_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/metastore.c
  ${CMAKE_CURRENT_LIST_DIR}/format.c
  ${CMAKE_CURRENT_LIST_DIR}/prom.c
  ${CMAKE_CURRENT_LIST_DIR}/strbuf.c)
target_include_directories(flushlat_core PUBLIC ${CMAKE_CURRENT_LIST_DIR} ${CMAKE_SOURCE_DIR}/include)
set_target_properties(flushlat_core PROPERTIES POSITION_INDEPENDENT_CODE ON)
flushlat_strict(flushlat_core)
install(TARGETS flushlat_core ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES metastore.h format.h collector.h prom.h strbuf.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/flushlat)

# The flushlat tracer: pure logic in flushlat_trace (unit-testable without
# BPF: option parsing, target resolution, snapshot deltas), the BPF-facing
# parts (map reader, loader) in the flushlat executable.
add_library(flushlat_trace STATIC ${CMAKE_CURRENT_LIST_DIR}/maps.c
                                  ${CMAKE_CURRENT_LIST_DIR}/target.c
                                  ${CMAKE_CURRENT_LIST_DIR}/opts.c
                                  ${CMAKE_CURRENT_LIST_DIR}/caps.c)
target_include_directories(flushlat_trace PUBLIC ${CMAKE_CURRENT_LIST_DIR}
                           ${CMAKE_SOURCE_DIR}/include ${CMAKE_SOURCE_DIR}/bpf)
target_compile_definitions(flushlat_trace PRIVATE FL_MULTIARCH="${FLUSHLAT_ARCH}-linux-gnu")
target_link_libraries(flushlat_trace PUBLIC flushlat_output flushlat_core elf m)
flushlat_strict(flushlat_trace)

add_executable(flushlat ${CMAKE_CURRENT_LIST_DIR}/flushlat.c ${CMAKE_CURRENT_LIST_DIR}/attach.c
               ${CMAKE_CURRENT_LIST_DIR}/reader.c)
target_link_libraries(flushlat PRIVATE flushlat_trace flushlat_skel
                      /usr/lib/${FLUSHLAT_ARCH}-linux-gnu/libbpf.a elf z pthread)
flushlat_strict(flushlat)
install(TARGETS flushlat)

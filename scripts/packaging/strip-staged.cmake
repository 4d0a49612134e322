# Run by CPack on the staged tree before it is packaged: what dh_strip does
# beyond CPACK_STRIP_FILES.  The static library loses its debug information
# (kept deterministic), every ELF file its .comment and .note sections.
find_program(FL_STRIP NAMES strip REQUIRED)
file(GLOB_RECURSE staged LIST_DIRECTORIES false "${CPACK_TEMPORARY_INSTALL_DIRECTORY}/*")
foreach(f ${staged})
  if(f MATCHES "\\.a$")
    set(args --strip-debug --enable-deterministic-archives)
  elseif(f MATCHES "/bin/")
    set(args)
  else()
    continue()
  endif()
  execute_process(COMMAND ${FL_STRIP} ${args} --remove-section=.comment --remove-section=.note ${f}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "strip ${f} failed")
  endif()
endforeach()

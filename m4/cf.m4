divert(-1)
#
#  monomail m4 configuration library -- entry point.
#
#      m4 /path/to/m4/cf.m4 site.mc > site.cf
#
#  This file finds the rest of the library next to itself (from whatever
#  directory m4 runs in), defines the vocabulary an .mc file speaks, and
#  arranges for proto.m4 to write the configuration once the .mc has been
#  read completely.  Reading it twice (an .mc that includes it again) is
#  harmless.  See README.md in this folder for the vocabulary.
#
ifdef(`_MM_CF_LOADED', `', `
define(`_MM_CF_LOADED', `1')
define(`_MM_DIR', substr(__file__, 0, eval(len(__file__) - 5)))
include(_MM_DIR`'vocab.m4)
')
divert(0)dnl

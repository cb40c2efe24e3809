# fuzz.mk - links the libFuzzer targets; read by contrib/fuzz.sh together
# with a configured build directory's Makefile:
#   make -C _build/fuzz -f Makefile -f .../tests/fuzz/fuzz.mk fuzz_NAME...
# so libmailout.a, the include paths and the libraries (DEP_LIBS, which
# lists every pkg-config module configure.ac checks) come from that one place.
# The build directory is configured with CC=clang and
# CFLAGS=-fsanitize=fuzzer-no-link,address,undefined; the targets add
# -fsanitize=fuzzer, which brings libFuzzer's main().

FUZZ_DIR = $(top_srcdir)/tests/fuzz
FUZZ_HEADERS = $(wildcard $(top_srcdir)/include/*.h) $(FUZZ_DIR)/fuzz.h

fuzz_%: $(FUZZ_DIR)/fuzz_%.c $(FUZZ_HEADERS) libmailout.a
	$(AM_V_CCLD)$(CC) $(DEFS) $(DEFAULT_INCLUDES) $(INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS) \
		-I$(FUZZ_DIR) $(AM_CFLAGS) $(CFLAGS) -fsanitize=fuzzer \
		-o $@ $< libmailout.a $(DEP_LIBS) $(LIBS)

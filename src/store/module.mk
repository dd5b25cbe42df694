# The rule store: atomic files, learned rules, JSON (json-c) and OpenSnitch
# import; the importers are fuzzed by tests/fuzz/fuzz_import.c.
store_USES   := engine policy
store_LDLIBS := -ljson-c
FUZZ_MODULES += store
FUZZ_LDLIBS += -ljson-c

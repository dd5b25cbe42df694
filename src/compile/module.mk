# The policy -> kernel compiler: pure C over the engine's API (plus one
# resolver that stats paths); fuzzed by tests/fuzz/fuzz_kcompile.c.
FUZZ_MODULES += compile
compile_USES := engine policy

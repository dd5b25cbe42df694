# The policy language: pure C plus file reading; fuzzed by tests/fuzz/fuzz_policy.c.
FUZZ_MODULES += policy
policy_USES := engine

# What each benchmark links (see "Linking" in the Makefile).
bench_classbench_gen_USES :=
bench_classify_USES       := engine
bench_engine_USES         := engine
bench_lograte_USES        := engine log
bench_callout_USES        := callout engine
bench_idsmatch_USES       := ids
bench_forkexec_USES       :=

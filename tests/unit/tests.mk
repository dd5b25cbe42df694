# What each unit test links (see "Linking" in the Makefile).
test_alert_USES       := alert engine
test_bootrules_USES   := compile policy
test_callout_USES     := callout engine
test_classifier_USES  := engine
test_dnsfilter_USES   := callout engine
test_engine_USES      := engine
test_engine_diff_USES := engine
test_kcompile_USES    := compile engine
test_pingline_USES    := kernel
test_log_USES         := engine log proto
test_policy_USES      := engine policy store
test_proc_USES        := proc
test_proto_USES       := engine proto ring
test_ring_USES        := engine ring
test_service_USES     := engine service
test_stats_proto_USES := engine proto
test_ids_USES         := ids

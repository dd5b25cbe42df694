proc_LDLIBS := -lsodium

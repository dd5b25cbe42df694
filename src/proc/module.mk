LDLIBS += -lsodium

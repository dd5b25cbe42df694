LDLIBS += -lsystemd

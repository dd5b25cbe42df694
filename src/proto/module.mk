# Control protocol: JSON over a unix socket (json-c).
LDLIBS += -ljson-c
FUZZ_MODULES += proto util
FUZZ_LDLIBS += -ljson-c

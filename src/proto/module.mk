# Control protocol: JSON over a unix socket (json-c).
proto_USES   := engine util
proto_LDLIBS := -ljson-c
FUZZ_MODULES += proto util
FUZZ_LDLIBS += -ljson-c

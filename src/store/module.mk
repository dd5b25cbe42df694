# The rule store: atomic files, learned rules, JSON (json-c) and OpenSnitch import.
LDLIBS += -ljson-c

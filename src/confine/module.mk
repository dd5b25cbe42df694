# What wardd's helpers (ward-scand, ward-maild) give up: privileges and
# system calls.
confine_LDLIBS := -lseccomp

# GMime's view of a message for the mail proxy (docs/MAIL.md): only
# ward-maild parses mail; wardd links the mail module's wire, not this.
mime_CFLAGS := $(patsubst -I%,-isystem %,$(shell pkg-config --cflags gmime-3.0 2>/dev/null))
mime_LDLIBS := $(shell pkg-config --libs gmime-3.0 2>/dev/null)

# The mail proxy (docs/MAIL.md): the protocol state machines and the wire
# to wardd (library), and ward-maild, the unprivileged process the mail
# flows are redirected to (it reads messages with the mime module).
mail_EXCLUDE := src/mail/maild.c
mail_USES    := util

ward-maild_USES := confine mail mailtls mime util
$(BUILD_DIR)/bin/ward-maild: $(BUILD_DIR)/obj/mail/maild.o $$(call prog_libs,ward-maild)
	@mkdir -p $(@D)
	@[ "$(V)" = 1 ] || echo "  LD      $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(call prog_link,ward-maild)
EXTRA_PROGRAMS += $(BUILD_DIR)/bin/ward-maild

# The state machines' fuzzer: the sessions alone (tests/suites/47-fuzz-mail.sh).
MAIL_SESSION_SRCS := src/mail/session.c src/mail/state.c src/mail/smtp.c src/mail/pop3.c src/mail/imap.c
build/fuzz/fuzz_mail: tests/fuzz/fuzz_mail.c $(MAIL_SESSION_SRCS) src/mail/session.h src/mail/state.h \
		src/mail/internal.h
	@mkdir -p $(@D)
	$(CLANG) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_mail.c $(MAIL_SESSION_SRCS)

# Installing Ward (Debian's packaging runs `make install DESTDIR=...`).
#
#   make man                      the man pages (scdoc) into build/man
#   make install DESTDIR=D        programs, units, man pages, completion,
#                                 examples and the development headers
#
# Man pages are written in scdoc (dist/man/*.scd); completion is in
# dist/completion/.

PREFIX      ?= /usr
SBINDIR     ?= $(PREFIX)/sbin
BINDIR      ?= $(PREFIX)/bin
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/ward
INCLUDEDIR  ?= $(PREFIX)/include
UNITDIR     ?= /lib/systemd/system
SYSCONFDIR  ?= /etc
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/vendor-completions
APPDIR      ?= $(PREFIX)/share/applications
AUTOSTARTDIR ?= $(SYSCONFDIR)/xdg/autostart
SCDOC       ?= scdoc
INSTALL     ?= install

MAN_SRCS  := $(wildcard dist/man/*.scd)
MAN_PAGES := $(patsubst dist/man/%.scd,build/man/%,$(MAN_SRCS))

.PHONY: man install
man: $(MAN_PAGES)
build/man/%: dist/man/%.scd
	@mkdir -p $(@D)
	$(SCDOC) < $< > $@.tmp && mv $@.tmp $@

# The release build's programs; ward-top and ward-gtk (with its desktop
# entries) only where they were built.
install: man
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR)/examples/rules.d $(DESTDIR)$(INCLUDEDIR)/ward \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
		$(DESTDIR)$(SYSCONFDIR)/ward/rules.d $(DESTDIR)$(SYSCONFDIR)/ward/keys
	$(INSTALL) -m 755 build/rel/bin/wardd $(DESTDIR)$(SBINDIR)/wardd
	$(INSTALL) -m 755 build/rel/bin/ward-scand $(DESTDIR)$(SBINDIR)/ward-scand
	$(INSTALL) -m 755 build/rel/bin/ward-maild $(DESTDIR)$(SBINDIR)/ward-maild
	$(INSTALL) -m 755 build/rel/bin/ward-callout-host $(DESTDIR)$(SBINDIR)/ward-callout-host
	$(INSTALL) -m 755 build/rel/bin/ward $(DESTDIR)$(BINDIR)/ward
	$(INSTALL) -D -m 644 build/rel/lib/libward-shim.so $(DESTDIR)$(PREFIX)/lib/ward/libward-shim.so
	if [ -x build/rel/bin/ward-top ]; then \
		$(INSTALL) -m 755 build/rel/bin/ward-top $(DESTDIR)$(BINDIR)/ward-top; fi
	if [ -x build/rel/bin/ward-gtk ]; then \
		$(INSTALL) -m 755 build/rel/bin/ward-gtk $(DESTDIR)$(BINDIR)/ward-gtk && \
		$(INSTALL) -D -m 644 dist/xdg/ward-gtk.desktop $(DESTDIR)$(APPDIR)/ward-gtk.desktop && \
		$(INSTALL) -D -m 644 dist/xdg/ward-gtk-autostart.desktop \
			$(DESTDIR)$(AUTOSTARTDIR)/ward-gtk.desktop; fi
	$(INSTALL) -m 644 dist/systemd/ward.service src/kernel/boot/ward-boot.service \
		$(DESTDIR)$(UNITDIR)/
	for p in $(MAN_PAGES); do s=$${p##*.}; \
		$(INSTALL) -m 644 $$p $(DESTDIR)$(MANDIR)/man$$s/; done
	$(INSTALL) -m 644 dist/completion/ward.bash $(DESTDIR)$(BASHCOMPDIR)/ward
	$(INSTALL) -m 644 dist/completion/_ward $(DESTDIR)$(ZSHCOMPDIR)/_ward
	$(INSTALL) -m 644 examples/ward.conf $(DESTDIR)$(DOCDIR)/examples/
	$(INSTALL) -m 644 examples/rules.d/*.rules $(DESTDIR)$(DOCDIR)/examples/rules.d/
	$(INSTALL) -D -m 644 rules/ids/ward.rules $(DESTDIR)$(DOCDIR)/examples/ids/ward.rules
	$(INSTALL) -m 644 examples/ward.conf $(DESTDIR)$(SYSCONFDIR)/ward/ward.conf
	$(INSTALL) -m 644 examples/rules.d/*.rules $(DESTDIR)$(SYSCONFDIR)/ward/rules.d/
	$(INSTALL) -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 644 include/ward/*.h $(DESTDIR)$(INCLUDEDIR)/ward/

# po: jpki's messages in Japanese (gettext). A plain msgfmt rule rather
# than AM_GNU_GETTEXT: one language, glibc's gettext, nothing to vendor.
# The catalogue is built into po/ja/LC_MESSAGES/ of the build tree, so the
# tests point JPKI_LOCALEDIR at $(top_builddir)/po, and installed as
# $(localedir)/ja/LC_MESSAGES/jpki-pkcs11.mo.
#   make update-po    re-extracts the messages (xgettext) and merges them
#                     into po/ja.po (msgmerge); translate the new ones.
EXTRA_DIST += po/ja.po
jamsgdir = $(localedir)/ja/LC_MESSAGES
jamsg_DATA = po/ja/LC_MESSAGES/$(PACKAGE).mo
CLEANFILES += po/ja/LC_MESSAGES/$(PACKAGE).mo po/$(PACKAGE).pot
po/ja/LC_MESSAGES/$(PACKAGE).mo: po/ja.po
	$(AM_V_GEN)$(MKDIR_P) po/ja/LC_MESSAGES && \
	$(MSGFMT) -c -o $@.tmp $(srcdir)/po/ja.po && mv $@.tmp $@

update-po:
	$(MKDIR_P) po
	$(XGETTEXT) --from-code=UTF-8 -k_ -kN_ -kngettext:1,2 \
		--package-name=$(PACKAGE) -o po/$(PACKAGE).pot $(srcdir)/src/tool/*.c
	$(MSGMERGE) --update --no-wrap $(srcdir)/po/ja.po po/$(PACKAGE).pot
.PHONY: update-po

# man: rules for this directory (included from the top Makefile.am)
# jpki-pkcs11(8) is made from man/jpki-pkcs11.8.in with the configured paths
# (module, .module file, config file), so the page tells the truth about
# this installation; installed under $(mandir)/man8.
man_MANS = man/jpki-pkcs11.8
EXTRA_DIST += man/jpki-pkcs11.8.in
CLEANFILES += man/jpki-pkcs11.8
JP_MANDATE = 2026-11

# (The patterns are written @''NAME@ so that config.status leaves them alone.)
# Paths get "\-" for their hyphens (a plain "-" may render as a typographic
# hyphen, which breaks copy and paste).
jp_man_esc = sed -e 's/-/\\\\-/g'
man/jpki-pkcs11.8: man/jpki-pkcs11.8.in Makefile
	$(AM_V_GEN)$(MKDIR_P) man && \
	mp=`echo '$(p11_module_path)' | $(jp_man_esc)` && \
	mc=`echo '$(p11_module_configs)' | $(jp_man_esc)` && \
	sc=`echo '$(sysconfdir)' | $(jp_man_esc)` && \
	px=`$(PKG_CONFIG) --variable=proxy_module p11-kit-1 2>/dev/null || :` && \
	px=`echo "$${px:-p11-kit-proxy.so}" | $(jp_man_esc)` && \
	sed -e "s|@""p11_module_path@|$$mp|g" \
		-e "s|@""p11_module_configs@|$$mc|g" \
		-e "s|@""sysconfdir@|$$sc|g" \
		-e "s|@""proxy_module@|$$px|g" \
		-e 's|@''VERSION@|$(VERSION)|g' \
		-e 's|@''MANDATE@|$(JP_MANDATE)|g' \
		$(srcdir)/man/jpki-pkcs11.8.in >$@.tmp && mv $@.tmp $@
# jpki(1), the companion program (src/tool), written directly.
man_MANS += man/jpki.1
EXTRA_DIST += man/jpki.1

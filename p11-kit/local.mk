# p11-kit: the module configuration, installed where p11-kit looks for it.
# Made at make time, not by configure, so that a path given as
# '${libdir}/pkcs11' (as distcheck does) is expanded in the file p11-kit reads.
p11kitconfdir = $(p11_module_configs)
p11kitconf_DATA = p11-kit/jpki-pkcs11.module
EXTRA_DIST += p11-kit/jpki-pkcs11.module.in
CLEANFILES += p11-kit/jpki-pkcs11.module
p11-kit/jpki-pkcs11.module: p11-kit/jpki-pkcs11.module.in Makefile
	$(AM_V_GEN)$(MKDIR_P) p11-kit && \
	sed -e 's|@''p11_module_path@|$(p11_module_path)|g' \
		$(srcdir)/p11-kit/jpki-pkcs11.module.in >$@.tmp && mv $@.tmp $@

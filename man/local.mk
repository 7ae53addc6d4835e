# man: rules for this directory (included from the top Makefile.am)
# jpki-pkcs11(8): installed under $(mandir)/man8 and shipped in the tarball.
dist_man_MANS = man/jpki-pkcs11.8

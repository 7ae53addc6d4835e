# doc: "Use it with..." notes per program (summarised in README and the man page).
EXTRA_DIST += \
	doc/use/chromium.txt \
	doc/use/firefox-thunderbird.txt \
	doc/use/firefox.txt \
	doc/use/gnutls.txt \
	doc/use/java.txt \
	doc/use/openssh.txt \
	doc/use/openssl.txt \
	doc/use/p11-kit.txt \
	doc/use/pdf.txt \
	doc/use/tls13.txt
# LibreOffice engineer.
EXTRA_DIST += doc/use/libreoffice.txt
# What the card does (with sources), how the project is built and how the
# tests' private pcscd works: the files code comments cite.
EXTRA_DIST += doc/card.md doc/design.md doc/pcscd-testing.md

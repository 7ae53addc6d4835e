# tests/e2e: rules for this directory (included from the top Makefile.am)
